"""Industrial investment projects through their life cycle (落地-建设-竣工-投产-上规), their monthly
reports, the provincial major-project portfolio's element needs, and investment attraction.

Money in 万元 (10k yuan), foreign capital in 万美元 (10k USD), land in 亩.
"""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from mujun.core.links import reverse
from mujun.core.rules import rule_errors
from mujun.core.validators import year_validators
from mujun.engine.projects import (
    DEFAULT_LIST_THRESHOLDS,
    DEFAULT_RED_MARGIN,
    DEFAULT_START_TARGETS,
    ELEMENT_NEED_RULES,
    LIST_THRESHOLD_RULES,
    PROJECT_RULES,
    REPORT_RULES,
    STAGE_ORDER,
    START_TARGET_RULES,
)
from mujun.regions.models import county_map


class Stage(models.TextChoices):
    """The life cycle, in order; a project moves forward one stage at a time."""

    PLANNED = "planned", pgettext_lazy("project stage", "Planned")
    SIGNED = "signed", _("Signed")
    LANDED = "landed", _("Landed")
    CONSTRUCTION = "construction", _("Under construction")
    COMPLETED = "completed", _("Completed")
    COMMISSIONED = "commissioned", _("Commissioned")
    CAPACITY = "capacity", _("At capacity")
    ABOVE_SCALE = "above_scale", _("Above designated size")


assert [s.value for s in Stage] == list(STAGE_ORDER), "the engine and the model must agree on the stages"
# The stages a project reaches with a date (every one but the starting one).
DATED_STAGES = [s for s in Stage if s != Stage.PLANNED]


class Level(models.TextChoices):
    PROVINCIAL = "provincial", _("Provincial major project")
    MUNICIPAL = "municipal", _("Municipal major project")
    COUNTY = "county", _("County project")


class Field(models.TextChoices):
    """The nine fields of the provincial major-project portfolio (千项万亿)."""

    MANUFACTURING = "manufacturing", _("Advanced manufacturing base")
    INNOVATION = "innovation", _("Science and technology innovation")
    TRANSPORT = "transport", _("Transport powerhouse")
    ENERGY = "energy", _("Clean energy supply")
    WATER = "water", _("Water network upgrade")
    URBAN = "urban", _("Urban organic renewal")
    AGRICULTURE = "agriculture", _("Agriculture and rural priority")
    CULTURE = "culture", _("Culture and tourism integration")
    LIVELIHOOD = "livelihood", _("Public livelihood facilities")


def _planned(stage: Stage):
    return models.DateField(format_lazy("{}: {}", _("planned date"), stage.label), null=True, blank=True)


def _actual(stage: Stage):
    # Set only by moving the project through its stages (services.advance), never by the edit form.
    return models.DateField(format_lazy("{}: {}", _("actual date"), stage.label), null=True, blank=True, editable=False)


def outside_county(project_region_id: int, region_id: int | None, counties: dict[int, int | None]) -> bool:
    """The rule for what a project links to (its enterprise, its parcels): it lies in the project's county.
    A city-level project may link to any county. Forms, API and imports all ask this."""
    county = counties.get(project_region_id)
    return county is not None and counties.get(region_id) != county


def enterprise_outside_message(enterprise) -> str:
    return _("%(enterprise)s is registered outside the project's county.") % {"enterprise": enterprise}


def parcels_outside_message(codes: list[str]) -> str:
    return _("Outside the project's county: %(parcels)s.") % {"parcels": ", ".join(codes)}


def reported_message(project, month: date) -> str:
    return _("%(project)s already has a report for %(month)s.") % {"project": project, "month": f"{month:%Y-%m}"}


def below_earlier_message(value: float, earlier: float) -> str:
    message = _("The investment to date (%(value)s) is less than the previous report's (%(earlier)s).")
    return message % {"value": value, "earlier": earlier}


def parcels_problem(region, parcels) -> str | None:
    """The message refusing the parcels a project of ``region`` may not link to, if any (m2m links are not
    the model's to check: the form, the API and the import call this rule)."""
    if region is None:
        return None
    counties = county_map()
    outside = [str(parcel) for parcel in parcels if outside_county(region.pk, parcel.region_id, counties)]
    return parcels_outside_message(outside) if outside else None


class Project(models.Model):
    code = models.CharField(_("project code"), max_length=32, unique=True)
    name = models.CharField(_("project name"), max_length=128, db_index=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="projects"
    )
    parcels = models.ManyToManyField("land.Parcel", blank=True, related_name="projects", verbose_name=_("parcels"))
    industry_code = models.CharField(_("industry (GB/T 4754)"), max_length=5, blank=True)
    chain_tags = models.CharField(
        _("industrial-chain tags"), max_length=200, blank=True, help_text=_("Separated by commas")
    )
    total_investment = models.FloatField(_("total investment (10k yuan)"))
    fixed_asset_investment = models.FloatField(_("fixed-asset investment (10k yuan)"), null=True, blank=True)
    foreign_capital_usd = models.FloatField(_("foreign capital used (10k USD)"), null=True, blank=True)
    is_new = models.BooleanField(_("new project"), default=True, help_text=_("New this year, or continued"))
    key_county = models.BooleanField(_("key county investment project"), default=False)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices, default=Level.COUNTY)
    field = models.CharField(_("field"), max_length=16, choices=Field.choices, blank=True)
    batch = models.CharField(_("batch"), max_length=32, blank=True)
    plan_year = models.PositiveSmallIntegerField(
        _("plan year"), null=True, blank=True, validators=year_validators()
    )
    annual_plan = models.FloatField(_("annual planned investment (10k yuan)"), null=True, blank=True)
    stage = models.CharField(
        _("stage"), max_length=16, choices=Stage.choices, default=Stage.PLANNED, editable=False, db_index=True
    )
    planned_signed = _planned(Stage.SIGNED)
    actual_signed = _actual(Stage.SIGNED)
    planned_landed = _planned(Stage.LANDED)
    actual_landed = _actual(Stage.LANDED)
    planned_construction = _planned(Stage.CONSTRUCTION)
    actual_construction = _actual(Stage.CONSTRUCTION)
    planned_completed = _planned(Stage.COMPLETED)
    actual_completed = _actual(Stage.COMPLETED)
    planned_commissioned = _planned(Stage.COMMISSIONED)
    actual_commissioned = _actual(Stage.COMMISSIONED)
    planned_capacity = _planned(Stage.CAPACITY)
    actual_capacity = _actual(Stage.CAPACITY)
    planned_above_scale = _planned(Stage.ABOVE_SCALE)
    actual_above_scale = _actual(Stage.ABOVE_SCALE)
    # The latest month with investment reported: kept by the report services so the board needs no
    # aggregate over every report to find stalled projects.
    last_progress_month = models.DateField(_("last month with investment"), null=True, blank=True, editable=False)
    # Changed only by this app's services.py (tests/test_architecture.py holds every other module to it).
    state_fields = ("stage", "last_progress_month")
    history = HistoricalRecords(m2m_fields=[parcels])  # which parcels, linked and unlinked by whom

    class Meta:
        ordering = ["code"]
        indexes = [
            # Every column the battle board counts (mujun.projects.board), region and stage first: the board's
            # grouped queries read this index alone, in region order, instead of every project's row.
            models.Index(
                fields=[
                    "region", "stage", "total_investment", "actual_landed", "actual_construction", "last_progress_month",
                    *[f"planned_{stage}" for stage in STAGE_ORDER[1:]], "code",
                ],
                name="projects_board_idx",
            ),
            # What the major-project portfolio (mujun.projects.portfolio) groups the year's projects by and sums:
            # its queries read this index alone.
            models.Index(
                fields=["plan_year", "level", "region", "field", "is_new", "annual_plan"], name="projects_portfolio_idx"
            ),
        ]  # fmt: skip
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:project_detail", args=[self.pk])

    def clean(self):
        errors = rule_errors(self, PROJECT_RULES)
        if self.enterprise_id and self.region_id and outside_county(self.region_id, self.enterprise.region_id, county_map()):
            errors["enterprise"] = enterprise_outside_message(self.enterprise)
        if errors:
            raise ValidationError(errors)

    @property
    def next_stage(self) -> str | None:
        index = STAGE_ORDER.index(self.stage)
        return STAGE_ORDER[index + 1] if index + 1 < len(STAGE_ORDER) else None

    def stage_rows(self) -> list[dict]:
        """Each dated stage with its planned and actual date, for the detail page."""
        return [
            {
                "stage": stage,
                "planned": getattr(self, f"planned_{stage.value}"),
                "actual": getattr(self, f"actual_{stage.value}"),
            }
            for stage in DATED_STAGES
        ]

    @property
    def tags(self) -> list[str]:
        return [t.strip() for t in self.chain_tags.replace("，", ",").split(",") if t.strip()]



class Evidence(models.Model):
    """A photo or document kept by the platform: for a stage of a project, or for a monthly report."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        DOCUMENT = "document", _("Document")

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="evidence")
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, blank=True)
    report = models.ForeignKey(
        "MonthlyReport", verbose_name=_("monthly report"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="photos",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="projects/evidence/%Y/%m/")
    thumbnail = models.FileField(_("thumbnail"), upload_to="projects/thumbnails/%Y/%m/", blank=True)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return self.original_name

    @property
    def region(self):
        """The project's region: what scoping checks (mujun.core.scoping.record_region)."""
        return self.project.region


class StageChange(models.Model):
    """Every move of a project's stage: forward with its date and evidence, or a correction backwards."""

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(_("from stage"), max_length=16, choices=Stage.choices)
    to_stage = models.CharField(_("to stage"), max_length=16, choices=Stage.choices)
    date = models.DateField(_("date"), null=True, blank=True)
    correction = models.BooleanField(_("correction backwards"), default=False)
    automatic = models.BooleanField(_("automatic"), default=False)
    reason = models.TextField(_("reason"), blank=True)
    # The evidence of a stage reached from statistics (上规 from the enterprise's revenue of a year).
    statistics = models.ForeignKey(
        "enterprises.EnterpriseYear", verbose_name=_("statistics"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")

    def __str__(self) -> str:
        return f"{self.project}: {self.get_from_stage_display()} → {self.get_to_stage_display()}"


class MonthlyReport(models.Model):
    """A project's progress in one month; county operators submit, the city reviews."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", pgettext_lazy("report", "Approved")
        RETURNED = "returned", _("Sent back")

    # Submitted and approved reports are official figures: a project that reported cannot be deleted.
    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="reports")
    month = models.DateField(_("month"), db_index=True, help_text=_("The first day of the month reported"))
    invested_month = models.FloatField(_("investment in the month (10k yuan)"))
    invested_to_date = models.FloatField(_("investment to date (10k yuan)"))
    notes = models.TextField(_("progress notes"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    review_note = models.TextField(_("review note"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # Changed only by this app's services.py (tests/test_architecture.py holds every other module to it).
    state_fields = ("status", "reviewed_by", "review_note")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-month", "project"]
        constraints = [models.UniqueConstraint(fields=["project", "month"], name="unique_project_month")]
        # The portfolio sums the year's investment of its projects from this index alone, without the rows.
        indexes = [models.Index(fields=["project", "month", "invested_month"], name="projects_report_invested_idx")]
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")

    def __str__(self) -> str:
        return f"{self.project} {self.month:%Y-%m}"

    def get_absolute_url(self) -> str:
        return reverse("projects:report_detail", args=[self.pk])

    def clean(self):
        """A report's rules, for the report services (form and API) and, the same messages, the import."""
        errors = rule_errors(self, REPORT_RULES, current_month=date.today().replace(day=1))
        if self.project_id and self.month:
            others = MonthlyReport.objects.filter(project_id=self.project_id, month=self.month).exclude(pk=self.pk)
            if "month" not in errors and others.exists():
                errors["month"] = reported_message(self.project, self.month)
            earlier, to_date = self.earlier_to_date(), self.invested_to_date
            if "invested_to_date" not in errors and None not in (earlier, to_date) and to_date < earlier:
                errors["invested_to_date"] = below_earlier_message(self.invested_to_date, earlier)
        if errors:
            raise ValidationError(errors)

    def earlier_to_date(self) -> float | None:
        """The investment to date of the project's previous report."""
        earlier = MonthlyReport.objects.filter(project_id=self.project_id, month__lt=self.month).order_by("-month")
        return earlier.values_list("invested_to_date", flat=True).first()

    @property
    def region(self):
        """The project's region: what scoping checks (mujun.core.scoping.record_region)."""
        return self.project.region


class ElementNeed(models.Model):
    """要素保障: what a project needs of one production element, and what has been granted."""

    class Element(models.TextChoices):
        LAND = "land", _("Land (mu)")
        SEA = "sea", _("Sea area (ha)")
        FUNDS = "funds", _("Funds (10k yuan)")
        ENERGY = "energy", _("Energy use (tce)")
        ENVIRONMENT = "environment", _("Environmental capacity (t)")

    project = models.ForeignKey(Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="elements")
    element = models.CharField(_("element"), max_length=12, choices=Element.choices)
    needed = models.FloatField(_("needed"))
    granted = models.FloatField(_("granted"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "element"]
        constraints = [models.UniqueConstraint(fields=["project", "element"], name="unique_project_element")]
        verbose_name = _("element need")
        verbose_name_plural = _("element needs")

    def __str__(self) -> str:
        return f"{self.project} {self.get_element_display()}"

    def clean(self):
        if errors := rule_errors(self, ELEMENT_NEED_RULES):
            raise ValidationError(errors)

    @property
    def region(self):
        """The project's region: what scoping checks (mujun.core.scoping.record_region)."""
        return self.project.region

    def get_absolute_url(self) -> str:
        return self.project.get_absolute_url()


class Team(models.Model):
    """An investment-attraction team (招商小分队)."""

    name = models.CharField(_("name"), max_length=64)
    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    leader = models.CharField(_("leader"), max_length=32, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["region", "name"]
        verbose_name = _("attraction team")
        verbose_name_plural = _("attraction teams")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:team_list")


class Lead(models.Model):
    """An investment lead, through negotiation to a signed project."""

    class Status(models.TextChoices):
        LEAD = "lead", _("Lead")
        NEGOTIATION = "negotiation", _("In negotiation")
        SIGNED = "signed", _("Signed")
        PROJECT = "project", _("Became a project")
        DROPPED = "dropped", _("Dropped")

    name = models.CharField(_("name"), max_length=128)
    investor = models.CharField(_("investor"), max_length=128, blank=True)
    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    chain_tags = models.CharField(_("industrial-chain tags"), max_length=200, blank=True)
    planned_investment = models.FloatField(_("planned investment (10k yuan)"), null=True, blank=True)
    foreign_capital_usd = models.FloatField(_("foreign capital (10k USD)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.LEAD)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    project = models.OneToOneField(
        Project, verbose_name=_("project"), null=True, blank=True, on_delete=models.SET_NULL, related_name="lead"
    )
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("investment lead")
        verbose_name_plural = _("investment leads")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:lead_edit", args=[self.pk])

    def clean(self):
        errors = {}
        if self.status in (self.Status.SIGNED, self.Status.PROJECT) and not self.signed_on:
            errors["signed_on"] = _("A signed lead needs its signing date.")
        if self.status == self.Status.PROJECT and not self.project_id:
            errors["project"] = _("Name the project the lead became.")
        if errors:
            raise ValidationError(errors)


class MonthClosing(models.Model):
    """A month of the city's four lists and its closing: once closed, the lists of the month are the stored
    ``snapshot`` (read by the lists page and its workbook), which no later import or edit changes. The city
    closes a month by hand or sets ``closes_on``, the day it closes by itself; reopening is recorded in the
    history with its reason."""

    month = models.DateField(_("month"), unique=True)  # its first day; the scope is the whole city
    closes_on = models.DateField(_("closes automatically on"), null=True, blank=True)
    closed_at = models.DateTimeField(pgettext_lazy("month", "closed at"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("closed by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", editable=False,
    )  # fmt: skip
    # The city's four lists at closing, one Parquet table with a ``list`` column (mujun.projects.lists).
    snapshot = models.BinaryField(_("snapshot"), null=True, blank=True, editable=False)
    reopen_reason = models.TextField(_("reason for reopening"), blank=True, editable=False)
    history = HistoricalRecords()  # keeps every snapshot circulated, and who reopened a month and why
    # Changed only by this app's services.py (tests/test_architecture.py holds every other module to it).
    state_fields = ("closes_on", "closed_at", "closed_by", "snapshot", "reopen_reason")

    class Meta:
        ordering = ["-month"]
        verbose_name = _("month closing")
        verbose_name_plural = _("month closings")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


TARGETS_EXIST = _("The year already has targets for this county (or for the whole city).")


def _percent(label, key: str):
    return models.FloatField(label, default=DEFAULT_START_TARGETS[key], help_text=_("percent of the year's new projects"))


class StartTarget(models.Model):
    """The share of a year's new projects that must have started (开工) by each deadline: the province's defaults
    for the whole city (no county), or a county's own. Read by mujun.projects.wall."""

    year = models.PositiveSmallIntegerField(_("year"), validators=year_validators())
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("county"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+", limit_choices_to={"level": "county"}, help_text=_("Blank: the whole city"),
    )  # fmt: skip
    q1 = _percent(_("started by the end of Q1 (%)"), "q1")
    q2 = _percent(_("started by the end of Q2 (%)"), "q2")
    q3 = _percent(_("started by the end of Q3 (%)"), "q3")
    october = _percent(_("started by the end of October (%)"), "october")
    red_margin = models.FloatField(
        _("red flag margin (points)"), default=DEFAULT_RED_MARGIN,
        help_text=_("A county behind its target by more than this many points is flagged red; behind at all, yellow."),
    )  # fmt: skip
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "region__code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "region"], name="unique_start_target", violation_error_message=TARGETS_EXIST),
            models.UniqueConstraint(
                fields=["year"], condition=models.Q(region=None), name="unique_city_start_target",
                violation_error_message=TARGETS_EXIST,
            ),
        ]
        verbose_name = _("start-rate target")
        verbose_name_plural = _("start-rate targets")

    def __str__(self) -> str:
        return f"{self.region or _('whole city')} {self.year}"

    def get_absolute_url(self) -> str:
        return reverse("projects:start_rates") + f"?year={self.year}"

    def clean(self):
        errors = rule_errors(self, START_TARGET_RULES)
        if self.region_id and self.region.level != "county":
            errors["region"] = _("Targets are set for the whole city or for a county.")
        if errors:
            raise ValidationError(errors)


def _threshold(label, key: str):
    return models.FloatField(label, default=DEFAULT_LIST_THRESHOLDS[key])


class ListThresholds(models.Model):
    """The city's thresholds of the key project lists (mujun.engine.projects.key_lists); one record."""

    talks_min = _threshold(_("in talks: from (10k yuan)"), "talks_min")
    signed_min = _threshold(_("signed, not started: from (10k yuan)"), "signed_min")
    construction_min = _threshold(_("under construction: from (10k yuan)"), "construction_min")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("key list thresholds")
        verbose_name_plural = _("key list thresholds")

    def __str__(self) -> str:
        return str(_("key list thresholds"))

    def get_absolute_url(self) -> str:
        return reverse("projects:key_lists")

    def clean(self):
        if errors := rule_errors(self, LIST_THRESHOLD_RULES):
            raise ValidationError(errors)

    @classmethod
    def current(cls) -> dict[str, float]:
        """The thresholds in force: the record's, or the defaults while there is none."""
        record = cls.objects.first()
        return {name: getattr(record, name) for name in DEFAULT_LIST_THRESHOLDS} if record else dict(DEFAULT_LIST_THRESHOLDS)
