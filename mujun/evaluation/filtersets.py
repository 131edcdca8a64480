import django_filters
from django.db import models
from django.utils.translation import gettext_lazy as _

from mujun.core.filtersets import FilterSet
from mujun.engine.uscc import ALPHABET as USCC_ALPHABET
from mujun.enterprises.models import Enterprise
from mujun.evaluation.models import Result, RobustnessAnalysis, RobustnessResult, Run, Scheme
from mujun.regions.models import Region


class SchemeFilterSet(FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Search"))

    class Meta:
        model = Scheme
        fields = ["q", "year", "region"]


class RunFilterSet(FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Search"))
    status = django_filters.ChoiceFilter(choices=Run.Status.choices, label=_("status"))

    class Meta:
        model = Run
        fields = ["q", "year", "region", "scheme", "status"]


class ResultFilterSet(FilterSet):
    """Results of one run (API: of any run, by ``run``)."""

    q = django_filters.CharFilter(method="search", label=_("Enterprise name or code"))
    region = django_filters.ModelChoiceFilter(queryset=Region.objects.all(), label=_("region"))
    group = django_filters.CharFilter(label=_("group"))
    grade = django_filters.ChoiceFilter(choices=[(g, g) for g in Result.GRADES], label=_("grade"))
    status = django_filters.ChoiceFilter(choices=Result.Status.choices, label=_("status"))

    class Meta:
        model = Result
        fields = ["run", "q", "region", "group", "grade", "status"]

    def __init__(self, *args, run: Run | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if run is None:
            return
        # Within one run, offer only what occurs in it (from its summary, not from the results).
        del self.filters["run"]
        summary = run.summary or {}
        self.filters["region"].queryset = Region.objects.filter(pk__in=[r["id"] for r in summary.get("regions", [])])
        self.filters["group"] = django_filters.ChoiceFilter(
            field_name="group",
            label=_("group"),
            choices=[(gid, g["label"]) for gid, g in summary.get("groups", {}).items()],
        )
        self.robustness = RobustnessAnalysis.latest_of(run)
        if self.robustness is not None:
            fragile = django_filters.BooleanFilter(field_name="fragile", method="only_fragile", label=_("Fragile grades only"))
            fragile.parent = self  # set by FilterSet.__init__ for declared filters, which this one is not
            self.filters["fragile"] = fragile

    def only_fragile(self, queryset, name, value):
        """Results whose grade the run's latest robustness analysis found below its threshold (or not)."""
        if value is None:
            return queryset
        fragile = self.robustness.results.filter(p_grade__lt=self.robustness.threshold).values("result_id")
        return queryset.filter(pk__in=fragile) if value else queryset.exclude(pk__in=fragile)

    def search(self, queryset, name, value):
        # The matching enterprises first. A few of them are looked up by the (run, enterprise) index; a
        # common term stays a subquery, which the page's ordered index walk satisfies early (a rare term as
        # a subquery would make that walk cover the whole run).
        matching = matching_enterprises(value).order_by()
        few = list(matching.values_list("pk", flat=True)[: self.FEW_MATCHES + 1])
        if len(few) <= self.FEW_MATCHES:
            return queryset.filter(enterprise_id__in=few)
        return queryset.filter(enterprise_id__in=matching.values("pk"))

    FEW_MATCHES = 2000


def matching_enterprises(value: str):
    """Enterprises whose credit code starts with ``value`` when it looks like one, else whose name holds it.

    A code prefix is a range on the unique code index (codes use only digits and capitals up to Y, so
    every code starting with the prefix lies below prefix + "Z" in any collation that sorts digits before
    letters); a name is matched anywhere in it.
    """
    value = value.strip()
    code = value.upper()
    if len(code) >= 4 and all(ch in USCC_ALPHABET for ch in code):
        return Enterprise.objects.filter(uscc__gte=code, uscc__lt=code + "Z")
    return Enterprise.objects.filter(name__icontains=value)


class RobustnessResultFilterSet(FilterSet):
    """An analysis's enterprises: fragile grades only (below the analysis's threshold), by grade, by name."""

    q = django_filters.CharFilter(method="search", label=_("Enterprise name or code"))
    fragile = django_filters.BooleanFilter(method="only_fragile", label=_("Fragile grades only"))
    grade = django_filters.ChoiceFilter(
        field_name="result__grade", choices=[(g, g) for g in Result.GRADES[:4]], label=_("grade")
    )

    class Meta:
        model = RobustnessResult
        fields = ["q", "fragile", "grade"]

    def __init__(self, *args, analysis: RobustnessAnalysis, **kwargs):
        super().__init__(*args, **kwargs)
        self.analysis = analysis

    def search(self, queryset, name, value):
        return queryset.filter(result__enterprise__in=matching_enterprises(value))

    def only_fragile(self, queryset, name, value):
        if value is None:
            return queryset
        below = models.Q(p_grade__lt=self.analysis.threshold)
        return queryset.filter(below if value else ~below)
