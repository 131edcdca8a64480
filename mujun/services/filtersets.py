import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from mujun.core.filtersets import FilterSet
from mujun.regions.models import Region
from mujun.services.models import Department, Problem, ServicePlan


class ProblemFilterSet(FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=Problem.Status.choices, label=_("status"))
    category = django_filters.ChoiceFilter(choices=Problem.Category.choices, label=_("category"))
    department = django_filters.ModelChoiceFilter(queryset=Department.objects.all(), label=_("department"))
    county = django_filters.ModelChoiceFilter(
        queryset=Region.objects.filter(level="county"), method="in_county", label=_("county")
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))

    class Meta:
        model = Problem
        fields = ["q", "status", "category", "department", "county", "overdue", "plan"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(title__icontains=value) | Q(enterprise__name__icontains=value) | Q(enterprise__uscc=value.upper())
        )

    @extend_schema_field(OpenApiTypes.INT)  # the API schema: a county's id (Problem has no county field to read it from)
    def in_county(self, queryset, name, value):
        return queryset.filter(enterprise__region_id__in=value.descendant_ids())

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status__in=Problem.OPEN_STATUSES, deadline__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class ServicePlanFilterSet(FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = ServicePlan
        fields = ["q"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(enterprise__name__icontains=value))


class DepartmentFilterSet(FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("name"))

    class Meta:
        model = Department
        fields = ["name", "region"]
