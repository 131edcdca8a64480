from datetime import date

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mujun.core.filtersets import FilterSet
from mujun.enterprises.filtersets import InRegionFilter
from mujun.projects import board
from mujun.projects.models import Field, Lead, Level, MonthlyReport, Project, Stage


class ProjectFilterSet(FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Name, code or chain tag"))
    region = InRegionFilter(field_name="region_id")
    stage = django_filters.MultipleChoiceFilter(choices=Stage.choices, label=_("stage"))
    level = django_filters.ChoiceFilter(choices=Level.choices, label=_("level"))
    field = django_filters.ChoiceFilter(choices=Field.choices, label=_("field"))
    is_new = django_filters.BooleanFilter(label=_("new project"))
    total_investment = django_filters.RangeFilter(label=_("total investment (10k yuan)"))
    enterprise = django_filters.NumberFilter(field_name="enterprise_id", label=_("enterprise"))
    lateness = django_filters.MultipleChoiceFilter(
        choices=board.LATENESS_CHOICES, method="by_lateness", label=_("against planned dates")
    )

    class Meta:
        model = Project
        fields = ["q", "region", "stage", "level", "field", "is_new", "total_investment", "enterprise", "lateness"]

    def by_lateness(self, queryset, name, value):
        return board.by_lateness(queryset, date.today(), value) if value else queryset

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value) | Q(chain_tags__icontains=value))


class MonthlyReportFilterSet(FilterSet):
    region = InRegionFilter(field_name="project__region_id")
    project = django_filters.NumberFilter(field_name="project_id", label=_("project"))
    code = django_filters.CharFilter(field_name="project__code", label=_("project code"))
    month = django_filters.DateFilter(label=_("month"))
    status = django_filters.ChoiceFilter(choices=MonthlyReport.Status.choices, label=_("status"))

    class Meta:
        model = MonthlyReport
        fields = ["region", "project", "code", "month", "status"]


class LeadFilterSet(FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Name, investor or chain tag"))
    region = InRegionFilter(field_name="region_id")
    status = django_filters.ChoiceFilter(choices=Lead.Status.choices, label=_("status"))

    class Meta:
        model = Lead
        fields = ["q", "region", "status", "team"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(investor__icontains=value) | Q(chain_tags__icontains=value))
