"""The comparison of counties across rounds shows each round's published county scores and ranks (the
scoreboard's, mujun.inspections.scoring.scoreboard, stored when the round closes), and its number of queries
does not grow with rounds, projects or scores."""

import importlib
from datetime import date

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mujun.core.management.commands._demo_data import DemoContext
from mujun.core.tests.fixtures import plotly_figures
from mujun.enterprises import demo as enterprises_demo
from mujun.inspections import demo as inspections_demo
from mujun.inspections import scoring
from mujun.inspections.models import CountyResult, Criterion, Nomination, Round, Score
from mujun.inspections.services import close_round, open_round
from mujun.projects import demo as projects_demo
from mujun.regions import demo as regions_demo


@pytest.fixture
def demo_rounds(monkeypatch):
    """The demo's inspection rounds, ten closed ones (more than the comparison shows) and the open one."""
    monkeypatch.setattr(projects_demo, "PROJECTS", 60)
    monkeypatch.setattr(projects_demo, "PROVINCIAL", 10)
    quarters_before = inspections_demo.quarters_before
    monkeypatch.setattr(inspections_demo, "quarters_before", lambda today, count: quarters_before(today, 10))
    context = DemoContext(n_above=30, n_below=20, password="x", log=lambda message: None)
    for module in (regions_demo, enterprises_demo, projects_demo, inspections_demo):
        module.load(context)
    return context


def _expected(limit: int = 8) -> tuple[list[Round], dict]:
    """The latest closed rounds, oldest first, and each county's scoreboard row in each of them."""
    rounds = list(Round.objects.filter(status=Round.Status.CLOSED).order_by("-year", "-quarter")[:limit])[::-1]
    table: dict = {}
    for round_ in rounds:
        for row in scoring.scoreboard(round_).counties:
            table.setdefault(row["county"], {})[round_.pk] = {k: row[k] for k in ("rank", "score", "projects")}
    return rounds, table


def _assert_page_matches(client) -> None:
    response = client.get("/inspections/compare/")
    assert response.status_code == 200
    rounds, table = _expected()
    assert [r.pk for r in response.context["rounds"]] == [r.pk for r in rounds]
    counties = sorted(table, key=lambda county: county.code)
    cells = response.context["counties"]
    assert [county for county, _cells in cells] == counties
    for county, row in cells:
        got = [None if cell is None else {k: cell[k] for k in ("rank", "score", "projects")} for cell in row]
        assert got == [table[county].get(r.pk) for r in rounds]
    (chart,) = plotly_figures(response.content.decode())
    assert [line["name"] for line in chart["data"]] == [county.name for county in counties]
    for line, county in zip(chart["data"], counties):
        assert line["x"] == [r.period for r in rounds]
        assert line["y"] == [table[county].get(r.pk, {}).get("score") for r in rounds]
        assert line["customdata"] == [table[county].get(r.pk, {}).get("rank") for r in rounds]


@pytest.mark.django_db
def test_the_comparison_shows_the_scoreboards_of_the_latest_eight_rounds(demo_rounds, client_as):
    assert Round.objects.filter(status=Round.Status.CLOSED).count() == 10
    assert Score.objects.count() > 1000
    _assert_page_matches(client_as(demo_rounds.admin))


def _round(regions, year: int, quarter: int, counties: list, judges: list, projects_each: int) -> Round:
    """A closed round: ``projects_each`` projects per county, each scored by every judge on two criteria."""
    round_ = Round.objects.create(name=f"{year}年第{quarter}季度", year=year, quarter=quarter)
    criteria = [Criterion.objects.create(round=round_, name=name, weight=w, order=w) for name, w in (("甲", 3), ("乙", 1))]
    nominations = [
        Nomination.objects.create(round=round_, region=county, project_name=f"项目{stop}", stop=stop)
        for stop, county in enumerate((county for county in counties for _ in range(projects_each)), start=1)
    ]
    open_round(round_)
    Score.objects.bulk_create(
        Score(nomination=nomination, criterion=criterion, judge=judge, value=60 + (nomination.stop * 7 + j * 3 + criterion.weight) % 40)
        for nomination in nominations
        for j, judge in enumerate(judges)
        for criterion in criteria
    )
    close_round(round_)
    return round_


def _compare_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/inspections/compare/").status_code == 200
    return len(queries)


def test_the_comparison_queries_do_not_grow_with_rounds_and_scores(regions, client_as, city_admin, django_user_model):
    judges = [django_user_model.objects.create_user(f"judge{i}", role="judge") for i in range(6)]
    client = client_as(city_admin)
    _round(regions, 2024, 1, [regions.wuxing], judges[:2], 1)
    client.get("/inspections/compare/")  # the session and the user, read on the first request
    few = _compare_queries(client)
    for quarter in (2, 3, 4):
        _round(regions, 2024, quarter, [regions.wuxing, regions.nanxun], judges, 4)
    _round(regions, 2025, 1, [regions.nanxun], judges[:5], 3)  # a county missing from a round
    assert _compare_queries(client) == few
    _assert_page_matches(client)


def test_no_closed_round_no_comparison(regions, client_as, city_admin):
    Round.objects.create(name="2026年第1季度", year=2026, quarter=1, visit_date=date(2026, 2, 15))
    response = client_as(city_admin).get("/inspections/compare/")
    assert response.status_code == 200 and list(response.context["rounds"]) == []


def _stored(round_: Round) -> list[tuple]:
    return list(round_.county_results.order_by("rank", "region_id").values_list("region_id", "rank", "score", "projects"))


def _scoreboard_counties(round_: Round) -> list[tuple]:
    return [(row["county"].pk, row["rank"], row["score"], row["projects"]) for row in scoring.scoreboard(round_).counties]


@pytest.mark.django_db
def test_a_round_stores_its_scoreboards_county_ranking_when_it_closes(demo_rounds):
    closed = Round.objects.filter(status=Round.Status.CLOSED)
    assert CountyResult.objects.filter(round__status=Round.Status.OPEN).count() == 0
    for round_ in closed:
        assert _stored(round_) and _stored(round_) == _scoreboard_counties(round_)


def test_the_migration_stores_the_rounds_closed_before(regions, client_as, city_admin, django_user_model):
    """Rounds closed before results were stored (their results removed here) get them from the data migration."""
    store_closed_rounds = importlib.import_module("mujun.inspections.migrations.0004_county_results").store_closed_rounds
    judges = [django_user_model.objects.create_user(f"judge{i}", role="judge") for i in range(3)]
    rounds = [_round(regions, 2024, quarter, [regions.wuxing, regions.nanxun], judges, quarter) for quarter in (1, 2)]
    expected = [_stored(round_) for round_ in rounds]
    CountyResult.objects.all().delete()
    assert client_as(city_admin).get("/inspections/compare/").context["counties"] == []
    store_closed_rounds(django_apps, None)
    assert [_stored(round_) for round_ in rounds] == expected == [_scoreboard_counties(round_) for round_ in rounds]
    _assert_page_matches(client_as(city_admin))
