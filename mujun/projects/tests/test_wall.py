"""Projects on the wall: start rates against the targets per county, the targets refused when wrong, the five
key lists and their workbook next to the four lists, the API and the home card."""

import io
from datetime import date

import openpyxl
import pytest

from mujun.projects.models import Lead, ListThresholds, Project, StartTarget

YEAR = 2024


def _new_projects(region, started: int, waiting: int, prefix: str):
    for index in range(started + waiting):
        began = date(YEAR, 2 + index % 6, 1) if index < started else None
        Project.objects.create(
            code=f"{prefix}{index:03d}", name=f"{prefix}项目{index}", region=region, total_investment=12_000,
            is_new=True, plan_year=YEAR, stage="construction" if began else "signed", actual_signed=date(YEAR, 1, 5),
            actual_construction=began,
        )  # fmt: skip


@pytest.fixture
def wall_city(regions):
    """吴兴区 started 9 of its 10 new projects of 2024, 南浔区 8 of 10 against its own stricter target."""
    StartTarget.objects.create(year=YEAR, q1=30, q2=60, q3=85, october=90, red_margin=10)
    StartTarget.objects.create(year=YEAR, region=regions.nanxun, q1=30, q2=60, q3=85, october=100, red_margin=10)
    _new_projects(regions.zhili, 9, 1, "WX")
    _new_projects(regions.lianshi, 8, 2, "NX")
    Project.objects.create(code="OLD1", name="续建项目", region=regions.zhili, total_investment=9_000, is_new=False, plan_year=YEAR)
    return regions


def test_the_page_flags_each_county_against_its_target(wall_city, client_as, viewer):
    response = client_as(viewer).get("/projects/starts/", {"year": YEAR})
    assert response.status_code == 200
    rows = {row["county"]: row for row in response.context["rows"]}
    assert rows["吴兴区"]["new"] == 10 and rows["吴兴区"]["rate_now"] == 90.0 and rows["吴兴区"]["flag"] == "green"
    assert rows["南浔区"]["target_due"] == 100.0 and rows["南浔区"]["flag"] == "red"
    # By the end of Q1 (the February and March starts): 4 of 吴兴区's.
    assert rows["吴兴区"]["started_q1"] == 4
    total = response.context["total"][0]
    assert total["new"] == 20 and total["rate_now"] == 85.0 and total["target_due"] == 90.0 and total["flag"] == "yellow"
    page = response.content.decode()
    assert 'data-flag="red"' in page and 'data-flag="green"' in page and "data-plotly-figure" in page


def test_targets_falling_or_beyond_100_are_refused(regions, client_as, city_admin):
    client = client_as(city_admin)
    response = client.post("/projects/starts/targets/add/", {"year": YEAR, "q1": 50, "q2": 40, "q3": 85, "october": 120, "red_margin": 10})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["q2"] == ["不能低于前一期限的目标"] and errors["october"] == ["应在0到100之间"]
    assert not StartTarget.objects.exists()
    good = {"year": YEAR, "q1": 30, "q2": 60, "q3": 85, "october": 100, "red_margin": 10}
    assert client.post("/projects/starts/targets/add/", good).status_code == 302
    again = client.post("/projects/starts/targets/add/", good)
    assert "该年度已为该县区（或全市）设定目标。" in again.content.decode()
    assert StartTarget.objects.count() == 1
    town = client.post("/projects/starts/targets/add/", {**good, "region": regions.zhili.pk})
    assert town.context["form"].errors["region"]  # a town is not among the choices: targets are a county's


def test_only_the_city_sets_targets(regions, client_as, operator_wuxing):
    assert client_as(operator_wuxing).get("/projects/starts/targets/add/").status_code == 403
    assert client_as(operator_wuxing).post("/projects/key-lists/thresholds/", {"talks_min": 1}).status_code == 403


@pytest.fixture
def listed(regions, make_enterprise):
    enterprise = make_enterprise(1, region=regions.zhili, name="湖州某某新材料有限公司")
    common = {"region": regions.zhili, "enterprise": enterprise, "actual_signed": date(YEAR, 1, 10)}
    Project.objects.create(code="S1", name="签约大项目", total_investment=15_000, stage="signed", **common)
    Project.objects.create(code="S2", name="签约小项目", total_investment=5_000, stage="signed", **common)
    Project.objects.create(code="C1", name="在建大项目", total_investment=20_000, stage="construction",
                           actual_construction=date(YEAR, 3, 1), **common)  # fmt: skip
    Project.objects.create(code="P1", name="投产项目", total_investment=3_000, stage="commissioned", key_county=True,
                           actual_construction=date(YEAR - 2, 3, 1), actual_completed=date(YEAR - 1, 3, 1),
                           actual_commissioned=date(YEAR, 2, 1), **common)  # fmt: skip
    Lead.objects.create(name="洽谈大项目", investor="某集团", region=regions.wuxing, planned_investment=40_000, status=Lead.Status.NEGOTIATION)
    Lead.objects.create(name="洽谈小项目", investor="某公司", region=regions.wuxing, planned_investment=8_000, status=Lead.Status.NEGOTIATION)
    return regions


def test_the_five_lists_follow_the_thresholds(listed, client_as, viewer):
    response = client_as(viewer).get("/projects/key-lists/", {"month": f"{YEAR}-06"})
    tabs = {tab["key"]: [row["name"] for row in tab["rows"]] for tab in response.context["tabs"]}
    # The leads in negotiation as their history recorded them by June 2024's end: none yet (created now).
    assert tabs == {"talks": [], "signed": ["签约大项目"], "construction": ["在建大项目"], "producing": ["投产项目"], "key": ["投产项目"]}
    now = client_as(viewer).get("/projects/key-lists/")
    assert [row["name"] for row in now.context["tabs"][0]["rows"]] == ["洽谈大项目"]
    ListThresholds.objects.create(talks_min=5_000, signed_min=1_000, construction_min=50_000)
    lowered = client_as(viewer).get("/projects/key-lists/", {"month": f"{YEAR}-06"})
    tabs = {tab["key"]: [row["name"] for row in tab["rows"]] for tab in lowered.context["tabs"]}
    assert tabs["signed"] == ["签约大项目", "签约小项目"] and tabs["construction"] == []


def test_the_workbook_holds_the_four_and_the_five_lists(listed, client_as, viewer):
    for url in ("/projects/lists/", "/projects/key-lists/"):
        response = client_as(viewer).get(url, {"month": f"{YEAR}-06", "export": "1"})
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        assert workbook.sheetnames[:4] == ["在建项目", "竣工项目", "投产项目", "上规项目"]
        assert workbook.sheetnames[4:] == ["在谈项目清单", "签约未开工项目清单", "在建重点项目清单", "投产未上规项目清单", "县重点投资项目清单"]
        signed = [[cell.value for cell in row] for row in workbook["签约未开工项目清单"].iter_rows()]
        header = next(row for row in signed if row and "项目名称" in row)
        names = [row[header.index("项目名称")] for row in signed[signed.index(header) + 1:]]
        assert "签约大项目" in names and "签约小项目" not in names


def test_thresholds_refuse_negative_amounts(regions, client_as, city_admin):
    response = client_as(city_admin).post("/projects/key-lists/thresholds/", {"talks_min": -1, "signed_min": 10_000, "construction_min": 10_000})
    assert response.context["form"].errors["talks_min"] == ["不能为负数"]
    assert not ListThresholds.objects.exists()
    saved = client_as(city_admin).post("/projects/key-lists/thresholds/", {"talks_min": 50_000, "signed_min": 10_000, "construction_min": 10_000})
    assert saved.status_code == 302 and ListThresholds.current()["talks_min"] == 50_000


def test_the_api_reads_the_wall(wall_city, listed, client_as, viewer):
    client = client_as(viewer)
    rates = client.get("/api/projects/start-rates/", {"year": YEAR}).json()
    assert {row["county"]: row["flag"] for row in rates["counties"]} == {"吴兴区": "green", "南浔区": "red"}
    assert client.get("/api/projects/start-rates/", {"year": "1800"}).status_code == 400
    lists = client.get("/api/projects/key-lists/", {"month": f"{YEAR}-06", "region": listed.wuxing.pk}).json()
    signed = [row["code"] for row in lists["signed"]]  # and 吴兴区's new projects not started by June's end
    assert "S1" in signed and "S2" not in signed and "WX009" in signed and "WX000" not in signed
    assert client.get("/api/projects/key-lists/", {"month": "June"}).status_code == 400


def test_the_home_card_names_the_counties_flagged_red(wall_city, client_as, viewer, monkeypatch):
    from mujun.projects import panels

    class Fixed(date):
        @classmethod
        def today(cls):
            return date(YEAR, 12, 1)

    monkeypatch.setattr(panels, "date", Fixed)
    page = client_as(viewer).get("/").content.decode()
    card = page[page.index('id="start-flags"'):]
    assert "南浔区" in card[:800] and "吴兴区" not in card[:800]


def test_the_demo_gives_a_spread_of_flags_and_starts_over_the_year(regions):
    import polars as pl

    from mujun.engine import projects as engine
    from mujun.projects import demo
    from mujun.regions.models import Region

    deqing = Region.objects.create(code="330521", name="德清县", level=Region.Level.COUNTY, parent=regions.city)
    counties = [regions.wuxing, regions.nanxun, deqing]
    today = date(2026, 8, 20)
    projects = []
    for county in counties:
        for index in range(30):
            began = date(2026, 6, 1 + index % 20) if index < 18 else None  # the generator's starts: all recent
            projects.append(Project(code=f"{county.code}-{index}", region=county, total_investment=1.0, actual_signed=date(2026, 3, 1),
                                    actual_landed=date(2026, 4, 1), actual_construction=began))  # fmt: skip
    targets = {county.pk: {**engine.DEFAULT_START_TARGETS, "red_margin": engine.DEFAULT_RED_MARGIN} for county in counties}
    demo._spread_starts(projects, counties, targets, today)
    frame = pl.DataFrame(
        [{"county": p.region.name, "is_new": p.is_new, "plan_year": 2026, "actual_construction": p.actual_construction} for p in projects],
        schema={"county": pl.Utf8, "is_new": pl.Boolean, "plan_year": pl.Int64, "actual_construction": pl.Date},
    )
    rates = engine.start_rates(frame, pl.DataFrame([{"county": c.name, **targets[c.pk]} for c in counties]), 2026, today)
    assert dict(zip(rates["county"], rates["flag"])) == {"吴兴区": "green", "南浔区": "yellow", "德清县": "red"}
    starts = [p.actual_construction for p in projects if p.is_new and p.actual_construction]
    assert min(starts) < date(2026, 3, 31) and max(starts) <= today
    assert all(p.actual_landed <= p.actual_construction for p in projects if p.actual_construction)
