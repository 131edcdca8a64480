from typing import NamedTuple

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from mujun.core.links import reverse
from mujun.core.rules import rule_errors
from mujun.engine.evaluation import LAND_MU_POSITIVE
from mujun.engine.io import INPUT_COLUMNS
from mujun.engine.uscc import uscc_problem

# Land held (the enterprise) and land used (a year): the evaluation, form, API and import refuse 0 or less.
LAND_RULES = [LAND_MU_POSITIVE]
from mujun.core.validators import year_validators


def validate_uscc(value: str) -> None:
    from django.core.exceptions import ValidationError
    from django.utils.translation import get_language

    problem = uscc_problem(value)
    if problem:
        raise ValidationError(problem.message(get_language()))


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is not positive."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


class EnterpriseQuerySet(models.QuerySet):
    def open_for_entry(self, keep=None):
        """The enterprises a new record may name: the active ones, and ``keep`` (the pk a record names already)."""
        return self.filter(models.Q(active=True) | models.Q(pk=keep))


class Enterprise(models.Model):
    """An industrial enterprise, identified by its unified social credit code.

    An enterprise that closed or left is deactivated, not deleted: it stays in the history and in published
    results, and new runs, the default list and data entry leave it out.
    """

    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc]
    )
    name = models.CharField(_("name"), max_length=128)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="enterprises"
    )
    industry_code = models.CharField(_("industry (GB/T 4754)"), max_length=5, blank=True)
    above_scale = models.BooleanField(_("above designated size"), default=False)
    land_mu = models.FloatField(_("land held (mu)"), null=True, blank=True)
    established_on = models.DateField(_("established on"), null=True, blank=True)
    # Changed only by mujun.enterprises.services.set_active.
    active = models.BooleanField(_("active"), default=True, editable=False)
    # Changed only by this app's services.py (tests/test_architecture.py holds every other module to it).
    state_fields = ("active",)
    # No index on the history's copies of indexed fields: nothing looks history rows up by them (a record's
    # history is found by its id), and an import of 100,000 enterprises paid for six of them.
    history = HistoricalRecords(no_db_index=["uscc", "name", "region", "active"])

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        # The list's default (active enterprises by name, and their count) from a covering index, at any page;
        # all of them by name from the plain one. No index on ``active`` alone (two values), nor the pattern
        # index PostgreSQL gets from ``db_index`` on the name (searched inside, never by prefix): an import of
        # 100,000 enterprises paid for each.
        indexes = [
            models.Index(fields=["name", "id"], condition=models.Q(active=True), name="enterprise_active_name"),
            models.Index(fields=["name"], name="enterprise_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("enterprises:enterprise_detail", args=[self.pk])

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if errors := rule_errors(self, LAND_RULES):
            raise ValidationError(errors)


class EnterpriseYear(models.Model):
    """One enterprise's figures for one year: the evaluation's input row. Money in 万元, land in 亩."""

    # No index of its own: the unique (enterprise, year) index begins with it.
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="years", db_index=False
    )
    year = models.PositiveSmallIntegerField(_("year"), db_index=True, validators=year_validators())
    above_scale = models.BooleanField(_("above designated size"), default=False)
    land_mu = models.FloatField(_("land used (mu)"))
    tax = models.FloatField(_("taxes paid (10k yuan)"), null=True, blank=True)
    value_added = models.FloatField(_("industrial value added (10k yuan)"), null=True, blank=True)
    revenue = models.FloatField(_("revenue (10k yuan)"), null=True, blank=True)
    energy_tce = models.FloatField(_("energy use (tce)"), null=True, blank=True)
    emission_eq = models.FloatField(_("main pollutant emissions (t eq.)"), null=True, blank=True)
    rd_expense = models.FloatField(_("R&D expense (10k yuan)"), null=True, blank=True)
    employees = models.FloatField(_("average employees"), null=True, blank=True)
    electricity_10k_kwh = models.FloatField(_("electricity use (10k kWh)"), null=True, blank=True)
    land_acquired_on = models.DateField(_("land acquired on"), null=True, blank=True)
    major_violation = models.BooleanField(_("major violation"), default=False)
    coefficient = models.FloatField(_("correction coefficient"), default=1.0)
    bonus = models.FloatField(_("bonus points"), default=0.0)
    tenant = models.BooleanField(_("tenant without land of its own"), default=False)
    landlord_uscc = models.CharField(
        _("landlord's unified social credit code"), max_length=18, blank=True, validators=[validate_uscc]
    )
    high_tech = models.BooleanField(_("high-tech enterprise"), default=False)
    safety_accident = models.BooleanField(_("work safety accident"), default=False)
    water_t = models.FloatField(_("water use (t)"), null=True, blank=True)
    land_use_tax = models.FloatField(_("urban land use tax (10k yuan)"), null=True, blank=True)
    history = HistoricalRecords(no_db_index=["enterprise", "year"])  # as Enterprise's: history found by id

    class Meta:
        ordering = ["enterprise", "-year"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "year"], name="unique_enterprise_year")]
        verbose_name = _("enterprise year")
        verbose_name_plural = _("enterprise years")

    def __str__(self) -> str:
        return f"{self.enterprise} {self.year}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if errors := rule_errors(self, LAND_RULES):
            raise ValidationError(errors)
        if self._state.adding and self.enterprise_id and not self.enterprise.active:
            raise ValidationError(deactivated_message(self.enterprise))

    def ratio(self, name: str) -> float | None:
        """The per-unit figure ``name`` of YEAR_RATIOS; None when a figure is missing or the divisor is not positive."""
        numerator, denominator = YEAR_RATIOS[name].numerator, YEAR_RATIOS[name].denominator
        return _ratio(getattr(self, numerator), getattr(self, denominator))

    def get_absolute_url(self) -> str:
        return self.enterprise.get_absolute_url()


def deactivated_message(enterprise: Enterprise) -> str:
    """Why a deactivated enterprise takes no new year of figures (the form, the API and the import say it)."""
    return _("%(enterprise)s is deactivated and takes no new figures.") % {"enterprise": enterprise}


# A year's figures are the evaluation's input columns this model stores: mujun.engine.io.INPUT_COLUMNS declares
# them once (names, Chinese headers), and the import, the export and the API derive their columns from it.
YEAR_FIGURES = [name for name in INPUT_COLUMNS if name in {f.name for f in EnterpriseYear._meta.concrete_fields}]


class YearRatio(NamedTuple):
    """A per-unit figure shown with a year: ``numerator`` / ``denominator`` (two of YEAR_FIGURES)."""

    numerator: str
    denominator: str
    label: str
    decimals: int


# The per-unit figures shown with a year, as the spec defines them, declared once here (the engine has no
# catalogue of them: a scheme names its own indicators); the evaluation engine computes its own.
YEAR_RATIOS: dict[str, YearRatio] = {
    "tax_per_mu": YearRatio("tax", "land_mu", _("tax per mu"), 2),
    "value_added_per_mu": YearRatio("value_added", "land_mu", _("value added per mu"), 2),
    "value_added_per_energy": YearRatio("value_added", "energy_tce", _("value added per tce"), 3),
    "value_added_per_emission": YearRatio("value_added", "emission_eq", _("value added per t emissions"), 2),
    "labour_productivity": YearRatio("value_added", "employees", _("value added per employee"), 2),
    "rd_share": YearRatio("rd_expense", "revenue", _("R&D share of revenue"), 4),
    "tax_per_electricity": YearRatio("tax", "electricity_10k_kwh", _("tax per 10k kWh"), 3),
}
assert all({r.numerator, r.denominator} <= set(YEAR_FIGURES) for r in YEAR_RATIOS.values())

# The enterprise's own fields, as entered (its code identifies it; ``active`` changes through services).
ENTERPRISE_FIELDS = [f.name for f in Enterprise._meta.concrete_fields if f.editable and f.name not in ("id", "uscc")]
