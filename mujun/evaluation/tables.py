import django_tables2 as tables
from django.db.models import F
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mujun.evaluation.models import Result, Run, Scheme

GRADE_COLOURS = {"A": "success", "B": "primary", "C": "warning", "D": "danger", "T": "secondary"}


def grade_badge(grade: str) -> str:
    if not grade:
        return "—"
    return format_html('<span class="badge text-bg-{}">{}</span>', GRADE_COLOURS.get(grade, "light"), grade)


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


class ResultTable(tables.Table):
    """One row per enterprise of a run; sorting goes through indexed columns (run, total/rank)."""

    rank = tables.Column()
    name = tables.Column(
        accessor="enterprise__name",
        verbose_name=_("enterprise"),
        order_by=("enterprise__name",),
        linkify=lambda record: record.enterprise.get_absolute_url(),
    )
    uscc = tables.Column(accessor="enterprise__uscc", verbose_name=_("unified social credit code"), orderable=False)
    region = tables.Column(orderable=False)
    group = tables.Column()
    status = tables.Column()
    total = tables.Column()
    grade = tables.Column()

    class Meta:
        model = Result
        fields = ["rank", "name", "uscc", "region", "group", "status", "total", "grade"]
        order_by = ("group", "rank")

    def __init__(self, *args, group_labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.group_labels = group_labels or {}

    def render_group(self, value):
        return self.group_labels.get(value, value)

    def render_total(self, value):
        return f"{value:.2f}"

    def render_grade(self, value):
        return grade_badge(value)

    def order_rank(self, queryset, is_descending):
        # Unranked rows (exempt, out of scope) go last both ways, on SQLite and PostgreSQL alike.
        rank = F("rank").desc(nulls_last=True) if is_descending else F("rank").asc(nulls_last=True)
        return queryset.order_by("group", rank, "pk"), True

    def order_total(self, queryset, is_descending):
        total = F("total").desc(nulls_last=True) if is_descending else F("total").asc(nulls_last=True)
        return queryset.order_by(total, "pk"), True
