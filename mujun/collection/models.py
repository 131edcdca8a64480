"""Data collection (数据归集): each year the departments (tax bureau, power company, statistics bureau, …)
deliver their figures of the enterprises, in their own workbooks keyed on the credit code; the platform keeps
every figure with its source, shows what is missing, where sources disagree and what looks wrong, and merges
the figures into the enterprises' yearly records when the collection closes."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from mujun.core.links import reverse
from mujun.core.validators import year_validators
from mujun.engine.io import INPUT_COLUMNS, normalise_header
from mujun.enterprises.models import YEAR_FIGURES, EnterpriseYear

# The figures a department may deliver: the input columns an enterprise's year stores (mujun.engine.io declares
# them, enterprises.YEAR_FIGURES picks the stored ones), so a new input column is collectable at once.
COLLECTED_COLUMNS = list(YEAR_FIGURES)
# Columns a workbook may carry besides its figures: the key, and the name that helps people read it.
IDENTITY_COLUMNS = ("uscc", "name")
# An alias mapping a header to this is a column the department's workbook has and the platform ignores (序号).
IGNORED = "-"

NUMBER, FLAG, DATE, TEXT = "number", "flag", "date", "text"


def column_kind(column: str) -> str:
    """How a collected column's figure is stored: derived from the enterprise-year field that keeps it."""
    field = EnterpriseYear._meta.get_field(column)
    if isinstance(field, models.BooleanField):
        return FLAG
    if isinstance(field, models.DateField):
        return DATE
    if isinstance(field, models.CharField):
        return TEXT
    return NUMBER


def column_label(column: str) -> str:
    """The column as workbooks and pages name it: its Chinese header (file content, like the engine's)."""
    return INPUT_COLUMNS.get(column, column)


class Supplier(models.Model):
    """A department delivering figures (报送部门): the columns in its remit, the headers its own workbook uses,
    which of its figures win when departments disagree, and its staff."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, help_text=_("The city or county it serves")
    )
    columns = models.JSONField(_("columns in its remit"), default=list, help_text=_("Input column names"))
    aliases = models.JSONField(
        _("header aliases"), default=dict, blank=True,
        help_text=_("Its workbook's headers and the columns they hold"),
    )  # fmt: skip
    priorities = models.JSONField(
        _("priorities"), default=dict, blank=True,
        help_text=_("Per column: where departments disagree, the higher priority wins (default 0)"),
    )  # fmt: skip
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("data staff"), blank=True, related_name="data_suppliers"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("supplying department")
        verbose_name_plural = _("supplying departments")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("collection:supplier_detail", args=[self.pk])

    def priority(self, column: str) -> int:
        return int(self.priorities.get(column, 0))

    def header_columns(self) -> dict[str, str]:
        """Header as its workbook writes it -> column (its aliases; the standard headers work anyway)."""
        return dict(self.aliases)

    def clean(self):
        errors = {}
        columns = self.columns if isinstance(self.columns, list) else None
        if not columns:
            errors["columns"] = _("Give at least one column.")
        else:
            unknown = [c for c in columns if c not in COLLECTED_COLUMNS]
            if unknown:
                errors["columns"] = _("Not collectable columns: %(columns)s.") % {"columns": ", ".join(map(str, unknown))}
            elif len(set(columns)) != len(columns):
                errors["columns"] = _("A column is listed twice.")
        if not isinstance(self.aliases, dict):
            errors["aliases"] = _("Give headers and the columns they hold.")
        else:
            allowed = {*(columns or []), *IDENTITY_COLUMNS, IGNORED}
            wrong = [f"{header} → {column}" for header, column in self.aliases.items() if column not in allowed]
            if wrong:
                errors["aliases"] = _("These headers name columns outside the remit: %(aliases)s.") % {
                    "aliases": "; ".join(wrong)
                }
            elif any(not normalise_header(header) for header in self.aliases):
                errors["aliases"] = _("A header is empty.")
        if not isinstance(self.priorities, dict):
            errors["priorities"] = _("Give a whole number per column.")
        else:
            wrong = [
                str(column) for column, value in self.priorities.items()
                if column not in (columns or []) or isinstance(value, bool) or not isinstance(value, int)
            ]  # fmt: skip
            if wrong:
                errors["priorities"] = _(
                    "Priorities must be whole numbers of columns in the remit: %(columns)s."
                ) % {"columns": ", ".join(wrong)}
        if errors:
            raise ValidationError(errors)


class Collection(models.Model):
    """The collection of one year's figures of a region's enterprises (a county, or the whole city)."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("data collection", "Open")
        CLOSED = "closed", pgettext_lazy("data collection", "Closed")

    year = models.PositiveSmallIntegerField(_("year"), validators=year_validators())
    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    anomaly_factor = models.FloatField(
        _("anomaly factor"), default=3.0,
        help_text=_("A figure more than this many times (or less than this fraction of) last year's is an anomaly"),
    )  # fmt: skip
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=pgettext_lazy("data collection", "closed by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    closed_at = models.DateTimeField(pgettext_lazy("data collection", "closed at"), null=True, blank=True)
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True)
    # Changed only by this app's services.py (tests/test_architecture.py holds every other module to it).
    state_fields = ("status", "closed_by", "closed_at", "merged_at")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "region__code"]
        constraints = [models.UniqueConstraint(fields=["year", "region"], name="unique_collection_year_region")]
        verbose_name = _("data collection")
        verbose_name_plural = _("data collections")

    def __str__(self) -> str:
        return _("%(region)s %(year)s data collection") % {"region": self.region, "year": self.year}

    def get_absolute_url(self) -> str:
        return reverse("collection:collection_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def clean(self):
        if self.region_id and self.region.level not in ("city", "county"):
            raise ValidationError({"region": _("A collection covers a county or the whole city.")})
        if self.anomaly_factor is not None and self.anomaly_factor <= 1:
            raise ValidationError({"anomaly_factor": _("The anomaly factor must be greater than 1.")})


class Upload(models.Model):
    """One delivery of a department's figures: a workbook, or figures entered on the form. A later delivery
    of the same department is a new version; its figures replace the earlier ones cell by cell."""

    class Kind(models.TextChoices):
        FILE = "file", _("Workbook")
        FORM = "form", _("Entered on the form")

    collection = models.ForeignKey(
        Collection, verbose_name=_("data collection"), on_delete=models.CASCADE, related_name="uploads"
    )
    supplier = models.ForeignKey(Supplier, verbose_name=_("supplying department"), on_delete=models.PROTECT, related_name="uploads")
    version = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices, default=Kind.FILE)
    file = models.FileField(_("file"), upload_to="collection/%Y/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("delivered by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("delivered at"))
    rows = models.PositiveIntegerField(_("rows"), default=0)
    figures = models.PositiveIntegerField(_("figures stored"), default=0)
    changed = models.PositiveIntegerField(_("figures changed from the previous version"), default=0)
    columns = models.JSONField(_("columns"), default=list)
    # Credit codes of rows naming no enterprise of the collection: not stored, listed as a finding.
    unknown_codes = models.JSONField(_("unknown credit codes"), default=list, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "supplier", "version"], name="unique_upload_version")
        ]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return _("%(supplier)s, version %(version)s") % {"supplier": self.supplier, "version": self.version}

    def get_absolute_url(self) -> str:
        return reverse("collection:upload_detail", args=[self.pk])

    @property
    def source_label(self) -> str:
        """Where a figure came from, as the run's input snapshot records it."""
        return f"{self.supplier.name} · 报送#{self.pk} · {timezone.localtime(self.uploaded_at):%Y-%m-%d %H:%M}"


class CollectedFigure(models.Model):
    """One figure one department delivered for one enterprise: kept with its source, never changed. The
    department's latest figure for the cell is ``current``; earlier versions stay for the record."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="figures")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    column = models.CharField(_("column"), max_length=32)
    number = models.FloatField(null=True, blank=True)
    text = models.CharField(max_length=64, blank=True)
    flag = models.BooleanField(null=True, blank=True)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="+")
    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="figure_set")
    recorded_at = models.DateTimeField(_("recorded at"))
    current = models.BooleanField(default=True)

    class Meta:
        indexes = [models.Index(fields=["collection", "current", "enterprise", "column"])]
        verbose_name = _("collected figure")
        verbose_name_plural = _("collected figures")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.column}"

    @property
    def value(self):
        return {NUMBER: self.number, FLAG: self.flag}.get(column_kind(self.column), self.text)

    @property
    def column_label(self) -> str:
        return column_label(self.column)


class Conflict(models.Model):
    """A cell whose figures disagree: two departments, a department's second delivery against its first, or
    the enterprise's stored figure edited after the merge against the collected one. One per cell; the
    operator resolves it by choosing the value, which the merge then takes."""

    class Kind(models.TextChoices):
        SOURCES = "sources", _("Departments disagree")
        REVISED = "revised", _("Changed by a later delivery")
        EDITED = "edited", _("Edited after the merge")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("conflict", "Open")
        RESOLVED = "resolved", _("Resolved")

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="conflicts")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="+"
    )
    column = models.CharField(_("column"), max_length=32)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    # The values in dispute: [{"source": …, "value": …}], as found when the conflict was (re)opened.
    candidates = models.JSONField(_("values"), default=list)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    value = models.JSONField(_("chosen value"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # Changed only by this app's services.py (with its kind, values and chosen value, set there alone too).
    state_fields = ("status", "resolved_by", "resolved_at")
    history = HistoricalRecords()

    class Meta:
        ordering = ["status", "enterprise__name", "column"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "enterprise", "column"], name="unique_conflict_cell")
        ]
        verbose_name = _("conflict")
        verbose_name_plural = _("conflicts")

    def __str__(self) -> str:
        return f"{self.enterprise} · {column_label(self.column)}"

    def get_absolute_url(self) -> str:
        return reverse("collection:conflict_detail", args=[self.pk])

    @property
    def column_label(self) -> str:
        return column_label(self.column)
