"""Projects entered with the stages they already reached (the demo city, a ledger taken over) get their stage
and its record from the services, never from the caller."""

from datetime import date

import pytest

from mujun.projects.models import MonthlyReport, Project, Stage, StageChange
from mujun.projects.services import Refused, approve_reports, create_with_reached_stages


def new_project(regions, code: str, **actual) -> Project:
    return Project(code=code, name=f"项目{code}", region=regions.zhili, total_investment=1000,
                   **{f"actual_{stage}": on for stage, on in actual.items()})  # fmt: skip


@pytest.mark.django_db
def test_the_stage_is_the_last_one_dated_and_each_step_is_recorded(regions, city_admin):
    created = create_with_reached_stages(
        [
            new_project(regions, "A1", signed=date(2024, 1, 5), landed=date(2024, 3, 1), construction=date(2024, 4, 2)),
            new_project(regions, "A2"),
        ],
        city_admin,
    )
    first, second = (Project.objects.get(pk=p.pk) for p in created)
    assert (first.stage, second.stage) == (Stage.CONSTRUCTION, Stage.PLANNED)
    steps = StageChange.objects.filter(project=first).order_by("date")
    assert [(s.from_stage, s.to_stage, s.date, s.user) for s in steps] == [
        (Stage.PLANNED, Stage.SIGNED, date(2024, 1, 5), city_admin),
        (Stage.SIGNED, Stage.LANDED, date(2024, 3, 1), city_admin),
        (Stage.LANDED, Stage.CONSTRUCTION, date(2024, 4, 2), city_admin),
    ]
    assert not StageChange.objects.filter(project=second).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "actual",
    [
        {"signed": date(2024, 1, 5), "construction": date(2024, 4, 2)},  # 落地 skipped
        {"signed": date(2024, 3, 5), "landed": date(2024, 1, 1)},  # 落地 before 签约
    ],
)
def test_a_skipped_stage_or_dates_out_of_order_are_refused(regions, city_admin, actual):
    with pytest.raises(Refused):
        create_with_reached_stages([new_project(regions, "B1", **actual)], city_admin)
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_only_the_city_approves_reports_in_bulk(regions, city_admin, operator_wuxing):
    from django.core.exceptions import PermissionDenied

    (project,) = create_with_reached_stages([new_project(regions, "C1", signed=date(2024, 1, 5))], city_admin)
    report = MonthlyReport.objects.create(project=project, month=date(2024, 2, 1), invested_month=10, invested_to_date=10)
    with pytest.raises(PermissionDenied):
        approve_reports(MonthlyReport.objects.all(), operator_wuxing)
    assert approve_reports(MonthlyReport.objects.all(), city_admin) == 1
    report.refresh_from_db()
    assert (report.status, report.reviewed_by) == (MonthlyReport.Status.APPROVED, city_admin)
    assert report.history.first().history_user == city_admin
