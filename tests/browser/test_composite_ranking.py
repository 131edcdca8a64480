"""The county indicator ranking in the browser: the city's rule, then a composite built with min-max
normalisation and a geometric mean chosen on the page (the composite-indicator pipeline)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_choosing_the_composite_methods_reranks_the_counties(page, logged_in, screenshot, regions, city_admin):
    from mujun.indicators.models import Indicator, IndicatorValue
    from mujun.regions.models import Region

    growth = Indicator.objects.create(code="investment_growth", name="工业投资增速", unit="%", weight=2)
    energy = Indicator.objects.create(code="energy_per_va", name="单位增加值能耗", unit="吨标煤/万元", higher_is_better=False)
    counties = [regions.wuxing, regions.nanxun] + [
        Region.objects.create(code=code, name=name, level="county", parent=regions.city)
        for code, name in [("330521", "德清县"), ("330522", "长兴县")]
    ]
    # 南浔区 is second on growth by a hair and best on energy: rank points and min-max weigh that differently.
    for county, g, e in zip(counties, [10.0, 9.9, 5.0, 1.0], [4.0, 1.0, 3.0, 2.0]):
        IndicatorValue.objects.create(indicator=growth, region=county, year=2025, month=6, value=g)
        IndicatorValue.objects.create(indicator=energy, region=county, year=2025, month=6, value=e)

    logged_in("city_admin", "pw-city_admin")
    page.goto(page.base + "/indicators/ranking/?period=2025-06")
    regions_in_order = lambda: [row.locator("td").nth(1).inner_text() for row in page.locator("#ranking tbody tr").all()]  # noqa: E731
    assert regions_in_order() == ["南浔区", "吴兴区", "德清县", "长兴县"]
    assert page.locator("#ranking-methods select[name=normalise] option:checked").inner_text() == "标准化方法：名次得分（第一名100分，末名0分）"
    screenshot(page, "composite-01-ranking-city-rule")

    page.select_option("#ranking-methods select[name=normalise]", "minmax")
    page.select_option("#ranking-methods select[name=mean]", "geometric")
    page.click("#ranking-methods button")
    page.wait_for_url("**mean=geometric**")
    # Min-max on 1–100: 吴兴区 (100, 1) falls behind the balanced 德清县 (45, 34) under the geometric mean.
    assert regions_in_order() == ["南浔区", "德清县", "吴兴区", "长兴县"]
    assert "几何平均和调和平均要求数值大于0" in page.locator("p.small.text-muted").inner_text()
    screenshot(page, "composite-02-ranking-minmax-geometric")

    page.select_option("#ranking-methods select[name=normalise]", "zscore")
    page.click("#ranking-methods button")
    page.wait_for_selector(".alert-warning")
    assert "Z分数可能为负" in page.locator(".alert-warning").inner_text()
    assert page.locator("text=暂无指标数据").count() == 0  # the values are there; the chosen mean refuses them
    screenshot(page, "composite-03-ranking-zscore-geometric-refused")
