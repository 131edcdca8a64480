"""The rules of data collection (数据归集) over whole columns: when two figures of one cell disagree, and
when a collected figure looks wrong. Pure Polars expressions; the web app's collection applies them."""

from __future__ import annotations

import polars as pl

# Two figures of a cell agree when they differ by at most this share of the larger, or this much outright
# (rounding in 万元 to two places, a department's own rounding).
RELATIVE_TOLERANCE = 0.005
ABSOLUTE_TOLERANCE = 0.01


def numbers_differ(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """True where both figures are given and differ beyond the tolerance; null-safe (false when one is missing)."""
    larger = pl.max_horizontal(a.abs(), b.abs())
    return ((a - b).abs() > pl.max_horizontal(pl.lit(ABSOLUTE_TOLERANCE), larger * RELATIVE_TOLERANCE)).fill_null(False)


def values_differ(a: pl.Expr, b: pl.Expr, numeric: bool) -> pl.Expr:
    """``numbers_differ`` for numbers; plain inequality for yes/no, dates and text."""
    if numeric:
        return numbers_differ(a, b)
    return (a != b).fill_null(False)


def factor_anomaly(value: pl.Expr, last_year: pl.Expr, factor: float) -> pl.Expr:
    """A figure more than ``factor`` times last year's, or below last year's divided by ``factor`` (both positive)."""
    both = (value > 0) & (last_year > 0)
    return (both & ((value > last_year * factor) | (value * factor < last_year))).fill_null(False)


def land_differs(land_mu: pl.Expr, parcels_mu: pl.Expr, tolerance: float) -> pl.Expr:
    """Land declared held differs from the area of the enterprise's parcels by more than ``tolerance`` of it."""
    return ((land_mu - parcels_mu).abs() > parcels_mu * tolerance).fill_null(False)


def value_added_above_revenue(value_added: pl.Expr, revenue: pl.Expr) -> pl.Expr:
    """Value added cannot exceed revenue: one of the two figures is wrong."""
    return numbers_differ(value_added, revenue) & (value_added > revenue).fill_null(False)
