"""Investment projects: the four lists (四张清单), the battle board (挂图作战), missing monthly reports and the
major-project portfolio's plan against completion. Polars in, Polars out; no Django.

A project frame has one row per project: ``id``, ``stage`` and ``actual_<stage>`` / ``planned_<stage>`` dates
for the dated stages (any extra columns — name, region, investment — are carried along). A report frame
has ``project_id``, ``month`` (first day of the month), ``invested_month`` and ``invested_to_date`` (万元).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import polars as pl

from mujun.engine.rules import Rule, dates_in_order, greater_than_zero, not_negative

STAGE_ORDER = ("planned", "signed", "landed", "construction", "completed", "commissioned", "capacity", "above_scale")
DATED_STAGES = STAGE_ORDER[1:]
# Each list takes the projects whose stage at the end of the month is one of these.
FOUR_LISTS: dict[str, tuple[str, ...]] = {
    "construction": ("construction",),
    "completed": ("completed",),
    "commissioned": ("commissioned", "capacity"),
    "above_scale": ("above_scale",),
}
# Projects that still invest and owe a monthly report.
REPORTING_STAGES = ("construction", "completed")
AMBER_DAYS = 30  # the next stage is due within this many days
STALLED_MONTHS = 3  # under construction with no investment reported for this long
RAG = ("red", "amber", "green", "none")
BIG, HUGE = 10_000.0, 100_000.0  # 1亿 and 10亿 in 万元


def month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def stage_index(stage: str) -> int:
    return STAGE_ORDER.index(stage)


def stage_at(as_of: date) -> pl.Expr:
    """The index in STAGE_ORDER of the furthest stage a project had reached by ``as_of`` (0: planned)."""
    reached = [
        pl.when(pl.col(f"actual_{stage}") <= pl.lit(as_of)).then(pl.lit(index + 1, pl.Int8))
        for index, stage in enumerate(DATED_STAGES)
    ]
    return pl.max_horizontal(*reached).fill_null(0).alias("stage_index")


def _month_figures(reports: pl.DataFrame, month: date) -> pl.DataFrame:
    """Per project: investment in ``month`` and to date (from the latest report not after ``month``)."""
    upto = reports.lazy().filter(pl.col("month") <= pl.lit(month))
    latest = upto.group_by("project_id").agg(pl.col("invested_to_date").sort_by("month").last())
    in_month = upto.filter(pl.col("month") == pl.lit(month)).select("project_id", "invested_month")
    return latest.join(in_month, on="project_id", how="left").collect()


def four_lists(projects: pl.DataFrame, reports: pl.DataFrame, month: date) -> dict[str, pl.DataFrame]:
    """The four lists at the end of ``month``: each project whose stage then falls in the list, with the date
    it reached that stage (``reached_on``) and its investment in the month and to date.

    The lists are disjoint: a project is in the list of the stage it had reached, so it moves from one list
    to the next as it advances and never stands in two.
    """
    end = month_end(month)
    month = month.replace(day=1)
    staged = projects.with_columns(stage_at(end)).join(
        _month_figures(reports, month), left_on="id", right_on="project_id", how="left"
    )
    result = {}
    for name, stages in FOUR_LISTS.items():
        indexes = [stage_index(s) for s in stages]
        members = staged.filter(pl.col("stage_index").is_in(indexes))
        reached_on = pl.coalesce(
            [pl.when(pl.col("stage_index") == i).then(pl.col(f"actual_{STAGE_ORDER[i]}")) for i in indexes]
        )
        result[name] = members.with_columns(
            pl.col("stage_index").replace_strict(dict(enumerate(STAGE_ORDER)), return_dtype=pl.Utf8).alias("stage_at"),
            reached_on.alias("reached_on"),
        ).drop("stage_index")
    return result


def with_totals(frame: pl.DataFrame, label_column: str, label: str, sum_columns: list[str]) -> pl.DataFrame:
    """The frame with a last row summing ``sum_columns`` and naming itself in ``label_column``."""
    totals = frame.select(
        *[pl.col(c).sum() if c in sum_columns else pl.lit(None, frame.schema[c]).alias(c) for c in frame.columns]
    ).with_columns(pl.lit(label, pl.Utf8).alias(label_column))
    return pl.concat([frame.with_columns(pl.col(label_column).cast(pl.Utf8)), totals], how="vertical_relaxed")


def missing_reports(projects: pl.DataFrame, reports: pl.DataFrame, month: date) -> pl.DataFrame:
    """Projects that were under construction or completed at the end of ``month`` and have no report for it."""
    month = month.replace(day=1)
    owing = projects.with_columns(stage_at(month_end(month))).filter(
        pl.col("stage_index").is_in([stage_index(s) for s in REPORTING_STAGES])
    )
    reported = reports.filter(pl.col("month") == pl.lit(month)).select("project_id")
    return owing.join(reported, left_on="id", right_on="project_id", how="anti").drop("stage_index")


def next_planned() -> pl.Expr:
    """The planned date of the stage after the project's current one (null at the last stage)."""
    return pl.coalesce(
        [
            pl.when(pl.col("stage") == stage).then(pl.col(f"planned_{STAGE_ORDER[index + 1]}"))
            for index, stage in enumerate(STAGE_ORDER[:-1])
        ]
    ).alias("next_planned")


def stalled_before(today: date) -> date:
    """A project under construction since before this day with no investment reported since is stalled."""
    return (today.replace(day=1) - timedelta(days=31 * (STALLED_MONTHS - 1))).replace(day=1)


def board(projects: pl.DataFrame, today: date) -> pl.DataFrame:
    """Per project: ``rag`` (red: the next stage is overdue; amber: due within AMBER_DAYS; green: later or the
    life cycle is complete; none: no planned date), ``land_to_start_days`` and ``stalled`` (under
    construction for over STALLED_MONTHS months with no investment reported since; needs
    ``last_progress_month``)."""
    before = stalled_before(today)
    due = next_planned()
    return projects.with_columns(due).with_columns(
        pl.when(pl.col("stage") == STAGE_ORDER[-1])
        .then(pl.lit("green"))
        .when(pl.col("next_planned").is_null())
        .then(pl.lit("none"))
        .when(pl.col("next_planned") < pl.lit(today))
        .then(pl.lit("red"))
        .when(pl.col("next_planned") <= pl.lit(today + timedelta(days=AMBER_DAYS)))
        .then(pl.lit("amber"))
        .otherwise(pl.lit("green"))
        .alias("rag"),
        (pl.col("actual_construction") - pl.col("actual_landed")).dt.total_days().alias("land_to_start_days"),
        (
            (pl.col("stage") == "construction")
            & (pl.col("actual_construction") < pl.lit(before))
            & (pl.col("last_progress_month").is_null() | (pl.col("last_progress_month") < pl.lit(before)))
        ).alias("stalled"),
    )


def board_summary(per_project: pl.DataFrame, group: str = "county") -> pl.DataFrame:
    """The board's figures per ``group``: projects per stage and per colour, stalled, the median
    land-to-start days and the counts of projects of 1亿 and 10亿 or more."""
    return (
        per_project.group_by(group)
        .agg(
            pl.len().alias("projects"),
            *[(pl.col("stage") == stage).sum().alias(f"stage_{stage}") for stage in STAGE_ORDER],
            *[(pl.col("rag") == colour).sum().alias(f"rag_{colour}") for colour in RAG],
            pl.col("stalled").sum().alias("stalled"),
            pl.col("land_to_start_days").median().alias("median_land_to_start_days"),
            (pl.col("total_investment") >= BIG).sum().alias("over_100m"),
            (pl.col("total_investment") >= HUGE).sum().alias("over_1bn"),
        )
        .sort(group)
    )


def portfolio_totals(groups: pl.DataFrame, by: str) -> pl.DataFrame:
    """Projects, annual plan and investment completed per value of ``by`` (field, county, level, …), with the
    completion rate.

    ``groups`` has ``by``, ``projects``, ``plan`` and ``completed``, one row per project or already summed
    per finer group (as the database counts them, mujun.projects.portfolio); a missing plan or completion
    counts as 0.
    """
    return (
        groups.group_by(by)
        .agg(
            pl.col("projects").sum(),
            pl.col("plan").fill_null(0).sum(),
            pl.col("completed").fill_null(0).sum(),
        )
        .with_columns(
            pl.when(pl.col("plan") > 0).then(pl.col("completed") / pl.col("plan")).alias("completion_rate")
        )
        .sort(by)
    )


def portfolio(projects: pl.DataFrame, reports: pl.DataFrame, year: int, by: str) -> pl.DataFrame:
    """:func:`portfolio_totals` from every project's and report's row.

    ``projects`` needs ``id``, ``plan_year``, ``annual_plan`` and ``by``; the plan counts for the projects
    planned for ``year``, the completion sums those projects' reports of the year.
    """
    planned = projects.filter(pl.col("plan_year") == year)
    done = (
        reports.filter(pl.col("month").dt.year() == year)
        .group_by("project_id")
        .agg(pl.col("invested_month").sum().alias("completed"))
    )
    per_project = planned.join(done, left_on="id", right_on="project_id", how="left").select(
        by, pl.lit(1).alias("projects"), pl.col("annual_plan").alias("plan"), "completed"
    )
    return portfolio_totals(per_project, by)


def monthly_completion(completed: pl.DataFrame, year: int) -> pl.DataFrame:
    """Every month of ``year`` with the investment completed in it and cumulatively, from ``completed``
    (``month``, ``completed``: the months that have any)."""
    months = pl.DataFrame({"month": pl.date_range(date(year, 1, 1), date(year, 12, 1), "1mo", eager=True)})
    return (
        months.join(completed.select("month", "completed"), on="month", how="left")
        .with_columns(pl.col("completed").fill_null(0.0))
        .with_columns(pl.col("completed").cum_sum().alias("cumulative"))
    )


def portfolio_by_month(projects: pl.DataFrame, reports: pl.DataFrame, year: int) -> pl.DataFrame:
    """:func:`monthly_completion` of the projects planned for ``year``, from every report's row."""
    planned_ids = projects.filter(pl.col("plan_year") == year).select("id")
    done = (
        reports.join(planned_ids, left_on="project_id", right_on="id", how="semi")
        .filter(pl.col("month").dt.year() == year)
        .group_by("month")
        .agg(pl.col("invested_month").sum().alias("completed"))
    )
    return monthly_completion(done, year)


# --- rules of a project's own figures: the import evaluates them over the file, the model's clean() on the record
PLANNED_COLUMNS = [f"planned_{stage}" for stage in DATED_STAGES]
PROJECT_RULES = [
    greater_than_zero("total_investment"),
    *[not_negative(name) for name in ("fixed_asset_investment", "foreign_capital_usd", "annual_plan")],
    *dates_in_order(PLANNED_COLUMNS),
]
REPORT_RULES = [
    not_negative("invested_month"),
    not_negative("invested_to_date"),
    Rule(
        "month", {"month": pl.Date, "current_month": pl.Date}, pl.col("month") > pl.col("current_month"),
        "不能填报未来的月份", "cannot report a month that lies in the future",
    ),
]  # fmt: skip
ELEMENT_NEED_RULES = [not_negative("needed"), not_negative("granted")]


# --- projects on the wall: the province's start-rate targets for the year's new projects, and the key lists
# Each deadline by which a share (percent) of the year's new projects must have started (开工): (key, month, day).
START_DEADLINES = (("q1", 3, 31), ("q2", 6, 30), ("q3", 9, 30), ("october", 10, 31))
DEFAULT_START_TARGETS = {"q1": 30.0, "q2": 60.0, "q3": 85.0, "october": 100.0}
DEFAULT_RED_MARGIN = 10.0  # percentage points behind the target that make a red flag
FLAGS = ("red", "yellow", "green", "none")
TARGET_COLUMNS = {key: pl.Float64 for key, _month, _day in START_DEADLINES}
START_TARGET_RULES = [
    *[
        Rule(key, {key: pl.Float64}, (pl.col(key) < 0) | (pl.col(key) > 100), "应在0到100之间", "must lie between 0 and 100")
        for key in TARGET_COLUMNS
    ],
    *[
        Rule(
            later, {earlier: pl.Float64, later: pl.Float64}, pl.col(later) < pl.col(earlier),
            "不能低于前一期限的目标", "must not be below the target of an earlier deadline",
        )  # fmt: skip
        for (earlier, _m1, _d1), (later, _m2, _d2) in zip(START_DEADLINES, START_DEADLINES[1:])
    ],
    Rule(
        "red_margin", {"red_margin": pl.Float64}, (pl.col("red_margin") < 0) | (pl.col("red_margin") > 100),
        "应在0到100之间", "must lie between 0 and 100",
    ),
]  # fmt: skip


def start_deadlines(year: int) -> dict[str, date]:
    return {key: date(year, month, day) for key, month, day in START_DEADLINES}


def due_deadline(year: int, as_of: date) -> str | None:
    """The latest deadline of ``year`` that has passed by ``as_of`` (None before the first)."""
    passed = [key for key, deadline in start_deadlines(year).items() if deadline < as_of]
    return passed[-1] if passed else None


def start_rates(projects: pl.DataFrame, targets: pl.DataFrame, year: int, today: date) -> pl.DataFrame:
    """Per county, the new projects planned for ``year`` and how many had started by each deadline and by now
    (``today``, or the year's end for a past year), the start rates (percent) and the flag.

    ``projects`` has ``county``, ``is_new``, ``plan_year`` and ``actual_construction`` (the day it started);
    ``targets`` one row per county with ``county``, the target of each deadline (START_DEADLINES' keys, percent)
    and ``red_margin``. The flag compares the rate now with the target of the latest deadline passed: red
    behind it by more than the margin, yellow behind it, green on or above it; none before the first deadline
    or without new projects.
    """
    as_of = min(today, date(year, 12, 31))
    due = due_deadline(year, as_of)
    started = pl.col("actual_construction")
    counted = (
        projects.filter(pl.col("is_new") & (pl.col("plan_year") == year))
        .group_by("county")
        .agg(
            pl.len().alias("new"),
            *[(started <= pl.lit(deadline)).sum().alias(f"started_{key}") for key, deadline in start_deadlines(year).items()],
            (started <= pl.lit(as_of)).sum().alias("started_now"),
        )
        .join(targets, on="county", how="left")
    )
    rate = {key: pl.col(f"started_{key}") / pl.col("new") * 100 for key in (*TARGET_COLUMNS, "now")}
    target_due = pl.col(due) if due else pl.lit(None, pl.Float64)
    behind = pl.col("target_due") - pl.col("rate_now")
    return (
        counted.with_columns(
            *[expr.alias(f"rate_{key}") for key, expr in rate.items()],
            target_due.alias("target_due"),
            pl.lit(due, pl.Utf8).alias("deadline"),
        )
        .with_columns(
            pl.when(pl.col("target_due").is_null() | (pl.col("new") == 0))
            .then(pl.lit("none"))
            .when(behind > pl.col("red_margin"))
            .then(pl.lit("red"))
            .when(behind > 0)
            .then(pl.lit("yellow"))
            .otherwise(pl.lit("green"))
            .alias("flag"),
        )
        .sort("county")
    )


# The key project lists (德清 style): name -> what a project's or lead's row must be at the end of the month.
KEY_LISTS = ("talks", "signed", "construction", "producing", "key")
DEFAULT_LIST_THRESHOLDS = {"talks_min": 30_000.0, "signed_min": 10_000.0, "construction_min": 10_000.0}
LIST_THRESHOLD_RULES = [not_negative(name) for name in DEFAULT_LIST_THRESHOLDS]
KEY_LIST_COLUMNS = ["id", "code", "name", "enterprise__name", "region_id", "total_investment", "stage_at", "reached_on"]


def key_lists(projects: pl.DataFrame, leads: pl.DataFrame, thresholds: dict[str, float], month: date) -> dict[str, pl.DataFrame]:
    """The five key lists at the end of ``month``, each with KEY_LIST_COLUMNS:

    - ``talks``: leads in negotiation (``leads``: ``id``, ``name``, ``investor``, ``region_id``,
      ``planned_investment``, already those in negotiation then) planning at least ``talks_min`` 万元;
    - ``signed``: projects signed (or landed) but not started, of at least ``signed_min``;
    - ``construction``: projects under construction, of at least ``construction_min``;
    - ``producing``: projects commissioned or at capacity, not yet above designated size;
    - ``key``: the key county investment projects (``key_county``) that have not reached above designated size.

    A project's stage is the one it had reached by the month's end (:func:`stage_at`).
    """
    end = month_end(month)
    staged = projects.with_columns(stage_at(end)).with_columns(
        pl.col("stage_index").replace_strict(dict(enumerate(STAGE_ORDER)), return_dtype=pl.Utf8).alias("stage_at"),
        pl.coalesce(
            [pl.when(pl.col("stage_index") == i).then(pl.col(f"actual_{s}")) for i, s in enumerate(STAGE_ORDER) if i]
        ).alias("reached_on"),
    )
    def in_stages(*stages: str) -> pl.Expr:
        return pl.col("stage_at").is_in(list(stages))

    rules = {
        "signed": in_stages("signed", "landed") & (pl.col("total_investment") >= thresholds["signed_min"]),
        "construction": in_stages("construction") & (pl.col("total_investment") >= thresholds["construction_min"]),
        "producing": in_stages("commissioned", "capacity"),
        "key": pl.col("key_county") & ~in_stages("above_scale"),
    }
    talks = leads.filter(pl.col("planned_investment") >= thresholds["talks_min"]).select(
        "id", pl.lit("", pl.Utf8).alias("code"), "name", pl.col("investor").alias("enterprise__name"), "region_id",
        pl.col("planned_investment").alias("total_investment"), pl.lit("negotiation", pl.Utf8).alias("stage_at"),
        pl.lit(None, pl.Date).alias("reached_on"),
    )  # fmt: skip
    return {"talks": talks, **{name: staged.filter(rule).select(KEY_LIST_COLUMNS) for name, rule in rules.items()}}
