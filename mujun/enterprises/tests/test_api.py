"""The enterprise API: filterable reads for everybody signed in, writes only inside one's county."""

import pytest
from django.urls import reverse

from mujun.enterprises.models import Enterprise, EnterpriseYear

LIST = "/api/enterprises/"
YEARS = "/api/enterprise-years/"


@pytest.fixture
def enterprises(regions, make_enterprise):
    silk = make_enterprise(1, name="湖州丝绸有限公司", above_scale=True)
    timber = make_enterprise(3, name="南浔木业有限公司", region=regions.nanxun)
    EnterpriseYear.objects.create(enterprise=silk, year=2023, land_mu=10, tax=100)
    EnterpriseYear.objects.create(enterprise=timber, year=2023, land_mu=10, tax=50)
    return silk, timber


def test_list_is_filterable(client_as, viewer, regions, enterprises):
    client = client_as(viewer)
    assert client.get(LIST).json()["count"] == 2
    body = client.get(LIST, {"region": regions.city.pk, "above_scale": "true"}).json()
    assert [e["name"] for e in body["results"]] == ["湖州丝绸有限公司"]
    years = client.get(YEARS, {"region": regions.nanxun.pk, "year": 2023}).json()["results"]
    assert [(y["enterprise"], y["tax"]) for y in years] == [(enterprises[1].pk, 50)]


def test_anonymous_is_refused(client, enterprises):
    assert client.get(LIST).status_code in (401, 403)


def test_operator_creates_in_own_county_only(client_as, operator_wuxing, regions, uscc):
    client = client_as(operator_wuxing)
    mine = {"uscc": uscc(5), "name": "新企业", "region": regions.zhili.pk, "land_mu": 4}
    assert client.post(LIST, mine, content_type="application/json").status_code == 201
    theirs = {"uscc": uscc(6), "name": "别人的企业", "region": regions.nanxun.pk, "land_mu": 4}
    assert client.post(LIST, theirs, content_type="application/json").status_code == 403
    assert list(Enterprise.objects.values_list("name", flat=True)) == ["新企业"]


def test_operator_cannot_change_or_move_other_records(client_as, operator_wuxing, regions, enterprises):
    client = client_as(operator_wuxing)
    silk, timber = enterprises
    assert client.patch(f"{LIST}{timber.pk}/", {"name": "x"}, content_type="application/json").status_code == 403
    move = client.patch(f"{LIST}{silk.pk}/", {"region": regions.nanxun.pk}, content_type="application/json")
    assert move.status_code == 403
    year = timber.years.get()
    assert client.patch(f"{YEARS}{year.pk}/", {"tax": 1}, content_type="application/json").status_code == 403
    silk.refresh_from_db(), timber.refresh_from_db(), year.refresh_from_db()
    assert (silk.region, timber.name, year.tax) == (regions.wuxing, "南浔木业有限公司", 50)


def test_invalid_credit_code_and_land_are_rejected(client_as, city_admin, regions):
    # The field's own checks (the code) come before the model's rules (the land), as in DRF.
    client = client_as(city_admin)
    data = {"uscc": "91330500MA0000001X", "name": "x", "region": regions.wuxing.pk, "land_mu": 1}
    response = client.post(LIST, data, content_type="application/json")
    assert response.status_code == 400 and set(response.json()) == {"uscc"}
    data = {"uscc": "91330500MA00000014", "name": "x", "region": regions.wuxing.pk, "land_mu": 0}
    response = client.post(LIST, data, content_type="application/json")
    assert response.status_code == 400 and set(response.json()) == {"land_mu"}


def test_viewer_cannot_write(client_as, viewer, regions, enterprises, uscc):
    client = client_as(viewer)
    data = {"uscc": uscc(7), "name": "x", "region": regions.wuxing.pk}
    assert client.post(LIST, data, content_type="application/json").status_code == 403
    assert client.delete(f"{LIST}{enterprises[0].pk}/").status_code == 403


def test_api_edit_is_recorded_with_the_user(client_as, city_admin, enterprises):
    silk = enterprises[0]
    client_as(city_admin).patch(f"{LIST}{silk.pk}/", {"land_mu": 12}, content_type="application/json")
    record = silk.history.first()
    assert (record.history_user, record.land_mu, record.prev_record.land_mu) == (city_admin, 12, 10)


def test_schema_lists_the_endpoints(client_as, viewer):
    schema = client_as(viewer).get(reverse("api-schema")).content.decode()
    assert "/api/enterprises/" in schema and "/api/enterprise-years/" in schema
