"""The battle board (挂图作战) counted in the database.

Reading 50,000 projects' dates into Python costs more than the whole page may take, so the board's figures
come from grouped queries that return a few rows per region: the colour, stalled and size rules of
:func:`mujun.engine.projects.board` written as SQL expressions (tests/test_board.py checks that both give
the same figures), and only the land-to-start days distribution is finished in Polars for its median.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from django.db.models import BooleanField, Case, Count, DateField, ExpressionWrapper, F, Func, IntegerField, Q, Value, When
from django.utils.translation import gettext_lazy

from mujun.engine import projects as engine
from mujun.projects.models import Project

COUNT_COLUMNS = [
    "projects",
    *[f"stage_{stage}" for stage in engine.STAGE_ORDER],
    *[f"rag_{colour}" for colour in engine.RAG],
    "stalled",
    "over_100m",
    "over_1bn",
]


class DaysBetween(Func):
    """Whole days from ``start`` to ``end`` (two dates), on PostgreSQL and SQLite."""

    output_field = IntegerField()
    template = "(%(expressions)s)"
    arg_joiner = " - "  # PostgreSQL: date - date is an integer of days

    def __init__(self, end, start):
        super().__init__(end, start)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="CAST(julianday(%(expressions)s) AS INTEGER)", arg_joiner=") - julianday(",
            **extra,
        )  # fmt: skip


def _following() -> list[tuple[str, str]]:
    return list(zip(engine.STAGE_ORDER, engine.STAGE_ORDER[1:]))


def next_planned() -> Case:
    """The planned date of the stage after the current one (engine.next_planned)."""
    return Case(*[When(stage=stage, then=F(f"planned_{after}")) for stage, after in _following()], output_field=DateField())


def rag(today: date) -> Case:
    """The colours of engine.board. Nested per stage, not written over ``next_planned``: SQLite would
    evaluate that CASE again for each comparison, and this runs over every project for each colour."""

    def colour(due: str) -> Case:
        return Case(
            When(**{f"{due}__isnull": True}, then=Value("none")),
            When(**{f"{due}__lt": today}, then=Value("red")),
            When(**{f"{due}__lte": today + timedelta(days=engine.AMBER_DAYS)}, then=Value("amber")),
            default=Value("green"),
        )

    return Case(
        *[When(stage=stage, then=colour(f"planned_{after}")) for stage, after in _following()],
        default=Value("green"),  # the last stage: the life cycle is complete
    )


def stalled(today: date) -> Q:
    before = engine.stalled_before(today)
    return Q(stage="construction", actual_construction__lt=before) & (
        Q(last_progress_month__isnull=True) | Q(last_progress_month__lt=before)
    )


def with_status(queryset, today: date):
    """The projects annotated with ``next_planned``, ``rag`` and ``stalled``."""
    return queryset.annotate(
        next_planned=next_planned(), rag=rag(today), stalled=ExpressionWrapper(stalled(today), output_field=BooleanField())
    )


def summary(queryset, today: date, counties: dict[int, str], total_label: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The board per county and its total row: the columns of engine.board_summary."""
    # Grouped by region alone: the scan follows the board index (see Project.Meta) without a sort.
    counts = (
        queryset.order_by()
        .annotate(rag=rag(today))
        .values("region_id")
        .annotate(
            projects=Count("pk"),
            **{f"stage_{stage}": Count("pk", filter=Q(stage=stage)) for stage in engine.STAGE_ORDER},
            **{f"rag_{colour}": Count("pk", filter=Q(rag=colour)) for colour in engine.RAG},
            stalled=Count("pk", filter=stalled(today)),
            over_100m=Count("pk", filter=Q(total_investment__gte=engine.BIG)),
            over_1bn=Count("pk", filter=Q(total_investment__gte=engine.HUGE)),
        )
    )
    days = (
        queryset.order_by()
        .filter(actual_landed__isnull=False, actual_construction__isnull=False)
        .annotate(days=DaysBetween(F("actual_construction"), F("actual_landed")))
        .values("region_id", "days")
        .annotate(n=Count("pk"))
    )
    county = pl.col("region_id").replace_strict(counties, default=None, return_dtype=pl.Utf8).alias("county")
    count_frame = pl.DataFrame(
        list(counts), schema={"region_id": pl.Int64, **dict.fromkeys(COUNT_COLUMNS, pl.Int64)}
    ).with_columns(county)
    # Each day count repeated as often as it occurs: the median over the projects, as engine.board_summary.
    days_frame = (
        pl.DataFrame(list(days), schema={"region_id": pl.Int64, "days": pl.Int64, "n": pl.Int64})
        .with_columns(county, pl.col("days").repeat_by("n"))
        .explode("days")
    )

    def figures(counted: pl.DataFrame, spans: pl.DataFrame) -> pl.DataFrame:
        medians = spans.group_by("county").agg(pl.col("days").median().alias("median_land_to_start_days"))
        return (
            counted.group_by("county")
            .agg(pl.col(COUNT_COLUMNS).sum())
            .join(medians, on="county", how="left", nulls_equal=True)
            .sort("county")
        )

    total = pl.lit(total_label, pl.Utf8).alias("county")
    return figures(count_frame, days_frame), figures(count_frame.with_columns(total), days_frame.with_columns(total))


def flagged(queryset, today: date):
    """The ids of the late or stalled projects, the next stage due earliest first (no plan first): every one of
    them, to be paginated. The ids come from the board index alone; :func:`read_flagged` reads a page whole."""
    return (
        with_status(queryset.order_by(), today)
        .filter(Q(rag="red") | Q(stalled=True))
        .order_by(F("next_planned").asc(nulls_first=True), "code")
        .values_list("pk", flat=True)
    )


def read_flagged(ids, today: date) -> list[Project]:
    """The projects of ``ids`` in that order, with the annotations."""
    ids = list(ids)
    projects = with_status(Project.objects.filter(pk__in=ids), today).select_related("region").in_bulk()
    return [projects[pk] for pk in ids]


# What the project list filters by: the board's colours and its stalled flag, one definition for both.
LATENESS_CHOICES = [
    ("red", gettext_lazy("late")),
    ("amber", gettext_lazy("due soon")),
    ("green", gettext_lazy("on schedule")),
    ("none", gettext_lazy("no plan")),
    ("stalled", gettext_lazy("stalled")),
]


def by_lateness(queryset, today: date, values: list[str]):
    """The projects whose board colour is one of ``values`` or, with ``"stalled"``, that are stalled."""
    colours = [value for value in values if value != "stalled"]
    condition = Q(rag__in=colours) if colours else Q(pk__in=[])
    if "stalled" in values:
        condition |= Q(stalled=True)
    return with_status(queryset, today).filter(condition)
