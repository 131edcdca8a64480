"""Ranking of regions on published indicators (指标晾晒): pure Polars, no Django.

Per indicator, regions are ranked by value in the indicator's direction (higher or lower is better);
equal values share a rank. Each ranked value earns points from 100 (first) down to 0 (last):
``100 × (n − rank) / (n − 1)``, n being the regions with a value. The composite is the weighted mean
of a region's points over the indicators it has values for, and is ranked in turn. The top third of
the ranking (rank ≤ ⌈n/3⌉) and the bottom third (rank > n − ⌈n/3⌉) are marked.

A period is an integer ``year × 100 + month`` (a quarter is stored at its last month); the ranking at
a period takes each indicator's latest value at or before it, so monthly and quarterly indicators can
be ranked together.
"""

from __future__ import annotations

import polars as pl

DECIMALS = 4
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


def indicator_ranks(values: pl.DataFrame, indicators: pl.DataFrame) -> pl.DataFrame:
    """Per indicator and region: value, rank, points and tier.

    ``values``: indicator, region, value (one per pair); ``indicators``: indicator, higher_is_better,
    weight."""
    joined = values.filter(pl.col("value").is_not_null()).join(
        indicators.select("indicator", "higher_is_better"), on="indicator", how="inner"
    )
    ranked = joined.with_columns(
        rank=_rank("value", pl.col("higher_is_better"), over="indicator"),
        ranked=pl.len().over("indicator").cast(pl.Int64),
    )
    return ranked.with_columns(
        points=pl.when(pl.col("ranked") > 1)
        .then(100 * (pl.col("ranked") - pl.col("rank")) / (pl.col("ranked") - 1))
        .otherwise(100.0)
        .round(DECIMALS),
        tier=_tier("rank", "ranked"),
    ).sort("indicator", "rank", "region")


def composite(ranks: pl.DataFrame, indicators: pl.DataFrame) -> pl.DataFrame:
    """Per region: weighted mean of its indicator points, its rank and tier, and how many indicators
    it had values for."""
    weighted = ranks.join(indicators.select("indicator", "weight"), on="indicator", how="inner").with_columns(
        product=pl.col("points") * pl.col("weight").cast(pl.Float64)
    )
    scores = weighted.group_by("region").agg(
        score=pl.col("product").sort().sum() / pl.col("weight").cast(pl.Float64).sort().sum(),
        indicators=pl.len().cast(pl.Int64),
    )
    return (
        scores.with_columns(pl.col("score").round(DECIMALS))
        .with_columns(rank=_rank("score", True), ranked=pl.len().cast(pl.Int64))
        .with_columns(tier=_tier("rank", "ranked"))
        .drop("ranked")
        .sort("rank", "region")
    )


def ranking(values: pl.DataFrame, indicators: pl.DataFrame, period: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-indicator ranks and the composite at ``period`` (latest values at or before it)."""
    ranks = indicator_ranks(latest_values(values, period).drop("period"), indicators)
    return ranks, composite(ranks, indicators)
