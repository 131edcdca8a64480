import django_tables2 as tables
from django_tables2.rows import BoundRows
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from mujun.core.queries import BoundedPaginator
from mujun.evaluation.models import Result, Run, Scheme

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


class IdsFirstPaginator(BoundedPaginator):
    """Pages of a large queryset for django-tables2: the page's ids first, selected on the ordered table
    alone (an index walk), then only those rows with their joins. A deep page (OFFSET 250,000) would
    otherwise join every skipped row."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list  # the table's BoundRows over its (filtered, ordered) queryset
        queryset = rows.data.data
        ids = list(queryset.values_list("pk", flat=True)[bottom:top])
        records = queryset.model._base_manager.filter(pk__in=ids)
        fields, deferred = queryset.query.deferred_loading
        records = records.select_related(*_select_related(queryset))
        records = records.defer(*fields) if deferred else records.only(*fields)
        by_id = {record.pk: record for record in records}
        return self._get_page(BoundRows([by_id[pk] for pk in ids], table=rows.table), number, self)


def _select_related(queryset) -> list[str]:
    def paths(tree: dict, prefix: str = ""):
        for name, below in tree.items():
            yield prefix + name
            yield from paths(below, f"{prefix}{name}__")

    related = queryset.query.select_related
    return list(paths(related)) if isinstance(related, dict) else []


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
        fields = ["rank", "name", "uscc", "region", "group", "status", "total", "grade"]
        order_by = ("rank",)

    def __init__(self, *args, group_labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.group_labels = group_labels or {}

    def render_group(self, value):
        return self.group_labels.get(value, value)

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
