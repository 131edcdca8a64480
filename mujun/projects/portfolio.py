"""The provincial major-project portfolio (千项万亿) counted in the database.

Reading every project's and report's row into Python costs seconds at a province's scale, so the page's
figures come from grouped queries that return a row per region, field and level (and per month), finished
by the engine's rules over those few rows (mujun.engine.projects.portfolio_totals and monthly_completion;
mujun/projects/tests/test_portfolio.py checks that they give the engine's figures from every row).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from django.db.models import Count, Q, Sum

from mujun.engine import projects as engine
from mujun.projects.models import MonthlyReport, Project

GROUP_COLUMNS = {"region_id": pl.Int64, "field": pl.Utf8, "level": pl.Utf8}
PORTFOLIO_GROUPS = ("field", "county", "level")


@dataclass
class Portfolio:
    tables: dict[str, pl.DataFrame]  # by field, county and level: projects, plan, completed, completion_rate
    by_month: pl.DataFrame  # month, completed, cumulative
    projects: int
    new: int
    plan: float


def planned(year: int, level: str = "", through: str = "") -> Q:
    """The projects of ``year``'s portfolio (of one ``level``), or with ``through="project__"`` the records of
    those projects."""
    return Q(**{f"{through}plan_year": year, **({f"{through}level": level} if level else {})})


def portfolio(year: int, level: str, counties: dict[int, str]) -> Portfolio:
    """The figures of the projects planned for ``year`` (of one ``level``, or all) and of their reports of the
    year; ``counties`` names each region's county (mujun.projects.frames.county_names)."""
    projects = Project.objects.filter(planned(year, level))
    planned_groups = pl.DataFrame(
        list(
            projects.order_by()
            .values_list(*GROUP_COLUMNS)
            .annotate(projects=Count("pk"), new=Count("pk", filter=Q(is_new=True)), plan=Sum("annual_plan"))
        ),
        schema={**GROUP_COLUMNS, "projects": pl.Int64, "new": pl.Int64, "plan": pl.Float64},
        orient="row",
    )
    # Joined to the projects: both databases then read the two portfolio indexes alone.
    reports = MonthlyReport.objects.filter(planned(year, level, through="project__"), month__year=year).order_by()
    completed = pl.DataFrame(
        list(
            reports.values_list(*(f"project__{name}" for name in GROUP_COLUMNS)).annotate(
                completed=Sum("invested_month")
            )
        ),
        schema={**GROUP_COLUMNS, "completed": pl.Float64},
        orient="row",
    )
    groups = planned_groups.join(completed, on=list(GROUP_COLUMNS), how="left", nulls_equal=True).with_columns(
        pl.col("region_id").replace_strict(counties, default=None, return_dtype=pl.Utf8).alias("county")
    )
    # The projects as a subquery here: joined, SQLite would scan the month index instead (twice as slow).
    in_month = MonthlyReport.objects.filter(project__in=projects, month__year=year).order_by()
    by_month = pl.DataFrame(
        list(in_month.values_list("month").annotate(completed=Sum("invested_month"))),
        schema={"month": pl.Date, "completed": pl.Float64},
        orient="row",
    )
    return Portfolio(
        tables={by: engine.portfolio_totals(groups, by) for by in PORTFOLIO_GROUPS},
        by_month=engine.monthly_completion(by_month, year),
        projects=int(groups["projects"].sum()),
        new=int(groups["new"].sum()),
        plan=groups["plan"].sum(),
    )
