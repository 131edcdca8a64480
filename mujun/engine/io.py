"""Reading the enterprises' table from CSV, Excel or Parquet, and writing results.

County spreadsheets come with Chinese headers, a title row or two above the header, as text in UTF-8, GBK
or UTF-16 with commas or tabs, or as workbooks; ``read_table`` finds the header row, renames known headers
to the engine's English column names and hands every data cell over as text exactly as in the file (typing
and checking is ``evaluation.prepare``'s job), with the row number the user sees in the file so problems
can point at it. It is the one reader of uploaded and batch tables, for the web imports and the commands.

A value the user sees but the file would not give is never dropped silently: data in a column without a
header, a formula saved without its result, an error value, a merged region below the header are each a
problem of its cell (:class:`CellProblem`), and the table is refused.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import posixpath
import re
import zipfile
from collections import Counter
from collections.abc import Collection, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any, NamedTuple
from xml.etree import ElementTree

import polars as pl
import polars.selectors as cs

from mujun.engine.text import in_language

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
    "industry_code": "行业代码",
    "tenant": "租赁企业(无自有土地)",
    "landlord_uscc": "出租方统一社会信用代码",
    "high_tech": "高新技术企业",
    "safety_accident": "发生安全生产事故",
    "water_t": "用水量(吨)",
    "land_use_tax": "城镇土地使用税(万元)",
    "prior_d_years": "此前连续D档年数",
}

ROW_COLUMN = "_row"
CSV_EXTENSIONS = {".csv", ".txt"}
EXCEL_EXTENSIONS = {".xlsx", ".xlsm", ".xls"}
PARQUET_EXTENSIONS = {".parquet", ".pq"}
TEXT_CHUNK = 1 << 20
# Byte-order marks: Excel's "CSV UTF-8" and its "Unicode text" (UTF-16, tab-separated).
TEXT_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
CSV_SEPARATORS = (",", "\t")  # Excel saves "CSV" with commas and "Text"/"Unicode text" with tabs
HEADER_SEARCH_ROWS = 30  # title rows above the header: a few in practice
MAX_COLUMNS = 16_384  # Excel's limit
SHEET_CHUNK = 1 << 22
EXCEL_ERRORS = {  # calamine's names of Excel's error values
    "Div0": "#DIV/0!", "NA": "#N/A", "Name": "#NAME?", "Null": "#NULL!", "Num": "#NUM!", "Ref": "#REF!",
    "Value": "#VALUE!", "GettingData": "#GETTING_DATA",
}
EXCEL_MAX_ROWS = 1_048_575  # one row for the header
# Fixed so that writing the same result twice gives byte-equal workbooks.
WORKBOOK_CREATED = datetime(2000, 1, 1)

Source = str | os.PathLike | bytes | IO[bytes]


class CellProblem(NamedTuple):
    """A cell whose value the file does not hold as the user sees it: a formula without its saved result,
    an error value (#DIV/0!), a merged cell, data in a column without a header. ``row`` is the row the user
    sees, ``column`` the English column name ("" when the column has no header) and ``header`` the column
    as the user sees it (its header, else its letter: "F列")."""

    row: int
    index: int  # of the column in the sheet, 0-based (-1 if unknown): problems sort by row, then column
    column: str
    header: str
    zh: str
    en: str

    def message(self, language: str | None = None) -> str:
        if in_language("zh", "en", language) == "zh":
            return f"第{self.row}行 {self.header}：{self.zh}"
        where = f"row {self.row}, {self.column}" if self.column else f"row {self.row}"
        return f"{where}: {self.en}"

    def __str__(self) -> str:
        return self.message()


class TableError(ValueError):
    """The file cannot be read as a table (``zh``, ``en``); ``problems`` lists the cells at fault."""

    def __init__(self, zh: str = "", en: str = "", problems: list[CellProblem] | None = None):
        self.problems = sorted(problems or [])  # by row, then column
        self.zh, self.en = zh, en or zh
        super().__init__(self.message())

    def message(self, language: str | None = None) -> str:
        if self.problems:
            return "\n".join(problem.message(language) for problem in self.problems)
        return in_language(self.zh, self.en, language)


def normalise_header(text: object) -> str:
    """Header text compared loosely: full-width brackets, spaces and letter case do not matter."""
    if text is None:
        return ""
    text = str(text).replace("\ufeff", "").translate(str.maketrans("（）【】", "()[]"))
    return re.sub(r"\s+", "", text).lower()


def _column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _header_lookup(headers: dict[str, str]) -> dict[str, str]:
    lookup = {normalise_header(english): english for english in headers}
    lookup.update({normalise_header(chinese): english for english, chinese in headers.items()})
    return lookup


def _header_row(rows: list[list[Any]], lookup: dict[str, str]) -> tuple[int, int] | None:
    """(index, known headers) of the first row naming at least two known columns (one if only one is known)."""
    needed = min(2, len(lookup))
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        known = sum(normalise_header(cell) in lookup for cell in row)
        if known >= needed:
            return index, known
    return None


def _no_header(lookup: dict[str, str]) -> TableError:
    examples = ", ".join(list(lookup.values())[:3])
    return TableError(
        f"未找到表头：前{HEADER_SEARCH_ROWS}行中没有已知的列名", f"no header row found: none of the first "
        f"{HEADER_SEARCH_ROWS} rows names known columns such as {examples}"
    )


def _column_names(header_cells: list[Any], lookup: dict[str, str]) -> list[str | None]:
    """English name for each header cell (unknown headers kept as written, empty ones as None)."""
    names: list[str | None] = []
    for cell in header_cells:
        names.append(lookup.get(normalise_header(cell), _header_text(cell)) or None)
    repeated = [name for name, count in Counter(n for n in names if n).items() if count > 1]
    if repeated:
        listed = ", ".join(repeated)
        raise TableError(f"表头重复：{listed}", f"duplicate headers: {listed}")
    return names


def _header_text(cell: object) -> str:
    return "" if cell is None else str(cell).replace("\ufeff", "").strip()


def _source_bytes(source: Source) -> bytes:
    if isinstance(source, bytes):
        return source
    if hasattr(source, "read"):
        data = source.read()
        return data.encode("utf-8") if isinstance(data, str) else data
    try:
        return Path(source).read_bytes()
    except OSError as error:
        raise _unreadable(source, error) from None


def _unreadable(path: Source, error: OSError) -> TableError:
    return TableError(f"无法读取文件 {path}：{error.strerror}", f"cannot read file {path}: {error.strerror}")


def _extension(source: Source, filename: str | None) -> str:
    if filename is None and isinstance(source, (str, os.PathLike)):
        filename = os.fspath(source)
    if not filename:
        raise TableError("无法判断文件类型：缺少文件名", "cannot tell the file type: no file name given")
    return Path(str(filename)).suffix.lower()


def read_table(
    source: Source,
    *,
    filename: str | None = None,
    headers: dict[str, str] = INPUT_COLUMNS,
    numbers: Collection[str] = (),
) -> pl.DataFrame:
    """The table in ``source`` with English column names, text cells and a ``_row`` column.

    ``numbers`` names columns the caller types as numbers anyway: from a text file they come as Float64
    straight from the CSV reader when every cell of theirs is a finite number, and as text otherwise (so
    that the caller reports the cells at fault). Reading figures as text only to parse them again is most
    of the cost of a large file.

    Raises :class:`TableError` for a file that is not a readable table, and, with ``problems``, for cells
    whose values the table would lose (see :class:`CellProblem`).
    """
    extension = _extension(source, filename)
    lookup = _header_lookup(headers)
    if extension in CSV_EXTENSIONS:
        frame = _read_csv(source, lookup, frozenset(numbers))
    elif extension in EXCEL_EXTENSIONS:
        frame = _read_excel(_source_bytes(source), lookup)
    elif extension in PARQUET_EXTENSIONS:
        frame = _read_parquet(source, lookup)
    else:
        raise TableError(
            f"不支持的文件类型 {extension or '(无扩展名)'}：请使用 CSV、Excel 或 Parquet", f"unsupported file type "
            f"{extension or '(no extension)'}: use CSV, Excel or Parquet"
        )
    data_columns = [name for name in frame.columns if name != ROW_COLUMN]
    if data_columns:  # blank lines and rows are not enterprises
        filled = frame.select(pl.any_horizontal(pl.col(data_columns).is_not_null())).to_series()
        if not filled.all():
            frame = frame.filter(filled)
    return frame


# -- text files ------------------------------------------------------------------------------------------


def _chunks(source: str | os.PathLike | bytes) -> Iterator[bytes | memoryview]:
    if isinstance(source, bytes):
        view = memoryview(source)
        for start in range(0, len(view), TEXT_CHUNK):
            yield view[start : start + TEXT_CHUNK]
        return
    try:
        with open(source, "rb") as file:
            while chunk := file.read(TEXT_CHUNK):
                yield chunk
    except OSError as error:
        raise _unreadable(source, error) from None


def _text_encoding(source: str | os.PathLike | bytes, head: bytes) -> str:
    """The encoding of a text file as Chinese offices write them: a byte-order mark names UTF-8 or UTF-16
    (Excel's "Unicode text"); without one the text is UTF-8 if it decodes as such, else GB18030 (a superset
    of GBK: Excel's "CSV" on Chinese Windows). Checked over the whole file, in pieces."""
    marked = [encoding for bom, encoding in TEXT_BOMS if head.startswith(bom)]
    for encoding in marked or ["utf-8", "gb18030"]:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for chunk in _chunks(source):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise TableError(
        "文件编码无法识别：应为 UTF-8、UTF-16 或 GBK/GB18030 的文本", "unknown text encoding: expected text in "
        "UTF-8, UTF-16 or GBK/GB18030"
    )


class _NotUtf8(Exception):
    """Polars met a byte sequence that is not UTF-8."""


def _utf8_so_far(head: bytes) -> bool:
    """No byte-order mark, and UTF-8 up to a character the chunk may have cut."""
    if any(head.startswith(bom) for bom, _ in TEXT_BOMS):
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _read_csv(source: Source, lookup: dict[str, str], numbers: frozenset[str]) -> pl.DataFrame:
    if not isinstance(source, (str, os.PathLike)):
        source = _source_bytes(source)  # read once; polars reads a path itself, memory-mapped
    head = bytes(next(_chunks(source), b""))
    if not head:
        raise TableError("文件是空的", "the file is empty")
    if _utf8_so_far(head):  # most files: Polars checks the rest as it reads, no pass of our own over it
        try:
            return _read_csv_as(source, head, "utf-8", lookup, numbers)
        except _NotUtf8:
            pass
    return _read_csv_as(source, head, _text_encoding(source, head), lookup, numbers)


def _read_csv_as(
    source: str | os.PathLike | bytes, head: bytes, encoding: str, lookup: dict[str, str], numbers: frozenset[str]
) -> pl.DataFrame:
    text = codecs.getincrementaldecoder(encoding)().decode(head, final=len(head) < TEXT_CHUNK)
    if "\x00" in text:  # binary content, or UTF-16 without its byte-order mark
        raise TableError(
            "不是文本表格：文件含有二进制内容；请另存为 CSV（UTF-8）或 Excel 工作簿", "not a text table: the file "
            "holds binary content; save it as CSV (UTF-8) or as an Excel workbook"
        )
    separator, header_index, header_cells = _csv_header(text, lookup)
    names = _column_names(header_cells, lookup)
    if encoding not in ("utf-8", "utf-8-sig"):
        source = _source_bytes(source).decode(encoding).encode("utf-8")  # polars reads UTF-8 only
    typed = {position for position, name in enumerate(names) if name in numbers}
    body = _parse_csv(source, separator, skip=header_index + 1, width=len(names), numbers=typed)
    # The header is line header_index + 1, so the first data row is line header_index + 2.
    first_row = header_index + 2
    _refuse_cells(_headless_problems(body, names, first_row, list(range(body.width))))
    return _name_columns(body, names, first_row=first_row)


def _csv_header(text: str, lookup: dict[str, str]) -> tuple[str, int, list[str]]:
    """Separator, index and cells of the header line: the separator under which it names most columns."""
    best: tuple[int, str, int, list[str]] | None = None
    for separator in CSV_SEPARATORS:
        try:
            rows = list(itertools.islice(csv.reader(io.StringIO(text, newline=""), delimiter=separator),
                                         HEADER_SEARCH_ROWS))
        except csv.Error:
            continue
        found = _header_row(rows, lookup)
        if found and (best is None or found[1] > best[0]):
            best = (found[1], separator, found[0], rows[found[0]])
    if best is None:
        raise _no_header(lookup)
    return best[1], best[2], best[3]


def _not_utf8(error: Exception) -> bool:
    return "invalid utf-8" in str(error).lower()


def _parse_csv(data: Source, separator: str, *, skip: int, width: int, numbers: set[int] = frozenset()) -> pl.DataFrame:
    """Every field as text, in positional columns as wide as the widest row (Polars takes the width from
    the first row and would drop fields beyond it: start from the header's width and widen). The columns
    at ``numbers`` as Float64 if every row has the header's width and their cells are all finite numbers."""
    width = max(width, 1)
    if numbers:
        try:
            body = pl.read_csv(
                data,
                has_header=False,
                separator=separator,
                skip_rows=skip,
                schema={f"column_{i}": pl.Float64 if i in numbers else pl.String for i in range(width)},
                missing_columns="insert",
                raise_if_empty=False,
            )
        except pl.exceptions.PolarsError as error:
            if _not_utf8(error):
                raise _NotUtf8 from None
        else:
            figures = [f"column_{i}" for i in sorted(numbers)]
            if all(body.select(pl.col(figures).is_finite().all()).row(0)):
                return body
    while True:
        try:
            return pl.read_csv(
                data,
                has_header=False,
                separator=separator,
                skip_rows=skip,
                infer_schema=False,
                schema={f"column_{i}": pl.String for i in range(width)},
                missing_columns="insert",
                raise_if_empty=False,
            )
        except (pl.exceptions.ComputeError, pl.exceptions.SchemaError) as error:
            if _not_utf8(error):
                raise _NotUtf8 from None
            if width >= MAX_COLUMNS:
                raise TableError(f"CSV文件无法解析：{error}", f"the CSV file cannot be parsed: {error}") from None
            width = min(width * 4, MAX_COLUMNS)
        except pl.exceptions.PolarsError as error:
            raise TableError(f"CSV文件无法解析：{error}", f"the CSV file cannot be parsed: {error}") from None


# -- the header and the cells beyond it ----------------------------------------------------------------


def _refuse_cells(problems: list[CellProblem]) -> None:
    if problems:
        raise TableError(problems=problems)


def _headless_problems(
    body: pl.DataFrame, names: list[str | None], first_row: int, indexes: list[int]
) -> list[CellProblem]:
    """A value in a column without a header would be dropped: each is a problem of its cell."""
    problems = []
    for position in range(body.width):
        if position < len(names) and names[position] is not None:
            continue
        cells = body.select(
            pl.int_range(first_row, first_row + pl.len(), dtype=pl.Int64).alias("row"),
            pl.col(body.columns[position]).alias("value"),
        )
        letter = _column_letter(indexes[position])
        message = f"{letter}列", "有数据但没有表头", f"column {letter} has data but no header"
        problems += [
            CellProblem(row, indexes[position], "", *message)
            for row in cells.filter(pl.col("value").str.strip_chars() != "")["row"]
        ]
    return problems


def _name_columns(body: pl.DataFrame, names: list[str | None], *, first_row: int) -> pl.DataFrame:
    """Name the positional columns after the header, drop unnamed ones, add the ``_row`` numbers."""
    columns = []
    for position, name in enumerate(names):
        if name is None:
            continue
        if position < body.width:
            series = body.to_series(position)
            columns.append((series if series.dtype == pl.Float64 else series.cast(pl.String)).alias(name))
        else:
            columns.append(pl.Series(name, [None] * body.height, dtype=pl.String))
    frame = pl.DataFrame(columns, height=body.height)
    return frame.with_columns(pl.int_range(first_row, first_row + pl.len(), dtype=pl.Int64).alias(ROW_COLUMN))


# -- workbooks -------------------------------------------------------------------------------------------


def _read_excel(data: bytes, lookup: dict[str, str]) -> pl.DataFrame:
    import fastexcel

    if not data:
        raise TableError("文件是空的", "the file is empty")
    try:
        reader = fastexcel.read_excel(data)
        # skip_rows=0 keeps leading empty rows, so index i is sheet row i + 1; columns start at the
        # first used one, at its absolute index.
        sheet = reader.load_sheet(0, header_row=None, skip_rows=0, dtypes="string")
        batch, unread = sheet.to_arrow_with_errors()  # error values (#DIV/0!) would read as empty
        cells = pl.from_arrow(batch)
        indexes = [column.absolute_index for column in sheet.available_columns()]
        sheet_name = reader.sheet_names[0]
    except Exception:  # fastexcel raises its own hierarchy for corrupt or encrypted files
        raise TableError(
            "Excel文件无法读取：文件已损坏、已加密或不是Excel工作簿", "the Excel file cannot be read: it is damaged, "
            "password-protected or not an Excel workbook"
        ) from None
    head_rows = [list(row) for row in cells.head(HEADER_SEARCH_ROWS).iter_rows()]
    found = _header_row(head_rows, lookup)
    if found is None:
        raise _no_header(lookup)
    header_cells = head_rows[found[0]]
    names = _column_names(header_cells, lookup)
    first_row = found[0] + 2  # the header is sheet row found[0] + 1
    body = cells.slice(first_row - 1)
    first_column = indexes[0] if indexes else 0

    def column(index: int | None) -> tuple[int, str, str]:
        """Index, English name and header of the sheet's column ``index`` (0-based, absolute)."""
        if index is None:
            return -1, "", ""
        position = index - first_column
        if 0 <= position < len(names) and names[position] is not None:
            return index, names[position], _header_text(header_cells[position])
        return index, "", f"{_column_letter(index)}列"

    def filled(row: int, index: int) -> bool:
        position = index - first_column
        inside = 0 <= position < cells.width and 0 < row <= cells.height
        return inside and bool((cells[row - 1, position] or "").strip())

    problems = _headless_problems(body, names, first_row, indexes)
    for error in unread.errors if unread else []:
        row, index = error.position[0] + 1, indexes[error.position[1]]
        if row >= first_row:
            reference = f"{_column_letter(index)}{row}"
            problems.append(CellProblem(row, *column(index), *_unread_value(reference, error.detail)))
    formulas, merges = _formulas_and_merges(data, sheet_name)
    problems += [
        CellProblem(row or first_row, *column(index), *_formula_without_result(reference))
        for row, index, reference in formulas
        if row is None or row >= first_row
    ]
    problems += [
        CellProblem(max(top, first_row), *column(left), *_merged(top, left, bottom, right))
        for top, left, bottom, right in merges
        if bottom >= first_row and filled(top, left)  # not a title above the header, nor an empty region
    ]
    _refuse_cells(problems)
    return _name_columns(body, names, first_row=first_row)


def _unread_value(reference: str, detail: str) -> tuple[str, str]:
    kind = re.search(r"Error\((\w+)\)", detail)
    if kind is None:
        return f"单元格{reference}的值无法读取（{detail}）", f"the value of cell {reference} cannot be read ({detail})"
    shown = EXCEL_ERRORS.get(kind.group(1), f"#{kind.group(1)}")
    return (
        f"单元格{reference}是错误值{shown}，不是数据；请更正后再导入",
        f"cell {reference} holds the error value {shown}, not data; correct it and import again",
    )


def _formula_without_result(reference: str) -> tuple[str, str]:
    return (
        f"公式没有保存计算结果{f'（{reference}）' if reference else ''}；"
        "请在Excel或WPS中打开文件并保存后再导入，或直接填写数值",
        f"the formula{f' in {reference}' if reference else ''} has no saved result; open the file in Excel or WPS "
        "and save it, or enter the value",
    )


def _merged(top: int, left: int, bottom: int, right: int) -> tuple[str, str]:
    reference = f"{_column_letter(left)}{top}:{_column_letter(right)}{bottom}"
    rows_zh = f"第{top}至{bottom}行" if bottom > top else f"第{top}行"
    rows_en = f"rows {top} to {bottom}" if bottom > top else f"row {top}"
    return (
        f"合并单元格{reference}（{rows_zh}）只有左上角有值，其余读作空白；请取消合并并在每个单元格填写",
        f"merged cells {reference} ({rows_en}): only the top-left cell holds the value, the others read as "
        "empty; unmerge them and fill in every cell",
    )


Formula = tuple[int | None, int | None, str]  # row, 0-based column, reference ("" when not written)
Merge = tuple[int, int, int, int]  # top row, left column, bottom row, right column


def _formulas_and_merges(data: bytes, sheet_name: str) -> tuple[list[Formula], list[Merge]]:
    """Formula cells without a saved result (row, 0-based column, reference) and merged ranges (top, left,
    bottom, right) of the sheet named ``sheet_name`` in an .xlsx/.xlsm; none for other formats.

    Reads the sheet's XML as bytes in pieces of whole rows: a formula is an ``<f>`` element, its saved
    result the ``<v>`` after it, merged ranges ``<mergeCell ref=…>`` elements. A sheet without either is
    scanned at the speed of decompression; parsing every element would take several times longer than
    reading the values.
    """
    if not data.startswith(b"PK"):
        return [], []  # .xls: every formula record stores its result
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            path = _sheet_path(archive, sheet_name)
            if path is None:
                return [], []  # .xlsb, .ods: not inspected
            with archive.open(path) as stream:
                return _scan_sheet(stream)
    except Exception:  # fastexcel read it, so only an unusual or damaged structure gets here
        raise TableError(
            "Excel文件无法读取：工作簿结构已损坏", "the Excel file cannot be read: the workbook is damaged"
        ) from None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _sheet_path(archive: zipfile.ZipFile, sheet_name: str) -> str | None:
    """The path in the archive of the sheet named ``sheet_name``, through the workbook's relationships."""
    if "xl/workbook.xml" not in archive.namelist():
        return None
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    relation = next(
        (
            value
            for element in workbook.iter()
            if _local(element.tag) == "sheet" and element.get("name") == sheet_name
            for key, value in element.attrib.items()
            if _local(key) == "id"
        ),
        None,
    )
    relationships = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target") for r in relationships.iter() if r.get("Id") == relation), None)
    if relation is None or target is None:
        raise KeyError(sheet_name)
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))


def _scan_sheet(stream: IO[bytes]) -> tuple[list[Formula], list[Merge]]:
    formulas: list[Formula] = []
    merges: list[Merge] = []
    carry, tags = b"", None
    while True:
        chunk = stream.read(SHEET_CHUNK)
        buffer = carry + chunk
        if tags is None:
            tags = _SheetTags.of(buffer)
            if tags is None:
                return [], []  # not a worksheet (a chart sheet): no cells
        # Look at whole rows only (the rest waits for the next chunk), searching in place: no copies.
        end = len(buffer)
        if chunk:
            end = buffer.rfind(tags.row_end)
            if end < 0:
                carry = buffer
                continue
            end += len(tags.row_end)
        formulas += tags.formulas_without_result(buffer, end)
        merges += tags.merges(buffer, end)
        if not chunk:
            return formulas, merges
        carry = buffer[end:]


_REFERENCE = re.compile(rb"([A-Za-z]{1,3})([0-9]+)")


def _attribute(tag: bytes, name: str) -> str | None:
    found = re.search(rf"""\s{name}\s*=\s*["']([^"']*)["']""".encode(), tag)
    return found.group(1).decode() if found else None


class _SheetTags:
    """Searches in a sheet's XML, with the namespace prefix the file uses (``x:`` from some .NET writers).
    Regular expressions with a literal start are several times faster here than ``bytes.find``."""

    def __init__(self, prefix: bytes):
        p = re.escape(prefix)
        self.prefix = prefix
        self.row_end = b"</" + prefix + b"row>"
        self.cell_start, self.cell_end = b"<" + prefix + b"c", b"</" + prefix + b"c>"
        self.row_start = b"<" + prefix + b"row"
        self.formula = re.compile(rb"<" + p + rb"f[\s/>]")
        self.result = re.compile(rb"<" + p + rb"v(?:\s[^>]*)?(?:/>|>([^<]*)<)")
        self.merge_start = b"<" + prefix + b"mergeCell"
        self.merge = re.compile(rb"<" + p + rb"mergeCell\s[^>]*")

    @classmethod
    def of(cls, start: bytes) -> _SheetTags | None:
        root = re.search(rb"<(?:([A-Za-z_][\w.-]*):)?worksheet[\s>]", start)
        if root is None:
            return None
        return cls(root.group(1) + b":" if root.group(1) else b"")

    def formulas_without_result(self, xml: bytes, end: int) -> list[Formula]:
        found: list[Formula] = []
        for formula in self.formula.finditer(xml, 0, end):
            start = xml.rfind(self.cell_start, 0, formula.start())  # <f> is the first child of its <c>
            tag = xml[start : xml.find(b">", start)]
            cell_end = xml.find(self.cell_end, formula.end(), end)
            value = self.result.search(xml, formula.end(), end if cell_end < 0 else cell_end)
            if value is not None and (value.group(1) or _attribute(tag, "t") == "str"):
                continue  # a saved result; an empty one only for text ("" of =IF(…,"",…))
            reference = _attribute(tag, "r")
            parts = _REFERENCE.fullmatch(reference.encode()) if reference else None
            if parts is not None:
                found.append((int(parts.group(2)), _column_index(parts.group(1).decode()), reference))
            else:  # positions may be left implicit: the row's tells at least the row
                row = _attribute(xml[xml.rfind(self.row_start, 0, start) : start], "r")
                found.append((int(row) if row and row.isdigit() else None, None, ""))
        return found

    def merges(self, xml: bytes, end: int) -> list[Merge]:
        merges: list[Merge] = []
        start = xml.find(self.merge_start, 0, end)  # finding the literal first is faster still
        for element in self.merge.finditer(xml, max(start, 0), end if start >= 0 else 0):
            reference = _attribute(element.group(0), "ref") or ""
            corners = [_REFERENCE.fullmatch(part.encode()) for part in reference.split(":")]
            if None in corners:
                continue
            (left, top), (right, bottom) = [
                (_column_index(corner.group(1).decode()), int(corner.group(2)))
                for corner in (corners[0], corners[-1])
            ]
            merges.append((top, left, bottom, right))
        return merges


def _read_parquet(source: Source, lookup: dict[str, str]) -> pl.DataFrame:
    try:
        frame = pl.read_parquet(io.BytesIO(source) if isinstance(source, bytes) else source)
    except Exception as error:  # polars raises several kinds for a missing or damaged file
        raise TableError(f"Parquet文件无法读取：{error}", f"the Parquet file cannot be read: {error}") from None
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
            raise TableError("写入缓冲区时必须指定格式", "a format is needed to write to a buffer")
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
            f"不支持的输出格式 {format}：请使用 csv、xlsx 或 parquet", f"unsupported output format {format}: "
            "use csv, xlsx or parquet"
        )


def _excel_cells(frame: pl.DataFrame, headers: dict[str, str]) -> pl.DataFrame:
    """The frame as the sheet shows it: yes/no as 是/否, NaN and infinity empty, empty text as empty cells,
    decimals as numbers, other types as text."""
    return frame.rename({name: headers[name] for name in frame.columns if name in headers}).with_columns(
        pl.col(pl.Boolean).replace_strict({True: "是", False: "否"}, default=None, return_dtype=pl.Utf8),
        pl.col(pl.Float32, pl.Float64, pl.Decimal).cast(pl.Float64).map_batches(lambda s: s.set(~s.is_finite(), None)),
        pl.col(pl.Utf8).replace("", None),
        pl.col(pl.Datetime).dt.replace_time_zone(None),
        (~cs.numeric() & ~cs.date() & ~cs.datetime() & ~cs.string() & ~cs.boolean()).cast(pl.Utf8),
    )


def _column_widths(frame: pl.DataFrame) -> list[float]:
    """Widths fitted to the longest cell (CJK characters count twice), between 6 and 60. A number's width is
    its integer digits, sign and the four decimals shown, from the column's extremes: no cell turned into text."""
    longest = []
    if frame.height:
        widths = []
        for name, dtype in frame.schema.items():
            column = pl.col(name)
            if dtype.is_numeric():
                extreme = pl.max_horizontal(column.max().abs(), column.min().abs()).fill_null(0)
                digits = extreme.round(0).cast(pl.Int64).cast(pl.Utf8).str.len_chars()
                sign = (column.min() < 0).fill_null(False).cast(pl.Int64)
                widths.append(digits + sign + (5 if dtype.is_float() else 0))
            else:
                # A CJK character is three bytes in UTF-8 and two characters wide in Excel.
                text = column.cast(pl.Utf8).fill_null("")
                widths.append((text.str.len_chars() + (text.str.len_bytes() - text.str.len_chars()) // 2).max())
        longest = list(frame.select(width.alias(str(index)) for index, width in enumerate(widths)).row(0))
    else:
        longest = [0] * frame.width
    headers = [len(name) + (len(name.encode()) - len(name)) // 2 for name in frame.columns]
    return [min(max(cell or 0, header, 4) + 2, 60) for cell, header in zip(longest, headers, strict=True)]


def _with_notes(frame: pl.DataFrame, lines: list[str]) -> pl.DataFrame:
    """The frame with an empty row and then ``lines`` below it, in its first column (written as text)."""
    first = frame.columns[0]
    below = pl.DataFrame({first: [None, *lines]}, schema={first: pl.Utf8})
    return pl.concat([frame, below], how="diagonal_relaxed")


def _fix_creation_date(target: str | os.PathLike | IO[bytes]) -> None:
    """Set the workbook's creation and modification dates to WORKBOOK_CREATED, so that equal input gives a
    byte-equal file. The writer stamps the time of writing and has no option for it; the document properties
    come last in its archive, so only they are rewritten (zipfile's append mode rewrites the directory)."""
    stamp = WORKBOOK_CREATED.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(target, "a") as archive:
        properties = archive.getinfo("docProps/core.xml")
        tail = [info for info in archive.infolist() if info.header_offset >= properties.header_offset]
        contents = [(info, archive.read(info)) for info in tail]
        archive.filelist = [info for info in archive.filelist if info.header_offset < properties.header_offset]
        for info in tail:
            del archive.NameToInfo[info.filename]
        archive.start_dir = properties.header_offset  # the next entry is written here, over the old tail
        for info, data in contents:
            if info is properties:
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            archive.writestr(info, data)


def write_workbook(
    sheets: dict[str, pl.DataFrame],
    target: str | os.PathLike | IO[bytes],
    *,
    headers: dict[str, str] | None = None,
    titles: dict[str, str] | None = None,
    notes: dict[str, list[str]] | None = None,
) -> None:
    """Write frames as the sheets of one .xlsx: the one Excel writer of the platform.

    ``titles`` and ``notes`` (by sheet name, optional) put a title row above a sheet's header row and lines
    of text below its table, as a printed notice (公示) has them (in the first column, below an empty row;
    such a sheet has no filter buttons, which would sort the notes into the list).

    Bold frozen header row with an autofilter, fitted column widths, numbers shown to four decimals but
    stored unrounded, dates as dates, yes/no as 是/否, NaN and nulls as empty cells; ``headers`` renames
    known columns. Equal input gives a byte-equal file (fixed creation date). rustpy-xlsxwriter (Rust's
    rust_xlsxwriter) reads each frame through Arrow and streams its rows to the file: no Python call per cell.
    ``target`` is a path or a binary file open for reading and writing (the dates are fixed in place).
    """
    import rustpy_xlsxwriter as excel

    for frame in sheets.values():
        if frame.height > EXCEL_MAX_ROWS:
            raise TableError(
                f"结果有{frame.height}行，超出Excel上限", f"the result has {frame.height} rows, more than Excel "
                "holds; use csv or parquet"
            )
    header_format = excel.Format().set_bold().set_background_color("#DDEBF7").set_border("thin")
    title_format = excel.Format().set_bold().set_font_size(14)
    date_format = excel.Format().set_num_format("yyyy-mm-dd")
    entries: list[tuple[str, pl.DataFrame]] = []
    options: dict[str, dict[str, Any]] = {
        option: {} for option in ("freeze_panes", "header_row", "header_format", "column_widths", "column_formats",
                                  "autofilter", "merge_ranges")
    }
    for name, frame in sheets.items():
        sheet = name[:31]
        frame = _excel_cells(frame, headers or {})
        widths = _column_widths(frame)
        formats = [date_format if dtype == pl.Date else None for dtype in frame.dtypes]
        title, lines = (titles or {}).get(name), (notes or {}).get(name)
        top = 1 if title else 0  # the header row's index
        if lines and frame.width:
            frame = _with_notes(frame, lines)
        entries.append((sheet, frame))
        options["freeze_panes"][sheet] = {"row": top + 1, "col": 0}
        options["header_row"][sheet] = top
        options["header_format"][sheet] = header_format
        options["column_widths"][sheet] = widths
        options["column_formats"][sheet] = formats
        options["autofilter"][sheet] = bool(frame.width) and not lines
        if title:  # merged over the table (two cells at least: one cell cannot be merged)
            options["merge_ranges"][sheet] = [(0, 0, 0, max(frame.width - 1, 1), title, title_format)]
    excel.write_worksheets(
        entries,
        os.fspath(target) if isinstance(target, os.PathLike) else target,
        float_format="0.0000",
        datetime_format="yyyy-mm-dd hh:mm:ss",
        **options,
    )
    _fix_creation_date(target)
