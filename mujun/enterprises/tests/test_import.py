"""Importing the evaluation input table: all rows or none, every problem named by row and field."""

import csv
import datetime
import io
import os
import re
from contextlib import contextmanager

import openpyxl
import polars as pl
import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from mujun.core import bulk
from mujun.core.history import history_models
from mujun.core.imports import ImportFailed
from mujun.enterprises.imports import EnterpriseImporter
from mujun.enterprises.models import Enterprise, EnterpriseYear

HEADERS_ZH = ["统一社会信用代码", "企业名称", "所属区域", "是否规上", "用地面积(亩)", "实缴税金(万元)", "工业增加值(万元)", "成立日期"]
HEADERS_EN = ["uscc", "name", "region", "above_scale", "land_mu", "tax", "value_added", "established_on"]


def workbook(rows, headers=HEADERS_ZH, title="湖州市2023年度工业企业亩均效益评价数据") -> bytes:
    """An .xlsx as counties send it: a title row above the header row."""
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, headers=HEADERS_EN) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return text.getvalue().encode()


def run(user, data: bytes, filename="data.xlsx", **options):
    return EnterpriseImporter(user, **options).run(io.BytesIO(data), filename=filename)


def problems_of(user, data: bytes, filename="data.xlsx", **options) -> list[str]:
    with pytest.raises(ImportFailed) as failure:
        run(user, data, filename, **options)
    return [str(p) for p in failure.value.problems]


@pytest.fixture
def rows(uscc):
    return [
        [uscc(1), "湖州丝绸有限公司", "吴兴区", "是", 50, 1200.5, 8000, "2010-05-01"],
        [uscc(2), "织里童装有限公司", "330502100", "否", "12.5", 30, 200, None],
        [uscc(3), "南浔木业有限公司", "南浔区", "1", 20, "", 900, datetime.date(2021, 3, 15)],  # a date cell
    ]


def test_excel_with_title_row_and_chinese_headers_creates_enterprises_and_year(city_admin, regions, rows, uscc):
    result = run(city_admin, workbook(rows), year=2023)

    assert result.rows == 3
    assert [c.created for c in result.counts.values()] == [3, 3]
    silk = Enterprise.objects.get(uscc=uscc(1))
    assert (silk.name, silk.region, silk.above_scale, silk.land_mu) == ("湖州丝绸有限公司", regions.wuxing, True, 50)
    assert str(silk.established_on) == "2010-05-01"
    assert Enterprise.objects.get(uscc=uscc(2)).region == regions.zhili  # a town by its code
    figures = EnterpriseYear.objects.get(enterprise=silk, year=2023)
    assert (figures.tax, figures.value_added, figures.land_mu, figures.coefficient, figures.bonus) == (
        1200.5, 8000, 50, 1.0, 0.0,
    )
    assert EnterpriseYear.objects.get(enterprise__uscc=uscc(3)).tax is None  # an empty cell is no figure
    assert Enterprise.objects.get(uscc=uscc(3)).established_on == datetime.date(2021, 3, 15)


def test_csv_with_english_headers_and_year_column(city_admin, regions, rows, uscc):
    data = csv_bytes([[*row, 2022] for row in rows], HEADERS_EN + ["year"])
    run(city_admin, data, filename="data.csv")
    assert set(EnterpriseYear.objects.values_list("year", flat=True)) == {2022}
    assert Enterprise.objects.get(uscc=uscc(2)).land_mu == 12.5


def test_import_updates_existing_enterprises_and_records_history(city_admin, regions, rows, uscc, make_enterprise):
    existing = make_enterprise(1, name="旧名称", land_mu=40)
    run(city_admin, workbook(rows), year=2023)
    rows[0][5] = 1300
    result = run(city_admin, workbook(rows), year=2023)

    existing.refresh_from_db()
    assert existing.name == "湖州丝绸有限公司" and existing.land_mu == 50
    assert Enterprise.objects.count() == 3
    enterprise_counts, year_counts = result.counts.values()
    assert (enterprise_counts.created, enterprise_counts.updated, enterprise_counts.unchanged) == (0, 0, 3)
    assert (year_counts.created, year_counts.updated, year_counts.unchanged) == (0, 1, 2)
    assert EnterpriseYear.objects.get(enterprise=existing, year=2023).tax == 1300
    latest = existing.history.first()
    assert latest.history_user == city_admin and latest.history_type == "~"
    assert latest.prev_record.name == "旧名称"


def test_earlier_year_does_not_overwrite_the_enterprise(city_admin, regions, rows, uscc):
    run(city_admin, workbook(rows), year=2023)
    rows[0][1] = "改名前的名称"
    run(city_admin, workbook(rows), year=2021)
    assert Enterprise.objects.get(uscc=uscc(1)).name == "湖州丝绸有限公司"
    assert EnterpriseYear.objects.filter(enterprise__uscc=uscc(1)).count() == 2


def test_missing_year_is_a_problem(city_admin, regions, rows):
    assert problems_of(city_admin, workbook(rows)) == ["第2行 年度：缺少必填列“年度”"]


def test_year_column_is_checked(city_admin, regions, rows):
    data = workbook([[*row, year] for row, year in zip(rows, [2023, 23, None])], HEADERS_ZH + ["年度"])
    assert problems_of(city_admin, data) == [
        "第4行 年度：年度不得早于1990年",
        "第5行 年度：必填，不能为空",
    ]


BAD_CELLS = [
    # (column index, bad value, field named in the problem, part of the message)
    (0, "91330500MA0000001X", "统一社会信用代码", "校验位错误"),
    (0, "123", "统一社会信用代码", "应为18位"),
    (4, 0, "用地面积(亩)", "必须大于0"),
    (4, -3, "用地面积(亩)", "必须大于0"),
    (4, None, "用地面积(亩)", "必填，不能为空"),
    (5, "十二万", "实缴税金(万元)", "不是数字"),
    (2, "火星区", "所属区域", "未找到"),
    (3, "maybe", "是否规上", "应为 是/否"),
    (7, "去年", "成立日期", "不是日期"),
]


@pytest.mark.parametrize(("index", "value", "header", "message"), BAD_CELLS)
def test_bad_cell_is_named_by_row_and_field_and_nothing_is_stored(
    city_admin, regions, rows, make_enterprise, index, value, header, message
):
    existing = make_enterprise(2, name="原有企业", land_mu=7)
    rows[1][index] = value
    problems = problems_of(city_admin, workbook(rows), year=2023)

    assert len(problems) == 1
    assert problems[0].startswith(f"第4行 {header}：")  # title row 1, header row 2, data from row 3
    assert message in problems[0] and not re.search("[a-z]{3,} [a-z]{2,}", problems[0])  # Chinese only
    assert Enterprise.objects.count() == 1 and EnterpriseYear.objects.count() == 0
    existing.refresh_from_db()
    assert (existing.name, existing.land_mu) == ("原有企业", 7)


def test_every_problem_is_listed_at_once(city_admin, regions, rows, uscc):
    rows[0][4] = "abc"
    rows[2][0] = rows[1][0]
    rows[2][2] = "未知镇"
    problems = problems_of(city_admin, workbook(rows, title=None), year=2023)
    assert problems == [
        "第2行 用地面积(亩)：不是数字",
        "第4行 统一社会信用代码：与第3行重复（年度相同）",
        "第4行 所属区域：未找到“所属区域”",
    ]
    assert not Enterprise.objects.exists()


def test_missing_required_column(city_admin, regions, rows):
    headers = [h for h in HEADERS_ZH if h != "用地面积(亩)"]
    data = workbook([row[:4] + row[5:] for row in rows], headers)
    problems = problems_of(city_admin, data, year=2023)
    assert problems == ["第2行 用地面积(亩)：缺少必填列“用地面积(亩)”"]


def test_ambiguous_region_name_asks_for_the_code(city_admin, regions, rows):
    from mujun.regions.models import Region

    Region.objects.create(code="330503101", name="织里镇", level="town", parent=regions.nanxun)
    rows[0][2] = "织里镇"
    problems = problems_of(city_admin, workbook(rows), year=2023)
    assert problems == ["第3行 所属区域：名称不唯一，请填写代码"]


def test_operator_may_only_import_rows_of_their_county(operator_wuxing, regions, rows, make_enterprise, uscc):
    make_enterprise(9, region=regions.nanxun, name="南浔老企业")
    rows.append([uscc(9), "南浔老企业", "吴兴区", "否", 5, 1, 1, None])  # moving it into 吴兴区 is not theirs
    problems = problems_of(operator_wuxing, workbook(rows), year=2023)
    assert problems == [
        "第5行 所属区域：不在您可编辑的区域内",
        "第6行 统一社会信用代码：该记录已存在且属于您无权修改的区域",
    ]
    assert Enterprise.objects.count() == 1 and Enterprise.objects.get().region == regions.nanxun


def test_operator_imports_own_county_including_towns(operator_wuxing, regions, rows):
    result = run(operator_wuxing, workbook(rows[:2]), year=2023)
    assert result.rows == 2
    assert EnterpriseYear.objects.first().history.first().history_user == operator_wuxing


def test_large_import_is_stored_whole_with_history(city_admin, regions, uscc):
    # Speed is measured in bench/, not here; this checks the bulk path stores every row and its history.
    rows = [[uscc(n), f"企业{n}", "吴兴区" if n % 2 else "南浔区", "否", 3 + n % 50, n % 97, n % 301, None] for n in range(2_000)]
    result = run(city_admin, csv_bytes(rows), filename="big.csv", year=2023)
    assert result.rows == 2_000 and EnterpriseYear.objects.count() == 2_000
    assert Enterprise.history.model.objects.count() == 2_000


# -- the page -------------------------------------------------------------------------------------------


def upload(client, data: bytes, filename="data.xlsx", **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    # The upload becomes a background job (run at once in tests) and the user lands on its page.
    return client.post(
        reverse("enterprises:enterprise_import"), {"file": SimpleUploadedFile(filename, data), **fields}, follow=True
    )


def test_import_page_reports_counts(client_as, city_admin, regions, rows):
    response = upload(client_as(city_admin), workbook(rows), year=2023)
    assert response.status_code == 200
    assert 'id="import-result"' in response.content.decode()
    assert Enterprise.objects.count() == 3


def test_import_page_shows_problem_table_and_offers_it_as_excel(client_as, city_admin, regions, rows):
    client = client_as(city_admin)
    rows[2][4] = -1
    response = upload(client, workbook(rows), year=2023)
    page = response.content.decode()
    assert 'id="import-problems"' in page and "<td>5</td>" in page
    assert "必须大于0" in page
    assert not Enterprise.objects.exists()

    download = client.get(reverse("import_job_problems", args=[response.context["job"].pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(download.content)).active
    assert [cell.value for cell in sheet[2]] == [5, "用地面积(亩)", "land_mu", "必须大于0"]


def test_template_workbook_has_the_headers(client_as, city_admin):
    response = client_as(city_admin).get(reverse("enterprises:enterprise_import") + "?template")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    headers = [cell.value for cell in sheet[1]]
    assert headers[:3] == ["年度", "统一社会信用代码", "企业名称"] and "用地面积(亩)" in headers


def test_import_page_lists_the_columns(client_as, operator_wuxing):
    page = client_as(operator_wuxing).get(reverse("enterprises:enterprise_import")).content.decode()
    assert "<code>land_mu</code>" in page and 'type="file"' in page


def test_viewer_may_not_import(client_as, viewer, rows):
    assert upload(client_as(viewer), workbook(rows), year=2023).status_code == 403
    assert client_as(viewer).get(reverse("enterprises:enterprise_import")).status_code == 403


NEW_HEADERS_ZH = ["行业代码", "租赁企业(无自有土地)", "出租方统一社会信用代码", "高新技术企业", "发生安全生产事故", "用水量(吨)",
                  "城镇土地使用税(万元)"]  # fmt: skip


def test_the_new_columns_are_read_under_their_chinese_headers(city_admin, regions, rows, uscc):
    extra = [
        ["1751", "否", "", "是", "否", 52000, 6.2],
        ["C1810", "是", uscc(1), "否", "是", 800, None],
        ["", "", None, "", "", "", ""],
    ]
    run(city_admin, workbook([r + e for r, e in zip(rows, extra, strict=True)], HEADERS_ZH + NEW_HEADERS_ZH), year=2023)
    years = {y.enterprise.uscc: y for y in EnterpriseYear.objects.select_related("enterprise")}
    silk, kids, wood = years[uscc(1)], years[uscc(2)], years[uscc(3)]
    assert (silk.enterprise.industry_code, silk.high_tech, silk.water_t, silk.land_use_tax) == ("1751", True, 52000, 6.2)
    assert (kids.enterprise.industry_code, kids.tenant, kids.landlord_uscc, kids.safety_accident) == ("C1810", True, uscc(1), True)
    assert (wood.enterprise.industry_code, wood.tenant, wood.landlord_uscc, wood.high_tech, wood.water_t) == ("", False, "", False, None)


def test_an_invalid_landlord_code_is_refused_as_the_form_refuses_it(city_admin, regions, rows, uscc):
    bad = [r + e for r, e in zip(rows[:1], [["1751", "是", "91330000ABC", "否", "否", 1, 1]], strict=True)]
    problems = problems_of(city_admin, workbook(bad, HEADERS_ZH + NEW_HEADERS_ZH), year=2023)
    assert problems == ["第3行 出租方统一社会信用代码：统一社会信用代码应为18位，实为11位"]
    year = EnterpriseYear(enterprise=Enterprise(uscc=uscc(9)), year=2023, land_mu=1, landlord_uscc="91330000ABC")
    with pytest.raises(Exception) as refused:
        year.full_clean(exclude=["enterprise"])
    assert "landlord_uscc" in refused.value.message_dict


# -- a first load: indexes built after the rows, large inserts staged (SQLite) ------------------------------


def index_definitions(model) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [model._meta.db_table])
        else:
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", [model._meta.db_table]
            )
        return {row[0] for row in cursor.fetchall()}


def attached_databases() -> list[str]:
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA database_list")
        return [row[1] for row in cursor.fetchall() if row[1] not in ("main", "temp")]


@pytest.fixture
def first_load(monkeypatch, city_admin, regions, uscc):
    """A file for an empty database, every insert of it large enough to be staged on SQLite."""
    monkeypatch.setattr(bulk, "STAGED_ROWS", 1)
    staged = []
    insert_staged = bulk._insert_staged
    monkeypatch.setattr(
        bulk,
        "_insert_staged",
        lambda cursor, staging, table, *args: staged.append(table) or insert_staged(cursor, staging, table, *args),
    )
    parts = []  # the rows of each staging file
    stage = bulk._stage
    monkeypatch.setattr(bulk, "_stage", lambda path, rows: parts.append(rows.height) or stage(path, rows))
    rows = [
        [uscc(n), f'湖州"织里"{n},童装', "吴兴区" if n % 2 else "南浔区", "是" if n % 3 else "否",
         3.25 + n, None if n % 5 == 0 else n * 1.5, None if n % 4 == 0 else n, "2010-05-01" if n % 2 else None]
        for n in range(1, 41)
    ]  # fmt: skip
    models = [Enterprise, EnterpriseYear, Enterprise.history.model, EnterpriseYear.history.model]
    return rows, {model: index_definitions(model) for model in models}, staged, parts


@pytest.mark.django_db(transaction=True)  # staging needs the import's own transaction
def test_first_load_stores_every_value_and_builds_the_indexes_again(first_load, city_admin, uscc):
    rows, indexes, staged, parts = first_load
    result = run(city_admin, csv_bytes(rows), filename="first.csv", year=2023)

    assert [c.created for c in result.counts.values()] == [40, 40]
    stored = {
        e.uscc: (e.name, e.region.name, e.above_scale, e.land_mu, str(e.established_on) if e.established_on else None)
        for e in Enterprise.objects.select_related("region")
    }
    assert stored == {row[0]: (row[1], row[2], row[3] == "是", row[4], row[7]) for row in rows}
    figures = dict(EnterpriseYear.objects.values_list("enterprise__uscc", "tax"))
    assert figures == {row[0]: row[5] for row in rows}
    assert dict(EnterpriseYear.objects.values_list("enterprise__uscc", "value_added")) == {
        row[0]: row[6] for row in rows
    }
    assert Enterprise.history.filter(history_type="+", history_user=city_admin).count() == 40
    assert EnterpriseYear.history.filter(history_type="+", history_user=city_admin).count() == 40
    assert {model: index_definitions(model) for model in indexes} == indexes
    # SQLite: both inserts went through a staging file, detached afterwards (PostgreSQL takes COPY).
    assert staged == (
        ['"enterprises_enterprise"', '"enterprises_enterpriseyear"'] if connection.vendor == "sqlite" else []
    )
    # Each insert in three files (40 rows), none empty.
    assert parts == ([14, 14, 12] * 2 if connection.vendor == "sqlite" else [])
    assert attached_databases() == []


def wal_autocheckpoint() -> int | None:
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_an_import_leaves_folding_the_log_to_the_next_commit(first_load, city_admin, monkeypatch):
    """SQLite: the import's commit does not copy its pages from the write-ahead log into the database file;
    the connection's next commit (the job's "done") does, as every commit did before."""
    rows = first_load[0]
    before = wal_autocheckpoint()
    during = []
    insert = bulk.insert
    monkeypatch.setattr(bulk, "insert", lambda model, frame: during.append(wal_autocheckpoint()) or insert(model, frame))
    run(city_admin, csv_bytes(rows), filename="first.csv", year=2023)
    assert during == ([0, 0] if connection.vendor == "sqlite" else [None, None])
    assert wal_autocheckpoint() == before and (before is None or before > 0)


@pytest.mark.django_db(transaction=True)
def test_first_load_that_fails_leaves_nothing_and_every_index(first_load, city_admin, monkeypatch):
    rows, indexes, _staged, _parts = first_load

    def refuse(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr("mujun.core.imports.write_history_of", refuse)  # after the enterprises are inserted
    with pytest.raises(RuntimeError):
        run(city_admin, csv_bytes(rows), filename="first.csv", year=2023)
    assert not Enterprise.objects.exists() and not Enterprise.history.exists()
    assert {model: index_definitions(model) for model in indexes} == indexes
    assert attached_databases() == []


# -- a first load's foreign keys: one query each at its end (PostgreSQL, where the role may) -------------------


def replication_role() -> str | None:
    """PostgreSQL's ``session_replication_role`` ("replica": the per-row triggers, foreign keys' checks
    among them, set aside); None elsewhere."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('session_replication_role')")
        return cursor.fetchone()[0]


def new_enterprise(uscc, region_id: int) -> pl.DataFrame:
    """One new enterprise as an import writes it: every column of the table, its id taken as an import's."""
    frame = pl.DataFrame({"uscc": [uscc(1)], "name": ["湖州织里童装有限公司"], "region_id": [region_id]})
    return frame.with_columns(*bulk.column_defaults(Enterprise, frame.columns, timezone.now()),
                              id=bulk.new_ids(Enterprise, 1))  # fmt: skip


def load_first(frame: pl.DataFrame, roles: list) -> None:
    """``frame`` written as an import's first load of enterprises writes it; ``roles`` gets the replication
    role inside the load."""
    with bulk.first_load((Enterprise, *history_models(Enterprise)), frame.height):
        roles.append(replication_role())
        bulk.insert(Enterprise, frame)


@pytest.mark.django_db(transaction=True)  # the load's own transaction, refused at its end or at its commit
def test_a_first_load_refuses_a_region_that_is_not_there(regions, uscc):
    missing = regions.lianshi.pk + 1000
    roles = []
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        load_first(new_enterprise(uscc, missing), roles)
    # PostgreSQL: the load's own check, the triggers set aside (superuser here); SQLite: the commit's.
    assert roles == (["replica"] if connection.vendor == "postgresql" else [None])
    assert f"({missing})" in str(refused.value) or connection.vendor == "sqlite"
    assert not Enterprise.objects.exists()
    assert replication_role() in ("origin", None)


@pytest.mark.django_db(transaction=True)
def test_a_region_a_first_load_refers_to_stays_until_the_load_commits(regions, uscc, monkeypatch):
    """Another connection deleting the town an open first load's enterprise lies in waits for the load:
    the database's check of the deletion reads the table the load locked (PostgreSQL), or the load holds the
    one write lock (SQLite). Here it waits no longer than a moment, and gives up. The indexes stay in place,
    so that dropping them does not lock the table in the load's stead."""
    monkeypatch.setattr(bulk, "_indexes_set_aside", lambda cursor, table: [])
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        with transaction.atomic():
            load_first(new_enterprise(uscc, regions.lianshi.pk), [])
            with pytest.raises(connection.Database.OperationalError, match="lock"):
                if connection.vendor == "postgresql":
                    other.execute("SET lock_timeout = '300ms'")
                else:
                    other.execute("PRAGMA busy_timeout = 300")
                other.execute(f"DELETE FROM regions_region WHERE id = {regions.lianshi.pk:d}")
                other.commit()
            other.rollback()
    finally:
        other.close()
    assert Enterprise.objects.get().region == regions.lianshi


@contextmanager
def plain_role(granted: bool):
    """PostgreSQL: the rest of the test's transaction as a new role that owns what the test's user owns but
    is no superuser, with ``GRANT SET ON PARAMETER session_replication_role`` (as README's production
    install) or without it; all of it rolled back with the test. Elsewhere nothing."""
    if connection.vendor != "postgresql":
        yield
        return
    role = f"mujun_plain_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        cursor.execute(f"CREATE ROLE {role} NOSUPERUSER IN ROLE {cursor.fetchone()[0]}")
        if granted:
            cursor.execute(f"GRANT SET ON PARAMETER session_replication_role TO {role}")
        cursor.execute(f"SET LOCAL ROLE {role}")
    yield


@pytest.mark.parametrize("granted", [False, True])
def test_a_role_that_may_not_set_the_triggers_aside_loads_with_them(granted, city_admin, rows, monkeypatch):
    roles = []
    insert = bulk.insert
    monkeypatch.setattr(bulk, "insert", lambda model, frame: roles.append(replication_role()) or insert(model, frame))
    with plain_role(granted):
        result = run(city_admin, workbook(rows), year=2023)
    assert [c.created for c in result.counts.values()] == [3, 3]
    expected = ("replica" if granted else "origin") if connection.vendor == "postgresql" else None
    assert roles == [expected, expected] and replication_role() in ("origin", None)
    assert Enterprise.history.filter(history_type="+", history_user=city_admin).count() == 3
