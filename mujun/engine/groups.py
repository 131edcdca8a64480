"""Which enterprises a scheme group grades, and the penalty and bonus items it applies (issue 10 item 2).

A group selects its rows by conditions on any input columns (``[groups.select]``: 规上 flag, GB/T 4754
industry code prefixes, sector, land range, region, tenant flag); every condition given must hold. Groups
must not overlap: a group whose selection lies wholly inside another's can never grade anyone and is
refused when the scheme is read (:func:`selection_within`); a row that the conditions of two groups both
select is invalid when the input is evaluated. Adjustments (``[[adjustments]]``, ``[[groups.adjustments]]``)
add points where a flag column is true or a number lies in a range.

Pure functions and Polars expressions over whole columns; the scheme parser (mujun.engine.scheme) reads
the TOML into these values.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

import polars as pl

from mujun.engine.io import INPUT_COLUMNS
from mujun.engine.text import Text

SECTORS = ("industry", "service")
# GB/T 4754 divisions of industry (采矿业 B 06–12, 制造业 C 13–43, 电力热力燃气及水 D 44–46); the rest are services
# (A agriculture included, which an evaluation of firms on industrial land does not meet).
INDUSTRY_DIVISIONS = range(6, 47)
# Input columns that are flags: an adjustment on one applies where it is true.
FLAG_COLUMNS = frozenset({"above_scale", "major_violation", "tenant", "high_tech", "safety_accident"})
SELECTION_KEYS = ("above_scale", "industry_prefixes", "sector", "land_mu_min", "land_mu_max", "regions", "tenant")


@dataclass(frozen=True)
class Selection:
    """The conditions a group's rows meet; None: no condition on that column."""

    above_scale: bool | None = None
    industry_prefixes: tuple[str, ...] | None = None  # digits; the code's section letter is ignored
    sector: Literal["industry", "service"] | None = None
    land_mu_min: float | None = None  # land_mu >= land_mu_min
    land_mu_max: float | None = None  # land_mu < land_mu_max
    regions: tuple[str, ...] | None = None
    tenant: bool | None = None

    def given(self) -> dict[str, object]:
        """The conditions given, by key, in the order of SELECTION_KEYS."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


@dataclass(frozen=True)
class Adjustment:
    """``points`` added to the total of a row where ``column`` is true (a flag column) or its value lies in
    [min, max) (a numeric column; either bound may be left open)."""

    id: str
    label: str
    column: str
    points: float
    min: float | None = None
    max: float | None = None

    @property
    def output_column(self) -> str:
        return points_column(self.id)


def points_column(adjustment_id: str) -> str:
    return f"{adjustment_id}_points"


# --- rows -------------------------------------------------------------------------------------------


def industry_division(code: pl.Expr) -> pl.Expr:
    """The GB/T 4754 code's digits without the section letter ("C1810" → "1810"), null when blank."""
    digits = code.str.strip_chars().str.replace(r"^[A-Za-z]", "")
    return pl.when(digits != "").then(digits)


def selection_expr(selection: Selection) -> pl.Expr:
    """True on the rows the selection takes (a condition on a blank cell does not hold)."""
    conditions: list[pl.Expr] = []
    if selection.above_scale is not None:
        conditions.append(pl.col("above_scale") == selection.above_scale)
    digits = industry_division(pl.col("industry_code"))
    if selection.industry_prefixes is not None:
        conditions.append(pl.any_horizontal(digits.str.starts_with(prefix) for prefix in selection.industry_prefixes))
    if selection.sector is not None:
        division = digits.str.slice(0, 2).cast(pl.Int64, strict=False)
        in_industry = division.is_between(INDUSTRY_DIVISIONS.start, INDUSTRY_DIVISIONS.stop - 1)
        conditions.append(in_industry if selection.sector == "industry" else ~in_industry)
    if selection.land_mu_min is not None:
        conditions.append(pl.col("land_mu") >= selection.land_mu_min)
    if selection.land_mu_max is not None:
        conditions.append(pl.col("land_mu") < selection.land_mu_max)
    if selection.regions is not None:
        conditions.append(pl.col("region").is_in(list(selection.regions)))
    if selection.tenant is not None:
        conditions.append(pl.col("tenant") == selection.tenant)
    if not conditions:
        return pl.lit(True)
    return pl.all_horizontal(conditions).fill_null(False)


def adjustment_expr(adjustment: Adjustment) -> pl.Expr:
    """True where the adjustment applies (never on a blank cell)."""
    column = pl.col(adjustment.column)
    if adjustment.column in FLAG_COLUMNS:
        return column.fill_null(False)
    holds = pl.lit(True)
    if adjustment.min is not None:
        holds = holds & (column >= adjustment.min)
    if adjustment.max is not None:
        holds = holds & (column < adjustment.max)
    return holds.fill_null(False)


# --- what the conditions say, before any data ----------------------------------------------------------


def _prefix_divisions(prefix: str) -> set[int]:
    """The two-digit divisions a code starting with ``prefix`` may belong to."""
    if len(prefix) >= 2:
        return {int(prefix[:2])}
    return {int(prefix) * 10 + digit for digit in range(10)}


def _in_sector(division: int, sector: str) -> bool:
    return (division in INDUSTRY_DIVISIONS) == (sector == "industry")


def selection_within(inner: Selection, outer: Selection) -> bool:
    """Whether every row ``inner`` takes is one ``outer`` takes too, by the conditions alone."""
    for key in ("above_scale", "tenant"):
        if getattr(outer, key) is not None and getattr(inner, key) != getattr(outer, key):
            return False
    if outer.sector is not None and inner.sector != outer.sector:
        if inner.industry_prefixes is None or not all(
            _in_sector(division, outer.sector)
            for prefix in inner.industry_prefixes
            for division in _prefix_divisions(prefix)
        ):
            return False
    if outer.industry_prefixes is not None and (
        inner.industry_prefixes is None
        or not all(mine.startswith(outer.industry_prefixes) for mine in inner.industry_prefixes)
    ):
        return False
    if outer.land_mu_min is not None and (inner.land_mu_min is None or inner.land_mu_min < outer.land_mu_min):
        return False
    if outer.land_mu_max is not None and (inner.land_mu_max is None or inner.land_mu_max > outer.land_mu_max):
        return False
    if outer.regions is not None and (inner.regions is None or not set(inner.regions) <= set(outer.regions)):
        return False
    return True


def _number(value: float) -> str:
    return f"{value:g}"


def describe_selection(selection: Selection) -> Text:
    """The group's conditions in words, e.g. 「规上；行业代码以17、18开头；用地3亩及以上」."""
    zh: list[str] = []
    en: list[str] = []
    if selection.above_scale is not None:
        zh.append("规上企业" if selection.above_scale else "规下企业")
        en.append("above designated size" if selection.above_scale else "below designated size")
    if selection.industry_prefixes is not None:
        zh.append(f"行业代码以{'、'.join(selection.industry_prefixes)}开头")
        en.append(f"industry code starting with {', '.join(selection.industry_prefixes)}")
    if selection.sector is not None:
        zh.append("工业（采矿业、制造业、电力热力燃气及水）" if selection.sector == "industry" else "服务业")
        en.append("industry (mining, manufacturing, utilities)" if selection.sector == "industry" else "services")
    low, high = selection.land_mu_min, selection.land_mu_max
    if low is not None and high is not None:
        zh.append(f"用地{_number(low)}亩及以上、不足{_number(high)}亩")
        en.append(f"land from {_number(low)} mu to under {_number(high)} mu")
    elif low is not None:
        zh.append(f"用地{_number(low)}亩及以上")
        en.append(f"land of {_number(low)} mu or more")
    elif high is not None:
        zh.append(f"用地不足{_number(high)}亩")
        en.append(f"land under {_number(high)} mu")
    if selection.regions is not None:
        zh.append(f"属于{'、'.join(selection.regions)}")
        en.append(f"in {', '.join(selection.regions)}")
    if selection.tenant is not None:
        zh.append("无自有土地的租赁企业" if selection.tenant else "非租赁企业")
        en.append("tenants without land of their own" if selection.tenant else "not a tenant")
    if not zh:
        return Text("全部企业", "all enterprises")
    return Text("；".join(zh), "; ".join(en))


def describe_adjustment(adjustment: Adjustment) -> Text:
    """When the adjustment applies and what it adds, e.g. 「safety_accident为是时 −5分」."""
    header = INPUT_COLUMNS.get(adjustment.column, adjustment.column)
    points_zh = f"{adjustment.points:+g}分"
    points_en = f"{adjustment.points:+g} points"
    if adjustment.column in FLAG_COLUMNS:
        return Text(f"{header}为是时{points_zh}", f"{points_en} where {adjustment.column} is true")
    bounds_zh, bounds_en = [], []
    if adjustment.min is not None:
        bounds_zh.append(f"不小于{_number(adjustment.min)}")
        bounds_en.append(f"at least {_number(adjustment.min)}")
    if adjustment.max is not None:
        bounds_zh.append(f"小于{_number(adjustment.max)}")
        bounds_en.append(f"under {_number(adjustment.max)}")
    return Text(
        f"{header}{'且'.join(bounds_zh)}时{points_zh}",
        f"{points_en} where {adjustment.column} is {' and '.join(bounds_en)}",
    )
