"""An indicator with values is not deleted (it took every county's values with it): 409 naming them."""

from decimal import Decimal

from mujun.indicators.models import Indicator, IndicatorValue


def test_deleting_an_indicator_with_values_is_refused(client_as, city_admin, regions):
    growth = Indicator.objects.create(code="investment_growth", name="工业投资增速", unit="%")
    for region in (regions.wuxing, regions.nanxun):
        IndicatorValue.objects.create(indicator=growth, region=region, year=2025, month=3, value=Decimal("12.5"))
    client = client_as(city_admin)

    response = client.delete(f"/api/indicators/{growth.pk}/")

    assert response.status_code == 409
    assert response.json()["detail"] == "指标“工业投资增速”有2个指标数值，不能删除。"
    assert IndicatorValue.objects.filter(indicator=growth).count() == 2

    unused = Indicator.objects.create(code="unused", name="未用指标")
    assert client.delete(f"/api/indicators/{unused.pk}/").status_code == 204
