import codecs
import io
import re
import zipfile
from contextlib import contextmanager
from datetime import date, datetime

import openpyxl
import polars as pl
import pytest
import xlsxwriter

from mujun.engine.evaluation import evaluate, prepare, result_headers
from mujun.engine.io import INPUT_COLUMNS, TableError, read_table, write_table
from mujun.engine.tests.factories import code, frame, huangyan_2022, one_indicator_scheme, row

CHINESE_HEADER = "统一社会信用代码,企业名称,是否规上,用地面积(亩),实缴税金(万元)"


@contextmanager
def refused(english: str):
    """The block raises a TableError whose English message matches ``english``; its Chinese one is Chinese."""
    with pytest.raises(TableError) as caught:
        yield caught
    assert re.search(english, caught.value.message("en")), caught.value.message("en")
    assert not re.search(english, caught.value.message("zh-hans"))


def test_input_columns_follow_the_spec_table():
    assert list(INPUT_COLUMNS)[:5] == ["uscc", "name", "region", "above_scale", "land_mu"]
    assert INPUT_COLUMNS["electricity_10k_kwh"] == "用电量(万千瓦时)"
    assert len(INPUT_COLUMNS) == 26
    assert list(INPUT_COLUMNS)[18:] == [
        "industry_code", "tenant", "landlord_uscc", "high_tech", "safety_accident", "water_t", "land_use_tax",
        "prior_d_years",
    ]


def test_csv_with_chinese_headers_gives_english_names_text_cells_and_line_numbers(tmp_path):
    path = tmp_path / "企业.csv"
    path.write_text(f"{CHINESE_HEADER}\n{code(1)},甲厂,是,12.50,100\n{code(2)},乙厂,否, 3,\n", encoding="utf-8")
    table = read_table(path)
    assert table.columns == ["uscc", "name", "above_scale", "land_mu", "tax", "_row"]
    assert table.schema["land_mu"] == pl.String
    assert table["land_mu"].to_list() == ["12.50", " 3"]  # exactly as in the file
    assert table["tax"].to_list() == ["100", None]
    assert table["_row"].to_list() == [2, 3]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_of_county_spreadsheets(tmp_path, encoding):
    path = tmp_path / "input.csv"
    path.write_bytes(f"{CHINESE_HEADER}\n{code(1)},黄岩精密模具有限公司,是,12.5,100\n".encode(encoding))
    table = read_table(path)
    assert table["uscc"].to_list() == [code(1)]
    assert table["name"].to_list() == ["黄岩精密模具有限公司"]


def test_gbk_text_that_starts_after_a_long_ascii_head(tmp_path):
    lines = [CHINESE_HEADER.replace("企业名称", "name")]
    lines += [f"{code(n)},firm{n},1,10,1" for n in range(3000)]
    lines += [f"{code(3000)},椒江汽配厂,1,10,1"]
    path = tmp_path / "mixed.csv"
    path.write_bytes("\n".join(lines).encode("gbk"))
    table = read_table(path)
    assert table.height == 3001
    assert table["name"][-1] == "椒江汽配厂"


def test_csv_title_lines_and_blank_lines_keep_the_line_numbers_users_see(tmp_path):
    path = tmp_path / "input.csv"
    path.write_text(
        f"黄岩区2022年度亩均效益评价企业名单\n\n{CHINESE_HEADER}\n{code(1)},甲,是,1,1\n\n{code(2)},乙,是,2,2\n",
        encoding="utf-8",
    )
    table = read_table(path)
    assert table["uscc"].to_list() == [code(1), code(2)]
    assert table["_row"].to_list() == [4, 6]


def test_english_headers_and_loose_spelling_of_chinese_ones(tmp_path):
    path = tmp_path / "input.csv"
    path.write_text(f"USCC, 企业名称 ,用地面积（亩）,Tax,extra_figure\n{code(1)},甲,5,1,7\n", encoding="utf-8")
    assert read_table(path).columns == ["uscc", "name", "land_mu", "tax", "extra_figure", "_row"]


def test_duplicate_headers_are_refused(tmp_path):
    path = tmp_path / "input.csv"
    path.write_text(f"uscc,用地面积(亩),land_mu\n{code(1)},1,2\n", encoding="utf-8")
    with refused("duplicate headers: land_mu"):
        read_table(path)


def test_a_file_without_a_header_row_is_refused(tmp_path):
    path = tmp_path / "input.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with refused("no header row found"):
        read_table(path)


def test_unreadable_and_unsupported_files(tmp_path):
    with refused("cannot read file"):
        read_table(tmp_path / "missing.csv")
    with refused("unsupported file type .docx"):
        read_table(tmp_path / "input.docx")
    (tmp_path / "broken.xlsx").write_bytes(b"this is not a workbook")
    with refused("the Excel file cannot be read"):
        read_table(tmp_path / "broken.xlsx")
    with refused("no file name given"):
        read_table(b"uscc,land_mu\n")


def excel_with_title_rows() -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer)
    sheet = workbook.add_worksheet()
    sheet.write(0, 0, "黄岩区2022年度工业企业亩均效益综合评价")
    sheet.write(1, 0, "单位：万元、亩")
    sheet.write_row(3, 0, ["序号", "统一社会信用代码", "企业名称", "是否规上", "用地面积(亩)", "成立日期"])
    sheet.write_row(4, 0, [1, code(1), "甲厂", "是", 12.5])
    sheet.write_datetime(4, 5, datetime(2015, 3, 1), workbook.add_format({"num_format": "yyyy-mm-dd"}))
    sheet.write_row(6, 0, [2, code(2), "乙厂", "否", 3, "2019-07-01"])
    workbook.close()
    return buffer.getvalue()


def test_excel_header_is_found_under_title_rows_and_rows_are_sheet_rows():
    table = read_table(excel_with_title_rows(), filename="名单.xlsx")
    assert table.columns == ["序号", "uscc", "name", "above_scale", "land_mu", "established_on", "_row"]
    assert table["uscc"].to_list() == [code(1), code(2)]
    assert table["_row"].to_list() == [5, 7]  # the empty sheet row 6 is skipped, numbering is not
    assert table["land_mu"].to_list() == ["12.5", "3"]
    evaluation = evaluate(table.with_columns(pl.lit("100").alias("tax")), one_indicator_scheme())
    assert evaluation.result["status"].to_list() == ["evaluated", "evaluated"]


def test_excel_dates_are_read_whatever_the_cell_type():
    table = read_table(excel_with_title_rows(), filename="名单.xlsx")
    typed, found = prepare(table.with_columns(pl.lit("1").alias("tax")), one_indicator_scheme())
    assert found == []
    assert typed["established_on"].to_list() == [date(2015, 3, 1), date(2019, 7, 1)]


def test_parquet_keeps_types_and_renames_chinese_headers(tmp_path):
    path = tmp_path / "input.parquet"
    pl.DataFrame({"统一社会信用代码": [code(1)], "用地面积(亩)": [12.5], "是否规上": [True]}).write_parquet(path)
    table = read_table(path)
    assert table.schema == pl.Schema(
        {"uscc": pl.String, "land_mu": pl.Float64, "above_scale": pl.Boolean, "_row": pl.Int64}
    )
    assert table["_row"].to_list() == [1]


def result_of_three():
    return evaluate(frame([row(1), row(2, tax=50), row(3, above_scale="否")]), huangyan_2022()).result


def test_csv_result_is_utf8_with_bom_and_reads_back(tmp_path):
    result = result_of_three()
    path = tmp_path / "result.csv"
    write_table(result, path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbfuscc,name,region,group,status")
    again = pl.read_csv(path, schema=result.schema)
    assert again.equals(result)


def test_parquet_result_round_trips(tmp_path):
    result = result_of_three()
    write_table(result, tmp_path / "result.parquet")
    assert pl.read_parquet(tmp_path / "result.parquet").equals(result)


def test_excel_result_has_chinese_headers_frozen_header_and_is_byte_equal_on_rewrite(tmp_path):
    result = result_of_three()
    headers = result_headers(huangyan_2022())
    write_table(result, tmp_path / "a.xlsx", headers=headers)
    write_table(result, tmp_path / "b.xlsx", headers=headers)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    sheet = openpyxl.load_workbook(tmp_path / "a.xlsx").active
    header = [cell.value for cell in sheet[1]]
    assert header[:6] == ["统一社会信用代码", "企业名称", "所属区域", "分组", "状态", "原因"]
    assert "亩均税收" in header and "亩均税收得分" in header and "等级" in header
    assert sheet.freeze_panes == "A2"
    assert sheet.cell(2, 1).value == code(1)
    total_column = header.index("总分") + 1
    assert sheet.cell(2, total_column).value == pytest.approx(result["total"][0])  # stored unrounded


def test_write_table_refuses_unknown_formats(tmp_path):
    with refused("unsupported output format"):
        write_table(result_of_three(), tmp_path / "result.json")


# -- encodings and files that are not tables (issue 8, item 9) ------------------------------------------


def text_table(separator: str) -> str:
    header = separator.join(["统一社会信用代码", "企业名称", "用地面积(亩)", "实缴税金(万元)"])
    rows = [separator.join([code(1), "𠮷祥模具厂", "12.5", "100"]), separator.join([code(2), "乙厂", "3", ""])]
    return "\r\n".join([header, *rows]) + "\r\n"


@pytest.mark.parametrize(
    ("encoding", "separator"),
    [
        ("utf-16", "\t"),  # Excel's "Unicode text": UTF-16 LE with its byte-order mark, tab-separated
        ("utf-16", ","),
        ("utf-16-be-bom", ","),
        ("gb18030", "\t"),  # Excel's "Text (tab-delimited)" on Chinese Windows
        ("utf-8-sig", "\t"),
    ],
    ids=["utf-16 tab", "utf-16 comma", "utf-16-be comma", "gb18030 tab", "utf-8-bom tab"],
)
def test_csv_in_every_encoding_and_separator_excel_writes(tmp_path, encoding, separator):
    text = text_table(separator)
    data = codecs.BOM_UTF16_BE + text.encode("utf-16-be") if encoding == "utf-16-be-bom" else text.encode(encoding)
    table = read_table(data, filename="企业.csv")
    assert table.columns == ["uscc", "name", "land_mu", "tax", "_row"]
    assert table.rows() == [(code(1), "𠮷祥模具厂", "12.5", "100", 2), (code(2), "乙厂", "3", None, 3)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (bytes(range(256)) * 40, "unknown text encoding"),
        (b"PK\x03\x04\x00\x00garbage\x00\x00\x00", "not a text table"),
        (CHINESE_HEADER.encode("utf-16-le"), "not a text table"),  # UTF-16 without its byte-order mark
    ],
    ids=["empty", "binary", "zip", "utf-16 without bom"],
)
def test_csv_that_is_not_a_text_table_is_refused_clearly(data, message):
    with refused(message):
        read_table(data, filename="input.csv")


def test_workbooks_that_are_not_workbooks_are_refused_clearly():
    with refused("the file is empty"):
        read_table(b"", filename="input.xlsx")
    for data in (b"PK\x03\x04 a broken zip", "统一社会信用代码,企业名称\n".encode()):
        with refused("not an Excel workbook"):
            read_table(data, filename="input.xlsx")


def test_csv_rows_wider_than_the_first_one_keep_their_fields(tmp_path):
    # Polars takes the width of the first data row: a short first row used to drop later rows' cells.
    data = f"uscc,name,tax\n{code(1)},甲\n{code(2)},乙,30\n".encode()
    assert read_table(data, filename="input.csv")["tax"].to_list() == [None, "30"]


def test_csv_data_beyond_the_header_is_a_problem_of_its_cells():
    data = f"uscc,name,,tax\n{code(1)},甲,,1\n{code(2)},乙,note,2,,extra\n".encode()
    with pytest.raises(TableError) as failure:
        read_table(data, filename="input.csv")
    assert [str(p) for p in failure.value.problems] == [
        "第3行 C列：有数据但没有表头",
        "第3行 F列：有数据但没有表头",
    ]


# -- cells a workbook does not really hold (issue 8, item 10) -------------------------------------------


def workbook_bytes(fill) -> bytes:
    """An .xlsx written by openpyxl (which saves formulas without their results): a title, the header, rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["黄岩区企业名单"])
    sheet.merge_cells("A1:D1")  # a title above the header is no problem
    sheet.append(["统一社会信用代码", "企业名称", "用地面积(亩)", "实缴税金(万元)"])
    sheet.append([code(1), "甲厂", 10, 100])
    sheet.append([code(2), "乙厂", 5, 50])
    sheet.append([code(3), "丙厂", 8, 80])
    fill(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def problems_of(data: bytes) -> list[str]:
    with pytest.raises(TableError) as failure:
        read_table(data, filename="名单.xlsx")
    return [str(p) for p in failure.value.problems]


def test_workbook_without_formulas_merges_or_stray_cells_reads_as_before():
    assert read_table(workbook_bytes(lambda sheet: None), filename="名单.xlsx")["tax"].to_list() == ["100", "50", "80"]


def test_a_formula_above_the_header_loses_nothing_of_the_table():
    data = workbook_bytes(lambda sheet: sheet.__setitem__("A1", '="黄岩区"&"企业名单"'))
    assert read_table(data, filename="名单.xlsx").height == 3


def test_formula_without_a_saved_result_is_a_problem_of_its_row_and_column():
    # The tax stored as empty scored 0 and lowered a grade B → C.
    data = workbook_bytes(lambda sheet: sheet.__setitem__("D4", "=C4*10"))
    assert problems_of(data) == [
        "第4行 实缴税金(万元)：公式没有保存计算结果（D4）；请在Excel或WPS中打开文件并保存后再导入，或直接填写数值"
    ]


def test_formulas_with_saved_results_are_read_as_their_results():
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["统一社会信用代码", "企业名称", "用地面积(亩)", "实缴税金(万元)"])
    sheet.write_row(1, 0, [code(1), "甲厂", 10])
    sheet.write_formula(1, 3, "=C2*10", None, 100)  # as Excel saves it: the formula and its result
    sheet.write_string(2, 0, code(2))
    sheet.write_formula(2, 1, '="乙"&"厂"', None, "乙厂")
    book.close()
    table = read_table(buffer.getvalue(), filename="名单.xlsx")
    assert table.select("name", "tax").rows() == [("甲厂", "100"), ("乙厂", None)]


def test_cells_beyond_the_header_are_problems_naming_row_and_column_letter():
    def fill(sheet):
        sheet["F3"] = "备注：新投产"
        sheet["E5"] = 12

    assert problems_of(workbook_bytes(fill)) == [
        "第3行 F列：有数据但没有表头",
        "第5行 E列：有数据但没有表头",
    ]


def test_merged_cells_below_the_header_are_a_problem_naming_their_rows():
    data = workbook_bytes(lambda sheet: sheet.merge_cells("C3:C5"))  # one land figure for three firms
    assert problems_of(data) == [
        "第3行 用地面积(亩)：合并单元格C3:C5（第3至5行）只有左上角有值，其余读作空白；请取消合并并在每个单元格填写"
    ]


def test_error_values_are_problems_not_empty_cells():
    data = workbook_bytes(lambda sheet: sheet.__setitem__("D4", "#DIV/0!"))  # openpyxl stores an error value
    assert problems_of(data) == [
        "第4行 实缴税金(万元)：单元格D4是错误值#DIV/0!，不是数据；请更正后再导入"
    ]


def test_sheets_written_with_a_namespace_prefix_are_inspected_too():
    """Some .NET writers spell every element ``<x:c>``, ``<x:f>``, ``<x:mergeCell>``."""

    def fill(sheet):
        sheet["D4"] = "=C4*10"
        sheet.merge_cells("B5:B6")

    original, prefixed = zipfile.ZipFile(io.BytesIO(workbook_bytes(fill))), io.BytesIO()
    with zipfile.ZipFile(prefixed, "w") as archive:
        for item in original.infolist():
            content = original.read(item)
            if item.filename.startswith("xl/worksheets/"):
                content = re.sub(rb"<(/?)([A-Za-z]+)", rb"<\1x:\2", content).replace(b'xmlns="', b'xmlns:x="')
            archive.writestr(item, content)
    assert [p.split("：")[0] for p in problems_of(prefixed.getvalue())] == ["第4行 实缴税金(万元)", "第5行 企业名称"]


# -- figures read as numbers by the reader, and the Excel writer (issue 11, items 3 and 4) ----------------


def test_figures_come_as_numbers_when_every_cell_is_one_and_as_text_otherwise(tmp_path):
    path = tmp_path / "企业.csv"
    clean = f"{CHINESE_HEADER}\n{code(1)},甲,是,12.5,100\n{code(2)},乙,TRUE,3,\n"
    path.write_text(clean, encoding="utf-8")
    table = read_table(path, numbers={"land_mu", "tax"})
    assert table.schema["land_mu"] == pl.Float64 and table.schema["tax"] == pl.Float64
    assert table["land_mu"].to_list() == [12.5, 3.0] and table["tax"].to_list() == [100.0, None]
    assert table.schema["above_scale"] == pl.String and table["_row"].to_list() == [2, 3]
    assert read_table(path).schema["land_mu"] == pl.String  # asked for nothing: text, as before
    for cell in ["12,5", "nan", "inf", "十二"]:  # each cell the caller must report, with its text
        path.write_text(clean.replace("12.5", f'"{cell}"'), encoding="utf-8")
        table = read_table(path, numbers={"land_mu", "tax"})
        assert table.schema["land_mu"] == pl.String and table["land_mu"].to_list() == [cell, "3"]
    path.write_text(clean + f"{code(3)},丙,否,4,5,extra\n", encoding="utf-8")  # a ragged row: the text path
    with refused("column F has data but no header"):
        read_table(path, numbers={"land_mu"})


def test_a_gbk_file_whose_head_is_ascii_is_still_found_out_when_figures_are_read_as_numbers(tmp_path):
    ascii_rows = "".join(f"{code(n)},Factory {n},1,10,100\n" for n in range(40_000))  # beyond the first chunk
    data = f"uscc,name,above_scale,land_mu,tax\n{ascii_rows}{code(99)},丙企业,否,4,5\n".encode("gb18030")
    (tmp_path / "gbk.csv").write_bytes(data)
    table = read_table(tmp_path / "gbk.csv", numbers={"land_mu", "tax"})
    assert table["name"][-1] == "丙企业" and table.schema["land_mu"] == pl.Float64


def test_a_file_read_with_numbers_evaluates_as_the_text_one(tmp_path):
    path = tmp_path / "input.csv"
    frame([row(1), row(2, tax="80.5"), row(3, land_mu="2", above_scale="否")]).drop("_row").write_csv(path)
    scheme = huangyan_2022()
    from mujun.engine.evaluation import number_columns

    typed = evaluate(read_table(path, numbers=number_columns(scheme)), scheme).result
    assert typed.equals(evaluate(read_table(path), scheme).result)


def workbook_of(sheets, **options) -> openpyxl.Workbook:
    from mujun.engine.io import write_workbook

    buffer = io.BytesIO()
    write_workbook(sheets, buffer, **options)
    return openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))


def test_the_workbook_shows_each_type_as_the_platform_always_has():
    from decimal import Decimal

    table = pl.DataFrame(
        {
            "uscc": [code(1), "", None], "land_mu": [12.5, float("nan"), float("inf")], "employees": [3, None, 7],
            "above_scale": [True, False, None], "established_on": [date(2020, 1, 2), None, None],
            "written_at": [datetime(2024, 5, 6, 7, 8, 9), None, None],
            "amount": [Decimal("1.25"), None, None],  # not a known column: keeps its own name
        }
    )
    sheet = workbook_of({"结果": table}, headers=INPUT_COLUMNS).active
    assert [cell.value for cell in sheet[1]][:4] == ["统一社会信用代码", "用地面积(亩)", "年平均职工人数", "是否规上"]
    header = sheet["A1"]
    assert header.font.b and header.fill.fgColor.rgb == "FFDDEBF7" and header.border.left.style == "thin"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:G4"
    assert [cell.value for cell in sheet[2]] == [
        code(1), 12.5, 3, "是", datetime(2020, 1, 2), datetime(2024, 5, 6, 7, 8, 9), 1.25
    ]
    assert [cell.value for cell in sheet[3]] == [None, None, None, "否", None, None, None]  # "" and NaN: empty
    assert sheet["B4"].value is None  # infinity: empty
    assert (sheet["B2"].number_format, sheet["C2"].number_format) == ("0.0000", "General")
    assert (sheet["E2"].number_format, sheet["F2"].number_format) == ("yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss")
    widths = {letter: sheet.column_dimensions[letter].width for letter in "AB"}
    assert widths["A"] > 20 > widths["B"]  # an 18-character code and a short number


def test_a_notice_has_its_title_above_and_its_notes_below_the_table():
    listed = pl.DataFrame({"企业名称": ["甲", "乙"], "评价等级": ["A", "B"]})
    book = workbook_of(
        {"公示": listed, "其他": listed}, titles={"公示": "某县公示"}, notes={"公示": ["公示期：5日", "如有异议请来电"]}
    )
    rows = list(book["公示"].iter_rows(values_only=True))
    assert rows == [("某县公示", None), ("企业名称", "评价等级"), ("甲", "A"), ("乙", "B"), (None, None),
                    ("公示期：5日", None), ("如有异议请来电", None)]
    notice = book["公示"]
    assert notice["A1"].font.b and notice["A1"].font.sz == 14 and notice.freeze_panes == "A3"
    assert notice["A2"].font.b and notice.auto_filter.ref is None  # no filter buttons to sort the notes in
    assert list(book["其他"].iter_rows(values_only=True))[0] == ("企业名称", "评价等级")


def test_a_workbook_is_written_to_a_path_a_buffer_or_a_temporary_file_with_the_fixed_date(tmp_path):
    import tempfile

    from mujun.engine.io import WORKBOOK_CREATED, write_workbook

    table = pl.DataFrame({"a": [1.5]})
    write_workbook({"s": table}, tmp_path / "a.xlsx")
    buffer = io.BytesIO()
    write_workbook({"s": table}, buffer)
    with tempfile.TemporaryFile() as handle:
        write_workbook({"s": table}, handle)
        handle.seek(0)
        stored = handle.read()
    assert (tmp_path / "a.xlsx").read_bytes() == buffer.getvalue() == stored
    assert openpyxl.load_workbook(buffer).properties.created == WORKBOOK_CREATED
