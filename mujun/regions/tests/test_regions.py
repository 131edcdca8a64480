"""The region tree: the unit of scoping is the county, found from any node under it."""

from django.urls import reverse

from mujun.core.scoping import can_edit_region, editable_regions


def test_tree(regions):
    assert list(regions.city.children.order_by("code")) == [regions.wuxing, regions.nanxun]
    assert regions.zhili.parent.parent == regions.city


def test_descendant_ids(regions):
    assert sorted(regions.city.descendant_ids()) == sorted(
        r.pk for r in (regions.city, regions.wuxing, regions.nanxun, regions.zhili, regions.lianshi)
    )
    assert sorted(regions.wuxing.descendant_ids()) == sorted([regions.wuxing.pk, regions.zhili.pk])
    assert regions.lianshi.descendant_ids() == [regions.lianshi.pk]


def test_county(regions):
    assert regions.zhili.county() == regions.wuxing
    assert regions.wuxing.county() == regions.wuxing
    assert regions.city.county() is None


def test_operator_scope(operator_wuxing, city_admin, viewer, regions):
    assert set(editable_regions(operator_wuxing)) == {regions.wuxing, regions.zhili}
    assert can_edit_region(operator_wuxing, regions.zhili)
    assert not can_edit_region(operator_wuxing, regions.lianshi)
    assert not can_edit_region(operator_wuxing, regions.city)
    assert can_edit_region(city_admin, regions.lianshi)
    assert not can_edit_region(viewer, regions.wuxing) and not editable_regions(viewer).exists()


def test_detail_lists_children_and_links_enterprises(client_as, viewer, regions, make_enterprise):
    make_enterprise(1, region=regions.wuxing)
    page = client_as(viewer).get(regions.wuxing.get_absolute_url()).content.decode()
    assert "织里镇" in page
    assert f'{reverse("enterprises:enterprise_list")}?region={regions.wuxing.pk}' in page


def test_operator_cannot_edit_another_county(client_as, operator_wuxing, regions):
    client = client_as(operator_wuxing)
    assert client.get(reverse("regions:region_edit", args=[regions.lianshi.pk])).status_code == 403
    assert client.get(reverse("regions:region_edit", args=[regions.zhili.pk])).status_code == 200


def test_list_filters_by_level(client_as, viewer, regions):
    response = client_as(viewer).get(reverse("regions:region_list"), {"level": "county"})
    assert {row.record for row in response.context["table"].page.object_list} == {regions.wuxing, regions.nanxun}
