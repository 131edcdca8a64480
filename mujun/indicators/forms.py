from mujun.core.forms import ScopedModelForm
from mujun.indicators.models import Indicator, IndicatorValue


class IndicatorForm(ScopedModelForm):
    class Meta:
        model = Indicator
        fields = ["code", "name", "unit", "higher_is_better", "weight", "frequency", "order"]


class IndicatorValueForm(ScopedModelForm):
    class Meta:
        model = IndicatorValue
        fields = ["indicator", "region", "year", "month", "value"]
