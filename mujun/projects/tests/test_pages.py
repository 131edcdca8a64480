import io
import json
from datetime import date

import jsonschema
import openpyxl
import pytest

from mujun.projects import oc4ids
from mujun.projects.models import MonthlyReport, Project
from mujun.projects.services import advance, submit_report
from mujun.projects.tests.conftest import PDF, png_bytes


def _download(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


@pytest.fixture
def built(project, operator_wuxing, files):
    """The project under construction since April 2024 with a report for May."""
    advance(project, "signed", date(2024, 1, 12), files("document"), operator_wuxing)
    advance(project, "landed", date(2024, 3, 5), files("document"), operator_wuxing)
    advance(project, "construction", date(2024, 4, 24), files("photo", "document"), operator_wuxing)
    submit_report(project, date(2024, 5, 1), 300, None, "", [], operator_wuxing)
    project.refresh_from_db()
    return project


def test_advance_page_with_evidence(client_as, project, operator_wuxing):
    client = client_as(operator_wuxing)
    page = client.get(project.get_absolute_url())
    assert "签约" in page.content.decode()
    response = client.post(
        f"/projects/{project.pk}/advance/",
        {"stage": "signed", "date": "2024-01-12", "documents": [_upload("协议.pdf", PDF)]},
        follow=True,
    )
    project.refresh_from_db()
    assert project.stage == "signed"
    refused = client.post(
        f"/projects/{project.pk}/advance/",
        {"stage": "landed", "date": "2024-03-05", "photos": [_upload("site.png", png_bytes())]},
        follow=True,
    )
    assert "须上传文件" in refused.content.decode()
    project.refresh_from_db()
    assert project.stage == "signed"
    assert response.status_code == 200


def test_other_county_cannot_post(client_as, project, operator_nanxun):
    response = client_as(operator_nanxun).post(
        f"/projects/{project.pk}/advance/", {"stage": "signed", "date": "2024-01-12", "documents": [_upload("a.pdf", PDF)]}
    )
    assert response.status_code == 403


def test_four_lists_page_and_workbook(client_as, built, viewer, regions):
    client = client_as(viewer)
    page = client.get("/projects/lists/", {"region": regions.wuxing.pk, "month": "2024-05"})
    assert built.code in page.content.decode()
    response = client.get("/projects/lists/", {"region": regions.wuxing.pk, "month": "2024-05", "export": "1"})
    book = openpyxl.load_workbook(io.BytesIO(_download(response)))
    # The four lists, then the five key lists (mujun.projects.wall, tested in test_wall.py).
    assert book.sheetnames[:4] == ["在建项目", "竣工项目", "投产项目", "上规项目"] and len(book.sheetnames) == 9
    sheet = book["在建项目"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "项目编号", "项目名称")
    assert rows[1][1] == built.code and rows[1][9] == 300
    assert rows[-1][0].startswith("合计") and rows[-1][6] == 50_000
    earlier = client.get("/projects/lists/", {"month": "2024-03", "export": "1"})
    assert openpyxl.load_workbook(io.BytesIO(_download(earlier)))["在建项目"].max_row == 2  # header and totals


def test_board_portfolio_missing_and_enterprise_pages(client_as, built, viewer):
    client = client_as(viewer)
    board = client.get("/projects/board/").content.decode()
    assert "吴兴区" in board
    assert client.get("/projects/portfolio/").status_code == 200
    missing = client.get("/projects/reports/missing/", {"month": "2024-06"}).content.decode()
    assert built.code in missing
    assert built.code not in client.get("/projects/reports/missing/", {"month": "2024-05"}).content.decode()
    enterprise = client.get(built.enterprise.get_absolute_url()).content.decode()
    assert built.get_absolute_url() in enterprise
    for url in ("/projects/", "/projects/reports/", "/projects/leads/", "/projects/teams/", built.get_absolute_url()):
        assert client.get(url).status_code == 200, url


def test_oc4ids_export_validates_against_the_official_schema(client_as, built, viewer):
    package = json.loads(client_as(viewer).get("/projects/oc4ids/").content)
    assert len(package["projects"]) == 1
    validator = jsonschema.Draft4Validator(oc4ids.schema(), format_checker=jsonschema.FormatChecker())
    for project in package["projects"]:
        validator.validate(project)
    project = package["projects"][0]
    assert project["status"] == "implementation"
    assert project["budget"]["amount"] == {"amount": 500_000_000, "currency": "CNY"}
    assert project["mujunLifeCycle"]["stage"] == "construction"
    assert len(project["documents"]) == 4
    broken = dict(project, status="commissioned")
    assert not validator.is_valid(broken)


def _workbook(rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def test_project_import_is_all_or_nothing(city_admin, regions, make_enterprise):
    from mujun.core.imports import ImportFailed
    from mujun.projects.imports import ProjectImporter

    enterprise = make_enterprise(5)
    header = ["项目编号", "项目名称", "统一社会信用代码", "所属区域", "总投资(万元)", "项目层级", "所属领域", "计划开工日期", "计划竣工日期"]
    good = ["P-1", "智能装备项目", enterprise.uscc, "吴兴区", 12000, "省重大", "先进制造业基地", "2024-03-01", "2025-03-01"]
    bad = ["P-2", "坏项目", "", "吴兴区", -5, "国家级", "", "2024-05-01", "2024-01-01"]
    with pytest.raises(ImportFailed) as failure:
        ProjectImporter(city_admin).run(_workbook([header, good, bad]), filename="p.xlsx")
    messages = [str(p) for p in failure.value.problems]
    assert any("第3行 总投资(万元)" in m for m in messages)
    assert any("项目层级" in m for m in messages)
    assert any("计划竣工日期" in m and "早于" in m for m in messages)
    assert not Project.objects.exists()
    ProjectImporter(city_admin).run(_workbook([header, good]), filename="p.xlsx")
    project = Project.objects.get()
    assert (project.level, project.field, project.enterprise) == ("provincial", "manufacturing", enterprise)


def test_report_import_refuses_months_already_reported_and_negatives(built, operator_wuxing, operator_nanxun):
    from mujun.core.imports import ImportFailed
    from mujun.projects.imports import MonthlyReportImporter

    header = ["项目编号", "月份", "当月完成投资(万元)", "累计完成投资(万元)"]
    with pytest.raises(ImportFailed) as failure:
        MonthlyReportImporter(operator_wuxing).run(
            _workbook([header, [built.code, "2024-05-01", 10, 310], [built.code, "2024-06-01", -1, 309]]), filename="r.xlsx"
        )
    messages = [str(p) for p in failure.value.problems]
    assert any("已填报月报" in m for m in messages) and any("不能为负数" in m for m in messages)
    with pytest.raises(ImportFailed, match="不在您可编辑的区域内"):
        MonthlyReportImporter(operator_nanxun).run(_workbook([header, [built.code, "2024-06-01", 10, 310]]), filename="r.xlsx")
    MonthlyReportImporter(operator_wuxing).run(_workbook([header, [built.code, "2024-06-15", 10, 310]]), filename="r.xlsx")
    assert MonthlyReport.objects.filter(month=date(2024, 6, 1)).exists()


def test_api_scoping_and_refusals(client_as, built, operator_nanxun, operator_wuxing):
    other = client_as(operator_nanxun)
    assert other.get("/api/projects/").json()["count"] == 1
    response = other.post("/api/project-reports/", {"project": built.pk, "month": "2024-06-01", "invested_month": 5})
    assert response.status_code == 403
    own = client_as(operator_wuxing)
    duplicate = own.post("/api/project-reports/", {"project": built.pk, "month": "2024-05-01", "invested_month": 5})
    assert duplicate.status_code == 400 and "已填报月报" in duplicate.json()["month"][0]
    skipped = own.post(f"/api/projects/{built.pk}/advance/", {"stage": "commissioned", "date": "2024-08-01"})
    assert skipped.status_code == 400 and "不能跳过阶段" in skipped.json()["detail"]
    created = own.post("/api/project-reports/", {"project": built.pk, "month": "2024-06-01", "invested_month": 5})
    assert created.status_code == 201 and created.json()["invested_to_date"] == 305


def test_the_four_lists_open_on_the_latest_month_that_has_reports(client_as, built, viewer):
    # The one report is for May 2024; the calendar month has none.
    page = client_as(viewer).get("/projects/lists/")
    assert page.context["month"] == date(2024, 5, 1)
    assert built.code in page.content.decode()


def test_a_county_operators_lists_open_on_their_county(client_as, built, operator_wuxing, operator_nanxun, regions):
    own = client_as(operator_wuxing)
    assert own.get("/projects/lists/").context["form"].initial["region"] == regions.wuxing
    other = client_as(operator_nanxun)
    lists_page = other.get("/projects/lists/")
    assert lists_page.context["form"].initial["region"] == regions.nanxun
    assert built.code not in lists_page.content.decode()  # a Wuxing project
    assert [p.code for p in other.get("/projects/").context["filter"].qs] == []
    assert [p.code for p in other.get("/projects/", {"region": ""}).context["filter"].qs] == [built.code]
    assert [p.code for p in own.get("/projects/").context["filter"].qs] == [built.code]


def test_a_county_operators_home_page_counts_their_county(client_as, built, operator_wuxing, operator_nanxun, viewer):
    def project_count(user):
        return client_as(user).get("/").context["projects"]["count"]

    assert project_count(viewer) == 1 and project_count(operator_wuxing) == 1
    assert client_as(operator_nanxun).get("/").context.get("projects") is None  # no project in Nanxun: no card
