"""Ranking of regions on published indicators (指标晾晒): pure Polars, no Django.

Per indicator, regions are ranked by value in the indicator's direction (higher or lower is better);
equal values share a rank. The composite is one use of the composite-indicator pipeline
(:mod:`mujun.engine.composite`): its ``normalise`` step turns each indicator into points and its
``aggregate`` step takes the weighted mean of a region's points over the indicators it has values for,
with the indicators' weights; the composite is ranked in turn. The top third of a ranking
(rank ≤ ⌈n/3⌉) and the bottom third (rank > n − ⌈n/3⌉) are marked.

The city's rule (:data:`POINTS`) gives each ranked value points from 100 (first) down to 0 (last),
``100 × (n − rank) / (n − 1)``, n being the regions with a value: the percentile rank, ties sharing the
best rank, a lone value 100. A user may choose another normalisation (min-max, z-score …) and a
geometric or harmonic mean instead. Points are kept to four decimals, as published.

A period is an integer ``year × 100 + month`` (a quarter is stored at its last month); the ranking at
a period takes each indicator's latest value at or before it, so monthly and quarterly indicators can
be ranked together.
"""

from __future__ import annotations

import polars as pl

from mujun.engine import composite as pipeline

DECIMALS = 4
POINTS = pipeline.Normalise(method="percentile_rank", ties="max", range=(0.0, 100.0))
MEAN = pipeline.Aggregate(method="arithmetic")
COMPOSITE = "composite"  # the aggregate's code in the pipeline's metadata
TOP, MIDDLE, BOTTOM = "top", "middle", "bottom"


def period_key(year: int, month: int) -> int:
    return year * 100 + month


def latest_values(values: pl.DataFrame, period: int) -> pl.DataFrame:
    """Each (indicator, region)'s latest value at or before ``period``.

    ``values``: indicator, region, period, value."""
    return (
        values.filter((pl.col("period") <= period) & pl.col("value").is_not_null())
        .sort("period")
        .group_by("indicator", "region")
        .agg(pl.col("value").last(), pl.col("period").last())
    )


def _rank(column: str, descending: pl.Expr | bool, over: str | None = None) -> pl.Expr:
    """Rank 1 for the best; equal values share the best rank of their group (1, 2, 2, 4)."""
    # Ranking the value, or its negation for lower-is-better, keeps one expression for both directions.
    signed = pl.when(descending).then(pl.col(column)).otherwise(-pl.col(column))
    rank = signed.rank(method="min", descending=True)
    return (rank.over(over) if over else rank).cast(pl.Int64)


def _tier(rank: str, count: str) -> pl.Expr:
    third = (pl.col(count) / 3).ceil()
    return (
        pl.when(pl.col(rank) <= third)
        .then(pl.lit(TOP))
        .when(pl.col(rank) > pl.col(count) - third)
        .then(pl.lit(BOTTOM))
        .otherwise(pl.lit(MIDDLE))
    )


def _code(indicator) -> str:
    return f"i{indicator}"


def _inputs(values: pl.DataFrame, indicators: pl.DataFrame, column: str) -> pipeline.Inputs:
    """The pipeline's inputs: one row per region, one column per indicator (``column`` of ``values``),
    the indicators' directions and weights under one aggregate."""
    present = indicators.filter(pl.col("indicator").is_in(values["indicator"].unique().implode()))
    rows = [
        {"Level": 1, "iCode": _code(i), "Direction": 1 if up else -1, "Weight": w, "Parent": COMPOSITE, "Type": "Indicator"}
        for i, up, w in present.select("indicator", "higher_is_better", "weight").iter_rows()
    ]
    rows.append({"Level": 2, "iCode": COMPOSITE, "Direction": 1, "Weight": 1, "Type": "Aggregate"})
    meta = pipeline.Metadata.of(rows)
    wide = (
        values.select(pl.col("region"), pl.format("i{}", pl.col("indicator")).alias("indicator"), pl.col(column))
        .pivot(on="indicator", index="region", values=column)
        .sort("region")
    )
    codes = [_code(i) for i in present["indicator"]]
    wide = wide.with_columns(pl.lit(None, pl.Float64).alias(c) for c in codes if c not in wide.columns)
    frame = wide.select(pl.col("region").cast(pl.String).alias(pipeline.UNIT), *[pl.col(c).cast(pl.Float64) for c in codes])
    return pipeline.Inputs(meta, frame, frame.select(pipeline.UNIT))


def _long(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """A pipeline frame back to one row per (indicator, region) with a value."""
    return (
        frame.unpivot(index=pipeline.UNIT, variable_name="indicator", value_name=name)
        .drop_nulls(name)
        .select(
            pl.col("indicator").str.strip_prefix("i").cast(pl.Int64),
            pl.col(pipeline.UNIT).cast(pl.Int64).alias("region"),
            pl.col(name).cast(pl.Float64),
        )
    )


def indicator_ranks(values: pl.DataFrame, indicators: pl.DataFrame, normalisation: pipeline.Normalise = POINTS) -> pl.DataFrame:
    """Per indicator and region: value, rank, points (the pipeline's normalised value) and tier.

    ``values``: indicator, region, value (one per pair); ``indicators``: indicator, higher_is_better,
    weight."""
    joined = values.filter(pl.col("value").is_not_null()).join(
        indicators.select("indicator", "higher_is_better"), on="indicator", how="inner"
    )
    ranked = joined.with_columns(
        rank=_rank("value", pl.col("higher_is_better"), over="indicator"),
        ranked=pl.len().over("indicator").cast(pl.Int64),
    )
    inputs = _inputs(joined, indicators, "value")
    points = _long(pipeline.normalise(normalisation, inputs.indicators, inputs).frame, "points")
    return (
        ranked.join(points, on=["indicator", "region"], how="left")
        .with_columns(pl.col("points").round(DECIMALS), tier=_tier("rank", "ranked"))
        .select("indicator", "region", "value", "higher_is_better", "rank", "ranked", "points", "tier")
        .sort("indicator", "rank", "region")
    )


def composite(ranks: pl.DataFrame, indicators: pl.DataFrame, mean: pipeline.Aggregate = MEAN) -> pl.DataFrame:
    """Per region: the weighted mean of its indicator points (the pipeline's aggregate step), its rank
    and tier, and how many indicators it had values for."""
    inputs = _inputs(ranks, indicators, "points")
    aggregated = pipeline.aggregate(mean, inputs.indicators, inputs).frame
    counts = ranks.group_by("region").agg(indicators=pl.len().cast(pl.Int64))
    scores = aggregated.select(pl.col(pipeline.UNIT).cast(pl.Int64).alias("region"), pl.col(COMPOSITE).alias("score")).join(
        counts, on="region", how="inner"
    )
    return (
        scores.with_columns(pl.col("score").round(DECIMALS))
        .with_columns(rank=_rank("score", True), ranked=pl.len().cast(pl.Int64))
        .with_columns(tier=_tier("rank", "ranked"))
        .drop("ranked")
        .sort("rank", "region")
    )


def ranking(
    values: pl.DataFrame,
    indicators: pl.DataFrame,
    period: int,
    normalisation: pipeline.Normalise = POINTS,
    mean: pipeline.Aggregate = MEAN,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-indicator ranks and the composite at ``period`` (latest values at or before it)."""
    ranks = indicator_ranks(latest_values(values, period).drop("period"), indicators, normalisation)
    return ranks, composite(ranks, indicators, mean)
