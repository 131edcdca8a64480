"""The county horse race (赛马) against the database; the scoring is mujun.engine.horse_race.

A quarter's value of an indicator is its value stored at the quarter's last month (3, 6, 9, 12): a quarterly
indicator is stored there, and a monthly one is published year-to-date (累计), so the last month of the
quarter is its figure for the quarter. The counties compete; a published quarter is read from its stored
scores, any other is scored from the values as they are now.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import plotly.graph_objects as go
import polars as pl
from django.utils.translation import gettext as _

from mujun.core.charts import chart_html
from mujun.engine import horse_race as engine
from mujun.indicators.models import HorseRaceRound, HorseRaceScheme, Indicator, IndicatorValue
from mujun.regions.models import Region


def period_label(year: int, quarter: int) -> str:
    return f"{year}Q{quarter}"


def scheme_for(year: int) -> HorseRaceScheme | None:
    """The scheme in force in ``year``: the latest one from that year or before."""
    return HorseRaceScheme.objects.filter(year__lte=year).order_by("-year").first()


def counties() -> list[Region]:
    return list(Region.objects.filter(level=Region.Level.COUNTY).order_by("code"))


def quarter_values(codes: list[str], year: int, quarter: int) -> pl.DataFrame:
    """indicator (code), region, value of the counties at the quarter's last month."""
    rows = IndicatorValue.objects.filter(
        indicator__code__in=codes, year=year, month=quarter * 3, region__level=Region.Level.COUNTY
    ).values_list("indicator__code", "region_id", "value")
    return pl.DataFrame(
        [(code, region, float(value)) for code, region, value in rows],
        schema={"indicator": pl.String, "region": pl.Int64, "value": pl.Float64},
        orient="row",
    )


@dataclass
class Board:
    scheme: engine.Scheme
    year: int
    quarter: int
    indicators: list[tuple[engine.Item, Indicator | None]]
    round: HorseRaceRound | None = None
    rows: list[dict] = field(default_factory=list)  # region, rank, total, winner, rewards, blocks, cells
    problems: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return period_label(self.year, self.quarter)

    @property
    def winners(self) -> list[dict]:
        return [row for row in self.rows if row["winner"]]

    @property
    def reward_land_mu(self) -> float:
        return sum(row["reward_land_mu"] for row in self.rows)

    @property
    def reward_yuan(self) -> float:
        return sum(row["reward_yuan"] for row in self.rows)

    # Money reads in 万元, as the province's notices write it.
    @property
    def reward_wan(self) -> float:
        return self.reward_yuan / 10_000

    @property
    def scheme_reward_wan(self) -> float:
        return self.scheme.reward_yuan / 10_000

    def indicator_name(self, code: str) -> str:
        return next((i.name for item, i in self.indicators if item.code == code and i is not None), code)

    @property
    def scheme_rows(self) -> list[dict]:
        """The scheme as read: each indicator with its block, name, weight and direction, block by block."""
        return [
            {"block": block, "item": item, "name": self.indicator_name(item.code)}
            for block in self.scheme.blocks
            for item in self.scheme.indicators
            if item.block == block.code
        ]

    def explain(self, row: dict) -> dict:
        """The row with its blocks and cells in the scheme's order, and each block's share of the total (its
        score times its weight over the weights' sum), which the page's explanation adds up."""
        weights = sum(b.weight for b in self.scheme.blocks)
        row["block_scores"] = [
            {"block": b, "score": row["blocks"][b.code], "contribution": row["blocks"][b.code] * b.weight / weights}
            for b in self.scheme.blocks
        ]
        row["cell_list"] = [
            {"item": item, "name": self.indicator_name(item.code), **row["cells"][item.code]} for item in self.scheme.indicators
        ]
        row["reward_wan"] = row["reward_yuan"] / 10_000
        self.rows.append(row)
        return row


def _indicators(scheme: engine.Scheme) -> list[tuple[engine.Item, Indicator | None]]:
    known = Indicator.objects.in_bulk(scheme.codes, field_name="code")
    return [(item, known.get(item.code)) for item in scheme.indicators]


def live_board(scheme_record: HorseRaceScheme, year: int, quarter: int) -> Board:
    """The quarter scored from the values as they are now; ``problems`` names every county and indicator
    without a value (then nothing is scored)."""
    scheme = scheme_record.parsed()
    board = Board(scheme, year, quarter, _indicators(scheme))
    values = quarter_values(scheme.codes, year, quarter)
    regions = counties()
    names = {r.pk: r.name for r in regions}
    if not names:
        board.problems.append(_("No indicator values yet."))
        return board
    gaps = engine.missing(values, scheme, list(names))
    if gaps.height:
        # By indicator, in the scheme's order: a whole indicator not yet entered reads as one short item.
        lacking = {}
        for code, region in gaps.iter_rows():
            lacking.setdefault(code, []).append(names[region])
        parts = [
            _("%(indicator)s (%(regions)s)")
            % {"indicator": board.indicator_name(code), "regions": _("every county") if len(lacking[code]) == len(names) else "、".join(lacking[code])}
            for code in scheme.codes
            if code in lacking
        ]
        board.problems.append(_("%(period)s lacks values: %(pairs)s") % {"period": board.label, "pairs": "；".join(parts)})
        return board
    scores = engine.score(values, scheme)
    raw = {(code, region): value for code, region, value in values.iter_rows()}
    by_pk = {r.pk: r for r in regions}
    for record in scores.iter_rows(named=True):
        region = record["region"]
        row = {
            "region": by_pk[region],
            **{key: record[key] for key in ("rank", "winner", "reward_land_mu", "reward_yuan")},
            "total": record[engine.TOTAL],
            "blocks": {b.code: record[b.code] for b in scheme.blocks},
            "cells": {code: {"value": raw[(code, region)], "points": record[code]} for code in scheme.codes},
        }
        board.explain(row)
    return board


def published_board(round_: HorseRaceRound) -> Board:
    scheme = engine.parse_scheme(round_.scheme_toml)
    board = Board(scheme, round_.year, round_.quarter, _indicators(scheme), round_)
    for score in round_.scores.select_related("region").order_by("rank", "region__code"):
        row = {
            "region": score.region, "rank": score.rank, "winner": score.winner, "total": float(score.total),
            "reward_land_mu": float(score.reward_land_mu), "reward_yuan": float(score.reward_yuan),
            "blocks": score.blocks, "cells": score.cells,
        }  # fmt: skip
        board.explain(row)
    return board


def board(year: int, quarter: int) -> Board | None:
    """The quarter as published, else as scored now under the scheme in force; None without a scheme."""
    if round_ := HorseRaceRound.objects.filter(year=year, quarter=quarter).first():
        return published_board(round_)
    scheme = scheme_for(year)
    return live_board(scheme, year, quarter) if scheme else None


def latest_quarter() -> tuple[int, int] | None:
    """The latest published quarter, else the latest quarter's end with values stored."""
    if round_ := HorseRaceRound.objects.order_by("-year", "-quarter").first():
        return round_.year, round_.quarter
    latest = IndicatorValue.objects.filter(month__in=(3, 6, 9, 12)).order_by("-year", "-month").values_list("year", "month").first()
    return (latest[0], latest[1] // 3) if latest else None


def board_sheet(board: Board) -> pl.DataFrame:
    """The published table: one row per county, block scores, total, rank, reward, each indicator's value
    and points."""
    records = []
    for row in board.rows:
        record = {"名次": row["rank"], "区域": row["region"].name, "总分": row["total"]}
        for part in row["block_scores"]:
            record[f"{part['block'].name}得分"] = part["score"]
        record["获胜"] = "是" if row["winner"] else "否"
        record["奖励用地指标(亩)"] = row["reward_land_mu"]
        record["奖励资金(万元)"] = row["reward_yuan"] / 10_000
        for cell in row["cell_list"]:
            record[cell["name"]] = cell["value"]
            record[f"{cell['name']}得分"] = cell["points"]
        records.append(record)
    return pl.DataFrame(records, infer_schema_length=None)


def trend_chart(quarters: int = 8) -> str:
    """Each county's total over the latest published quarters, as a plotly fragment."""
    rounds = list(HorseRaceRound.objects.order_by("-year", "-quarter")[:quarters])[::-1]
    if not rounds:
        return ""
    series: dict[Region, list] = {}
    for position, round_ in enumerate(rounds):
        for score in round_.scores.select_related("region"):
            series.setdefault(score.region, [None] * len(rounds))[position] = float(score.total)
    labels = [r.label for r in rounds]
    figure = go.Figure(
        [go.Scatter(name=region.name, x=labels, y=totals, mode="lines+markers") for region, totals in sorted(series.items(), key=lambda kv: kv[0].code)]
    )
    figure.update_layout(
        title=_("Horse race totals by quarter"), xaxis_title=_("quarter"), yaxis_title=_("total score"),
        margin={"l": 40, "r": 20, "t": 50, "b": 40}, height=360,
    )  # fmt: skip
    return chart_html(figure)
