"""A region that records still refer to is not deleted: the API refuses with 409 naming them, never 500."""

from mujun.regions.models import Region


def test_deleting_a_region_holding_records_is_refused(client_as, city_admin, regions, make_enterprise):
    make_enterprise(1, region=regions.zhili)
    client = client_as(city_admin)

    town = client.delete(f"/api/regions/{regions.zhili.pk}/")
    assert town.status_code == 409
    assert "1个企业" in town.json()["detail"] and "不能删除" in town.json()["detail"]

    county = client.delete(f"/api/regions/{regions.wuxing.pk}/")
    assert county.status_code == 409
    assert "1个区域" in county.json()["detail"]  # its town
    assert Region.objects.filter(pk__in=[regions.zhili.pk, regions.wuxing.pk]).count() == 2
