from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from mujun.core.links import reverse
from mujun.core.rules import rule_errors
from mujun.core.validators import year_validators
from mujun.engine.rules import QUARTER_END_MONTH


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


class HorseRaceScheme(models.Model):
    """The province's quarterly county horse race (赛马) from ``year`` on, kept as the TOML the engine reads
    (mujun.engine.horse_race): blocks, indicators with weights and directions, winners and their reward."""

    name = models.CharField(_("name"), max_length=128)
    year = models.PositiveSmallIntegerField(_("from year"), unique=True, validators=year_validators())
    toml = models.TextField(_("scheme (TOML)"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("horse race scheme")
        verbose_name_plural = _("horse race schemes")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("indicators:horse_race") + f"?year={self.year}"

    def parsed(self):
        """The engine's scheme; raises ``HorseRaceError`` when the text is not valid."""
        from mujun.engine.horse_race import parse_scheme

        return parse_scheme(self.toml)

    def clean(self):
        from django.utils.translation import get_language

        from mujun.engine.horse_race import HorseRaceError

        try:
            scheme = self.parsed()
        except HorseRaceError as error:
            raise ValidationError({"toml": error.messages(get_language())}) from None
        known = set(Indicator.objects.filter(code__in=scheme.codes).values_list("code", flat=True))
        if unknown := [code for code in scheme.codes if code not in known]:
            raise ValidationError({"toml": _("Unknown indicators: %(codes)s") % {"codes": ", ".join(unknown)}})


class HorseRaceRound(models.Model):
    """A published quarter of the horse race: its scores are stored, so later changes to values or to the
    scheme leave it as it was published. Published by mujun.indicators.services only."""

    scheme = models.ForeignKey(HorseRaceScheme, verbose_name=_("horse race scheme"), on_delete=models.PROTECT, related_name="rounds")
    year = models.PositiveSmallIntegerField(_("year"), validators=year_validators())
    quarter = models.PositiveSmallIntegerField(_("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)])
    scheme_toml = models.TextField(_("scheme as scored"))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    state_fields = ("published_at", "published_by")

    class Meta:
        ordering = ["-year", "-quarter"]
        constraints = [models.UniqueConstraint(fields=["year", "quarter"], name="horse_race_round_once")]
        verbose_name = _("horse race round")
        verbose_name_plural = _("horse race rounds")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.quarter}"

    def get_absolute_url(self) -> str:
        return reverse("indicators:horse_race") + f"?period={self.label}"


class HorseRaceScore(models.Model):
    """A county's published score in a round: block scores and indicator points as the engine gave them."""

    round = models.ForeignKey(HorseRaceRound, verbose_name=_("horse race round"), on_delete=models.CASCADE, related_name="scores")
    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT)
    rank = models.PositiveSmallIntegerField(_("rank"))
    total = models.DecimalField(_("total score"), max_digits=8, decimal_places=4)
    blocks = models.JSONField(_("block scores"), default=dict)  # block code -> score
    cells = models.JSONField(_("indicator values and points"), default=dict)  # indicator code -> {value, points}
    winner = models.BooleanField(_("winner"), default=False)
    reward_land_mu = models.DecimalField(_("land quota reward (mu)"), max_digits=10, decimal_places=2, default=0)
    reward_yuan = models.DecimalField(_("fund reward (yuan)"), max_digits=14, decimal_places=2, default=0)

    class Meta:
        ordering = ["round", "rank", "region"]
        constraints = [models.UniqueConstraint(fields=["round", "region"], name="horse_race_score_once")]
        verbose_name = _("horse race score")
        verbose_name_plural = _("horse race scores")

    def __str__(self) -> str:
        return f"{self.round} · {self.region}"
