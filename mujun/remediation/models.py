"""Low-efficiency firms (三低, 腾笼换鸟): the rules per county, the yearly list drawn from the published
evaluation, remediation cases followed to closure and the counties' yearly targets.

Money in 万元, land in mu. The rules themselves are mujun.engine.low_efficiency's; the list of a year is
written by this app's services.py from the latest published evaluation of the year.
"""

import polars as pl
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from mujun.core.cases import ProgressNote, evidence_path  # noqa: F401 (evidence_path: the name the migrations import)
from mujun.core.links import reverse
from mujun.core.rules import rule_errors
from mujun.core.validators import year_validators
from mujun.engine.low_efficiency import RULES
from mujun.engine.rules import Rule, greater_than_zero, not_negative
from mujun.engine.text import in_language
from mujun.regions.models import CountyTarget

THRESHOLD_RULES: list[Rule] = [
    not_negative("above_scale_tax_per_mu"),
    not_negative("below_scale_tax_per_mu"),
    not_negative("large_land_mu"),
    greater_than_zero("industry_share"),
    Rule("industry_share", {"industry_share": pl.Float64}, pl.col("industry_share") > 1, "不能大于1", "must not be greater than 1"),
]
CASE_RULES: list[Rule] = [
    not_negative("land_released_mu"),
    Rule(
        "deadline", {"opened_on": pl.Date, "deadline": pl.Date}, pl.col("deadline") < pl.col("opened_on"),
        "不能早于立案日期", "must not be before the case was opened",
    ),  # fmt: skip
    Rule(
        "closed_on", {"opened_on": pl.Date, "closed_on": pl.Date}, pl.col("closed_on") < pl.col("opened_on"),
        "不能早于立案日期", "must not be before the case was opened",
    ),  # fmt: skip
]


def rule_labels(rules: list[str]) -> list[str]:
    """The rules in words, in the user's language (the engine's own Chinese and English)."""
    return [in_language(RULES[r][1], RULES[r][0], translation.get_language()) for r in rules if r in RULES]


class Thresholds(models.Model):
    """The rules a county lists its low-efficiency firms by; the row without a county is the city's, which
    every county without its own follows (defaults: Huzhou 2021, mujun.engine.low_efficiency.Thresholds)."""

    region = models.OneToOneField(
        "regions.Region", verbose_name=_("county"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="low_efficiency_thresholds", help_text=_("Blank: the city's rules, for every county without its own."),
    )  # fmt: skip
    above_scale_enabled = models.BooleanField(_("rule: above designated size, tax per mu"), default=True)
    above_scale_tax_per_mu = models.FloatField(_("tax per mu floor above designated size (10k yuan)"), default=6.0)
    below_scale_enabled = models.BooleanField(_("rule: below designated size, tax per mu"), default=True)
    below_scale_tax_per_mu = models.FloatField(_("tax per mu floor below designated size (10k yuan)"), default=3.0)
    large_land_enabled = models.BooleanField(_("rule: below designated size on a large plot"), default=True)
    large_land_mu = models.FloatField(_("land of a firm still below designated size (mu)"), default=10.0)
    industry_enabled = models.BooleanField(_("rule: below a share of the industry average"), default=False)
    industry_share = models.FloatField(_("share of the industry's average tax per mu"), default=0.5)
    history = HistoricalRecords()

    class Meta:
        ordering = [models.F("region__code").asc(nulls_first=True)]
        verbose_name = _("low-efficiency rules")
        verbose_name_plural = _("low-efficiency rules")

    def __str__(self) -> str:
        return str(self.region) if self.region_id else str(_("City default"))

    def get_absolute_url(self) -> str:
        return reverse("remediation:lowfirm_rules")

    def clean(self):
        errors = rule_errors(self, THRESHOLD_RULES)
        if self.region_id is None and Thresholds.objects.filter(region=None).exclude(pk=self.pk).exists():
            errors["region"] = _("The city's rules exist already: edit them.")
        elif self.region_id is not None and self.region.level != "county":
            errors["region"] = _("Rules are set per county.")
        if errors:
            raise ValidationError(errors)


class Listing(models.Model):
    """A firm on the low-efficiency list of a year, with the rules it met and the figures that did it.
    Written by services.compute_listing from the year's published evaluation; never edited by hand."""

    year = models.PositiveSmallIntegerField(_("year"), validators=year_validators())
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="low_efficiency_listings"
    )
    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT)
    grade = models.CharField(_("grade"), max_length=1, blank=True)
    rules = models.JSONField(_("rules met"), default=list)
    figures = models.JSONField(_("figures"), default=dict)
    above_scale = models.BooleanField(_("above designated size"), default=False)
    land_mu = models.FloatField(_("land used (mu)"))
    tax = models.FloatField(_("taxes paid (10k yuan)"), null=True)
    tax_per_mu = models.FloatField(_("tax per mu (10k yuan)"), null=True)
    listed_on = models.DateField(_("listed on"), default=timezone.localdate)

    class Meta:
        ordering = ["-year", "tax_per_mu", "pk"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "year"], name="unique_low_efficiency_listing")]
        # A year's list by county (the overview counts it on every view of the list) from the index alone; a
        # page of a year's list in its order without sorting the year's firms (7 ms at 12,000 on PostgreSQL).
        indexes = [
            models.Index(fields=["year", "region"], name="listing_year_region"),
            models.Index(fields=["year", "tax_per_mu", "id"], name="listing_year_order"),
        ]
        verbose_name = _("low-efficiency listing")
        verbose_name_plural = _("low-efficiency firms")

    def __str__(self) -> str:
        return f"{self.enterprise} {self.year}"

    def get_absolute_url(self) -> str:
        return f"{reverse('remediation:lowfirm_list')}?year={self.year}&q={self.enterprise.uscc}"

    @property
    def rule_labels(self) -> list[str]:
        return rule_labels(self.rules)


class RemediationCase(models.Model):
    """A remediation case opened for a listed firm and followed to closure (upgrade, merger, relocation, exit
    or land recovered)."""

    class Measure(models.TextChoices):
        UPGRADE = "upgrade", _("Upgrade and renovation")
        MERGER = "merger", _("Merger and reorganisation")
        RELOCATION = "relocation", _("Relocation")
        EXIT = "exit", _("Closure and exit")
        LAND_RECOVERED = "land_recovered", _("Land recovered")

    # The measures that free land: closing them states how much (0 is a figure too).
    RELEASING = (Measure.RELOCATION, Measure.EXIT, Measure.LAND_RECOVERED)

    class Status(models.TextChoices):
        OPEN = "open", _("Under remediation")
        CLOSED = "closed", _("Closed")

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="remediation_cases"
    )
    year = models.PositiveSmallIntegerField(_("listed in year"), validators=year_validators())
    rules = models.JSONField(_("rules met"), default=list, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    measure = models.CharField(_("remediation measure"), max_length=16, choices=Measure.choices)
    responsible_unit = models.CharField(_("responsible unit"), max_length=128)
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    land_released_mu = models.FloatField(_("land released (mu)"), null=True, blank=True)
    # Changed only by this app's services.py (tests/test_architecture.py holds every other module to it).
    state_fields = ("status", "closed_on", "land_released_mu")
    history = HistoricalRecords()

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("remediation case")
        verbose_name_plural = _("remediation cases")

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.get_measure_display()}"

    def get_absolute_url(self) -> str:
        return reverse("remediation:remediation_case_detail", args=[self.pk])

    @property
    def region(self):
        return self.enterprise.region

    @property
    def rule_labels(self) -> list[str]:
        return rule_labels(self.rules)

    def clean(self):
        """One open case per firm; the deadline not before the opening; a closed case has its date and, for
        a measure that frees land, the land released (not more than the firm holds)."""
        errors = rule_errors(self, CASE_RULES)
        if self.status == self.Status.OPEN and self.enterprise_id is not None:
            others = RemediationCase.objects.filter(enterprise_id=self.enterprise_id, status=self.Status.OPEN)
            other = others.exclude(pk=self.pk).first() if self.pk else others.first()
            if other is not None:
                errors.setdefault("__all__", _("The firm already has an open remediation case: %(case)s.") % {"case": other})
        if self.status == self.Status.CLOSED:
            if self.closed_on is None:
                errors["closed_on"] = _("Required to close the case.")
            if self.land_released_mu is None and self.measure in self.RELEASING:
                errors["land_released_mu"] = _("Required to close a case whose measure frees land.")
            elif "land_released_mu" not in errors and self.land_released_mu and self.enterprise_id is not None:
                held = self.figures.get("land_mu") if isinstance(self.figures, dict) else None
                if held is not None and self.land_released_mu > held:
                    errors["land_released_mu"] = _("Cannot exceed the land the firm used (%(mu)s mu).") % {"mu": held}
        if errors:
            raise ValidationError(errors)

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.deadline < timezone.localdate()


class RemediationProgress(ProgressNote):
    """A progress note on a remediation case, with optional evidence."""

    case = models.ForeignKey(
        RemediationCase, verbose_name=_("remediation case"), on_delete=models.CASCADE, related_name="progress"
    )


class RemediationTarget(CountyTarget):
    """A county's yearly targets: firms to remediate and land to release."""

    target_fields = ("firms_target", "land_target_mu")

    firms_target = models.PositiveIntegerField(_("firms to remediate"), default=0)
    land_target_mu = models.FloatField(_("land to release (mu)"), default=0)
    history = HistoricalRecords()

    class Meta(CountyTarget.Meta):
        verbose_name = _("remediation target")
        verbose_name_plural = _("remediation targets")

    def get_absolute_url(self) -> str:
        return reverse("remediation:remediation_targets")
