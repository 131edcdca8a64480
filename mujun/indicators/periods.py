"""Reporting periods of indicators as users write them: 2025-03, 2025/3, 202503, 2025年3月, 2025Q1,
2025年第1季度. A quarter is kept at its last month."""

import polars as pl

from mujun.core.validators import FIRST_YEAR, LAST_YEAR

MONTH_PATTERN = r"^(\d{4})\s*(?:[-/.年]\s*)?(\d{1,2})\s*月?$"
QUARTER_PATTERN = r"^(\d{4})\s*(?:-|年)?\s*(?:[Qq]|第)\s*([1-4])\s*(?:季度)?$"


def parse_periods(text: pl.Expr, any_year: bool = False) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Expressions for (year, month, is_quarter) of period texts; null year/month where unreadable, and
    where the year is out of bounds unless ``any_year`` (the import names that problem with the model's rule)."""
    quarter_year = text.str.extract(QUARTER_PATTERN, 1).cast(pl.Int64, strict=False)
    quarter = text.str.extract(QUARTER_PATTERN, 2).cast(pl.Int64, strict=False)
    month_year = text.str.extract(MONTH_PATTERN, 1).cast(pl.Int64, strict=False)
    month = text.str.extract(MONTH_PATTERN, 2).cast(pl.Int64, strict=False)
    is_quarter = quarter.is_not_null()
    year = pl.when(is_quarter).then(quarter_year).otherwise(month_year)
    month = pl.when(is_quarter).then(quarter * 3).otherwise(month)
    valid = (year.is_not_null() if any_year else year.is_between(FIRST_YEAR, LAST_YEAR)) & month.is_between(1, 12)
    return pl.when(valid).then(year), pl.when(valid).then(month), is_quarter


def parse_period(text: str) -> tuple[int, int] | None:
    """One period text as (year, month), or None."""
    year, month, _quarter = parse_periods(pl.lit(text.strip()))
    row = pl.select(year.alias("y"), month.alias("m")).row(0)
    return None if row[0] is None else (row[0], row[1])
