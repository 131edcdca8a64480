"""Differentiated policies with history and money (spec/evaluation.md step 8, issue 10 item 4).

A grade's policy values (``[policies.D]``) may escalate with the years the grade has been held running
(``[[policies.escalate]]``: D for three years running pays 0.4 元/kWh instead of 0.3), and a policy rate
times an input figure gives the money involved (``[[policies.amounts]]``: surcharge yuan = electricity
use × surcharge × 10,000). Only D years are counted: the input column ``prior_d_years`` says how many
years running the enterprise was graded D before this year, and the output's ``consecutive_d_years`` is
that plus one when it is graded D this year, else 0 (null when it is not graded at all).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from mujun.engine.scheme import Scheme

# Input: years running the enterprise was graded D before this year (a whole number, blank meaning none).
PRIOR_D_YEARS = "prior_d_years"
CONSECUTIVE_D_YEARS = "consecutive_d_years"
# The only grade whose years running the input records.
ESCALATING_GRADES = ("D",)
ESCALATION_KEYS = frozenset({"grade", "consecutive_years"})
AMOUNT_KEYS = frozenset({"id", "label", "rate", "quantity", "factor"})


@dataclass(frozen=True)
class Escalation:
    """``grade`` held ``consecutive_years`` years running (this year included) takes ``values`` instead of
    the grade's own; of several that apply, the one with the most years wins, key by key."""

    grade: str
    consecutive_years: int
    values: dict[str, float | str | bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Amount:
    """Money per graded row: the row's value of the policy ``rate`` × the input column ``quantity`` × ``factor``
    (e.g. 元/千瓦时 × 万千瓦时 × 10,000 = 元); null where the row's grade has no such rate or the figure is missing."""

    id: str
    label: str
    rate: str
    quantity: str
    factor: float = 1.0


def tracks_d_years(scheme: Scheme) -> bool:
    """Whether the output carries ``consecutive_d_years``: only for schemes with escalations or amounts, so
    that the output of every other scheme stays as it was."""
    return bool(scheme.escalations or scheme.amounts)


def policy_output_columns(scheme: Scheme) -> list[str]:
    """The output's columns after ``grade``, in order."""
    return [
        *([CONSECUTIVE_D_YEARS] if tracks_d_years(scheme) else []),
        *scheme.policy_keys(),
        *(amount.id for amount in scheme.amounts),
    ]


def consecutive_d_years(grade: pl.Expr) -> pl.Expr:
    """prior_d_years + 1 where ``grade`` is D, 0 for any other grade, null where the row is not graded."""
    prior = pl.col(PRIOR_D_YEARS).fill_null(0).cast(pl.Int64)
    return pl.when(grade == "D").then(prior + 1).when(grade.is_not_null()).then(pl.lit(0, pl.Int64))


_DTYPES = {bool: pl.Boolean, float: pl.Float64, str: pl.String}


def _value_expr(scheme: Scheme, key: str, grade: pl.Expr, years: pl.Expr) -> pl.Expr:
    by_grade = {letter: values[key] for letter, values in scheme.policies.items() if key in values}
    dtype = _DTYPES[type(next(iter(by_grade.values())))]
    value = grade.replace_strict(by_grade, default=None, return_dtype=dtype)
    # Wrapped from the shortest to the longest: the longest applicable escalation is tested first.
    for escalation in sorted(scheme.escalations, key=lambda e: e.consecutive_years):
        if key in escalation.values:
            applies = (grade == escalation.grade) & (years >= escalation.consecutive_years)
            value = pl.when(applies).then(pl.lit(escalation.values[key], dtype)).otherwise(value)
    return value


def policy_columns(scheme: Scheme, grade: pl.Expr) -> list[pl.Expr]:
    """The columns of :func:`policy_output_columns`, given the row's grade letter (null: not graded)."""
    years = consecutive_d_years(grade)
    values = {key: _value_expr(scheme, key, grade, years) for key in scheme.policy_keys()}
    columns = [years.alias(CONSECUTIVE_D_YEARS)] if tracks_d_years(scheme) else []
    columns += [value.alias(key) for key, value in values.items()]
    columns += [
        (values[amount.rate] * pl.col(amount.quantity).cast(pl.Float64) * amount.factor).alias(amount.id)
        for amount in scheme.amounts
    ]
    return columns
