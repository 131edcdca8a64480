"""Import of indicator values: one row per indicator, region and period."""

import datetime as dt

import polars as pl
from django.utils.translation import gettext_lazy as _

from mujun.core.imports import AMBIGUOUS, LOOKUP, NUMBER, TEXT, Column, Importer, ImportResult, Problem, region_lookup
from mujun.core.rules import field_problem
from mujun.engine.rules import QUARTER_END_MONTH
from mujun.indicators.models import Indicator, IndicatorValue
from mujun.indicators.periods import parse_periods


def indicator_lookup() -> dict[str, int]:
    """Indicators by code or by name."""
    mapping: dict[str, int] = {}
    for pk, code, name in Indicator.objects.values_list("pk", "code", "name"):
        mapping[name] = AMBIGUOUS if name in mapping else pk
        mapping[code] = pk
    return mapping


class IndicatorValueImporter(Importer):
    model = None  # values are found by (indicator, region, period), not by a single key column
    columns = [
        Column("indicator", "指标", LOOKUP, required=True, lookup=indicator_lookup),
        Column("region", "区域", LOOKUP, required=True, lookup=region_lookup),
        Column("period", "期间", TEXT, required=True, max_length=16),
        Column("value", "数值", NUMBER, required=True),
    ]
    unique_together = [("indicator", "region", "period")]
    title = _("Import indicator values")

    def check(self, frame: pl.DataFrame) -> list[Problem]:
        if "period" not in self.present:
            return []
        column = self.column("period")
        year, month, is_quarter = parse_periods(pl.col("period"), any_year=True)
        quarterly = list(Indicator.objects.filter(frequency=Indicator.Frequency.QUARTERLY).values_list("pk", flat=True))
        today = dt.date.today()
        checked = frame.select(
            "_row",
            "period",
            year.alias("year"),
            month.alias("month"),
            is_quarter.alias("is_quarter"),
            pl.col("indicator").is_in(quarterly).alias("quarterly") if "indicator" in self.present else pl.lit(False),
        )
        # The model's rule, on the month the period names (a quarter is its last month: never broken).
        quarter_end = set(QUARTER_END_MONTH.broken_rows(checked))
        problems = []
        for row, text, y, m, is_q, is_quarterly in checked.filter(pl.col("period").is_not_null()).iter_rows():
            if y is None:
                problems.append(Problem(row, column.name, column.header,
                    f"无法识别的期间“{text}”，请写成2025-03或2025Q1",
                    f"unknown period “{text}”: write it as 2025-03 or 2025Q1"))  # fmt: skip
            elif year_problem := field_problem(IndicatorValue._meta.get_field("year"), y):
                problems.append(Problem(row, column.name, column.header, *year_problem))
            elif (y, m) > (today.year, today.month):
                problems.append(Problem(row, column.name, column.header,
                    f"期间“{text}”尚未到来", f"period “{text}” lies in the future"))  # fmt: skip
            elif row in quarter_end:
                problems.append(Problem(row, column.name, column.header, QUARTER_END_MONTH.zh, QUARTER_END_MONTH.en))
            elif is_q and not is_quarterly:
                problems.append(Problem(row, column.name, column.header,
                    "月度指标的期间应为月份（如2025-03）", "a monthly indicator needs a month (such as 2025-03)"))  # fmt: skip
        return problems

    def save(self, frame: pl.DataFrame) -> ImportResult:
        year, month, _quarter = parse_periods(pl.col("period"))
        rows = frame.select(
            pl.col("indicator").alias("indicator_id"),
            pl.col("region").alias("region_id"),
            year.alias("year"),
            month.alias("month"),
            pl.col("value"),
        )
        written = self.upsert(IndicatorValue, rows, key=("indicator_id", "region_id", "year", "month"))
        return ImportResult(counts={IndicatorValue._meta.verbose_name_plural: written.counts})
