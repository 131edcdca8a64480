"""Database → Polars frames for the engine (mujun.engine.projects), read in one query each."""

from datetime import date

import polars as pl

from mujun.core.frames import read_frame
from mujun.engine.projects import DATED_STAGES
from mujun.projects.models import MonthlyReport, Project
from mujun.regions.models import Region, county_map

DATE_COLUMNS = [f"{kind}_{stage}" for stage in DATED_STAGES for kind in ("actual", "planned")]
PROJECT_COLUMNS = {
    "id": pl.Int64,
    "code": pl.Utf8,
    "name": pl.Utf8,
    "enterprise__name": pl.Utf8,
    "enterprise_id": pl.Int64,
    "region_id": pl.Int64,
    "stage": pl.Utf8,
    "total_investment": pl.Float64,
    "fixed_asset_investment": pl.Float64,
    "foreign_capital_usd": pl.Float64,
    "level": pl.Utf8,
    "field": pl.Utf8,
    "is_new": pl.Boolean,
    "plan_year": pl.Int64,
    "annual_plan": pl.Float64,
    "last_progress_month": pl.Date,
    **{name: pl.Date for name in DATE_COLUMNS},
}
REPORT_COLUMNS = {
    "project_id": pl.Int64,
    "month": pl.Date,
    "invested_month": pl.Float64,
    "invested_to_date": pl.Float64,
}


def county_names() -> dict[int, str]:
    """Every region's county (a county itself, a town's or park's county; the city stands for itself)."""
    names = region_names()
    return {pk: names[county if county is not None else pk] for pk, county in county_map().items()}


def region_names() -> dict[int, str]:
    return dict(Region.objects.values_list("pk", "name"))


def project_frame(queryset, columns: dict | None = None) -> pl.DataFrame:
    return read_frame(queryset, columns or PROJECT_COLUMNS)


def with_regions(frame: pl.DataFrame) -> pl.DataFrame:
    """Adds ``region`` and ``county`` names from ``region_id``."""
    return frame.with_columns(
        pl.col("region_id").replace_strict(region_names(), default=None, return_dtype=pl.Utf8).alias("region"),
        pl.col("region_id").replace_strict(county_names(), default=None, return_dtype=pl.Utf8).alias("county"),
    )


def report_frame(queryset) -> pl.DataFrame:
    return read_frame(queryset, REPORT_COLUMNS)


# What the four lists show and need: no planned dates, no portfolio fields.
LIST_COLUMNS = {
    name: dtype
    for name, dtype in PROJECT_COLUMNS.items()
    if name in {"id", "code", "name", "enterprise__name", "region_id", "stage", "total_investment", "fixed_asset_investment"}
    or name.startswith("actual_")
}


def projects_in(region: Region | None):
    queryset = Project.objects.all()
    return queryset.filter(region_id__in=region.descendant_ids()) if region is not None else queryset


def reports_in(region: Region | None):
    queryset = MonthlyReport.objects.all()
    return queryset.filter(project__region_id__in=region.descendant_ids()) if region is not None else queryset


def reports_of_month(region: Region | None, month: date):
    return reports_in(region).filter(month=month)
