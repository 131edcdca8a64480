import django_filters
from django.utils.translation import gettext_lazy as _

from mujun.core.filtersets import FilterSet
from mujun.inspections.models import Round


class RoundFilterSet(FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=Round.Status.choices, label=_("status"))
    year = django_filters.NumberFilter(label=_("year"))

    class Meta:
        model = Round
        fields = ["q", "year", "status"]
