import django_tables2 as tables
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mujun.inspections.models import Round


class RoundTable(tables.Table):
    name = tables.Column(linkify=True)
    period = tables.Column(verbose_name=_("quarter"), order_by=("year", "quarter"))
    nomination_count = tables.Column(verbose_name=pgettext_lazy("count", "projects"))

    class Meta:
        model = Round
        fields = ["name", "period", "visit_date", "status", "nomination_count"]
