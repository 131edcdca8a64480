"""The enterprise export: the enterprises as the import reads them, and a sheet of their years, one row per
enterprise and year with its figures. Apps above add columns to that sheet by registering them (evaluation
adds the published grade), so this app names none of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import polars as pl

from mujun.core.exports import ExportColumn, queryset_frame
from mujun.enterprises.imports import EnterpriseImporter
from mujun.enterprises.models import YEAR_FIGURES, EnterpriseYear

YEARS_SHEET = "年度数据"


@dataclass(frozen=True)
class YearColumn:
    """A column of the years sheet: ``values`` takes enterprise ids and returns ``{(enterprise id, year): value}``."""

    header: str
    values: Callable[[list[int]], dict[tuple[int, int], object]]


year_columns: list[YearColumn] = []


def register_year_column(header: str, values: Callable[[list[int]], dict[tuple[int, int], object]]) -> None:
    if all(column.header != header for column in year_columns):  # once, however often the app starts
        year_columns.append(YearColumn(header, values))


def years_frame(enterprises) -> pl.DataFrame:
    """The years of ``enterprises`` (a queryset), by credit code and year, with the registered columns."""
    headers = EnterpriseImporter.headers()
    columns = [
        ExportColumn("enterprise_id", "_enterprise"),
        ExportColumn("enterprise__uscc", headers["uscc"]),
        ExportColumn("enterprise__name", headers["name"]),
        ExportColumn("year", headers["year"]),
        *[ExportColumn(name, headers[name]) for name in YEAR_FIGURES],
    ]
    years = EnterpriseYear.objects.filter(enterprise__in=enterprises).order_by("enterprise__uscc", "year")
    frame = queryset_frame(years, columns)
    keys: Iterable[tuple[int, int]] = list(zip(frame["_enterprise"].to_list(), frame[headers["year"]].to_list()))
    ids = frame["_enterprise"].unique().to_list()
    for column in year_columns:
        values = column.values(ids)
        frame = frame.with_columns(pl.Series(column.header, [values.get(key) for key in keys], dtype=pl.Utf8))
    return frame.drop("_enterprise")
