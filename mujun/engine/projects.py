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
