from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from mujun.core.rules import rule_errors
from mujun.engine.rules import QUARTER_END_MONTH

from mujun.core.validators import year_validators


class Indicator(models.Model):
    """A published county indicator (指标晾晒), e.g. industrial investment growth."""

    class Frequency(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")

    code = models.CharField(pgettext_lazy("indicator", "code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    higher_is_better = models.BooleanField(_("higher is better"), default=True)
    weight = models.DecimalField(
        _("weight"), max_digits=6, decimal_places=2, default=1, validators=[MinValueValidator(Decimal("0.01"))]
    )
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("indicators:indicator_detail", args=[self.pk])


class IndicatorValue(models.Model):
    """An indicator's value for a region and period. A quarter is stored at its last month (3, 6, 9, 12)."""

    # Published values are kept: an indicator with values cannot be deleted.
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="values")
    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("year"), validators=year_validators())
    month = models.PositiveSmallIntegerField(
        _("month"), validators=[MinValueValidator(1), MaxValueValidator(12)], help_text=_("Last month of a quarter")
    )
    value = models.DecimalField(_("value"), max_digits=16, decimal_places=4)
    history = HistoricalRecords()

    class Meta:
        ordering = ["indicator", "-year", "-month", "region"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "region", "year", "month"], name="indicator_value_once")
        ]
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")

    def __str__(self) -> str:
        return f"{self.indicator} · {self.region} · {self.period}"

    def get_absolute_url(self) -> str:
        return self.indicator.get_absolute_url()

    @property
    def period(self) -> str:
        return period_label(self.year, self.month, self.indicator.frequency)

    def clean(self):
        quarterly = bool(self.indicator_id) and self.indicator.frequency == Indicator.Frequency.QUARTERLY
        if errors := rule_errors(self, [QUARTER_END_MONTH], quarterly=quarterly):
            raise ValidationError(errors)


def period_label(year: int, month: int, frequency: str) -> str:
    if frequency == Indicator.Frequency.QUARTERLY:
        return f"{year}Q{(month - 1) // 3 + 1}"
    return f"{year}-{month:02d}"
