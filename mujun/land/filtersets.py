import django_filters
import polars as pl
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mujun.core.filtersets import FilterSet
from mujun.enterprises.filtersets import YES_NO_ALL, InRegionFilter
from mujun.land.models import Category, DisposalCase, IdleCause, IdleStage, Parcel, Stage
from mujun.land.models import Acceptance
from mujun.land.services import idle_ledger


class ParcelFilterSet(FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Code, name or holder"))
    region = InRegionFilter(field_name="region_id")
    category = django_filters.ChoiceFilter(choices=Category.choices, label=_("category"))
    stage = django_filters.ChoiceFilter(choices=Stage.choices, label=_("stage"))
    holder = django_filters.NumberFilter(field_name="holder_id", label=_("holder"))
    inefficient = django_filters.BooleanFilter(method="filter_inefficient", label=_("inefficient"))

    class Meta:
        model = Parcel
        fields = ["q", "region", "category", "stage", "inefficient"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value) | Q(holder__name__icontains=value))

    def filter_inefficient(self, queryset, name, value):
        return queryset.exclude(category="") if value else queryset.filter(category="")


class DisposalCaseFilterSet(FilterSet):
    region = InRegionFilter(field_name="parcel__region_id")
    status = django_filters.ChoiceFilter(choices=DisposalCase.Status.choices, label=_("status"))
    measure = django_filters.ChoiceFilter(choices=DisposalCase.Measure.choices, label=_("measure"))
    category = django_filters.ChoiceFilter(choices=Category.choices, label=_("category"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))

    class Meta:
        model = DisposalCase
        fields = ["region", "status", "measure", "category", "overdue"]

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status=DisposalCase.Status.OPEN, deadline__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class IdleLedgerFilterSet(FilterSet):
    """The idle-land ledger's filters; the stage is the clock's as of today (mujun.land.services.idle_ledger)."""

    region = InRegionFilter(field_name="region_id")
    cause = django_filters.ChoiceFilter(field_name="idle_cause", choices=IdleCause.choices, label=_("cause of idleness"))
    stage = django_filters.ChoiceFilter(choices=IdleStage.ledger_choices(), method="filter_stage", label=_("idle stage"))

    class Meta:
        model = Parcel
        fields = ["region", "cause", "stage"]

    def filter_stage(self, queryset, name, value):
        ids = idle_ledger(queryset).filter(pl.col("stage") == value)["id"].to_list()
        return queryset.filter(pk__in=ids)


class AcceptanceFilterSet(FilterSet):
    region = InRegionFilter(field_name="parcel__region_id")
    outcome = django_filters.ChoiceFilter(choices=Acceptance.Outcome.choices, label=_("acceptance result"))
    decision = django_filters.ChoiceFilter(choices=Acceptance.Decision.choices, label=_("decision"))
    recovery_proposed = django_filters.BooleanFilter(label=_("recovery proposed"), widget=YES_NO_ALL)

    class Meta:
        model = Acceptance
        fields = ["region", "outcome", "decision", "recovery_proposed"]
