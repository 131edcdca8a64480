import django_filters
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from mujun.core.filtersets import FilterSet
from mujun.engine.low_efficiency import RULES
from mujun.enterprises.filtersets import YES_NO_ALL, InRegionFilter
from mujun.remediation.models import Listing, RemediationCase, rule_labels

GRADES = [(grade, grade) for grade in "ABCD"]


@extend_schema_field(OpenApiTypes.STR)  # the choices are read when asked for: the schema can't guess their type
class RuleFilter(django_filters.ChoiceFilter):
    """Firms (or cases) that met one rule, whichever others they met too."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("rule met"))
        super().__init__(*args, choices=lambda: [(rule, rule_labels([rule])[0]) for rule in RULES], **kwargs)

    def filter(self, qs, value):
        # A JSON list holds the rule id as a quoted string on SQLite and PostgreSQL alike.
        return qs.filter(rules__icontains=f'"{value}"') if value else qs


class ListingFilterSet(FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Name or credit code"))
    year = django_filters.NumberFilter(field_name="year", label=_("year"))
    region = InRegionFilter(field_name="region_id")
    rule = RuleFilter()
    grade = django_filters.ChoiceFilter(choices=GRADES, label=_("grade"))
    above_scale = django_filters.BooleanFilter(label=_("above designated size"), widget=YES_NO_ALL)
    with_case = django_filters.BooleanFilter(method="filter_with_case", label=_("with a remediation case"), widget=YES_NO_ALL)

    class Meta:
        model = Listing
        fields = ["q", "year", "region", "rule", "grade", "above_scale", "with_case"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(enterprise__name__icontains=value) | Q(enterprise__uscc__icontains=value))

    def filter_with_case(self, queryset, name, value):
        cased = Q(enterprise__remediation_cases__year=F("year"))
        return queryset.filter(cased).distinct() if value else queryset.exclude(cased)


class RemediationCaseFilterSet(FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Name or credit code"))
    region = InRegionFilter(field_name="enterprise__region_id")
    year = django_filters.NumberFilter(field_name="year", label=_("listed in year"))
    status = django_filters.ChoiceFilter(choices=RemediationCase.Status.choices, label=_("status"))
    measure = django_filters.ChoiceFilter(choices=RemediationCase.Measure.choices, label=_("remediation measure"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"), widget=YES_NO_ALL)

    class Meta:
        model = RemediationCase
        fields = ["q", "region", "year", "status", "measure", "overdue"]

    search = ListingFilterSet.search

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status=RemediationCase.Status.OPEN, deadline__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
