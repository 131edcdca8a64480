"""Per-mu leaders and rankings (issue 13 item 2): the pages, their exports, the API, the panels and the
provincial averages, over a published city-wide run with a park and three industry divisions."""

import pytest

from mujun.core.tests.fixtures import plotly_figures
from mujun.evaluation.tests.conftest import YEAR, publish_directly, workbook_rows

CODES = ["C3411", "C2651", "C1713"]


@pytest.fixture
def park(regions):
    from mujun.regions.models import Region

    return Region.objects.create(code="330502401", name="吴兴高新区", level=Region.Level.PARK, parent=regions.wuxing)


@pytest.fixture
def published(city_admin, regions, scheme, county_data, make_enterprises, park):
    """The city's run of YEAR, published, over the usual enterprises plus five in the park, each enterprise
    in one of three divisions; the province's average of YEAR set."""
    from mujun.enterprises.models import Enterprise
    from mujun.evaluation.models import ProvincialAverage, Run
    from mujun.evaluation.services import start_run

    make_enterprises(park, 5, first=501)
    for number, enterprise in enumerate(Enterprise.objects.order_by("pk")):
        Enterprise.objects.filter(pk=enterprise.pk).update(industry_code=CODES[number % 3])
    run = Run.objects.create(name="湖州市2024", scheme=scheme, year=YEAR, region=regions.city, created_by=city_admin)
    start_run(run, city_admin)
    ProvincialAverage.objects.create(year=YEAR, tax_per_mu=12.0, value_added_per_mu=80.0)
    return publish_directly(run, city_admin)


def evaluated_figures(run, **filters) -> list[dict]:
    """Each enterprise the run evaluated, with its figures: what the expectations are computed from."""
    from mujun.enterprises.models import EnterpriseYear

    ids = run.results.filter(status="evaluated", **filters).values_list("enterprise_id", flat=True)
    years = EnterpriseYear.objects.filter(year=run.year, enterprise_id__in=list(ids)).select_related("enterprise")
    return [
        {"id": y.enterprise_id, "code": y.enterprise.industry_code, "region": y.enterprise.region_id,
         "land": y.land_mu, "tax": y.tax, "va": y.value_added}
        for y in years
    ]  # fmt: skip


def test_leaders_per_division_rank_by_tax_per_mu(published, client_as, viewer):
    client = client_as(viewer)
    page = client.get("/evaluation/leaders/", {"top": 3})
    assert page.status_code == 200
    content = page.content.decode()
    figures = [f for f in evaluated_figures(published) if f["code"] == "C3411"]
    best = sorted(figures, key=lambda f: -f["tax"] / f["land"])[:3]
    groups = dict(page.context["groups"])
    assert list(groups) == ["17 纺织业", "26 化学原料和化学制品制造业", "34 通用设备制造业"]  # by division code
    assert [row["enterprise_id"] for row in groups["34 通用设备制造业"]] == [f["id"] for f in best]
    assert len(page.context["groups"]) == 3 and all(len(rows) == 3 for _name, rows in page.context["groups"])
    assert "通用设备制造业" in content and "领跑" in content


def test_leaders_within_a_park_and_exported(published, client_as, viewer, park):
    client = client_as(viewer)
    page = client.get("/evaluation/leaders/", {"year": YEAR, "by": "park", "park": park.pk, "top": 10})
    groups = page.context["groups"]
    in_park = {f["id"] for f in evaluated_figures(published, enterprise__region=park)}
    assert [name for name, _rows in groups] == ["吴兴高新区"]
    assert {row["enterprise_id"] for row in groups[0][1]} == in_park
    rows = workbook_rows(client.get("/evaluation/leaders/", {"year": YEAR, "by": "park", "park": park.pk, "format": "xlsx"}))
    assert rows[0][:3] == ("园区", "名次", "企业名称")
    assert len(rows) == 1 + len(in_park)
    division = client.get("/evaluation/leaders/", {"year": YEAR, "division": "27"})
    assert division.context["groups"] == [] and "没有符合" in division.content.decode()


def test_rankings_against_city_and_province(published, client_as, viewer, regions):
    client = client_as(viewer)
    page = client.get("/evaluation/rankings/")
    assert page.status_code == 200
    board = page.context["board"]
    figures = evaluated_figures(published)
    city = sum(f["tax"] for f in figures) / sum(f["land"] for f in figures)
    assert board.city["tax_per_mu"] == pytest.approx(city)
    by_county = {row["region"].name: row for row in board.rows}
    assert set(by_county) == {"吴兴区", "南浔区"}
    nanxun = [f for f in figures if f["region"] == regions.nanxun.pk]  # no town of 南浔区 has enterprises
    own = sum(f["tax"] for f in nanxun) / sum(f["land"] for f in nanxun)
    assert by_county["南浔区"]["tax_per_mu"] == pytest.approx(own)
    assert by_county["南浔区"]["tax_per_mu_vs_province"] == pytest.approx((own / 12.0 - 1) * 100)
    assert by_county["南浔区"]["tax_per_mu_vs_city"] == pytest.approx((own / city - 1) * 100)
    assert [row["rank"] for row in board.rows] == [1, 2]
    assert board.rows[0]["tax_per_mu"] >= board.rows[1]["tax_per_mu"]
    # the trend: each county, the city's average and the province's
    names = [trace["name"] for trace in plotly_figures(page.content.decode())[0]["data"]]
    assert names == [row["region"].name for row in board.rows] + ["全市平均", "全省平均"]
    towns = client.get("/evaluation/rankings/", {"level": "town", "metric": "value_added"}).context["board"]
    assert [row["region"].name for row in towns.rows] == ["织里镇"]
    parks = client.get("/evaluation/rankings/", {"level": "park"}).context["board"]
    assert [row["region"].name for row in parks.rows] == ["吴兴高新区"]
    rows = workbook_rows(client.get("/evaluation/rankings/", {"level": "county", "format": "xlsx"}))
    assert rows[0][:3] == ("名次", "县（市、区）", "企业数") and len(rows) == 3


def test_unknown_year_and_bad_filters_refused_clearly(published, client_as, viewer):
    client = client_as(viewer)
    page = client.get("/evaluation/rankings/", {"year": 1999})
    assert page.context["board"] is None
    assert f"尚未发布1999年度的评价结果，请选择：{YEAR}" in page.content.decode()
    leaders = client.get("/evaluation/leaders/", {"top": 0})
    assert leaders.context["groups"] is None and "确保该值大于或等于1" in leaders.content.decode()
    api = client.get("/api/evaluation/rankings/", {"year": 1999})
    assert api.status_code == 400 and "1999" in api.json()["year"][0]


def test_a_draft_year_does_not_count(published, client_as, viewer, city_admin, regions, scheme):
    from mujun.evaluation.models import Run

    Run.objects.create(name="草稿", scheme=scheme, year=YEAR - 1, region=regions.city, created_by=city_admin,
                       status=Run.Status.DONE)  # fmt: skip
    page = client_as(viewer).get("/evaluation/leaders/", {"year": YEAR - 1})
    assert page.context["groups"] is None and f"尚未发布{YEAR - 1}年度" in page.content.decode()


def test_api_lists_leaders_and_rankings(published, client_as, viewer):
    client = client_as(viewer)
    leaders = client.get("/api/evaluation/leaders/", {"top": 1}).json()
    assert [row["group"] for row in leaders] == ["17", "26", "34"]
    assert all(row["rank"] == 1 and row["tax_per_mu"] > 0 for row in leaders)
    rankings = client.get("/api/evaluation/rankings/", {"level": "county"}).json()
    assert [row["rank"] for row in rankings] == [1, 2]
    assert {"tax_per_mu_vs_province", "value_added_per_mu_vs_city", "name"} <= set(rankings[0])
    averages = client.get("/api/evaluation/provincial-averages/").json()
    assert averages["results"][0]["tax_per_mu"] == 12.0


def test_provincial_averages_set_by_the_city_admin_only(published, client_as, city_admin, operator_wuxing):
    from mujun.evaluation.models import ProvincialAverage

    admin = client_as(city_admin)
    refused = admin.post("/evaluation/provincial-averages/add/", {"year": 2023, "tax_per_mu": -1})
    assert refused.status_code == 200 and "亩均数不能为负数" in refused.content.decode()
    assert not ProvincialAverage.objects.filter(year=2023).exists()
    duplicate = admin.post("/evaluation/provincial-averages/add/", {"year": YEAR, "tax_per_mu": 5})
    assert duplicate.status_code == 200 and not ProvincialAverage.objects.filter(tax_per_mu=5).exists()
    average = ProvincialAverage.objects.get(year=YEAR)
    saved = admin.post(f"/evaluation/provincial-averages/{average.pk}/edit/", {"year": YEAR, "tax_per_mu": 20})
    assert saved.status_code == 302
    board = admin.get("/evaluation/rankings/").context["board"]
    assert board.province == {"tax": 20.0, "value_added": None}
    assert client_as(operator_wuxing).post("/evaluation/provincial-averages/add/", {"year": 2023, "tax_per_mu": 1}).status_code == 403
    assert "provincialaverage_add" not in str(client_as(operator_wuxing).get("/evaluation/provincial-averages/").content)


def test_home_card_and_region_panel(published, client_as, viewer, regions):
    client = client_as(viewer)
    home = client.get("/").content.decode()
    assert 'id="dash-benchmarks"' in home and "全省平均" in home
    region = client.get(regions.nanxun.get_absolute_url()).content.decode()
    assert 'id="region-benchmarks"' in region
    figures = plotly_figures(region)
    assert [trace["name"] for trace in figures[0]["data"]] == ["南浔区", "全市平均", "全省平均"]
    city = client.get(regions.city.get_absolute_url()).content.decode()
    assert 'id="region-benchmarks"' in city


def test_home_card_kept_until_its_figures_change(published, django_assert_max_num_queries):
    """The home card is read from the cache while nothing it is computed from changed, and anew after a
    change of an enterprise-year (saved as the pages save it, with its history) or of the provincial average."""
    from mujun.enterprises.models import EnterpriseYear
    from mujun.evaluation.benchmarks import home_context
    from mujun.evaluation.models import ProvincialAverage

    first = home_context()
    with django_assert_max_num_queries(4):  # the version only: the published runs, three newest history rows
        assert home_context()["board"].rows == first["board"].rows
    leader = first["leaders"][0]
    year = EnterpriseYear.objects.exclude(enterprise_id=leader["enterprise_id"]).filter(year=published.year).first()
    year.tax = leader["tax_per_mu"] * year.land_mu * 10
    year.save()
    assert home_context()["leaders"][0]["enterprise_id"] == year.enterprise_id
    average = ProvincialAverage.objects.get(year=published.year)
    average.tax_per_mu = 99.0
    average.save()
    assert home_context()["board"].province["tax"] == 99.0
