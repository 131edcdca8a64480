from django import forms

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

    def clean(self):
        cleaned = super().clean()
        indicator, month = cleaned.get("indicator"), cleaned.get("month")
        if indicator and month and indicator.frequency == Indicator.Frequency.QUARTERLY and month % 3:
            raise forms.ValidationError(
                "季度指标的月份应为3、6、9或12 / a quarterly indicator is stored at month 3, 6, 9 or 12"
            )
        return cleaned
