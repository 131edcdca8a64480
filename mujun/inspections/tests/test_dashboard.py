"""The home page dashboard: the figures a leader asks first, empty-safe."""

import datetime as dt

from mujun.inspections.models import Criterion, Nomination, Round, Score
from mujun.inspections.services import close_round, open_round
from mujun.services.models import Department, Problem


def test_home_page_works_on_an_empty_database(city_admin, client_as):
    page = client_as(city_admin).get("/")
    assert page.status_code == 200
    assert page.context["inspection"] is None and page.context["grades"] is None


def test_home_page_shows_latest_inspection_ranking_and_overdue_problems(
    regions, city_admin, client_as, make_enterprise, django_user_model
):
    round_ = Round.objects.create(name="Q2", year=2026, quarter=2)
    criterion = Criterion.objects.create(round=round_, name="c", weight=1)
    judge = django_user_model.objects.create_user("j", role="judge")
    nominations = {
        value: Nomination.objects.create(round=round_, region=region, project_name=f"p{value}")
        for region, value in [(regions.wuxing, 70), (regions.nanxun, 90)]
    }
    open_round(round_)
    for value, nomination in nominations.items():
        Score.objects.create(nomination=nomination, criterion=criterion, judge=judge, value=value)
    close_round(round_)
    department = Department.objects.create(name="市经信局", region=regions.city)
    Problem.objects.create(
        enterprise=make_enterprise(1), category="land", title="用地指标", status="assigned",
        department=department, deadline=dt.date(2020, 1, 1),
    )  # fmt: skip
    page = client_as(city_admin).get("/")
    assert [(row["county"].name, row["rank"]) for row in page.context["inspection"]["counties"]] == [
        ("南浔区", 1), ("吴兴区", 2),
    ]  # fmt: skip
    assert page.context["service"]["overdue_count"] == 1
    html = page.content.decode()
    assert f"/inspections/{round_.pk}/scoreboard/" in html and "用地指标" in html
