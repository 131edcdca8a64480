"""Projects on the wall: the start rates of a year's new projects per county against the province's targets
(mujun.engine.projects.start_rates) and the key project lists of a month (mujun.engine.projects.key_lists),
read from the records."""

from __future__ import annotations

from datetime import date, datetime, time

import polars as pl
from django.utils import timezone
from django.utils.translation import gettext_lazy

from mujun.core.frames import read_frame
from mujun.engine import projects as engine
from mujun.projects import frames
from mujun.projects.lists import circulated
from mujun.projects.models import Lead, ListThresholds, Project, StartTarget
from mujun.regions.models import Region

DEADLINE_LABELS = {
    "q1": gettext_lazy("end of Q1"), "q2": gettext_lazy("end of Q2"), "q3": gettext_lazy("end of Q3"),
    "october": gettext_lazy("end of October"),
}  # fmt: skip
TARGET_FIELDS = [*engine.TARGET_COLUMNS, "red_margin"]
START_COLUMNS = {"region_id": pl.Int64, "is_new": pl.Boolean, "plan_year": pl.Int64, "actual_construction": pl.Date}
KEY_LIST_TITLES = {
    # Sheet names apart from the four lists' (mujun.projects.lists), which the same workbook holds.
    "talks": ("在谈项目清单", gettext_lazy("In talks"), "talks_min"),
    "signed": ("签约未开工项目清单", gettext_lazy("Signed, not started"), "signed_min"),
    "construction": ("在建重点项目清单", gettext_lazy("Under construction"), "construction_min"),
    "producing": ("投产未上规项目清单", gettext_lazy("Producing, not yet above designated size"), None),
    "key": ("县重点投资项目清单", gettext_lazy("Key county investment"), None),
}
STAGE_NAMES = {
    "negotiation": "洽谈中", "signed": "已签约", "landed": "已落地", "construction": "在建", "completed": "已竣工",
    "commissioned": "已投产", "capacity": "已达产", "above_scale": "已上规", "planned": "谋划中",
}  # fmt: skip


def targets(year: int) -> dict[str | None, dict[str, float]]:
    """County name (None: the whole city) -> the targets in force for ``year``: the county's own, else the
    city's, else the province's defaults."""
    defaults = {**engine.DEFAULT_START_TARGETS, "red_margin": engine.DEFAULT_RED_MARGIN}
    stored = {row.pop("region__name"): row for row in StartTarget.objects.filter(year=year).values("region__name", *TARGET_FIELDS)}
    city = stored.get(None, defaults)
    counties = Region.objects.filter(level=Region.Level.COUNTY).values_list("name", flat=True)
    return {None: city, **{name: stored.get(name, city) for name in counties}}


def target_frame(in_force: dict[str | None, dict[str, float]], label_of_city: str) -> pl.DataFrame:
    rows = [{"county": county if county is not None else label_of_city, **figures} for county, figures in in_force.items()]
    return pl.DataFrame(rows, schema={"county": pl.Utf8, **dict.fromkeys(TARGET_FIELDS, pl.Float64)})


def start_rates(year: int, today: date, total_label: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per county and for the whole city (named ``total_label``): engine.start_rates of ``year``'s new projects."""
    projects = read_frame(Project.objects.filter(plan_year=year, is_new=True), START_COLUMNS)
    projects = projects.with_columns(
        pl.col("region_id").replace_strict(frames.county_names(), default=None, return_dtype=pl.Utf8).alias("county")
    )
    goals = target_frame(targets(year), total_label)
    per_county = engine.start_rates(projects, goals, year, today)
    total = engine.start_rates(projects.with_columns(pl.lit(total_label).alias("county")), goals, year, today)
    return per_county, total


def red_counties(year: int, today: date) -> pl.DataFrame:
    per_county, _total = start_rates(year, today, "")
    return per_county.filter(pl.col("flag") == "red")


LEAD_COLUMNS = {"id": pl.Int64, "name": pl.Utf8, "investor": pl.Utf8, "region_id": pl.Int64, "planned_investment": pl.Float64}


def leads_in_talks(region: Region | None, when: date):
    """The leads in negotiation at the end of the day ``when``, as their history recorded them then."""
    end = timezone.make_aware(datetime.combine(when, time.max))
    leads = Lead.history.as_of(end).filter(status=Lead.Status.NEGOTIATION)
    return leads.filter(region_id__in=region.descendant_ids()) if region is not None else leads


def key_lists(region: Region | None, month: date) -> dict[str, pl.DataFrame]:
    """The five key lists of ``region`` (the whole city for None) at the end of ``month``, with region names."""
    end = engine.month_end(month)
    projects = frames.project_frame(frames.projects_in(region), {**frames.LIST_COLUMNS, "key_county": pl.Boolean})
    leads = pl.DataFrame(list(leads_in_talks(region, end).values_list(*LEAD_COLUMNS)), schema=LEAD_COLUMNS, orient="row")
    lists = engine.key_lists(projects, leads, ListThresholds.current(), month)
    return {key: frames.with_regions(frame).sort("county", "code", "name") for key, frame in lists.items()}


def key_list_sheet(frame: pl.DataFrame) -> pl.DataFrame:
    """One key list as the city circulates it (mujun.projects.lists.circulated)."""
    headers = {
        "项目编号": "code", "项目名称": "name", "实施企业/投资方": "enterprise__name", "县区": "county", "所属区域": "region",
        "总投资(万元)": "total_investment", "所处阶段": pl.col("stage_at").replace_strict(STAGE_NAMES, default=None),
        "进入阶段日期": "reached_on",
    }  # fmt: skip
    return circulated(frame, headers, ["总投资(万元)"])


def key_list_sheets(region: Region | None, month: date) -> dict[str, pl.DataFrame]:
    return {KEY_LIST_TITLES[key][0]: key_list_sheet(frame) for key, frame in key_lists(region, month).items()}
