"""A closed month's four lists are a stored snapshot: no later import or edit changes them; reopening is audited."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from mujun.projects import services
from mujun.projects.models import MonthClosing, Project, StageChange
from mujun.projects.services import Refused, advance, submit_report

OCTOBER = date(2025, 10, 1)


def _commissioned(project, user, files, commissioned: date, capacity: date | None = None):
    advance(project, "signed", date(2024, 1, 12), files("document"), user)
    advance(project, "landed", date(2024, 3, 5), files("document"), user)
    advance(project, "construction", date(2024, 4, 24), files("photo", "document"), user)
    advance(project, "completed", date(2024, 9, 1), files("photo", "document"), user)
    advance(project, "commissioned", commissioned, files("photo"), user)
    if capacity:
        advance(project, "capacity", capacity, files("document"), user)
    return project


def _import_figures(user, year: int, *enterprises):
    from mujun.enterprises.imports import EnterpriseImporter

    rows = "".join(f"{e.uscc},{e.name},{e.region.code},是,10,2500\n" for e in enterprises)
    EnterpriseImporter(user, year=year).run(f"uscc,name,region,above_scale,land_mu,revenue\n{rows}".encode(), filename="figures.csv")


@pytest.fixture
def october(project, make_enterprise, regions, operator_wuxing, files):
    """Two projects in October 2025's lists: one commissioned in March, one at capacity since May."""
    at_capacity = Project.objects.create(
        code="HZ2024-002", name="年产5万台电机项目", enterprise=make_enterprise(2, name="湖州电机有限公司"),
        region=regions.zhili, total_investment=30_000,
    )  # fmt: skip
    _commissioned(project, operator_wuxing, files, date(2025, 3, 1))
    _commissioned(at_capacity, operator_wuxing, files, date(2025, 4, 1), capacity=date(2025, 5, 1))
    submit_report(project, OCTOBER, 120, None, "试生产", [], operator_wuxing)
    return project, at_capacity


def _export(client) -> bytes:
    response = client.get(reverse("projects:four_lists"), {"month": "2025-10", "export": "1"})
    assert response.status_code == 200
    return response.content


def test_a_later_import_leaves_a_closed_months_lists_unchanged_byte_for_byte(
    october, city_admin, operator_wuxing, client_as
):
    project, at_capacity = october
    client = client_as(city_admin)
    live = _export(client)
    client.post(reverse("projects:month_closing"), {"action": "close", "month": "2025-10"})
    closing = MonthClosing.objects.get(month=OCTOBER)
    assert closing.is_closed and closing.closed_by == city_admin
    closed = _export(client)
    assert closed == live  # the snapshot is the lists as they were

    # Later: the enterprise figures of 2024 and 2025 arrive, and a late October report is corrected.
    _import_figures(operator_wuxing, 2024, project.enterprise, at_capacity.enterprise)
    _import_figures(operator_wuxing, 2025, project.enterprise, at_capacity.enterprise)
    services.review_report(project.reports.get(), False, "金额有误", city_admin)
    submit_report(project, OCTOBER, 480, None, "更正", [], operator_wuxing, report=project.reports.get())

    assert _export(client) == closed
    page = client.get(reverse("projects:four_lists"), {"month": "2025-10"}).content.decode()
    assert "已关账" in page and "重新开账" in page

    # Reopened (with a reason, in the history), the month is computed again and shows the later changes.
    with pytest.raises(Refused):
        services.reopen_month(OCTOBER, city_admin, "  ")
    client.post(reverse("projects:month_closing"), {"action": "reopen", "month": "2025-10", "reason": "更正月报"})
    assert _export(client) != closed
    assert "未关账" in client.get(reverse("projects:four_lists"), {"month": "2025-10"}).content.decode()
    reopened = MonthClosing.history.filter(month=OCTOBER).first()
    assert (reopened.history_user, reopened.history_change_reason) == (city_admin, "reopened: 更正月报")
    assert MonthClosing.history.filter(month=OCTOBER, closed_at__isnull=False).first().snapshot


def test_statistics_never_skip_capacity_nor_write_into_a_closed_month(october, city_admin, operator_wuxing, files):
    project, at_capacity = october
    services.close_month(date(2025, 12, 1), city_admin)
    _import_figures(operator_wuxing, 2025, project.enterprise, at_capacity.enterprise)
    project.refresh_from_db(), at_capacity.refresh_from_db()
    assert project.stage == "commissioned"  # no output figures: no 达产, so no 上规
    assert at_capacity.stage == "capacity"  # 上规 of 2025 would be dated in closed December
    with pytest.raises(Refused, match="2025-12"):
        advance(project, "capacity", date(2025, 12, 5), files("document"), operator_wuxing)
    services.reopen_month(date(2025, 12, 1), city_admin, "补录统计")
    _import_figures(operator_wuxing, 2025, at_capacity.enterprise)
    at_capacity.refresh_from_db()
    assert (at_capacity.stage, at_capacity.actual_above_scale) == ("above_scale", date(2025, 12, 31))
    assert StageChange.objects.get(project=at_capacity, to_stage="above_scale").statistics.year == 2025


def test_only_a_city_admin_closes_and_a_month_closes_on_the_day_the_city_set(
    october, city_admin, operator_wuxing, client_as
):
    with pytest.raises(PermissionDenied):
        services.close_month(OCTOBER, operator_wuxing)
    with pytest.raises(Refused):
        services.close_month(date.today(), city_admin)  # the month has not ended
    with pytest.raises(Refused):
        services.schedule_closing(OCTOBER, date(2025, 10, 31), city_admin)
    tomorrow = date.today() + timedelta(days=1)
    services.schedule_closing(OCTOBER, tomorrow, city_admin)
    assert not MonthClosing.objects.get(month=OCTOBER).is_closed
    assert "已关账" not in client_as(operator_wuxing).get(reverse("projects:four_lists"), {"month": "2025-10"}).content.decode()
    assert services.close_due_months(today=tomorrow) == 1
    closing = MonthClosing.objects.get(month=OCTOBER)
    assert closing.is_closed and closing.closed_by is None and closing.snapshot
    with pytest.raises(Refused):
        services.close_month(OCTOBER, city_admin)
    page = client_as(operator_wuxing).get(reverse("projects:four_lists"), {"month": "2025-10"}).content.decode()
    assert "已关账" in page and "重新开账" not in page  # only city administrators see the buttons


def test_a_month_whose_closing_day_passed_closes_by_the_daily_command_or_when_read(october, city_admin, client_as):
    # As if the city had set the days and the daily run had been missed.
    MonthClosing.objects.create(month=date(2025, 9, 1), closes_on=date(2025, 10, 5))
    call_command("close_months")
    assert MonthClosing.objects.get(month=date(2025, 9, 1)).is_closed
    MonthClosing.objects.create(month=OCTOBER, closes_on=date(2025, 11, 5))
    assert "已关账" in client_as(city_admin).get(reverse("projects:four_lists"), {"month": "2025-10"}).content.decode()
    assert MonthClosing.objects.get(month=OCTOBER).is_closed
