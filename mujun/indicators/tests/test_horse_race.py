"""The county horse race (赛马): a quarter scored by blocks from stored values, winners and their reward,
publishing that keeps a quarter as published, the workbook, the home card, the API, and bad schemes and
missing values refused with clear messages."""

import io

import openpyxl
import pytest

from mujun.core.tests.fixtures import plotly_figures
from mujun.indicators import services
from mujun.indicators.models import HorseRaceRound, HorseRaceScheme, Indicator, IndicatorValue

SCHEME = """
winners = 1
reward_land_mu = 100
reward_yuan = 5000000

[[blocks]]
code = "volume"
name = "投资总量"
weight = 2

[[blocks]]
code = "projects"
name = "项目建设"
weight = 1

[[indicators]]
code = "growth"
block = "volume"

[[indicators]]
code = "fdi"
block = "volume"

[[indicators]]
code = "big_projects"
block = "projects"
"""


@pytest.fixture
def race(regions):
    from mujun.regions.models import Region

    deqing = Region.objects.create(code="330521", name="德清县", level="county", parent=regions.city)
    growth = Indicator.objects.create(code="growth", name="工业投资增速", unit="%")
    fdi = Indicator.objects.create(code="fdi", name="实际使用外资", unit="亿美元", frequency="quarterly")
    projects = Indicator.objects.create(code="big_projects", name="亿元以上项目数", unit="个")
    # 2025Q2 (stored at June): 吴兴区 best on investment, 南浔区 on projects, 德清县 last on both.
    for county, g, f, p in [(regions.wuxing, 12, 2.0, 30), (regions.nanxun, 8, 1.0, 50), (deqing, 4, 0.5, 10)]:
        for indicator, value in ((growth, g), (fdi, f), (projects, p)):
            IndicatorValue.objects.create(indicator=indicator, region=county, year=2025, month=6, value=value)
        IndicatorValue.objects.create(indicator=growth, region=county, year=2025, month=5, value=99)  # not a quarter's end
    scheme = HorseRaceScheme.objects.create(name="赛马2025", year=2025, toml=SCHEME)
    return scheme, deqing, growth


def test_a_quarter_is_scored_by_block_with_the_winner_and_its_reward(race, regions, city_admin, client_as):
    client = client_as(city_admin)
    page = client.get("/indicators/horse-race/?period=2025Q2")
    board = page.context["board"]
    assert board.round is None and board.problems == []
    # Min-max points: 吴兴区 growth 100, fdi 100, projects 50 → volume 100, total (200 + 50) / 3.
    # 南浔区 growth 50, fdi 33.33, projects 100 → volume 41.67, total (83.33 + 100) / 3; 德清县 0.
    rows = [(r["region"].name, r["rank"], r["winner"], round(r["total"], 2)) for r in board.rows]
    assert rows == [("吴兴区", 1, True, 83.33), ("南浔区", 2, False, 61.11), ("德清县", 3, False, 0.0)]
    first = board.rows[0]
    assert [round(p["score"], 2) for p in first["block_scores"]] == [100.0, 50.0]
    assert sum(p["contribution"] for p in first["block_scores"]) == pytest.approx(first["total"], abs=1e-3)
    assert (first["reward_land_mu"], first["reward_yuan"]) == (100, 5_000_000) and board.rows[1]["reward_yuan"] == 0
    html = page.content.decode()
    assert 'data-winner="1"' in html and "未发布" in html and 'id="publish-race"' in html
    # A month that ends a quarter is the quarter's value: May's 99 is not read.
    assert first["cell_list"][0]["value"] == 12

    download = client.get("/indicators/horse-race/?period=2025Q2&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    header, top = list(sheet.iter_rows(values_only=True))[:2]
    assert header[:6] == ("名次", "区域", "总分", "投资总量得分", "项目建设得分", "获胜") and top[:2] == (1, "吴兴区")
    assert "工业投资增速得分" in header


def test_a_published_quarter_keeps_its_scores_and_reaches_the_home_card_and_api(race, regions, city_admin, viewer, client_as):
    _scheme, deqing, growth = race
    client = client_as(city_admin)
    response = client.post("/indicators/horse-race/publish/", {"period": "2025Q2"})
    assert response.status_code == 302 and HorseRaceRound.objects.get().label == "2025Q2"
    # 德清县 leaps ahead on growth afterwards: the published quarter stays as it was.
    IndicatorValue.objects.filter(indicator=growth, region=deqing, month=6).update(value=50)
    board = client.get("/indicators/horse-race/").context["board"]
    assert board.round is not None and board.rows[0]["region"].name == "吴兴区"
    assert board.rows[2]["cells"]["growth"]["value"] == 4

    home = client_as(viewer).get("/").content.decode()
    assert 'id="dash-horse-race"' in home and "2025Q2" in home
    api = client_as(viewer).get("/api/horse-race-rounds/").json()
    first = api["results"][0] if "results" in api else api[0]
    assert first["year"] == 2025 and first["quarter"] == 2 and first["scores"][0]["winner"] is True
    assert client_as(viewer).post("/indicators/horse-race/publish/", {"period": "2025Q1"}).status_code == 403

    again = client.post("/indicators/horse-race/publish/", {"period": "2025Q2"}, follow=True)
    assert "2025Q2 已发布" in again.content.decode()
    not_over = client.post("/indicators/horse-race/publish/", {"period": "2099Q1"}, follow=True)
    assert "2099Q1 尚未结束" in not_over.content.decode()


def test_trends_follow_the_published_quarters(race, regions, city_admin, client_as):
    _scheme, deqing, growth = race
    for indicator in Indicator.objects.all():
        for value in indicator.values.filter(month=6):
            IndicatorValue.objects.create(indicator=indicator, region=value.region, year=2025, month=9, value=value.value)
    IndicatorValue.objects.filter(region=deqing, month=9).update(value=100)
    services.publish_round(2025, 2, city_admin)
    services.publish_round(2025, 3, city_admin)
    page = client_as(city_admin).get("/indicators/horse-race/?period=2025Q3")
    assert page.context["board"].rows[0]["region"].name == "德清县"
    (figure,) = plotly_figures(page.content.decode())
    deqing_line = next(trace for trace in figure["data"] if trace["name"] == "德清县")
    assert list(deqing_line["x"]) == ["2025Q2", "2025Q3"] and list(deqing_line["y"]) == [0.0, 100.0]


def test_a_quarter_with_missing_values_is_named_and_not_published(race, regions, city_admin, client_as):
    _scheme, deqing, _growth = race
    IndicatorValue.objects.filter(indicator__code="fdi", region=deqing).delete()
    client = client_as(city_admin)
    page = client.get("/indicators/horse-race/?period=2025Q2")
    assert page.context["board"].rows == []
    assert "2025Q2 缺少数值：实际使用外资（德清县）" in page.content.decode()
    refused = client.post("/indicators/horse-race/publish/", {"period": "2025Q2"}, follow=True)
    assert "2025Q2 缺少数值：实际使用外资（德清县）" in refused.content.decode()
    assert not HorseRaceRound.objects.exists()
    IndicatorValue.objects.filter(indicator__code="growth", month=6).delete()
    page = client.get("/indicators/horse-race/?period=2025Q2")
    assert "2025Q2 缺少数值：工业投资增速（全部区县）；实际使用外资（德清县）" in page.content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("weight = 2", "weight = 0"), "第1个板块 volume：权重应为正数"),
        (('code = "fdi"', 'code = "fdi_usd"'), "未知指标：fdi_usd"),
        (("winners = 1", "winners = 1\n[["), "方案：TOML 格式错误"),
    ],
)
def test_a_bad_scheme_is_refused_on_its_page(race, city_admin, client_as, change, message):
    response = client_as(city_admin).post(
        "/indicators/horse-race/schemes/add/", {"name": "坏方案", "year": 2026, "toml": SCHEME.replace(*change, 1)}
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert HorseRaceScheme.objects.count() == 1


def test_only_the_city_administrator_keeps_schemes(race, operator_wuxing, city_admin, client_as):
    scheme, *_rest = race
    assert client_as(operator_wuxing).get(f"/indicators/horse-race/schemes/{scheme.pk}/edit/").status_code == 403
    saved = client_as(city_admin).post(
        f"/indicators/horse-race/schemes/{scheme.pk}/edit/", {"name": "赛马2025", "year": 2025, "toml": SCHEME.replace("winners = 1", "winners = 2")}
    )
    assert saved.status_code == 302
    board = client_as(city_admin).get("/indicators/horse-race/?period=2025Q2").context["board"]
    assert [r["winner"] for r in board.rows] == [True, True, False]
