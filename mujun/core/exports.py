"""Excel downloads, the same way for every app: a queryset and a column spec give a workbook.

Headers are the Chinese ones users know from their spreadsheets (the same as the import workbooks', so an
export can be edited and imported again); yes/no values are written 是/否. The workbook itself is
``mujun.engine.io.write_workbook``'s, the platform's one Excel writer.
"""

from __future__ import annotations

import io
import itertools
import os
import tempfile
from dataclasses import dataclass

import polars as pl
from django.http import FileResponse
from django.utils.translation import gettext as _

from mujun.engine.io import write_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ExportColumn:
    """``path``: a field path or annotation of the queryset (``region__name``); ``header``: the sheet header."""

    path: str
    header: str


QUERY_CHUNK = 10_000  # rows fetched and turned into columns at a time


def queryset_frame(queryset, columns: list[ExportColumn]) -> pl.DataFrame:
    """The queryset's values as a frame with one column per header, read in one query with a server-side
    cursor where the database has one, chunk by chunk: only one chunk of rows is ever held as Python tuples
    beside the columns built so far (Django's converters still turn each value into its Python type)."""
    rows = queryset.values_list(*[c.path for c in columns]).iterator(chunk_size=QUERY_CHUNK)
    headers = [c.header for c in columns]
    chunks = []
    while chunk := list(itertools.islice(rows, QUERY_CHUNK)):
        chunks.append(pl.DataFrame(chunk, schema=headers, orient="row", infer_schema_length=None))
    frame = pl.concat(chunks, how="vertical_relaxed") if chunks else pl.DataFrame(schema=headers)
    return frame.with_columns(
        pl.col(pl.Boolean).replace_strict({True: "是", False: "否"}, default=None, return_dtype=pl.Utf8)
    )


def workbook_bytes(sheets: dict[str, pl.DataFrame]) -> bytes:
    """The workbook of ``xlsx_response`` in memory (small exports, tests)."""
    buffer = io.BytesIO()
    write_workbook(sheets, buffer)
    return buffer.getvalue()


class WorkbookResponse(FileResponse):
    """A workbook streamed from its (temporary) file. ``content`` reads it whole, as code written for an
    ``HttpResponse`` expects (tests, middleware), without disturbing the stream."""

    def __init__(self, workbook, *args, **kwargs):
        self.workbook = workbook
        super().__init__(workbook, *args, **kwargs)

    @property
    def content(self) -> bytes:
        position = self.workbook.tell()
        self.workbook.seek(0)
        data = self.workbook.read()
        self.workbook.seek(position)
        return data


def workbook_file_response(path_or_file, filename: str) -> WorkbookResponse:
    """An attachment download of a workbook already written (``path_or_file``: a path or an open binary file)."""
    handle = open(path_or_file, "rb") if isinstance(path_or_file, (str, os.PathLike)) else path_or_file
    return WorkbookResponse(handle, as_attachment=True, filename=filename, content_type=XLSX)


def xlsx_response(
    sheets: dict[str, pl.DataFrame] | pl.DataFrame,
    filename: str,
    *,
    titles: dict[str, str] | None = None,
    notes: dict[str, list[str]] | None = None,
) -> WorkbookResponse:
    """An attachment download of the frame(s) as a workbook named ``filename``, written to a temporary file
    (not memory: 100,000-row results) and streamed from there. ``titles`` and ``notes`` (by sheet name) add a
    title row above a sheet's table and lines below it (a printed notice)."""
    if isinstance(sheets, pl.DataFrame):
        sheets = {_("Data"): sheets}
    handle = tempfile.TemporaryFile()
    write_workbook(sheets, handle, titles=titles, notes=notes)
    handle.seek(0)
    return workbook_file_response(handle, filename)


def export_response(queryset, columns: list[ExportColumn], filename: str, sheet: str = "") -> WorkbookResponse:
    """The sheet is named after the records (企业, 地块…) unless ``sheet`` names it; Excel allows 31 characters."""
    sheet = sheet or str(queryset.model._meta.verbose_name_plural)[:31]
    return xlsx_response({sheet: queryset_frame(queryset, columns)}, filename)
