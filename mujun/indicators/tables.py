import django_tables2 as tables

from mujun.indicators.models import Indicator


class IndicatorTable(tables.Table):
    code = tables.Column(linkify=True)
    name = tables.Column(linkify=True)

    class Meta:
        model = Indicator
        fields = ["order", "code", "name", "unit", "higher_is_better", "weight", "frequency"]
