"""Small builders for engine tests: valid credit codes, input rows and schemes."""

from __future__ import annotations

import polars as pl

from mujun.engine.scheme import Scheme, parse_scheme, preset_toml
from mujun.engine.uscc import make_uscc


def code(number: int) -> str:
    """A valid credit code, different for each number."""
    return make_uscc(f"91331003MA2{number:06d}")


def row(number: int, **values) -> dict:
    """An above-scale enterprise with every Huangyan figure present, established long ago."""
    base = {
        "uscc": code(number),
        "name": f"企业{number}",
        "region": "黄岩区",
        "above_scale": "是",
        "land_mu": "10",
        "tax": "100",
        "value_added": "1000",
        "revenue": "5000",
        "energy_tce": "400",
        "emission_eq": "0.2",
        "rd_expense": "150",
        "employees": "50",
        "electricity_10k_kwh": "200",
        "established_on": "2010-01-01",
        "land_acquired_on": "2010-01-01",
        "major_violation": "否",
    }
    base.update({key: None if value is None else str(value) for key, value in values.items()})
    return base


def frame(rows: list[dict]) -> pl.DataFrame:
    """Rows as read from a file: every cell text, `_row` counting the header as line 1."""
    columns = list(dict.fromkeys(key for r in rows for key in r))
    data = {column: pl.Series(column, [r.get(column) for r in rows], dtype=pl.String) for column in columns}
    return pl.DataFrame(data).with_columns(pl.int_range(2, pl.len() + 2, dtype=pl.Int64).alias("_row"))


def huangyan_2022() -> Scheme:
    return parse_scheme(preset_toml("huangyan-2022"))


def one_indicator_scheme(
    *,
    benchmark: str = "10",
    cap: str | None = None,
    missing: str = "zero",
    grading: str = '{ method = "share", A = 0.2, B = 0.4, C = 0.35, D = 0.05 }',
    force_d: bool = True,
    policies: str = "",
    year: int = 2022,
    scope: str = "",
    numerator: str = "tax",
    denominator: str = "land_mu",
) -> Scheme:
    """One group per size class, each scored on one indicator (tax per mu, weight 100 unless changed)."""
    cap_line = f"cap = {cap}" if cap is not None else ""
    indicator = f"""
  [[groups.indicators]]
  id = "ratio"
  label = "比值"
  numerator = "{numerator}"
  denominator = "{denominator}"
  weight = 100
  benchmark = {benchmark}
  missing = "{missing}"
  {cap_line}
"""
    text = f"""
name = "test"
year = {year}
[scope]
{scope}

[[groups]]
id = "above"
above_scale = true
grading = {grading}
force_d_on_major_violation = {str(force_d).lower()}
{indicator}

[[groups]]
id = "below"
above_scale = false
grading = {grading}
force_d_on_major_violation = {str(force_d).lower()}
{indicator}
{policies}
"""
    return parse_scheme(text)
