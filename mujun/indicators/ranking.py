"""County indicator rankings against the database; the arithmetic is mujun.engine.rankings."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
import polars as pl
from django.db.models import Max
from django.utils.translation import gettext as _

from mujun.core.charts import chart_html, money_axis
from mujun.engine import rankings as engine
from mujun.engine.composite import Aggregate, Normalise
from mujun.indicators.models import Indicator, IndicatorValue, period_label
from mujun.regions.models import Region


def values_frame(queryset=None) -> pl.DataFrame:
    queryset = IndicatorValue.objects.all() if queryset is None else queryset
    rows = queryset.values_list("indicator_id", "region_id", "year", "month", "value")
    return pl.DataFrame(
        [(i, r, y * 100 + m, float(v)) for i, r, y, m, v in rows],
        schema={"indicator": pl.Int64, "region": pl.Int64, "period": pl.Int64, "value": pl.Float64},
        orient="row",
    )


def indicators_frame(indicators) -> pl.DataFrame:
    return pl.DataFrame(
        [(i.pk, i.higher_is_better, float(i.weight)) for i in indicators],
        schema={"indicator": pl.Int64, "higher_is_better": pl.Boolean, "weight": pl.Float64},
        orient="row",
    )


def latest_period() -> tuple[int, int] | None:
    latest = IndicatorValue.objects.aggregate(year=Max("year"))
    if latest["year"] is None:
        return None
    month = IndicatorValue.objects.filter(year=latest["year"]).aggregate(month=Max("month"))["month"]
    return latest["year"], month


@dataclass
class Ranking:
    year: int
    month: int
    indicators: list[Indicator]
    rows: list[dict]  # region, score, rank, tier, cells: [{value, rank, tier} or None per indicator]

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"


def ranking(year: int, month: int, normalisation: Normalise = engine.POINTS, mean: Aggregate = engine.MEAN) -> Ranking:
    """The ranking at a period; raises CompositeError when the chosen mean cannot take the points (a
    geometric mean of a negative z-score)."""
    indicators = list(Indicator.objects.all())
    ranks, overall = engine.ranking(
        values_frame(IndicatorValue.objects.filter(year__lte=year)),
        indicators_frame(indicators),
        year * 100 + month,
        normalisation,
        mean,
    )
    regions = Region.objects.in_bulk(overall["region"].to_list())
    cells = {(r["indicator"], r["region"]): r for r in ranks.iter_rows(named=True)}
    rows = [
        {**row, "region": regions[row["region"]], "cells": [cells.get((i.pk, row["region"])) for i in indicators]}
        for row in overall.iter_rows(named=True)
    ]
    return Ranking(year, month, indicators, rows)


def ranking_sheet(board: Ranking) -> pl.DataFrame:
    """The published table: one row per region, value and rank per indicator, the composite."""
    tier_names = {engine.TOP: "前三分之一", engine.MIDDLE: "中间", engine.BOTTOM: "后三分之一"}
    records = []
    for row in board.rows:
        record = {"综合名次": row["rank"], "区域": row["region"].name, "综合得分": row["score"], "位次段": tier_names[row["tier"]]}
        for indicator, cell in zip(board.indicators, row["cells"]):
            unit = f"({indicator.unit})" if indicator.unit else ""
            record[f"{indicator.name}{unit}"] = cell["value"] if cell else None
            record[f"{indicator.name}名次"] = cell["rank"] if cell else None
        records.append(record)
    return pl.DataFrame(records, infer_schema_length=None)


def trend_chart(indicator: Indicator, months: int = 24) -> str:
    """Each region's values of the indicator over its latest periods, as a plotly fragment."""
    frame = values_frame(indicator.values.all())
    if frame.height == 0:
        return ""
    periods = frame["period"].unique().sort().tail(months)
    frame = frame.filter(pl.col("period").is_in(periods.implode())).sort("period")
    regions = Region.objects.in_bulk(frame["region"].unique().to_list())
    parts = sorted(frame.group_by("region"), key=lambda g: regions[g[0][0]].code)
    values, unit = [part["value"].to_list() for _region, part in parts], indicator.unit
    if unit == "万元":  # large amounts read in 亿元, as the city's reports write them
        values, unit = money_axis(*values)
    figure = go.Figure(
        [
            go.Scatter(
                name=regions[region].name,
                x=[period_label(p // 100, p % 100, indicator.frequency) for p in part["period"]],
                y=series,
                mode="lines+markers",
            )
            for ((region,), part), series in zip(parts, values)
        ]
    )
    figure.update_layout(
        title=_("Trend of %(indicator)s") % {"indicator": indicator.name},
        xaxis_title=_("period"),
        yaxis_title=unit,
        margin={"l": 40, "r": 20, "t": 50, "b": 40},
        height=380,
    )
    return chart_html(figure)
