"""Reading the enterprises' table from CSV, Excel or Parquet, and writing results.

County spreadsheets come with Chinese headers, a title row or two above the header, and often in GBK;
``read_table`` finds the header row, renames known headers to the engine's English column names and hands
every data cell over as text exactly as in the file (typing and checking is ``evaluation.prepare``'s job),
with the row number the user sees in the file so problems can point at it.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import polars as pl
import polars.selectors as cs

INPUT_COLUMNS: dict[str, str] = {
    "uscc": "统一社会信用代码",
    "name": "企业名称",
    "region": "所属区域",
    "above_scale": "是否规上",
    "land_mu": "用地面积(亩)",
    "tax": "实缴税金(万元)",
    "value_added": "工业增加值(万元)",
    "revenue": "营业收入(万元)",
    "energy_tce": "综合能耗(吨标准煤)",
    "emission_eq": "主要污染物排放当量(吨)",
    "rd_expense": "研发经费支出(万元)",
    "employees": "年平均职工人数",
    "electricity_10k_kwh": "用电量(万千瓦时)",
    "established_on": "成立日期",
    "land_acquired_on": "取得土地日期",
    "major_violation": "重大违法违规",
    "coefficient": "修正系数",
    "bonus": "加分",
}

ROW_COLUMN = "_row"
CSV_EXTENSIONS = {".csv", ".txt"}
EXCEL_EXTENSIONS = {".xlsx", ".xlsm", ".xls"}
PARQUET_EXTENSIONS = {".parquet", ".pq"}
CSV_HEAD_BYTES = 1 << 16
HEADER_SEARCH_ROWS = 30  # title rows above the header: a few in practice
EXCEL_MAX_ROWS = 1_048_575  # one row for the header
# Fixed so that writing the same result twice gives byte-equal workbooks.
WORKBOOK_CREATED = datetime(2000, 1, 1)

Source = str | os.PathLike | bytes | IO[bytes]


class TableError(ValueError):
    """The file cannot be read as a table (bilingual message)."""


def normalise_header(text: object) -> str:
    """Header text compared loosely: full-width brackets, spaces and letter case do not matter."""
    if text is None:
        return ""
    text = str(text).replace("\ufeff", "").translate(str.maketrans("（）【】", "()[]"))
    return re.sub(r"\s+", "", text).lower()


def _header_lookup(headers: dict[str, str]) -> dict[str, str]:
    lookup = {normalise_header(english): english for english in headers}
    lookup.update({normalise_header(chinese): english for english, chinese in headers.items()})
    return lookup


def _find_header(rows: list[list[Any]], lookup: dict[str, str]) -> int:
    """Index of the first row naming at least two known columns (one if only one is known)."""
    needed = min(2, len(lookup))
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if sum(normalise_header(cell) in lookup for cell in row) >= needed:
            return index
    examples = ", ".join(list(lookup.values())[:3])
    raise TableError(
        f"未找到表头：前{HEADER_SEARCH_ROWS}行中没有已知的列名 / no header row found: none of the first "
        f"{HEADER_SEARCH_ROWS} rows names known columns such as {examples}"
    )


def _column_names(header_cells: list[Any], lookup: dict[str, str]) -> list[str | None]:
    """English name for each header cell (unknown headers kept as written, empty ones as None)."""
    names: list[str | None] = []
    for cell in header_cells:
        text = "" if cell is None else str(cell).replace("\ufeff", "").strip()
        names.append(lookup.get(normalise_header(text), text) or None)
    repeated = [name for name, count in Counter(n for n in names if n).items() if count > 1]
    if repeated:
        listed = ", ".join(repeated)
        raise TableError(f"表头重复：{listed} / duplicate headers: {listed}")
    return names


def _source_bytes(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source
    if hasattr(source, "read"):
        data = source.read()
        return data.encode("utf-8") if isinstance(data, str) else data
    try:
        return Path(source).read_bytes()
    except OSError as error:
        raise TableError(f"无法读取文件 {source}：{error.strerror} / cannot read file {source}: {error.strerror}") from None


def _extension(source: Source, filename: str | None) -> str:
    if filename is None and isinstance(source, (str, os.PathLike)):
        filename = os.fspath(source)
    if not filename:
        raise TableError("无法判断文件类型：缺少文件名 / cannot tell the file type: no file name given")
    return Path(str(filename)).suffix.lower()


def read_table(
    source: Source, *, filename: str | None = None, headers: dict[str, str] = INPUT_COLUMNS
) -> pl.DataFrame:
    """The table in ``source`` with English column names, text cells and a ``_row`` column."""
    extension = _extension(source, filename)
    lookup = _header_lookup(headers)
    if extension in CSV_EXTENSIONS:
        frame = _read_csv(source, lookup)
    elif extension in EXCEL_EXTENSIONS:
        frame = _read_excel(_source_bytes(source), lookup)
    elif extension in PARQUET_EXTENSIONS:
        frame = _read_parquet(source, lookup)
    else:
        raise TableError(
            f"不支持的文件类型 {extension or '(无扩展名)'}：请使用 CSV、Excel 或 Parquet / unsupported file type "
            f"{extension or '(no extension)'}: use CSV, Excel or Parquet"
        )
    data_columns = [name for name in frame.columns if name != ROW_COLUMN]
    if data_columns:  # blank lines and rows are not enterprises
        filled = frame.select(pl.any_horizontal(pl.col(data_columns).is_not_null())).to_series()
        if not filled.all():
            frame = frame.filter(filled)
    return frame


def _csv_head(source: Source) -> bytes:
    if isinstance(source, (str, os.PathLike)):
        try:
            with open(source, "rb") as file:
                return file.read(CSV_HEAD_BYTES)
        except OSError as error:
            raise TableError(
                f"无法读取文件 {source}：{error.strerror} / cannot read file {source}: {error.strerror}"
            ) from None
    return _source_bytes(source)[:CSV_HEAD_BYTES]


def _decode_head(head: bytes, *, whole: bool) -> tuple[str, str]:
    """The encoding of a CSV file (UTF-8 with or without BOM, else GB18030) and its first lines."""
    try:
        return "utf-8", codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=whole)
    except UnicodeDecodeError:
        return "gb18030", head.decode("gb18030", errors="replace")


def _gb18030_as_utf8(data: bytes) -> bytes:
    try:
        return data.decode("gb18030").encode("utf-8")
    except UnicodeDecodeError:
        raise TableError("文件编码无法识别：应为 UTF-8 或 GBK / unknown text encoding: expected UTF-8 or GBK") from None


def _read_csv(source: Source, lookup: dict[str, str]) -> pl.DataFrame:
    if not isinstance(source, (str, os.PathLike)):
        source = _source_bytes(source)  # read once; polars reads a path itself, memory-mapped
    head = _csv_head(source)
    encoding, text = _decode_head(head, whole=len(head) < CSV_HEAD_BYTES)
    head_rows = list(itertools.islice(csv.reader(io.StringIO(text)), HEADER_SEARCH_ROWS))
    header_index = _find_header(head_rows, lookup)
    names = _column_names(head_rows[header_index], lookup)

    def parse(data: Source) -> pl.DataFrame:
        return pl.read_csv(
            data,
            has_header=False,
            skip_rows=header_index + 1,
            infer_schema=False,
            truncate_ragged_lines=True,
            raise_if_empty=False,
        )

    try:
        body = parse(_gb18030_as_utf8(_source_bytes(source)) if encoding == "gb18030" else source)
    except pl.exceptions.ComputeError as error:
        if encoding != "utf-8" or "utf-8" not in str(error).lower():
            raise TableError(f"CSV文件无法解析：{error} / the CSV file cannot be parsed: {error}") from None
        # The first 64 KiB were plain ASCII; the rest is GBK.
        body = parse(_gb18030_as_utf8(_source_bytes(source)))
    # The header is line header_index + 1, so the first data row is line header_index + 2.
    return _name_columns(body, names, first_row=header_index + 2)


def _name_columns(body: pl.DataFrame, names: list[str | None], *, first_row: int) -> pl.DataFrame:
    """Name the positional columns after the header, drop unnamed ones, add the ``_row`` numbers."""
    columns = []
    for position, name in enumerate(names):
        if name is None:
            continue
        if position < body.width:
            columns.append(body.to_series(position).cast(pl.String).alias(name))
        else:
            columns.append(pl.Series(name, [None] * body.height, dtype=pl.String))
    frame = pl.DataFrame(columns, height=body.height)
    return frame.with_columns(pl.int_range(first_row, first_row + pl.len(), dtype=pl.Int64).alias(ROW_COLUMN))


def _read_excel(data: bytes, lookup: dict[str, str]) -> pl.DataFrame:
    import fastexcel

    try:
        reader = fastexcel.read_excel(data)
        # skip_rows=0 keeps leading empty rows, so index i is sheet row i + 1.
        sheet = reader.load_sheet(0, header_row=None, skip_rows=0, dtypes="string")
        cells = sheet.to_polars()
    except Exception as error:  # fastexcel raises its own hierarchy for corrupt or encrypted files
        raise TableError(f"Excel文件无法读取：{error} / the Excel file cannot be read: {error}") from None
    head_rows = [list(row) for row in cells.head(HEADER_SEARCH_ROWS).iter_rows()]
    header_index = _find_header(head_rows, lookup)
    names = _column_names(head_rows[header_index], lookup)
    return _name_columns(cells.slice(header_index + 1), names, first_row=header_index + 2)


def _read_parquet(source: Source, lookup: dict[str, str]) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(io.BytesIO(source) if isinstance(source, bytes) else source)
    except Exception as error:  # polars raises several kinds for a missing or damaged file
        raise TableError(f"Parquet文件无法读取：{error} / the Parquet file cannot be read: {error}") from None
    names = _column_names(frame.columns, lookup)
    frame = frame.rename({old: new for old, new in zip(frame.columns, names, strict=True) if new and new != old})
    return frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW_COLUMN))


def write_table(
    frame: pl.DataFrame,
    target: str | os.PathLike | IO[bytes],
    *,
    format: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Write by extension (or ``format``): csv, xlsx or parquet.

    CSV is UTF-8 with a byte-order mark so that Excel shows Chinese text; numbers are written unrounded.
    Excel gets Chinese headers where known (``headers`` adds to INPUT_COLUMNS), a frozen header row and
    fitted column widths, and shows numbers to four decimals without rounding the stored values.
    """
    if format is None:
        if not isinstance(target, (str, os.PathLike)):
            raise TableError("写入缓冲区时必须指定格式 / a format is needed to write to a buffer")
        format = Path(target).suffix.lower().lstrip(".")
    format = format.lower()
    if format == "csv":
        frame.write_csv(target, include_bom=True)
    elif format in {"parquet", "pq"}:
        frame.write_parquet(target)
    elif format in {"xlsx", "xlsm"}:
        write_workbook({"result": frame}, target, headers={**INPUT_COLUMNS, **(headers or {})})
    else:
        raise TableError(
            f"不支持的输出格式 {format}：请使用 csv、xlsx 或 parquet / unsupported output format {format}: "
            "use csv, xlsx or parquet"
        )


def _excel_cells(frame: pl.DataFrame, headers: dict[str, str]) -> pl.DataFrame:
    """The frame as the sheet shows it: yes/no as 是/否, NaN and infinity empty, other types as text."""
    return frame.rename({name: headers[name] for name in frame.columns if name in headers}).with_columns(
        pl.col(pl.Boolean).replace_strict({True: "是", False: "否"}, default=None, return_dtype=pl.Utf8),
        pl.col(pl.Float32, pl.Float64).cast(pl.Float64).map_batches(lambda s: s.set(~s.is_finite(), None)),
        pl.col(pl.Datetime).dt.replace_time_zone(None),
        (~cs.numeric() & ~cs.temporal() & ~cs.string() & ~cs.boolean()).cast(pl.Utf8),
    )


def _column_widths(frame: pl.DataFrame) -> list[float]:
    """Widths fitted to the longest cell (CJK characters count twice), between 6 and 60."""
    shown = [
        pl.col(name).round(4) if dtype.is_float() else pl.col(name) for name, dtype in frame.schema.items()
    ]
    text = [expr.cast(pl.Utf8).fill_null("") for expr in shown]
    # A CJK character is three bytes in UTF-8 and two characters wide in Excel.
    longest = frame.select(
        ((t.str.len_chars() + (t.str.len_bytes() - t.str.len_chars()) // 2).max().alias(str(i)) for i, t in
         enumerate(text))
    ).row(0) if frame.height else [0] * frame.width
    headers = [len(name) + (len(name.encode()) - len(name)) // 2 for name in frame.columns]
    return [min(max(cell or 0, header, 4) + 2, 60) for cell, header in zip(longest, headers, strict=True)]


def write_workbook(
    sheets: dict[str, pl.DataFrame],
    target: str | os.PathLike | IO[bytes],
    *,
    headers: dict[str, str] | None = None,
) -> None:
    """Write frames as the sheets of one .xlsx: the one Excel writer of the platform.

    Bold frozen header row with an autofilter, fitted column widths, numbers shown to four decimals but
    stored unrounded, dates as dates, yes/no as 是/否, NaN and nulls as empty cells; ``headers`` renames
    known columns. Equal input gives a byte-equal file (fixed creation date). xlsxwriter in constant-memory
    mode streams row by row to disk, with one typed call per non-empty cell: several times faster than
    Polars' ``write_excel`` for 100,000-row results, which formats and fits cell by cell.
    """
    import xlsxwriter

    for frame in sheets.values():
        if frame.height > EXCEL_MAX_ROWS:
            raise TableError(
                f"结果有{frame.height}行，超出Excel上限 / the result has {frame.height} rows, more than Excel "
                "holds; use csv or parquet"
            )
    workbook = xlsxwriter.Workbook(
        os.fspath(target) if isinstance(target, os.PathLike) else target, {"constant_memory": True}
    )
    workbook.set_properties({"created": WORKBOOK_CREATED})
    header_format = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    decimal_format = workbook.add_format({"num_format": "0.0000"})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    datetime_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for name, frame in sheets.items():
        frame = _excel_cells(frame, headers or {})
        sheet = workbook.add_worksheet(name[:31])
        for index, width in enumerate(_column_widths(frame)):
            sheet.set_column(index, index, width)
        sheet.freeze_panes(1, 0)
        if frame.width:
            sheet.autofilter(0, 0, frame.height, frame.width - 1)
        sheet.write_row(0, 0, frame.columns, header_format)
        writers = []
        for dtype in frame.dtypes:
            if dtype.is_float():
                writers.append((sheet.write_number, decimal_format))
            elif dtype.is_numeric():
                writers.append((sheet.write_number, None))
            elif dtype == pl.Date:
                writers.append((sheet.write_datetime, date_format))
            elif dtype == pl.Datetime:
                writers.append((sheet.write_datetime, datetime_format))
            else:
                writers.append((sheet.write_string, None))
        for row_number, row in enumerate(frame.iter_rows(), start=1):
            for column, ((write, cell_format), value) in enumerate(zip(writers, row, strict=True)):
                if value is not None and value != "":
                    write(row_number, column, value, cell_format)
    workbook.close()
