"""The generic import mechanism: typing and checking of every column kind, all-or-nothing writing."""

import datetime

import polars as pl
import pytest
from django.urls import reverse

from mujun.core.imports import BOOL, DATE, INTEGER, LOOKUP, NUMBER, Column, ImportFailed, Importer, region_lookup
from mujun.core.exports import ExportColumn, queryset_frame, workbook_bytes


class Kinds(Importer):
    columns = [
        Column("label", "名称", required=True, max_length=4),
        Column("amount", "金额", NUMBER, positive=True),
        Column("count", "数量", INTEGER, default=0),
        Column("flag", "标志", BOOL),
        Column("day", "日期", DATE),
        Column("region", "区域", LOOKUP, lookup=region_lookup),
    ]


def frame(**columns):
    size = len(next(iter(columns.values())))
    return pl.DataFrame({"_row": list(range(2, size + 2)), **columns}, schema_overrides={"_row": pl.Int64})


def test_values_are_typed(city_admin, regions):
    typed, problems = Kinds(city_admin).validate(
        frame(
            label=["a", " b "],
            amount=["1,200.5", "3"],
            count=["7", ""],
            flag=["是", "FALSE"],
            day=["2023-01-31 00:00:00", "44927"],
            region=["330502", "南浔区"],
        )
    )
    assert problems == []
    assert typed.drop("_row").rows() == [
        ("a", 1200.5, 7, True, datetime.date(2023, 1, 31), regions.wuxing.pk),
        ("b", 3.0, 0, False, datetime.date(2023, 1, 1), regions.nanxun.pk),
    ]


def test_every_bad_cell_is_a_problem(city_admin, regions):
    _typed, problems = Kinds(city_admin).validate(
        frame(
            label=["", "toolong"],
            amount=["-1", "abc"],
            count=["1.5", "x"],
            flag=["maybe", "1"],
            day=["2023-13-01", "2023/2/3"],
            region=["nowhere", "330503100"],
        )
    )
    assert [str(p) for p in problems] == [
        "第2行 名称：必填，不能为空",
        "第2行 金额：必须大于0",
        "第2行 数量：不是整数",
        "第2行 标志：应为 是/否",
        "第2行 日期：不是日期（应为 YYYY-MM-DD）",
        "第2行 区域：未找到“区域”",
        "第3行 名称：不能超过4个字符",
        "第3行 金额：不是数字",
        "第3行 数量：不是数字",
    ]


def test_operator_rows_outside_their_county_are_problems(operator_wuxing, regions):
    _typed, problems = Kinds(operator_wuxing).validate(frame(label=["a", "b"], region=["织里镇", "练市镇"]))
    assert [str(p) for p in problems] == ["第3行 区域：不在您可编辑的区域内"]


def test_a_form_choice_stands_in_for_a_missing_column(city_admin, regions):
    typed, problems = Kinds(city_admin, count=2023).validate(frame(label=["a"]))
    assert problems == [] and typed["count"].to_list() == [2023]


def test_save_failure_stores_nothing(city_admin, regions, monkeypatch):
    from mujun.regions.models import Region

    class Broken(Kinds):
        def save(self, frame):
            Region.objects.create(code="999", name="临时", level="town", parent=regions.wuxing)
            raise ImportFailed([])

    importer = Broken(city_admin)
    monkeypatch.setattr(importer, "read", lambda source, filename=None: frame(label=["a"]))
    with pytest.raises(ImportFailed):
        importer.run(b"")
    assert not Region.objects.filter(code="999").exists()


def test_export_frame_writes_yes_no_and_dates(regions, make_enterprise):
    from mujun.enterprises.models import Enterprise

    make_enterprise(1, above_scale=True, established_on=datetime.date(2020, 5, 1))
    columns = [ExportColumn("name", "企业名称"), ExportColumn("above_scale", "是否规上"), ExportColumn("established_on", "成立日期")]
    exported = queryset_frame(Enterprise.objects.all(), columns)
    assert exported.rows() == [("企业1", "是", datetime.date(2020, 5, 1))]
    assert workbook_bytes({"企业": exported})[:2] == b"PK"  # a zip container: .xlsx


# -- uploads as offices save them, and cells a workbook does not really hold (issue 8, items 9 and 10) ----

ENTERPRISE_HEADERS = ["统一社会信用代码", "企业名称", "所属区域", "是否规上", "用地面积(亩)", "实缴税金(万元)"]


def enterprise_rows(uscc) -> list[list[str]]:
    return [
        [uscc(1), "湖州𠮷祥丝绸有限公司", "吴兴区", "是", "50", "1200.5"],  # 𠮷: beyond GBK, in GB18030
        [uscc(2), "织里童装有限公司", "330502100", "否", "12.5", "30"],
    ]


def post_import(client, data: bytes, filename: str):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    upload = SimpleUploadedFile(filename, data)
    # The upload becomes a background job (run at once in tests) and the user lands on its page.
    return client.post(reverse("enterprises:enterprise_import"), {"file": upload, "year": 2023}, follow=True)


def problems_download(client, response):
    return client.get(reverse("import_job_problems", args=[response.context["job"].pk]))


@pytest.mark.parametrize(
    ("encoding", "separator", "filename"),
    [("utf-16", "\t", "企业.txt"), ("utf-16", ",", "企业.csv"), ("gb18030", "\t", "企业.txt")],
    ids=["excel unicode text", "utf-16 csv", "gb18030 tab-separated"],
)
def test_text_uploads_in_the_encodings_excel_writes_are_imported(
    client_as, city_admin, regions, uscc, encoding, separator, filename
):
    from mujun.enterprises.models import Enterprise

    lines = [separator.join(row) for row in [ENTERPRISE_HEADERS, *enterprise_rows(uscc)]]
    response = post_import(client_as(city_admin), "\r\n".join(lines).encode(encoding), filename)
    assert response.status_code == 200
    assert 'id="import-result"' in response.content.decode()
    assert sorted(Enterprise.objects.values_list("name", "land_mu")) == [("湖州𠮷祥丝绸有限公司", 50), ("织里童装有限公司", 12.5)]


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("企业.csv", bytes(range(256)) * 40, "文件编码无法识别"),
        ("企业.csv", b"\x00\x01\x02binary\x00", "不是文本表格"),
        ("企业.xlsx", b"PK\x03\x04 not really a workbook", "Excel文件无法读取"),
    ],
    ids=["undecodable", "binary", "broken workbook"],
)
def test_unreadable_upload_is_a_problem_on_the_page_not_an_error(
    client_as, city_admin, regions, filename, data, message
):
    from mujun.enterprises.models import Enterprise

    response = post_import(client_as(city_admin), data, filename)
    assert response.status_code == 200
    assert 'id="import-problems"' in response.content.decode() and message in response.content.decode()
    assert not Enterprise.objects.exists()


def upload_workbook(uscc, fill) -> bytes:
    import io

    import openpyxl

    book = openpyxl.Workbook()  # openpyxl saves a formula without its result, as generated files do
    sheet = book.active
    sheet.append(ENTERPRISE_HEADERS)
    for row in enterprise_rows(uscc):
        sheet.append(row)
    fill(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fill", "row", "column", "message"),
    [
        (lambda sheet: sheet.__setitem__("F3", "=E3*2"), 3, "实缴税金(万元)", "公式没有保存计算结果（F3）"),
        (lambda sheet: sheet.__setitem__("H2", "另有厂房"), 2, "H列", "有数据但没有表头"),
        (lambda sheet: sheet.merge_cells("C2:C3"), 2, "所属区域", "合并单元格C2:C3（第2至3行）只有左上角有值"),
    ],
    ids=["formula without result", "data beyond the header", "merged cells"],
)
def test_cells_the_workbook_does_not_hold_are_problems_and_nothing_is_stored(
    client_as, city_admin, regions, uscc, fill, row, column, message
):
    from mujun.enterprises.models import Enterprise

    response = post_import(client_as(city_admin), upload_workbook(uscc, fill), "企业.xlsx")
    page = response.content.decode()
    assert response.status_code == 200
    assert f"<tr><td>{row}</td><td>{column} " in page and message in page
    assert not Enterprise.objects.exists()


def test_an_import_problem_is_in_the_users_language_only(client_as, city_admin, regions):
    """The refusal of an unreadable upload, on the page and in the problems workbook: Chinese by default,
    English for a user who chose English, never both."""
    client = client_as(city_admin)
    garbage = bytes(range(256)) * 40
    response = post_import(client, garbage, "企业.csv")
    chinese = response.content.decode()
    assert "文件编码无法识别" in chinese and "unknown text encoding" not in chinese
    workbook = pl.read_excel(problems_download(client, response).content)
    assert workbook.columns == ["行号", "表头", "列名", "问题"]
    assert workbook["问题"].to_list() == ["文件编码无法识别：应为 UTF-8、UTF-16 或 GBK/GB18030 的文本"]

    client.cookies["django_language"] = "en"
    response = post_import(client, garbage, "企业.csv")
    english = response.content.decode()
    assert "unknown text encoding" in english and "文件编码无法识别" not in english
    workbook = pl.read_excel(problems_download(client, response).content)
    assert workbook.columns == ["Row", "Header", "Column", "Problem"]
    assert workbook["Problem"].to_list() == ["unknown text encoding: expected text in UTF-8, UTF-16 or GBK/GB18030"]


def test_bulk_writing_keeps_every_value_of_every_column_type(db):
    """What an import writes reads back as it was: on PostgreSQL by binary COPY (pgpq), on SQLite by one
    prepared INSERT. Dates before 2000 and before 1970, microseconds, nulls, Chinese text, an empty string."""
    from django.db import connection

    from mujun.core import bulk

    moment = datetime.datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=datetime.UTC)
    values = pl.DataFrame(
        {
            "small": [2024, None, -3], "whole": [70_000, 0, None], "big": [1, 2, 3 * 10**12],
            "share": [0.1, None, -1e300], "flag": [True, False, None],
            "day": [datetime.date(1969, 12, 31), datetime.date(2000, 1, 1), None],
            "moment": [moment, None, datetime.datetime(1999, 12, 31, 16, 0, tzinfo=datetime.UTC)],
            "label": ["湖州丝绸", "", None], "note": ['引号"与,逗号', "\\n", "x" * 3000],
        },
        schema_overrides={"moment": pl.Datetime("us", "UTC")},
    )  # fmt: skip
    types = ("smallint", "integer", "bigint", "double precision", "boolean", "date", "timestamp with time zone",
             "varchar(20)", "text")  # fmt: skip
    columns = ", ".join(f"{name} {kind}" for name, kind in zip(values.columns, types, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE written ({columns})")
        bulk._write(cursor, "written", values)
        cursor.execute(f"SELECT {', '.join(values.columns)} FROM written ORDER BY big")
        stored = cursor.fetchall()
        cursor.execute("DROP TABLE written")
    if connection.vendor == "sqlite":  # SQLite keeps booleans as 0/1, and these date-times as text
        stored = [
            (*row[:4], None if row[4] is None else bool(row[4]), row[5],
             row[6] and datetime.datetime.fromisoformat(str(row[6])).replace(tzinfo=datetime.UTC), *row[7:])
            for row in stored
        ]  # fmt: skip
    assert stored == values.rows()
