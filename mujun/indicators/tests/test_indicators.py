"""County indicators: import with clear problems, ranking with thirds marked, Excel export."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mujun.core.imports import ImportFailed
from mujun.core.tests.fixtures import plotly_figures
from mujun.indicators.imports import IndicatorValueImporter
from mujun.indicators.models import Indicator, IndicatorValue
from mujun.indicators.periods import parse_period


@pytest.fixture
def indicators(regions):
    growth = Indicator.objects.create(code="investment_growth", name="工业投资增速", unit="%", weight=2)
    energy = Indicator.objects.create(code="energy_per_va", name="单位增加值能耗", unit="吨标煤/万元", higher_is_better=False)
    fdi = Indicator.objects.create(code="fdi", name="实际使用外资", unit="亿美元", frequency="quarterly")
    return growth, energy, fdi


def csv_upload(rows: list[str]) -> SimpleUploadedFile:
    return SimpleUploadedFile("values.csv", ("指标,区域,期间,数值\n" + "\n".join(rows) + "\n").encode())


@pytest.mark.parametrize(
    ("text", "period"),
    [("2025-03", (2025, 3)), ("2025/3", (2025, 3)), ("202503", (2025, 3)), ("2025年3月", (2025, 3)),
     ("2025Q2", (2025, 6)), ("2025年第4季度", (2025, 12)), ("2025-13", None), ("三月", None)],
)  # fmt: skip
def test_periods_as_users_write_them(text, period):
    assert parse_period(text) == period


def test_import_stores_values_and_rejects_unknown_regions_and_periods(indicators, city_admin):
    good = csv_upload(["investment_growth,吴兴区,2025-03,12.5", "工业投资增速,330503,2025年3月,8", "fdi,吴兴区,2025Q1,1.2"])
    result = IndicatorValueImporter(city_admin).run(good, filename="values.csv")
    assert result.rows == 3
    assert IndicatorValue.objects.get(indicator__code="fdi").month == 3

    bad = csv_upload([
        "investment_growth,吴兴区,2025-04,1",
        "investment_growth,滨江区,2025-04,1",  # unknown region
        "investment_growth,南浔区,2025-15,1",  # unknown period
        "fdi,南浔区,2025-05,1",  # a month for a quarterly indicator
        "investment_growth,南浔区,2099-01,1",  # the future
    ])  # fmt: skip
    with pytest.raises(ImportFailed) as failure:
        IndicatorValueImporter(city_admin).run(bad, filename="values.csv")
    messages = [str(p) for p in failure.value.problems]
    assert "第3行 区域：未找到“区域”" in messages
    assert any(m.startswith("第4行 期间：无法识别的期间“2025-15”") for m in messages)
    assert any(p.message("en").startswith("unknown period") for p in failure.value.problems if p.row == 4)
    assert any(m.startswith("第5行 期间：季度指标的月份应为3、6、9或12") for m in messages)
    assert any(m.startswith("第6行 期间：期间“2099-01”尚未到来") for m in messages)
    assert IndicatorValue.objects.count() == 3  # nothing of the bad file stored


def test_county_operator_imports_only_their_county(indicators, operator_wuxing):
    with pytest.raises(ImportFailed) as failure:
        IndicatorValueImporter(operator_wuxing).run(csv_upload(["fdi,南浔区,2025Q1,1"]), filename="v.csv")
    assert "不在您可编辑的区域内" in str(failure.value)


def test_ranking_page_marks_thirds_and_exports(indicators, regions, city_admin, client_as):
    from mujun.regions.models import Region

    growth, energy, _fdi = indicators
    counties = [regions.wuxing, regions.nanxun] + [
        Region.objects.create(code=code, name=name, level="county", parent=regions.city)
        for code, name in [("330521", "德清县"), ("330522", "长兴县"), ("330523", "安吉县")]
    ]
    for county, g, e in zip(counties, [10, 8, 6, 4, 2], [1.0, 2.0, 3.0, 4.0, 5.0]):
        IndicatorValue.objects.create(indicator=growth, region=county, year=2025, month=6, value=g)
        IndicatorValue.objects.create(indicator=energy, region=county, year=2025, month=5, value=e)
    client = client_as(city_admin)
    page = client.get("/indicators/ranking/?period=2025-06")
    rows = page.context["board"].rows
    assert [(r["region"].name, r["rank"], r["tier"]) for r in rows] == [
        ("吴兴区", 1, "top"), ("南浔区", 2, "top"), ("德清县", 3, "middle"), ("长兴县", 4, "bottom"), ("安吉县", 5, "bottom"),
    ]  # fmt: skip
    assert 'data-tier="bottom"' in page.content.decode()
    download = client.get("/indicators/ranking/?period=2025-06&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    header, first = list(sheet.iter_rows(values_only=True))[:2]
    assert header[:4] == ("综合名次", "区域", "综合得分", "位次段") and first[:2] == (1, "吴兴区")
    assert client.get(f"/indicators/{growth.pk}/").status_code == 200  # trend chart page


def test_ranking_page_lets_the_user_choose_the_composite_methods(indicators, regions, city_admin, client_as):
    from mujun.regions.models import Region

    growth, energy, _fdi = indicators
    counties = [regions.wuxing, regions.nanxun] + [
        Region.objects.create(code=code, name=name, level="county", parent=regions.city)
        for code, name in [("330521", "德清县"), ("330522", "长兴县")]
    ]
    # Growth (weight 2) and energy per value added (lower is better, weight 1).
    for county, g, e in zip(counties, [10, 9, 2, 1], [4.0, 1.0, 3.0, 2.0]):
        IndicatorValue.objects.create(indicator=growth, region=county, year=2025, month=6, value=g)
        IndicatorValue.objects.create(indicator=energy, region=county, year=2025, month=6, value=e)
    client = client_as(city_admin)
    scores = lambda page: {r["region"].name: r["score"] for r in page.context["board"].rows}  # noqa: E731

    city_rule = client.get("/indicators/ranking/?period=2025-06")
    html = city_rule.content.decode()
    assert "标准化方法：名次得分（第一名100分，末名0分）" in html and "汇总方法：加权几何平均" in html
    # Rank points: growth 100, 66.6667, 33.3333, 0; energy 0, 100, 33.3333, 66.6667.
    assert scores(city_rule) == {"吴兴区": round(200 / 3, 4), "南浔区": round((2 * 66.6667 + 100) / 3, 4), "德清县": 33.3333, "长兴县": 22.2222}

    minmax = client.get("/indicators/ranking/?period=2025-06&normalise=minmax")
    # Min-max: growth (g − 1) / 9 × 100, energy (4 − e) / 3 × 100.
    expected = {"吴兴区": 200 / 3, "南浔区": (2 * 800 / 9 + 100) / 3, "德清县": (2 * 100 / 9 + 100 / 3) / 3, "长兴县": (200 / 3) / 3}
    assert scores(minmax) == pytest.approx({k: round(v, 4) for k, v in expected.items()})
    assert "按上方所选方法" in minmax.content.decode()
    assert "normalise=minmax" in minmax.content.decode()  # the workbook link keeps the methods
    workbook = client.get("/indicators/ranking/?period=2025-06&normalise=minmax&format=xlsx")
    assert "%E6%9E%81%E5%B7%AE%E6%A0%87%E5%87%86%E5%8C%96" in workbook["Content-Disposition"]  # 极差标准化

    geometric = client.get("/indicators/ranking/?period=2025-06&normalise=minmax&mean=geometric")
    # Geometric means need values above 0: min-max on 1–100, growth 1 + 99(g − 1)/9, energy 1 + 99(4 − e)/3.
    points = {"吴兴区": (100, 1), "南浔区": (89, 100), "德清县": (12, 34), "长兴县": (1, 67)}
    assert scores(geometric) == pytest.approx({k: round((g**2 * e) ** (1 / 3), 4) for k, (g, e) in points.items()})

    impossible = client.get("/indicators/ranking/?period=2025-06&normalise=zscore&mean=geometric")
    assert impossible.status_code == 200 and impossible.context["board"] is None
    assert "几何平均和调和平均要求数值大于0，而Z分数可能为负" in impossible.content.decode()


def test_value_export_names_indicators_and_imports_again(indicators, regions, city_admin, client_as):
    growth = indicators[0]
    IndicatorValue.objects.create(indicator=growth, region=regions.wuxing, year=2025, month=3, value=12.5)
    response = client_as(city_admin).get("/indicators/values/export/")
    data = b"".join(response.streaming_content)
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("指标", "区域", "期间", "数值")
    assert rows[1][0] == "工业投资增速" and "investment_growth" not in str(rows)

    IndicatorValue.objects.all().delete()
    upload = SimpleUploadedFile("指标数值.xlsx", data)
    assert IndicatorValueImporter(city_admin).run(upload, filename="指标数值.xlsx").rows == 1
    assert IndicatorValue.objects.get().indicator == growth


def test_trend_chart_of_a_money_indicator_reads_in_yi_yuan(regions, city_admin, client_as):
    output = Indicator.objects.create(code="industrial_output", name="规上工业总产值", unit="万元")
    for month, value in [(1, 18_000), (2, 25_000)]:
        IndicatorValue.objects.create(indicator=output, region=regions.wuxing, year=2025, month=month, value=value)
    (chart,) = plotly_figures(client_as(city_admin).get(f"/indicators/{output.pk}/").content.decode())
    assert chart["data"][0]["y"] == [1.8, 2.5]
    assert chart["layout"]["yaxis"]["title"]["text"] == "亿元" and chart["layout"]["xaxis"]["title"]["text"] == "期间"
    assert chart["layout"]["separators"] == ".," and chart["layout"]["yaxis"]["tickformat"] == ",~f"
