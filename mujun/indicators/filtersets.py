import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mujun.core.filtersets import FilterSet
from mujun.indicators.models import Indicator, IndicatorValue


class IndicatorFilterSet(FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    frequency = django_filters.ChoiceFilter(choices=Indicator.Frequency.choices, label=_("frequency"))

    class Meta:
        model = Indicator
        fields = ["q", "frequency"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))


class IndicatorValueFilterSet(FilterSet):
    indicator = django_filters.ModelChoiceFilter(queryset=Indicator.objects.all(), label=_("indicator"))
    year = django_filters.NumberFilter(label=_("year"))

    class Meta:
        model = IndicatorValue
        fields = ["indicator", "region", "year", "month"]
