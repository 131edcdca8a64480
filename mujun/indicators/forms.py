from dataclasses import replace

from django import forms
from django.utils.translation import gettext_lazy as _

from mujun.core.forms import ScopedModelForm
from mujun.engine import rankings
from mujun.engine.composite import Aggregate, Normalise
from mujun.indicators.models import HorseRaceScheme, Indicator, IndicatorValue


class IndicatorForm(ScopedModelForm):
    class Meta:
        model = Indicator
        fields = ["code", "name", "unit", "higher_is_better", "weight", "frequency", "order"]


class HorseRaceSchemeForm(ScopedModelForm):
    class Meta:
        model = HorseRaceScheme
        fields = ["name", "year", "toml"]
        widgets = {"toml": forms.Textarea(attrs={"rows": 24, "class": "font-monospace"})}


class IndicatorValueForm(ScopedModelForm):
    class Meta:
        model = IndicatorValue
        fields = ["indicator", "region", "year", "month", "value"]


# The county composite's methods a user may choose: the pipeline's normalisations that need no targets or
# goalposts (which the indicators do not carry), and its three means.
NORMALISATIONS = {
    "points": (_("Rank points (100 to the first, 0 to the last)"), rankings.POINTS),
    "minmax": (_("Min-max (0 to 100)"), Normalise(method="minmax", range=(0.0, 100.0))),
    "zscore": (_("Z-score"), Normalise(method="zscore")),
}
MEANS = {
    "arithmetic": (_("Weighted arithmetic mean"), rankings.MEAN),
    "geometric": (_("Weighted geometric mean"), Aggregate(method="geometric")),
    "harmonic": (_("Weighted harmonic mean"), Aggregate(method="harmonic")),
}
# Geometric and harmonic means need values above 0: scales that start at 0 then start at 1.
POSITIVE_RANGE = (1.0, 100.0)


class RankingMethodForm(forms.Form):
    """How the county composite is built: the normalisation and the mean (the city's rule by default)."""

    normalise = forms.ChoiceField(label=_("Normalisation"), choices=[(k, v[0]) for k, v in NORMALISATIONS.items()], required=False)
    mean = forms.ChoiceField(label=_("Aggregation"), choices=[(k, v[0]) for k, v in MEANS.items()], required=False)

    def _chosen(self) -> tuple[tuple, tuple]:
        """The (label, method) pairs chosen, the city's rule for anything not chosen or not valid."""
        chosen = self.cleaned_data if self.is_valid() else {}
        return NORMALISATIONS[chosen.get("normalise") or "points"], MEANS[chosen.get("mean") or "arithmetic"]

    def methods(self) -> tuple[Normalise, Aggregate]:
        (_label, normalisation), (_label, mean) = self._chosen()
        if mean.method != "arithmetic" and normalisation.method != "zscore":
            normalisation = replace(normalisation, range=POSITIVE_RANGE)
        return normalisation, mean

    def labels(self) -> tuple[str, str]:
        """The chosen normalisation's and mean's names."""
        (normalisation, _method), (mean, _method) = self._chosen()
        return normalisation, mean

    @property
    def is_city_rule(self) -> bool:
        return self.methods() == (rankings.POINTS, rankings.MEAN)
