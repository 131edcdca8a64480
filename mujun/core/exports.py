"""Excel downloads, the same way for every app: a queryset and a column spec give a workbook.

Headers are the Chinese ones users know from their spreadsheets (the same as the import workbooks', so an
export can be edited and imported again); yes/no values are written 是/否.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import polars as pl
import xlsxwriter
from django.http import HttpResponse
from django.utils.http import content_disposition_header

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ExportColumn:
    """``path``: a field path or annotation of the queryset (``region__name``); ``header``: the sheet header."""

    path: str
    header: str


def queryset_frame(queryset, columns: list[ExportColumn]) -> pl.DataFrame:
    """The queryset's values as a frame with one column per header, read in one query."""
    rows = queryset.values_list(*[c.path for c in columns])
    frame = pl.DataFrame(list(rows), schema=[c.header for c in columns], orient="row", infer_schema_length=None)
    return frame.with_columns(
        pl.col(pl.Boolean).replace_strict({True: "是", False: "否"}, default=None, return_dtype=pl.Utf8)
    )


def workbook_bytes(sheets: dict[str, pl.DataFrame]) -> bytes:
    """An .xlsx workbook with one sheet per frame: bold frozen header row, fitted column widths."""
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as workbook:
        for name, frame in sheets.items():
            frame.write_excel(
                workbook,
                worksheet=name[:31],
                autofit=True,
                freeze_panes=(1, 0),
                header_format={"bold": True, "bg_color": "#DDEBF7", "border": 1},
                float_precision=4,
                dtype_formats={pl.Date: "yyyy-mm-dd"},
                table_style=None,
                autofilter=False,
            )
    return buffer.getvalue()


def xlsx_response(sheets: dict[str, pl.DataFrame] | pl.DataFrame, filename: str) -> HttpResponse:
    """An attachment download of the frame(s) as a workbook named ``filename``."""
    if isinstance(sheets, pl.DataFrame):
        sheets = {"Sheet1": sheets}
    response = HttpResponse(workbook_bytes(sheets), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def export_response(queryset, columns: list[ExportColumn], filename: str, sheet: str = "Sheet1") -> HttpResponse:
    return xlsx_response({sheet: queryset_frame(queryset, columns)}, filename)
