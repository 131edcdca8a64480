"""Industrial land: parcels with their 标准地 commitments, five-wei findings and disposal cases (一地一策).

Areas are in mu (1 mu = 666.67 m²), money in 万元. The boundary is a GeoJSON geometry in WGS84 lon/lat;
its area is computed with shapely after projecting to a metric CRS (see mujun.land.geometry).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from mujun.core.cases import ProgressNote, evidence_path  # noqa: F401 (evidence_path: the name the migrations import)
from mujun.core.links import reverse
from mujun.core.rules import rule_errors
from mujun.core.validators import year_validators
from mujun.engine.land import CASE_RULES, PARCEL_COLUMNS
from mujun.regions.models import CountyTarget

SQUARE_METRES_PER_MU = 10000 / 15  # 666.67 m²


class Category(models.TextChoices):
    """The five 未, in the order that decides a parcel's primary category."""

    APPROVED_NOT_SUPPLIED = "approved_not_supplied", _("Approved, not supplied")
    SUPPLIED_NOT_USED = "supplied_not_used", _("Supplied, not used")
    USED_NOT_EXHAUSTED = "used_not_exhausted", _("Used, not exhausted")
    BUILT_NOT_COMMISSIONED = "built_not_commissioned", _("Built, not commissioned")
    COMMISSIONED_BELOW_STANDARD = "commissioned_below_standard", _("Commissioned, not up to standard")


class Stage(models.TextChoices):
    """How far a parcel has come, read from its dates."""

    APPROVED = "approved", _("Approved")
    SUPPLIED = "supplied", _("Supplied")
    STARTED = "started", _("Under construction")
    COMPLETED = "completed", _("Completed")
    COMMISSIONED = "commissioned", _("Commissioned")
    PLANNED = "planned", _("Planned")


class IdleCause(models.TextChoices):
    """Whose fault the delay is, as the land bureau finds it; the government's takes the parcel off the fee and
    recovery route (extension, swap or re-planning instead)."""

    ENTERPRISE = "enterprise", _("Enterprise")
    GOVERNMENT = "government", _("Government")


IDLE_RECORD_FIELDS = ("idle_cause", "idle_cause_reason", "idle_notice_on", "idle_reply_on")


class IdleStage(models.TextChoices):
    """Where a supplied parcel stands on the idle-land clock today (mujun.engine.idle_land.STAGES); not stored."""

    NOT_IDLE = "not_idle", _("Not idle")
    OVERDUE = "overdue", _("Start overdue, not yet idle")
    FEE_DUE = "fee_due", _("Idle: idle-land fee due")
    RECOVERY_DUE = "recovery_due", _("Idle two years: recovery due")
    GOVERNMENT = "government", _("Government-caused: extension, swap or re-planning")

    @classmethod
    def ledger_choices(cls) -> list[tuple[str, str]]:
        return [(value, label) for value, label in cls.choices if value != cls.NOT_IDLE]


class Parcel(models.Model):
    """A plot of industrial land (地块) and its 标准地 commitments."""

    code = models.CharField(_("parcel code"), max_length=32, unique=True)
    name = models.CharField(_("name / location"), max_length=128, blank=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="parcels"
    )
    holder = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("holder"),
        null=True,
        blank=True,
        # A parcel's holder is not dropped silently: an enterprise holding parcels is deactivated, not deleted.
        on_delete=models.PROTECT,
        related_name="parcels",
    )
    area_mu = models.FloatField(_("area (mu)"))
    land_use = models.CharField(_("land use"), max_length=32, blank=True, default="industrial")
    land_price = models.FloatField(
        _("land price (10k yuan)"), null=True, blank=True, help_text=_("The transfer price of the whole parcel")
    )
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    boundary_area_mu = models.FloatField(_("area of the boundary (mu)"), null=True, blank=True, editable=False)

    # Dates of the life cycle.
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    supplied_on = models.DateField(_("supplied on"), null=True, blank=True)
    agreed_start_on = models.DateField(_("agreed start"), null=True, blank=True)
    agreed_completion_on = models.DateField(_("agreed completion"), null=True, blank=True)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    completed_on = models.DateField(_("completion accepted on"), null=True, blank=True)
    commissioned_on = models.DateField(_("commissioned on"), null=True, blank=True)
    stopped_since = models.DateField(_("development stopped since"), null=True, blank=True)

    # Physical figures.
    floor_area_m2 = models.FloatField(
        _("built floor area (m²)"), null=True, blank=True, help_text=_("Floors over 8 m high count double")
    )
    plot_ratio_required = models.FloatField(_("plot ratio required"), null=True, blank=True)
    building_density = models.FloatField(_("building density"), null=True, blank=True)
    developed_mu = models.FloatField(_("developed area (mu)"), null=True, blank=True)

    # 标准地 commitments and actual values.
    committed_investment_intensity = models.FloatField(
        _("committed investment intensity (10k yuan/mu)"), null=True, blank=True
    )
    committed_output_per_mu = models.FloatField(_("committed output per mu (10k yuan)"), null=True, blank=True)
    committed_tax_per_mu = models.FloatField(_("committed tax per mu (10k yuan)"), null=True, blank=True)
    committed_energy_per_value_added = models.FloatField(
        _("committed energy per value added (tce/10k yuan)"), null=True, blank=True
    )
    actual_investment_intensity = models.FloatField(
        _("actual investment intensity (10k yuan/mu)"), null=True, blank=True
    )
    actual_output_per_mu = models.FloatField(_("actual output per mu (10k yuan)"), null=True, blank=True)
    actual_tax_per_mu = models.FloatField(_("actual tax per mu (10k yuan)"), null=True, blank=True)
    actual_energy_per_value_added = models.FloatField(
        _("actual energy per value added (tce/10k yuan)"), null=True, blank=True
    )
    committed_emissions_per_value_added = models.FloatField(
        _("committed emissions per value added (t eq./10k yuan)"), null=True, blank=True
    )
    actual_emissions_per_value_added = models.FloatField(
        _("actual emissions per value added (t eq./10k yuan)"), null=True, blank=True
    )
    # The 标准地 contract's breach terms, read by the acceptance (mujun.engine.acceptance): the performance
    # deposit kept in proportion to a missed output, energy or emissions indicator; the land price difference
    # per percentage point of missed investment intensity; the share of a commitment below which the land is
    # taken back (blank: the contract has no recovery clause).
    contract_deposit = models.FloatField(_("performance deposit (10k yuan)"), null=True, blank=True)
    price_difference_per_point = models.FloatField(
        _("price difference per point of missed investment intensity (10k yuan)"), null=True, blank=True
    )
    recovery_below_share = models.FloatField(
        _("recovery below this share of a commitment"), null=True, blank=True,
        help_text=_("e.g. 0.5: the land is taken back when investment, output or tax per mu is under half the commitment"),
    )  # fmt: skip

    # The last classification, written back in bulk by mujun.land.services.classify_parcels.
    category = models.CharField(
        _("category"), max_length=32, choices=Category.choices, blank=True, editable=False, db_index=True
    )
    category_since = models.DateField(_("category since"), null=True, blank=True, editable=False)
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, blank=True, editable=False)
    # The idle-land investigation (闲置土地处置办法): recorded by the land bureau through services.record_idle.
    idle_cause = models.CharField(
        _("cause of idleness"), max_length=16, choices=IdleCause.choices, blank=True, default=""
    )
    idle_cause_reason = models.TextField(_("reason for the cause"), blank=True, default="")
    idle_notice_on = models.DateField(_("investigation notice served on"), null=True, blank=True)
    idle_reply_on = models.DateField(_("reply received on"), null=True, blank=True)
    # Changed only by this app's services.py (tests/test_architecture.py holds every other module to it).
    state_fields = ("stage", "category", "category_since", *IDLE_RECORD_FIELDS)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("parcel")
        verbose_name_plural = _("parcels")
        indexes = [
            # The land supplied in a year per town (the cases' overview): read from the index alone.
            models.Index(fields=["supplied_on", "region", "area_mu"], name="land_parcel_supplied_idx"),
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("land:parcel_detail", args=[self.pk])

    def clean(self):
        """A parcel's own rules, for the form and the API (the import checks the same in bulk, in the engine)."""
        from mujun.engine.land import PARCEL_RULES
        from mujun.land.geometry import area_mu, area_problem

        errors = rule_errors(self, PARCEL_RULES)
        if self.boundary and "area_mu" not in errors:
            problem = area_problem(self.area_mu, area_mu(self.boundary))
            if problem:
                errors["area_mu"] = problem
        if errors:
            raise ValidationError(errors)

    @property
    def plot_ratio_actual(self) -> float | None:
        """容积率 = floor area / land area."""
        if self.floor_area_m2 is None or not self.area_mu:
            return None
        return self.floor_area_m2 / (self.area_mu * SQUARE_METRES_PER_MU)


# The parcel's fields as entered, declared once by the engine's parcel table (mujun.engine.land.PARCEL_COLUMNS,
# with the Chinese headers of the import and export): the form and the API derive theirs from it.
PARCEL_FIELDS = [{"holder_uscc": "holder"}.get(name, name) for name in PARCEL_COLUMNS if name != "holder_grade"]
PARCEL_FIELDS.insert(PARCEL_FIELDS.index("land_use") + 1, "boundary")


class Thresholds(models.Model):
    """A county's thresholds for the five-wei rules (defaults: mujun.engine.land.Thresholds)."""

    region = models.OneToOneField(
        "regions.Region", verbose_name=_("county"), on_delete=models.CASCADE, related_name="land_thresholds"
    )
    idle_months = models.PositiveSmallIntegerField(_("idle after agreed start (months)"), default=12)
    stopped_months = models.PositiveSmallIntegerField(_("development stopped for (months)"), default=12)
    min_developed_share = models.FloatField(_("minimum developed share"), default=1 / 3)
    min_investment_share = models.FloatField(_("minimum share of committed investment"), default=0.25)
    default_min_plot_ratio = models.FloatField(_("minimum plot ratio where none agreed"), default=1.0)
    commissioning_months = models.PositiveSmallIntegerField(
        _("months to commission after completion"), default=12
    )
    operating_period_months = models.PositiveSmallIntegerField(_("initial operating period (months)"), default=36)
    grade_d_below_standard = models.BooleanField(_("holder graded D is below standard"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["region__code"]
        verbose_name = _("five-wei thresholds")
        verbose_name_plural = _("five-wei thresholds")

    def __str__(self) -> str:
        return str(self.region)

    def get_absolute_url(self) -> str:
        return reverse("land:thresholds_list")


class Finding(models.Model):
    """One five-wei rule that applies to a parcel as of the date of the last classification."""

    parcel = models.ForeignKey(Parcel, verbose_name=_("parcel"), on_delete=models.CASCADE, related_name="findings")
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    rule = models.CharField(_("rule"), max_length=48)
    figures = models.JSONField(_("figures"), default=dict)
    since = models.DateField(_("since"), null=True, blank=True)
    as_of = models.DateField(_("as of"))
    primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["parcel", "category"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return f"{self.parcel} {self.get_category_display()}"

    @property
    def region(self):
        return self.parcel.region


class DisposalCase(models.Model):
    """A disposal case (一地一策) opened from a finding and tracked until closed."""

    class Measure(models.TextChoices):
        URGE_START = "urge_start", _("Urge to start")
        RECOVER = "recover", _("Recover / buy back")
        SECONDARY_DEVELOPMENT = "secondary_development", _("Secondary development / added floor area")
        MERGER = "merger", _("Merger or transfer")
        RELET = "relet", _("Re-letting to a new project")
        # The idle-land statute's measures: the fee, and the government-caused route.
        IDLE_FEE = "idle_fee", _("Idle-land fee and urge to start")
        EXTEND = "extend", _("Extend the start date")
        SWAP = "swap", _("Swap for other land")
        REPLAN = "replan", _("Re-plan the use")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    parcel = models.ForeignKey(
        Parcel, verbose_name=_("parcel"), on_delete=models.PROTECT, related_name="disposal_cases"
    )
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    rule = models.CharField(_("rule"), max_length=48, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    measure = models.CharField(_("measure"), max_length=24, choices=Measure.choices)
    responsible_unit = models.CharField(_("responsible unit"), max_length=128)
    deadline = models.DateField(_("deadline"))
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    area_disposed_mu = models.FloatField(_("area disposed (mu)"), null=True, blank=True)
    # Changed only by this app's services.py (tests/test_architecture.py holds every other module to it).
    state_fields = ("status", "closed_on", "area_disposed_mu")
    history = HistoricalRecords()

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("disposal case")
        verbose_name_plural = _("disposal cases")

    def __str__(self) -> str:
        return f"{self.parcel} · {self.get_measure_display()}"

    def get_absolute_url(self) -> str:
        return reverse("land:case_detail", args=[self.pk])

    @property
    def region(self):
        return self.parcel.region

    def clean(self):
        """One open case per parcel, whatever finding opened it; a closed case has its date and area."""
        if self.status == self.Status.OPEN and self.parcel_id is not None:
            other = self.open_case_of_parcel()
            if other is not None:
                raise ValidationError(_("The parcel already has an open disposal case: %(case)s.") % {"case": other})
        if self.status == self.Status.CLOSED:
            errors = {}
            if self.closed_on is None:
                errors["closed_on"] = _("Required to close the case.")
            elif self.opened_on and self.closed_on < self.opened_on:
                errors["closed_on"] = _("Cannot be before the case was opened.")
            if self.area_disposed_mu is None:
                errors["area_disposed_mu"] = _("Required to close the case.")
            elif broken := rule_errors(self, CASE_RULES):
                errors.update(broken)
            elif self.parcel_id is not None and self.area_disposed_mu > self.parcel.area_mu:
                errors["area_disposed_mu"] = _("Cannot exceed the parcel's area.")
            if errors:
                raise ValidationError(errors)

    def open_case_of_parcel(self) -> "DisposalCase | None":
        others = DisposalCase.objects.filter(parcel_id=self.parcel_id, status=self.Status.OPEN)
        return others.exclude(pk=self.pk).first() if self.pk else others.first()

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.deadline < timezone.localdate()


class DisposalProgress(ProgressNote):
    """A progress note on a disposal case, with optional evidence."""

    case = models.ForeignKey(
        DisposalCase, verbose_name=_("disposal case"), on_delete=models.CASCADE, related_name="progress"
    )


class LandTarget(CountyTarget):
    """A county's yearly targets: mu of inefficient land to dispose of and mu of land to supply."""

    target_fields = ("disposal_target_mu", "supply_target_mu")

    disposal_target_mu = models.FloatField(_("disposal target (mu)"), default=0)
    supply_target_mu = models.FloatField(_("supply guarantee (mu)"), default=0)
    history = HistoricalRecords()

    class Meta(CountyTarget.Meta):
        verbose_name = _("land target")
        verbose_name_plural = _("land targets")

    def get_absolute_url(self) -> str:
        return reverse("land:targets")


class Acceptance(models.Model):
    """标准地 acceptance (达产复核, DB33/T 2172): when a parcel's initial operating period ends, each contract
    indicator's commitment against the actual value, passed or failed, and the contract's breach measure with
    its amount for each miss (mujun.engine.acceptance). Made and decided only through services.py."""

    class Outcome(models.TextChoices):
        PASSED = "passed", _("Met the commitments")
        FAILED = "failed", _("Missed a commitment")
        INCOMPLETE = "incomplete", _("Incomplete figures")

    class Decision(models.TextChoices):
        PENDING = "pending", _("Not decided")
        ENFORCED = "enforced", _("Breach measures enforced")
        RECHECK = "recheck", _("Re-check later")
        WAIVED = "waived", _("Waived")

    parcel = models.ForeignKey(Parcel, verbose_name=_("parcel"), on_delete=models.CASCADE, related_name="acceptances")
    holder = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("holder"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="land_acceptances",
    )  # fmt: skip
    due_on = models.DateField(_("operating period ends on"))
    checked_on = models.DateField(_("checked on"))
    figures_year = models.PositiveSmallIntegerField(
        _("evaluation year used"), null=True, blank=True, validators=year_validators()
    )
    holder_grade = models.CharField(_("holder's grade"), max_length=1, blank=True)
    # {indicator: {"committed", "actual", "passed", "shortfall", "measure", "amount"}}; the pages list them in the
    # engine's order (mujun.engine.land.CONTRACT_INDICATORS).
    indicators = models.JSONField(_("indicators"), default=dict)
    outcome = models.CharField(_("acceptance result"), max_length=12, choices=Outcome.choices, db_index=True)
    breach_amount = models.FloatField(_("breach amount (10k yuan)"), default=0)
    recovery_proposed = models.BooleanField(_("recovery proposed"), default=False)
    decision = models.CharField(
        _("decision"), max_length=12, choices=Decision.choices, default=Decision.PENDING, db_index=True
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decision_note = models.TextField(_("note on the decision"), blank=True)
    # Changed only by this app's services.py (tests/test_architecture.py holds every other module to it).
    state_fields = ("indicators", "outcome", "breach_amount", "recovery_proposed", "decision", "decided_on")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-due_on", "pk"]
        verbose_name = _("standard-land acceptance")
        verbose_name_plural = _("standard-land acceptances")

    def __str__(self) -> str:
        return f"{self.parcel} · {self.due_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("land:acceptance_detail", args=[self.pk])

    @property
    def region(self):
        return self.parcel.region

    def clean(self):
        """A decision has its date, not before the check; a passed acceptance has no breach to enforce."""
        errors = {}
        if self.decision != self.Decision.PENDING:
            if self.decided_on is None:
                errors["decided_on"] = _("Required to record a decision.")
            elif self.checked_on and self.decided_on < self.checked_on:
                errors["decided_on"] = _("Cannot be before the check.")
            if self.decision == self.Decision.ENFORCED and self.outcome != self.Outcome.FAILED:
                errors["decision"] = _("Only a failed acceptance has breach measures to enforce.")
        if errors:
            raise ValidationError(errors)
