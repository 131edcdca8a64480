"""A county operator moves a project into construction with its evidence and submits a monthly report;
the city administrator reviews it and exports the four lists."""

import io
from datetime import date

import openpyxl
import pytest

from mujun.projects.tests.conftest import PDF, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_advance_report_and_export(page, logged_in, screenshot, tmp_path, regions, make_enterprise, django_user_model):
    from mujun.projects.models import MonthlyReport, Project
    from mujun.projects.services import Upload, advance

    django_user_model.objects.create_user("op", password="pw-op-2026", role="county_operator", region=regions.wuxing)
    django_user_model.objects.create_user("cityadmin", password="pw-city-2026", role="city_admin")
    operator = django_user_model.objects.get(username="op")
    project = Project.objects.create(
        code="HZ-001", name="年产5万台智能装备项目", enterprise=make_enterprise(1), region=regions.zhili,
        total_investment=32_000, planned_construction=date(2024, 4, 1), planned_completed=date(2025, 6, 1),
    )  # fmt: skip
    advance(project, "signed", date(2024, 1, 10), [Upload("协议.pdf", PDF, "document")], operator)
    advance(project, "landed", date(2024, 3, 1), [Upload("土地合同.pdf", PDF, "document")], operator)
    photo, permit = tmp_path / "工地.png", tmp_path / "施工许可证.pdf"
    photo.write_bytes(png_bytes())
    permit.write_bytes(PDF)

    logged_in("op", "pw-op-2026")
    page.goto(page.base + project.get_absolute_url())
    # Without the permit the stage is refused, with a bilingual message, and nothing moves.
    page.fill("#advance input[name=date]", "2024-04-15")
    page.set_input_files("#advance input[name=photos]", str(photo))
    page.click("#advance button[type=submit]")
    page.wait_for_selector(".alert-danger")
    assert "须上传文件" in page.inner_text(".alert-danger")
    assert Project.objects.get().stage == "landed"
    page.fill("#advance input[name=date]", "2024-04-15")
    page.set_input_files("#advance input[name=photos]", str(photo))
    page.set_input_files("#advance input[name=documents]", str(permit))
    page.click("#advance button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert page.inner_text("#project-stage") == "开工在建"
    assert page.locator("#stages img").count() == 1  # the site photo's thumbnail
    screenshot(page, "projects-01-detail")

    # The monthly report.
    page.click("text=填报月报")
    page.fill("input[name=month]", "2024-05")
    page.fill("input[name=invested_month]", "1200")
    page.fill("textarea[name=notes]", "主体结构施工")
    page.set_input_files("input[name=photos]", str(photo))
    screenshot(page, "projects-02-report-form")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#report-status")
    report = MonthlyReport.objects.get()
    assert (report.invested_to_date, report.photos.count()) == (1200, 1)
    # The same month again is refused.
    page.goto(page.base + f"/projects/{project.pk}/reports/add/")
    page.fill("input[name=month]", "2024-05")
    page.fill("input[name=invested_month]", "10")
    page.click("#report-form button[type=submit]")
    # The refusal stands under the month it concerns.
    page.wait_for_selector("#report-form .invalid-feedback")
    assert "已填报月报" in page.inner_text("#report-form .invalid-feedback")
    assert MonthlyReport.objects.count() == 1

    # The city reviews it and exports the four lists.
    page.context.clear_cookies()
    logged_in("cityadmin", "pw-city-2026")
    page.goto(page.base + report.get_absolute_url())
    page.click("button[name=approve]")
    page.wait_for_selector(".alert-success")
    assert MonthlyReport.objects.get().status == "approved"
    page.goto(page.base + "/projects/lists/?month=2024-05")
    assert "HZ-001" in page.inner_text("#list-construction")
    screenshot(page, "projects-03-four-lists")
    with page.expect_download() as download:
        page.click("#export-lists")
    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    rows = list(book["在建项目"].iter_rows(values_only=True))
    assert rows[1][1] == "HZ-001" and rows[1][9] == 1200
    # The city closes the month: the lists become the stored snapshot, marked 已关账.
    assert "未关账" in page.inner_text("#month-status")
    page.click("#month-closing button.btn-success")
    page.wait_for_selector(".alert-success")
    assert "已关账" in page.inner_text("#month-status")
    assert page.is_visible("#reopen-reason")
    screenshot(page, "projects-03b-four-lists-closed")
    page.goto(page.base + "/projects/board/")
    screenshot(page, "projects-04-board")
