"""The county horse race (赛马): the province's quarterly scoring of counties on investment indicators.
Pure Polars, no Django.

A scheme is TOML: the blocks (e.g. 投资总量, 投资结构, 项目建设) with their weights, the indicators with their
block, weight and direction, how indicators are normalised, how many counties win and each winner's reward
(the province's: 100 mu of land quota and 5 million yuan)::

    normalisation = "minmax"     # or "percentile_rank": 100 to the first, 0 to the last
    winners = 3
    reward_land_mu = 100
    reward_yuan = 5000000

    [[blocks]]
    code = "volume"
    name = "投资总量"
    weight = 40

    [[indicators]]
    code = "industrial_investment_growth"   # an indicator's code
    block = "volume"
    weight = 1
    direction = 1                           # -1: lower is better

The score is one use of the composite pipeline (:mod:`mujun.engine.composite`): each indicator normalised
onto 0–100 across the counties, each block the weighted mean of its indicators' points, the total the
weighted mean of the blocks. Counties are ranked by the total (equal totals share the best rank); those
ranked within ``winners`` win, so a tie at the last place lets every tied county win.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any, NamedTuple

import polars as pl

from mujun.engine import composite as pipeline
from mujun.engine.text import ProblemsError, Text

TOTAL = "total"
DECIMALS = 4
NORMALISATIONS = ("minmax", "percentile_rank")


class Problem(NamedTuple):
    """One problem of a scheme, at the TOML entry it concerns."""

    where: Text
    text: Text

    def message(self, language: str | None = None) -> str:
        return Text(f"{self.where.zh}：{self.text.zh}", f"{self.where.en}: {self.text.en}").message(language)


class HorseRaceError(ProblemsError):
    """A scheme or a quarter's values that cannot be scored; ``problems`` names every reason."""


@dataclass(frozen=True)
class Block:
    code: str
    name: str
    weight: float


@dataclass(frozen=True)
class Item:
    code: str  # the indicator's code
    block: str
    weight: float
    direction: int


@dataclass(frozen=True)
class Scheme:
    blocks: tuple[Block, ...]
    indicators: tuple[Item, ...]
    normalisation: str = "minmax"
    winners: int = 3
    reward_land_mu: float = 100.0
    reward_yuan: float = 5_000_000.0

    @property
    def codes(self) -> list[str]:
        return [item.code for item in self.indicators]


SCHEME_TEXT = Text("方案", "scheme")


def _entry(kind: str, index: int, code: Any) -> Text:
    names = {"blocks": ("板块", "block"), "indicators": ("指标", "indicator")}[kind]
    label = f" {code}" if isinstance(code, str) and code else ""
    return Text(f"第{index}个{names[0]}{label}", f"{names[1]} {index}{label}")


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def _non_negative(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _entries(data: dict, kind: str, problems: list[Problem]) -> list[dict]:
    entries = data.get(kind, [])
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        what = {"blocks": ("板块", "block"), "indicators": ("指标", "indicator")}[kind]
        problems.append(Problem(SCHEME_TEXT, Text(f"至少需要一个{what[0]}（[[{kind}]]）", f"at least one {what[1]} ([[{kind}]]) is needed")))
        return []
    return entries


def parse_scheme(text: str) -> Scheme:
    """The scheme of a TOML text; raises :class:`HorseRaceError` naming every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise HorseRaceError([Problem(SCHEME_TEXT, Text(f"TOML 格式错误：{error}", f"not valid TOML: {error}"))]) from None
    problems: list[Problem] = []
    normalisation = data.get("normalisation", "minmax")
    if normalisation not in NORMALISATIONS:
        problems.append(Problem(Text("标准化方法", "normalisation"), Text(
            f"“{normalisation}”不是可选的方法（{'、'.join(NORMALISATIONS)}）",
            f"“{normalisation}” is not one of {', '.join(NORMALISATIONS)}")))  # fmt: skip
    winners = data.get("winners", 3)
    if not (isinstance(winners, int) and not isinstance(winners, bool) and winners >= 1):
        problems.append(Problem(Text("获胜名额", "winners"), Text("应为不小于1的整数", "must be a whole number of at least 1")))
    for key, zh in (("reward_land_mu", "每个获胜者奖励用地指标（亩）"), ("reward_yuan", "每个获胜者奖励资金（元）")):
        if not _non_negative(data.get(key, 0)):
            problems.append(Problem(Text(zh, key), Text("应为不小于0的数", "must be a number of at least 0")))
    blocks, block_codes = [], set()
    for index, entry in enumerate(_entries(data, "blocks", problems), 1):
        code, where = entry.get("code"), _entry("blocks", index, entry.get("code"))
        if not isinstance(code, str) or not code.strip():
            problems.append(Problem(where, Text("缺少代码（code）", "code missing")))
        elif code in block_codes or code == TOTAL:
            problems.append(Problem(where, Text(f"代码“{code}”重复或已被占用", f"code “{code}” is used twice or reserved")))
        if not _positive(entry.get("weight")):
            problems.append(Problem(where, Text("权重应为正数", "weight must be positive")))
        block_codes.add(code)
        blocks.append(Block(str(code), str(entry.get("name") or code), float(entry.get("weight") or 0)))
    items, item_codes = [], set()
    for index, entry in enumerate(_entries(data, "indicators", problems), 1):
        code, where = entry.get("code"), _entry("indicators", index, entry.get("code"))
        if not isinstance(code, str) or not code.strip():
            problems.append(Problem(where, Text("缺少指标代码（code）", "indicator code missing")))
        elif code in item_codes or code in block_codes or code == TOTAL:
            problems.append(Problem(where, Text(f"代码“{code}”重复或与板块相同", f"code “{code}” is used twice or by a block")))
        if entry.get("block") not in block_codes:
            problems.append(Problem(where, Text(f"板块“{entry.get('block')}”不存在", f"block “{entry.get('block')}” does not exist")))
        if not _positive(entry.get("weight", 1)):
            problems.append(Problem(where, Text("权重应为正数", "weight must be positive")))
        if entry.get("direction", 1) not in (1, -1):
            problems.append(Problem(where, Text("方向应为1（越高越好）或-1（越低越好）", "direction must be 1 (higher is better) or -1")))
        item_codes.add(code)
        items.append(Item(str(code), str(entry.get("block")), float(entry.get("weight", 1) or 0), int(entry.get("direction", 1) or 1)))
    for block in blocks:
        if block.code in block_codes and not any(item.block == block.code for item in items):
            problems.append(Problem(Text(f"板块 {block.code}", f"block {block.code}"), Text("没有指标", "has no indicators")))
    if problems:
        raise HorseRaceError(problems)
    return Scheme(
        tuple(blocks), tuple(items), normalisation, winners, float(data.get("reward_land_mu", 100)), float(data.get("reward_yuan", 5_000_000))
    )


def missing(values: pl.DataFrame, scheme: Scheme, regions: list[int]) -> pl.DataFrame:
    """The (indicator, region) pairs of the scheme without a value. ``values``: indicator, region, value."""
    wanted = pl.DataFrame({"indicator": scheme.codes}).join(pl.DataFrame({"region": regions}, schema={"region": pl.Int64}), how="cross")
    present = values.filter(pl.col("value").is_not_null()).select("indicator", "region")
    return wanted.join(present, on=["indicator", "region"], how="anti").sort("indicator", "region")


def _inputs(values: pl.DataFrame, scheme: Scheme) -> pipeline.Inputs:
    rows = [
        {"Level": 1, "iCode": i.code, "Direction": i.direction, "Weight": i.weight, "Parent": i.block, "Type": "Indicator"}
        for i in scheme.indicators
    ]
    rows += [{"Level": 2, "iCode": b.code, "Direction": 1, "Weight": b.weight, "Parent": TOTAL, "Type": "Aggregate"} for b in scheme.blocks]
    rows.append({"Level": 3, "iCode": TOTAL, "Direction": 1, "Weight": 1, "Type": "Aggregate"})
    wide = values.pivot(on="indicator", index="region", values="value").sort("region")
    frame = wide.select(pl.col("region").cast(pl.String).alias(pipeline.UNIT), *[pl.col(c).cast(pl.Float64) for c in scheme.codes])
    return pipeline.Inputs(pipeline.Metadata.of(rows), frame, frame.select(pipeline.UNIT))


def score(values: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """Per region: each indicator's points (``<code>``), each block's score (``<block code>``), the total,
    the rank, whether it wins and its reward (land quota in mu, yuan), best first.

    ``values``: indicator (code), region (Int64), value — one per scheme indicator and region, none missing
    (:func:`missing` names the gaps; here they are refused)."""
    if values.height == 0 or missing(values, scheme, values["region"].unique().to_list()).height:
        raise HorseRaceError([Problem(SCHEME_TEXT, Text("数值不全，无法评分", "values are missing: nothing can be scored"))])
    inputs = _inputs(values.filter(pl.col("indicator").is_in(scheme.codes)), scheme)
    points = pipeline.normalise(
        pipeline.Normalise(method=scheme.normalisation, range=(0.0, 100.0), ties="max"), inputs.indicators, inputs
    ).frame
    # Every county equal on an indicator (or a single county): min-max has no range, and nobody is behind.
    points = points.with_columns(pl.col(scheme.codes).fill_null(100.0))
    result = pipeline.aggregate(pipeline.Aggregate(method="arithmetic"), points, inputs).frame
    blocks = [b.code for b in scheme.blocks]
    return (
        result.with_columns(pl.col(pipeline.UNIT).cast(pl.Int64).alias("region"))
        .with_columns(pl.col([*scheme.codes, *blocks, TOTAL]).round(DECIMALS))
        .with_columns(rank=pl.col(TOTAL).rank(method="min", descending=True).cast(pl.Int64))
        .with_columns(winner=pl.col("rank") <= scheme.winners)
        .with_columns(
            reward_land_mu=pl.when("winner").then(pl.lit(scheme.reward_land_mu)).otherwise(0.0),
            reward_yuan=pl.when("winner").then(pl.lit(scheme.reward_yuan)).otherwise(0.0),
        )
        .select("region", *scheme.codes, *blocks, TOTAL, "rank", "winner", "reward_land_mu", "reward_yuan")
        .sort("rank", "region")
    )
