"""The four lists (四张清单) of a region and month: computed from the records for an open month, read from the
stored snapshot for a closed one (mujun.projects.services.close_month), so what was circulated stays as it was."""

from __future__ import annotations

import io
from datetime import date

import polars as pl
from django.db.models import Max
from django.utils.translation import gettext_lazy

from mujun.engine import projects as engine
from mujun.projects import frames
from mujun.projects.models import MonthClosing
from mujun.regions.models import Region

LIST_TITLES = {
    "construction": ("在建项目", gettext_lazy("Under construction"), "开工日期"),
    "completed": ("竣工项目", gettext_lazy("Completed"), "竣工日期"),
    "commissioned": ("投产项目", gettext_lazy("Commissioned"), "投产日期"),
    "above_scale": ("上规项目", gettext_lazy("Above designated size"), "上规日期"),
}
# What a list holds: what its page and its sheet show, and the region to select a part of the city by.
LIST_FIELDS = [
    "id", "code", "name", "enterprise__name", "region_id", "region", "county", "total_investment",
    "fixed_asset_investment", "reached_on", "invested_month", "invested_to_date",
]  # fmt: skip


def live_lists(region: Region | None, month: date) -> dict[str, pl.DataFrame]:
    """The lists as the records now give them."""
    end = engine.month_end(month)
    projects = frames.projects_in(region).filter(actual_construction__lte=end)
    lists = engine.four_lists(
        frames.project_frame(projects, frames.LIST_COLUMNS), frames.report_frame(frames.reports_of_month(region, month)), month
    )
    return {key: frames.with_regions(frame).sort("county", "code").select(LIST_FIELDS) for key, frame in lists.items()}


def latest_month(region: Region | None) -> date | None:
    """The latest month with any monthly report in ``region`` (the whole city for None): where the lists open."""
    return frames.reports_in(region).aggregate(latest=Max("month"))["latest"]


def snapshot_bytes(lists: dict[str, pl.DataFrame]) -> bytes:
    """The lists as one Parquet table with a ``list`` column: what a closed month stores."""
    table = pl.concat([frame.with_columns(pl.lit(key).alias("list")) for key, frame in lists.items()], how="vertical")
    buffer = io.BytesIO()
    table.write_parquet(buffer)
    return buffer.getvalue()


def snapshot_lists(snapshot: bytes, region: Region | None) -> dict[str, pl.DataFrame]:
    """The stored lists, of the whole city or of the projects that were in ``region`` when the month closed."""
    table = pl.read_parquet(io.BytesIO(bytes(snapshot)))
    if region is not None:
        table = table.filter(pl.col("region_id").is_in(list(region.descendant_ids())))
    return {key: table.filter(pl.col("list") == key).drop("list") for key in LIST_TITLES}


def month_lists(region: Region | None, month: date) -> tuple[dict[str, pl.DataFrame], MonthClosing | None]:
    """The lists of ``month`` and its closing if the month is closed (then the lists are its snapshot)."""
    from mujun.projects.services import closed_month

    closing = closed_month(month)
    if closing is not None:
        return snapshot_lists(closing.snapshot, region), closing
    return live_lists(region, month), None


def circulated(frame: pl.DataFrame, headers: dict[str, str | pl.Expr], sums: list[str]) -> pl.DataFrame:
    """A list as the city circulates it: numbered rows, Chinese ``headers`` (header -> column or expression) and
    a totals row summing the ``sums`` headers."""
    sheet = frame.select(
        pl.int_range(1, pl.len() + 1).cast(pl.Utf8).alias("序号"),
        *[(pl.col(source) if isinstance(source, str) else source).alias(header) for header, source in headers.items()],
    )
    return engine.with_totals(sheet, "序号", f"合计（{frame.height}个）", sums)


def list_sheet(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """One of the four lists as the city circulates it."""
    headers = {
        "项目编号": "code", "项目名称": "name", "实施企业": "enterprise__name", "县区": "county", "所属区域": "region",
        "总投资(万元)": "total_investment", "固定资产投资(万元)": "fixed_asset_investment", LIST_TITLES[key][2]: "reached_on",
        "当月完成投资(万元)": "invested_month", "累计完成投资(万元)": "invested_to_date",
    }  # fmt: skip
    return circulated(frame, headers, ["总投资(万元)", "固定资产投资(万元)", "当月完成投资(万元)", "累计完成投资(万元)"])
