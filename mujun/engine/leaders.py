"""Per-mu leaders (领跑者) and the per-mu rankings of regions, over enterprises' figures of published
evaluation years.

The province ranks by 亩均税收 first and 亩均增加值 second: a leader is an enterprise with the highest tax per
mu of its group (an industry division or a park), value added per mu breaking ties, then the enterprise id so
the order is total. A region's figure is a ratio of sums: the tax of its enterprises over the land of those that
reported tax (an enterprise without the figure neither adds to the numerator nor to the denominator), so the
city's figure is the land-weighted mean of its regions' and lies between their lowest and highest.

Pure functions over whole columns; the evaluation app reads the database into the input frame:
``enterprise_id, year, land_mu, tax, value_added`` and the columns to group by.
"""

from __future__ import annotations

import polars as pl

# metric -> (the amount summed, the per-mu column)
METRICS = {"tax": ("tax", "tax_per_mu"), "value_added": ("value_added", "value_added_per_mu")}
FIGURES = ("tax", "value_added")


def per_mu(frame: pl.DataFrame) -> pl.DataFrame:
    """Each row's tax and value added per mu; null where the land is missing or not positive."""
    land = pl.when(pl.col("land_mu") > 0).then(pl.col("land_mu"))
    return frame.with_columns((pl.col(f) / land).alias(METRICS[f][1]) for f in FIGURES)


def leaders(frame: pl.DataFrame, group: str, top: int) -> pl.DataFrame:
    """The ``top`` enterprises of each ``group`` value by tax per mu (value added per mu breaking ties), with
    their ``rank`` from 1; rows without land, tax or a group are not ranked."""
    if top < 1:
        raise ValueError("top must be at least 1")
    ranked = (
        per_mu(frame)
        .filter(pl.col(group).is_not_null() & pl.col("tax_per_mu").is_not_null())
        .sort(
            [group, "tax_per_mu", "value_added_per_mu", "enterprise_id"],
            descending=[False, True, True, False],
            nulls_last=True,
        )
        .with_columns(rank=(pl.int_range(pl.len()).over(group) + 1).cast(pl.Int64))
    )
    return ranked.filter(pl.col("rank") <= top)


def _sums(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per ``keys``: enterprises, land, each figure's sum and its per-mu ratio of sums."""
    land = pl.when(pl.col("land_mu") > 0).then(pl.col("land_mu"))
    aggregations = [pl.col("enterprise_id").n_unique().alias("enterprises"), land.sum().alias("land_mu")]
    for figure in FIGURES:
        counted = pl.col(figure).is_not_null() & land.is_not_null()
        total = pl.col(figure).filter(counted).sum()
        area = land.filter(counted).sum()
        aggregations += [total.alias(figure), pl.when(area > 0).then(total / area).alias(METRICS[figure][1])]
    return frame.group_by(keys).agg(aggregations)


def region_figures(frame: pl.DataFrame, region: str) -> pl.DataFrame:
    """Per year and ``region`` value (rows without one left out): enterprises, land, tax, value added and
    both per mu."""
    return _sums(frame.filter(pl.col(region).is_not_null()), ["year", region]).sort("year", region)


def city_figures(frame: pl.DataFrame) -> pl.DataFrame:
    """The same figures for the whole frame, per year."""
    return _sums(frame, ["year"]).sort("year")


def gap(value: pl.Expr, benchmark: pl.Expr) -> pl.Expr:
    """How far ``value`` lies above (positive) or below the benchmark, in % of it; null without a benchmark."""
    return pl.when(benchmark > 0).then((value / benchmark - 1) * 100)


def ranking(
    frame: pl.DataFrame, region: str, year: int, metric: str = "tax", provincial: dict[str, float | None] | None = None
) -> pl.DataFrame:
    """The regions of ``year`` ranked by the metric per mu (highest first; equal figures share the better
    rank), each figure with its gap to the city's (``*_vs_city``) and to the provincial average
    (``*_vs_province``, in %; null where no provincial figure is given)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    provincial = provincial or {}
    of_year = frame.filter(pl.col("year") == year)
    city = city_figures(of_year)
    ranked = region_figures(of_year, region)
    by = METRICS[metric][1]
    ranked = ranked.with_columns(rank=pl.col(by).rank("min", descending=True).cast(pl.Int64))
    for figure in FIGURES:
        column = METRICS[figure][1]
        city_value = city[column][0] if city.height else None
        ranked = ranked.with_columns(
            gap(pl.col(column), pl.lit(city_value, pl.Float64)).alias(f"{column}_vs_city"),
            gap(pl.col(column), pl.lit(provincial.get(figure), pl.Float64)).alias(f"{column}_vs_province"),
        )
    return ranked.sort([pl.col("rank"), pl.col(region)], nulls_last=True)
