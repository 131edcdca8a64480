import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mujun.core.filtersets import FilterSet
from mujun.regions.models import Region


class RegionFilterSet(FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    level = django_filters.ChoiceFilter(choices=Region.Level.choices, label=_("level"), empty_label=_("All"))
    parent = django_filters.ModelChoiceFilter(
        queryset=Region.objects.filter(level__in=["city", "county"]), label=_("parent"), empty_label=_("All")
    )

    class Meta:
        model = Region
        fields = ["q", "level", "parent"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value))
