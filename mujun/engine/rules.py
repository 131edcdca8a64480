"""Domain rules over columns, each declared once: what it reads, which rows break it, the field it blames
and its message in Chinese and English. Polars in, answers out; no Django.

A bulk import evaluates a rule over the whole typed column frame (:meth:`Rule.broken_rows`); a model's
``clean()`` evaluates the same expression over a one-row frame of the record (:meth:`Rule.broken_by`,
through ``mujun.core.rules``), so the web form, the API and the import refuse a record with one message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from mujun.engine.text import in_language

ROW_COLUMN = "_row"


@dataclass(frozen=True, eq=False)
class Rule:
    """``broken`` is true on a row breaking the rule (null, as for a blank cell, is not broken)."""

    field: str
    columns: Mapping[str, pl.DataType]  # every column the rule reads, with its type
    broken: pl.Expr
    zh: str
    en: str

    def message(self, language: str | None) -> str:
        return in_language(self.zh, self.en, language)

    def broken_rows(self, frame: pl.DataFrame) -> list[int]:
        """The ``_row`` of every row of ``frame`` breaking the rule; columns the frame lacks count as blank."""
        missing = [pl.lit(None, dtype).alias(name) for name, dtype in self.columns.items() if name not in frame.columns]
        return frame.with_columns(missing).filter(self.broken.fill_null(False))[ROW_COLUMN].to_list()

    def broken_by(self, values: Mapping[str, object]) -> bool:
        """Whether one record, given as column -> value, breaks the rule."""
        row = pl.DataFrame([{name: values.get(name) for name in self.columns}], schema=dict(self.columns))
        return bool(row.select(self.broken.fill_null(False)).item())


def greater_than_zero(column: str) -> Rule:
    return Rule(column, {column: pl.Float64}, pl.col(column) <= 0, "必须大于0", "must be greater than 0")


def not_negative(column: str) -> Rule:
    return Rule(column, {column: pl.Float64}, pl.col(column) < 0, "不能为负数", "must not be negative")


def dates_in_order(columns: list[str]) -> list[Rule]:
    """Each date of ``columns`` (in order) not before any earlier one; blank dates in between are skipped,
    so 2024-05, blank, 2024-01 is refused at its third date."""
    schema = {name: pl.Date for name in columns}
    return [
        Rule(
            later, schema, pl.col(later) < pl.max_horizontal(columns[:index]),
            "不能早于前一阶段的计划日期", "must not be before the planned date of an earlier stage",
        )  # fmt: skip
        for index, later in enumerate(columns)
        if index > 0
    ]


def not_before(earlier: str, later: str, earlier_zh: str, earlier_en: str) -> Rule:
    return Rule(
        later, {earlier: pl.Date, later: pl.Date}, pl.col(later) < pl.col(earlier),
        f"不能早于{earlier_zh}", f"must not be before {earlier_en}",
    )  # fmt: skip


# An indicator published quarterly is stored at the last month of its quarter.
QUARTER_END_MONTH = Rule(
    "month", {"quarterly": pl.Boolean, "month": pl.Int64}, pl.col("quarterly") & (pl.col("month") % 3 != 0),
    "季度指标的月份应为3、6、9或12", "a quarterly indicator is stored at month 3, 6, 9 or 12",
)  # fmt: skip


def broken_rules(rules: list[Rule], values: Mapping[str, object], language: str | None) -> dict[str, str]:
    """Field -> message of the first rule of ``rules`` each field breaks, for one record."""
    errors: dict[str, str] = {}
    for rule in rules:
        if rule.field not in errors and rule.broken_by(values):
            errors[rule.field] = rule.message(language)
    return errors
