"""The region tree's rules (issue 8, item 3): no cycles, city → county → town/park, codes of the right form,
names without control characters, and only city administrators change the city and its counties; on the web
form and the API alike."""

import signal
from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from mujun.regions.models import Region

API = "/api/regions/"


def edit_url(region) -> str:
    return reverse("regions:region_edit", args=[region.pk])


def form_data(region, **changes) -> dict:
    data = {"code": region.code, "name": region.name, "level": region.level, "parent": region.parent_id or ""}
    return {**data, **changes}


@contextmanager
def finishes_within(seconds: int):
    """Fail, rather than hang the suite, when the code under test loops forever."""

    def expire(signum, frame):
        raise TimeoutError(f"did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# -- the attack of the issue: a county operator hangs their county under one of its own towns ------------


def test_operator_may_not_edit_their_county_on_the_web(client_as, operator_wuxing, regions):
    client = client_as(operator_wuxing)
    assert client.get(edit_url(regions.wuxing)).status_code == 403
    for change in ({"parent": regions.zhili.pk}, {"parent": ""}, {"level": "town"}, {"code": "330509"}):
        response = client.post(edit_url(regions.wuxing), form_data(regions.wuxing, **change))
        assert response.status_code == 403
    regions.wuxing.refresh_from_db()
    assert (regions.wuxing.parent, regions.wuxing.level, regions.wuxing.code) == (regions.city, "county", "330502")
    # The county's page offers no edit button to its operator; a town's page does.
    assert edit_url(regions.wuxing) not in client.get(regions.wuxing.get_absolute_url()).content.decode()
    assert edit_url(regions.zhili) in client.get(regions.zhili.get_absolute_url()).content.decode()


def test_operator_may_not_change_a_county_or_make_one_on_the_api(client_as, operator_wuxing, regions):
    client = client_as(operator_wuxing)
    for change in ({"parent": regions.zhili.pk}, {"parent": None}, {"level": "town"}, {"code": "330509"}):
        response = client.patch(f"{API}{regions.wuxing.pk}/", change, content_type="application/json")
        assert response.status_code == 403, change
    # A town of their own county may be edited, but not turned into a county.
    response = client.patch(
        f"{API}{regions.zhili.pk}/", {"level": "county", "parent": regions.city.pk, "code": "330509"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 403
    response = client.post(API, {"code": "330509", "name": "新区", "level": "county", "parent": regions.city.pk})
    assert response.status_code == 403
    # A town of theirs stays under their county: not under another town, however it is asked.
    other = Region.objects.create(code="330502101", name="八里店镇", level="town", parent=regions.wuxing)
    response = client.patch(f"{API}{regions.zhili.pk}/", {"parent": other.pk}, content_type="application/json")
    assert response.status_code == 400 and "上级区域必须是县(市、区)" in " ".join(response.json()["parent"])
    regions.wuxing.refresh_from_db()
    regions.zhili.refresh_from_db()
    assert (regions.wuxing.parent, regions.zhili.level) == (regions.city, "town")


def test_operator_keeps_the_towns_and_parks_of_their_county(client_as, operator_wuxing, regions):
    client = client_as(operator_wuxing)
    response = client.patch(f"{API}{regions.zhili.pk}/", {"name": "织里镇（新）"}, content_type="application/json")
    assert response.status_code == 200, response.content
    page = client.post(
        reverse("regions:region_add"), {"code": "330502401", "name": "吴兴高新区", "level": "park", "parent": regions.wuxing.pk}
    )
    assert page.status_code == 302
    park = Region.objects.get(code="330502401")
    assert park.parent == regions.wuxing and park.history.first().history_user == operator_wuxing
    # Only towns and parks are offered to an operator.
    form = client.get(reverse("regions:region_add")).context["form"]
    assert {value for value, _ in form.fields["level"].choices if value} == {"town", "park"}
    # Another county's town stays out of reach.
    assert client.patch(f"{API}{regions.lianshi.pk}/", {"name": "x"}, content_type="application/json").status_code == 403


# -- the rules themselves, as the city administrator meets them (form and API give the same message) ------


def test_a_county_under_its_own_town_is_refused_naming_the_parent(client_as, city_admin, regions):
    client = client_as(city_admin)
    page = client.post(edit_url(regions.wuxing), form_data(regions.wuxing, parent=regions.zhili.pk))
    assert page.status_code == 200
    assert "不能隶属于自身或其下级区域" in " ".join(page.context["form"].errors["parent"])
    response = client.patch(f"{API}{regions.wuxing.pk}/", {"parent": regions.zhili.pk}, content_type="application/json")
    assert response.status_code == 400
    assert "不能隶属于自身或其下级区域" in " ".join(response.json()["parent"])
    regions.wuxing.refresh_from_db()
    assert regions.wuxing.parent == regions.city


def test_a_county_without_parent_is_refused(client_as, city_admin, regions):
    client = client_as(city_admin)
    page = client.post(edit_url(regions.wuxing), form_data(regions.wuxing, parent=""))
    assert "县(市、区)的上级区域必须是市" in " ".join(page.context["form"].errors["parent"])
    response = client.patch(f"{API}{regions.wuxing.pk}/", {"parent": None}, content_type="application/json")
    assert response.status_code == 400 and "上级区域必须是市" in " ".join(response.json()["parent"])
    regions.wuxing.refresh_from_db()
    assert regions.wuxing.parent == regions.city


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"code": "33050210\x01"}, "code", "只能由数字组成"),
        ({"code": "33050210A"}, "code", "只能由数字组成"),
        ({"code": "３３０５０２１０１"}, "code", "只能由数字组成"),  # full-width digits
        ({"code": "3305021"}, "code", "9位或12位"),
        ({"code": "330503101"}, "code", "须以330502开头"),
        ({"name": "八里店\x1b镇"}, "name", "控制字符"),
        ({"name": "八里店\u202e镇"}, "name", "控制字符"),
        ({"parent": "city"}, "parent", "上级区域必须是县(市、区)"),
        ({"parent": "zhili"}, "parent", "上级区域必须是县(市、区)"),
        ({"parent": ""}, "parent", "上级区域必须是县(市、区)"),
    ],
)
def test_bad_towns_are_refused_naming_the_field(client_as, city_admin, regions, change, field, message):
    client = client_as(city_admin)
    if change.get("parent"):
        change = {"parent": regions[change["parent"]].pk}
    data = {"code": "330502101", "name": "八里店镇", "level": "town", "parent": regions.wuxing.pk, **change}
    page = client.post(reverse("regions:region_add"), data)
    assert page.status_code == 200 and message in " ".join(page.context["form"].errors[field])
    response = client.post(API, {**data, "parent": data["parent"] or None}, content_type="application/json")
    assert response.status_code == 400 and message in " ".join(response.json()[field])
    assert not Region.objects.filter(name__startswith="八里店").exists()


def test_level_order_and_a_single_city(regions):
    def refused(region, field):
        with pytest.raises(ValidationError) as failure:
            region.full_clean()
        assert field in failure.value.message_dict, failure.value.message_dict

    refused(Region(code="330600", name="绍兴市", level="city"), "level")
    refused(Region(code="330599", name="湖州市二", level="city", parent=regions.city), "parent")
    refused(Region(code="330509", name="新区", level="county", parent=regions.wuxing), "parent")
    refused(Region(code="330609", name="新区", level="county", parent=regions.city), "code")
    # A county with towns cannot become a town; its code, nor the city's, can leave the prefix of what is under it.
    regions.wuxing.level, regions.wuxing.parent, regions.wuxing.code = "town", regions.nanxun, "330503102"
    refused(regions.wuxing, "level")
    regions.wuxing.refresh_from_db()
    regions.wuxing.code = "330509"
    refused(regions.wuxing, "code")
    regions.city.code = "330600"
    refused(regions.city, "code")


def test_city_admin_makes_legitimate_changes(client_as, city_admin, regions):
    client = client_as(city_admin)
    assert client.post(edit_url(regions.wuxing), form_data(regions.wuxing, name="吴兴区（新）")).status_code == 302
    response = client.post(API, {"code": "330521", "name": "德清县", "level": "county", "parent": regions.city.pk})
    assert response.status_code == 201, response.content
    deqing = Region.objects.get(code="330521")
    # A town moves to another county with the code it has there.
    response = client.patch(
        f"{API}{regions.zhili.pk}/", {"parent": deqing.pk, "code": "330521100"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert client.post(edit_url(regions.city), form_data(regions.city, name="湖州")).status_code == 302
    park = {"code": "330503401000", "name": "南浔经济开发区", "level": "park", "parent": regions.nanxun.pk}
    assert client.post(reverse("regions:region_add"), park).status_code == 302
    regions.zhili.refresh_from_db()
    assert (regions.zhili.parent, regions.zhili.code) == (deqing, "330521100")
    assert len(regions.city.descendant_ids()) == 7


# -- the walks end even on bad stored data; the demo tree and the fixtures obey the rules -----------------


def test_walks_end_on_a_stored_cycle(regions):
    # Written past the rules, as a raw update or an old database could hold it: the attack (吴兴区
    # under its own 织里镇), and two towns under each other.
    Region.objects.filter(pk=regions.wuxing.pk).update(parent=regions.zhili)
    nanxun_town = Region.objects.create(code="330503101", name="南浔镇", level="town", parent=regions.nanxun)
    Region.objects.filter(pk=regions.lianshi.pk).update(parent=nanxun_town)
    Region.objects.filter(pk=nanxun_town.pk).update(parent=regions.lianshi)
    with finishes_within(5):
        assert sorted(Region.objects.get(pk=regions.wuxing.pk).descendant_ids()) == [regions.wuxing.pk, regions.zhili.pk]
        assert Region.objects.get(pk=regions.zhili.pk).county() == regions.wuxing
        assert Region.objects.get(pk=regions.lianshi.pk).county() is None
        region = Region.objects.get(pk=regions.wuxing.pk)
        region.parent = regions.city
        region.full_clean()  # the repair is accepted


def test_fixture_regions_obey_the_rules(regions):
    for region in regions.values():
        region.full_clean()


def test_demo_regions_load_through_the_rules(db):
    from mujun.regions.demo import load_regions
    from mujun.engine.demo import REGIONS

    loaded = load_regions()
    assert len(loaded) == len(REGIONS) == Region.objects.count()
    for region in loaded.values():
        region.full_clean()
