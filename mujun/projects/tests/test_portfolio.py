"""The major-project portfolio (千项万亿) counted in the database gives the engine's figures
(mujun.engine.projects.portfolio and portfolio_by_month over every project's and report's row, as the page
computed them before), and its number of queries does not grow with the projects and reports."""

from datetime import date

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext

from mujun.core.management.commands._demo_data import DemoContext
from mujun.core.tests.fixtures import plotly_figures
from mujun.engine import projects as engine
from mujun.enterprises import demo as enterprises_demo
from mujun.projects import demo as projects_demo
from mujun.projects import frames
from mujun.projects.models import ElementNeed, Field, Level, MonthlyReport, Project
from mujun.regions import demo as regions_demo


@pytest.fixture
def demo_city(monkeypatch):
    """The demo's regions, enterprises and projects (150 projects, 20 of them provincial)."""
    monkeypatch.setattr(projects_demo, "PROJECTS", 150)
    monkeypatch.setattr(projects_demo, "PROVINCIAL", 20)
    context = DemoContext(n_above=60, n_below=40, password="x", log=lambda message: None)
    for module in (regions_demo, enterprises_demo, projects_demo):
        module.load(context)


def _reference(year: int, level: str) -> dict:
    """The page's figures from every row, through the engine: the tables, the charts' values, the element needs."""
    queryset = Project.objects.filter(plan_year=year)
    if level:
        queryset = queryset.filter(level=level)
    projects = frames.with_regions(frames.project_frame(queryset))
    reports = frames.report_frame(MonthlyReport.objects.filter(project__in=queryset, month__year=year))
    labels = {"field": dict(Field.choices), "level": dict(Level.choices), "county": {}}
    tables = []
    for by in ("field", "county", "level"):
        frame = engine.portfolio(projects, reports, year, by)
        tables.append(
            [
                {**row, "label": str(labels[by].get(row[by], row[by] or "—"))}
                for row in frame.select("projects", "plan", "completed", "completion_rate", by).to_dicts()
            ]
        )
    by_month = engine.portfolio_by_month(projects, reports, year)
    elements = list(
        ElementNeed.objects.filter(project__in=queryset)
        .values("element")
        .annotate(needed=Sum("needed"), granted=Sum("granted"), projects=Count("project"))
        .order_by("element")
    )
    return {
        "tables": tables,
        "months": [m.strftime("%Y-%m") for m in by_month["month"]],
        "by_month": by_month["completed"].to_list(),
        "count": projects.height,
        "new": int(projects["is_new"].sum() or 0),
        "plan": projects["annual_plan"].sum(),
        "elements": [(e["element"], e["projects"], e["needed"], e["granted"]) for e in elements],
    }


def _approx(rows: list[dict]) -> list[dict]:
    return [{k: pytest.approx(v) if isinstance(v, float) else v for k, v in row.items()} for row in rows]


def _assert_page_matches(client, year: int, level: str) -> None:
    response = client.get("/projects/portfolio/", {"year": year, **({"level": level} if level else {})})
    assert response.status_code == 200
    expected = _reference(year, level)
    context = response.context
    assert context["count"] == expected["count"] and context["new"] == expected["new"]
    assert context["plan"] == pytest.approx(expected["plan"])
    for table, rows in zip(context["tables"], expected["tables"], strict=True):
        by = next(k for k in rows[0] if k in ("field", "county", "level")) if rows else None
        got = [
            {"projects": r["projects"], "plan": r["plan"], "completed": r["completed"],
             "completion_rate": r["completion_rate"], by: r[by], "label": str(r["label"])}
            for r in table["rows"]
        ]  # fmt: skip
        assert got == _approx(rows)
    elements = [(e["element"], e["projects"], e["needed"], e["granted"]) for e in context["elements"]]
    assert elements == [(e, n, pytest.approx(needed), pytest.approx(granted)) for e, n, needed, granted in expected["elements"]]
    charts = plotly_figures(response.content.decode())
    assert len(charts) == 4
    months = charts[3]["data"]
    assert months[0]["x"] == expected["months"]
    unit = charts[3]["layout"]["yaxis"]["title"]["text"]
    scale = 10_000 if unit == "亿元" else 1
    assert months[0]["y"] == pytest.approx([v / scale for v in expected["by_month"]])
    for chart, rows in zip(charts[:3], expected["tables"], strict=True):
        scale = 10_000 if chart["layout"]["yaxis"]["title"]["text"] == "亿元" else 1
        assert chart["data"][0]["x"] == [r["label"] for r in rows]
        assert chart["data"][0]["y"] == pytest.approx([r["plan"] / scale for r in rows])
        assert chart["data"][1]["y"] == pytest.approx([r["completed"] / scale for r in rows])


@pytest.mark.django_db
def test_the_portfolio_page_gives_the_engines_figures_on_the_demo_city(demo_city, client_as, django_user_model):
    client = client_as(django_user_model.objects.get(username="leader"))
    year = date.today().year
    assert Project.objects.filter(plan_year=year).count() == 150
    assert MonthlyReport.objects.filter(month__year=year).exists()
    # Every level alone and all of them; a year without projects.
    for level in ["", *Level.values]:
        _assert_page_matches(client, year, level)
    _assert_page_matches(client, year - 1, "")


def test_the_portfolio_with_fields_and_plans_missing(client_as, viewer, regions):
    """Projects without a field, a plan or reports count as the engine counts them."""
    common = {"region": regions.zhili, "total_investment": 1000, "plan_year": 2024}
    Project.objects.create(code="P1", name="甲", field="", annual_plan=None, **common)
    second = Project.objects.create(code="P2", name="乙", field="energy", level="provincial", annual_plan=300, **common)
    Project.objects.create(code="P3", name="丙", field="energy", level="provincial", annual_plan=0, is_new=False, **common)
    MonthlyReport.objects.create(project=second, month=date(2024, 3, 1), invested_month=120, invested_to_date=120)
    MonthlyReport.objects.create(project=second, month=date(2023, 12, 1), invested_month=99, invested_to_date=99)
    ElementNeed.objects.create(project=second, element="land", needed=10, granted=4)
    for level in ("", "provincial"):
        _assert_page_matches(client_as(viewer), 2024, level)


def _portfolio_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/projects/portfolio/", {"year": 2024}).status_code == 200
    return len(queries)


def _add_projects(regions, start: int, count: int) -> None:
    fields, levels = Field.values, Level.values
    projects = Project.objects.bulk_create(
        [
            Project(code=f"Q{index:04d}", name=f"项目{index}", region=regions.zhili if index % 2 else regions.lianshi,
                    total_investment=5000, plan_year=2024, annual_plan=100 + index, field=fields[index % len(fields)],
                    level=levels[index % len(levels)], is_new=bool(index % 3))  # fmt: skip
            for index in range(start, start + count)
        ]
    )
    MonthlyReport.objects.bulk_create(
        [
            MonthlyReport(project=project, month=date(2024, month, 1), invested_month=10.0 * month, invested_to_date=0)
            for project in projects
            for month in range(1, 7)
        ]
    )
    ElementNeed.objects.bulk_create([ElementNeed(project=p, element="funds", needed=50, granted=20) for p in projects])


def test_the_portfolio_queries_do_not_grow_with_the_projects(client_as, viewer, regions):
    client = client_as(viewer)
    _add_projects(regions, 0, 5)
    client.get("/projects/portfolio/")  # the session and the user, read on the first request
    few = _portfolio_queries(client)
    _add_projects(regions, 5, 60)
    assert _portfolio_queries(client) == few
    _assert_page_matches(client, 2024, "")
