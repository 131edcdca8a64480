import django_filters
from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from mujun.core.filtersets import FilterSet
from mujun.enterprises.models import Enterprise, EnterpriseYear
from mujun.regions.models import Region


class InRegionFilter(django_filters.ModelChoiceFilter):
    """A region and everything under it: choosing a county lists its towns' records too."""

    # Records located in a region: a county operator's lists open on their county (core.views.filter_data).
    opens_on_home_region = True

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Region.objects.all())
        kwargs.setdefault("label", _("region"))
        kwargs.setdefault("empty_label", _("All"))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value.descendant_ids()})


# A yes/no filter's choices: the empty choice lists everything (django-filter calls it "Unknown").
YES_NO_ALL = forms.Select(choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))])


class EnterpriseFilterSet(FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Name or credit code"))
    region = InRegionFilter(field_name="region_id")
    above_scale = django_filters.BooleanFilter(label=_("above designated size"), widget=YES_NO_ALL)
    industry = django_filters.CharFilter(
        field_name="industry_code", lookup_expr="startswith", label=_("industry code starts with")
    )
    land_mu = django_filters.RangeFilter(label=_("land held (mu)"))
    active = django_filters.BooleanFilter(label=_("active"), widget=YES_NO_ALL)

    class Meta:
        model = Enterprise
        fields = ["q", "region", "above_scale", "industry", "land_mu", "active"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(uscc__startswith=value.upper()))


class EnterpriseListFilterSet(EnterpriseFilterSet):
    """The list page and its export: active enterprises unless the user chooses otherwise.

    Not the API's filters: there a default would hide a deactivated enterprise from its own URL."""

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else QueryDict(mutable=True)
        data.setdefault("active", "true")
        super().__init__(data, *args, **kwargs)


class EnterpriseYearFilterSet(FilterSet):
    region = InRegionFilter(field_name="enterprise__region_id")
    year = django_filters.NumberFilter()
    enterprise = django_filters.NumberFilter(field_name="enterprise_id", label=_("enterprise"))
    uscc = django_filters.CharFilter(field_name="enterprise__uscc", label=_("unified social credit code"))
    above_scale = django_filters.BooleanFilter()

    class Meta:
        model = EnterpriseYear
        fields = ["region", "year", "enterprise", "uscc", "above_scale"]
