import django_tables2 as tables
from django.utils.html import format_html
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mujun.evaluation.models import ProvincialAverage, Result, RobustnessResult, Run, Scheme

GRADE_COLOURS = {"A": "success", "B": "primary", "C": "warning", "D": "danger", "T": "secondary"}


def grade_badge(grade: str) -> str:
    if not grade:
        return "—"
    return format_html('<span class="badge text-bg-{}">{}</span>', GRADE_COLOURS.get(grade, "light"), grade)


def review_mark(result: Result) -> str:
    """The mark of a grade the review changed (复核调整), naming the grade as posted."""
    if not result.changed_on_review:
        return ""
    return format_html(
        '<span class="badge text-bg-info review-mark" title="{}">{}</span>',
        _("Grade as posted: %(grade)s") % {"grade": result.posted_grade or "—"},
        _("Changed on review"),
    )


class SchemeTable(tables.Table):
    name = tables.Column(linkify=True)
    region = tables.Column(default=_("Whole city"))
    runs = tables.Column(verbose_name=_("Runs"), accessor="run_count", orderable=True)

    class Meta:
        model = Scheme
        fields = ["name", "year", "region", "preset", "runs", "created_at"]


class RunTable(tables.Table):
    name = tables.Column(linkify=True)
    scheme = tables.Column(linkify=True)
    progress = tables.Column()

    class Meta:
        model = Run
        fields = ["name", "year", "region", "scheme", "status", "progress", "created_by", "created_at", "published_at"]

    def render_progress(self, value, record):
        return f"{value} %"

    def render_status(self, value, record):
        if record.is_locked:  # published, or posted for public notice (its status says so)
            return value
        # A draft is seen only by its author and city administrators; it says so wherever it is listed.
        return format_html('{} <span class="badge text-bg-warning draft-badge">{}</span>', value, _("Not published"))


class ResultTable(tables.Table):
    """One row per enterprise of a run. Every offered sort is an order an index serves in its direction
    (see ``Result.Meta.indexes``), unranked rows last; group, status and grade are filters, not sorts."""

    rank = tables.Column()
    name = tables.Column(
        accessor="enterprise__name",
        verbose_name=_("enterprise"),
        order_by=("enterprise__name",),
        linkify=lambda record: record.enterprise.get_absolute_url(),
    )
    uscc = tables.Column(accessor="enterprise__uscc", verbose_name=_("unified social credit code"), orderable=False)
    region = tables.Column(orderable=False)
    group = tables.Column(orderable=False)
    status = tables.Column(orderable=False)
    total = tables.Column()
    grade = tables.Column(orderable=False)

    class Meta:
        model = Result
        fields = ["rank", "name", "uscc", "region", "group", "status", "total", "grade", "p_grade"]
        order_by = ("rank",)

    # The probability of keeping the grade, from the run's latest robustness analysis (``p_grade``, annotated
    # by the page only when there is one; the column is hidden otherwise).
    p_grade = tables.Column(verbose_name=_("probability of the run's grade"), orderable=False)

    def __init__(self, *args, group_labels=None, fragile_below=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.group_labels = group_labels or {}
        self.fragile_below = fragile_below
        if fragile_below is None:
            self.columns.hide("p_grade")

    def render_group(self, value):
        return self.group_labels.get(value, value)

    def render_p_grade(self, value):
        if value < self.fragile_below:
            return format_html('{} <span class="badge text-bg-warning fragile-mark">{}</span>', f"{value:.0%}", _("Fragile"))
        return f"{value:.0%}"

    def render_total(self, value):
        return f"{value:.2f}"

    def render_grade(self, value, record):
        if record.changed_on_review:
            return format_html("{} {}", grade_badge(value), review_mark(record))
        return grade_badge(value)

    def order_rank(self, queryset, is_descending):
        return queryset.order_by(*(Result.RANK_ORDER_DESC if is_descending else Result.RANK_ORDER)), True

    def order_total(self, queryset, is_descending):
        return queryset.order_by(*(Result.TOTAL_ORDER_DESC if is_descending else Result.TOTAL_ORDER)), True

    def order_name(self, queryset, is_descending):
        return queryset.order_by("-enterprise__name" if is_descending else "enterprise__name", "id"), True


def _probability(value) -> str:
    return f"{value:.1%}"


class RobustnessResultTable(tables.Table):
    """An analysis's enterprises, least certain grade first; a fragile grade is marked."""

    name = tables.Column(
        accessor="result__enterprise__name",
        verbose_name=_("enterprise"),
        linkify=lambda record: reverse("evaluation:result_detail", args=[record.result.run_id, record.result.enterprise_id]),
    )
    uscc = tables.Column(accessor="result__enterprise__uscc", verbose_name=_("unified social credit code"), orderable=False)
    group = tables.Column(accessor="result__group", verbose_name=pgettext_lazy("evaluation", "group"), orderable=False)
    rank = tables.Column(accessor="result__rank", verbose_name=_("rank"), orderable=False)
    rank_interval = tables.Column(empty_values=(), verbose_name=_("rank interval"), orderable=False)
    grade = tables.Column(accessor="result__grade", verbose_name=_("grade"), orderable=False)
    p_grade = tables.Column(verbose_name=_("probability of the run's grade"))
    p_a = tables.Column(orderable=False)
    p_b = tables.Column(orderable=False)
    p_c = tables.Column(orderable=False)
    p_d = tables.Column(orderable=False)

    class Meta:
        model = RobustnessResult
        fields = ["name", "uscc", "group", "grade", "p_grade", "p_a", "p_b", "p_c", "p_d", "rank", "rank_interval"]
        order_by = ("p_grade",)
        row_attrs = {"class": lambda record, table: "table-warning fragile" if record.p_grade < table.threshold else ""}

    def __init__(self, *args, threshold: float, group_labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.threshold = threshold
        self.group_labels = group_labels or {}

    def render_group(self, value):
        return self.group_labels.get(value, value)

    def render_grade(self, value, record):
        if record.p_grade < self.threshold:
            return format_html('{} <span class="badge text-bg-warning fragile-mark">{}</span>', grade_badge(value), _("Fragile"))
        return grade_badge(value)

    def render_rank_interval(self, record):
        return f"{record.rank_low}–{record.rank_high}"

    render_p_grade = render_p_a = render_p_b = render_p_c = render_p_d = staticmethod(_probability)

    def order_p_grade(self, queryset, is_descending):
        return queryset.order_by("-p_grade" if is_descending else "p_grade", "id"), True


class ProvincialAverageTable(tables.Table):
    year = tables.Column(linkify=lambda record: reverse("evaluation:provincialaverage_edit", args=[record.pk]))

    class Meta:
        model = ProvincialAverage
        fields = ["year", "tax_per_mu", "value_added_per_mu", "source"]
