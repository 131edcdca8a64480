"""An enterprise that results, projects or parcels hold is never deleted (published results never change):
the delete is refused naming what holds it, and the enterprise is deactivated instead."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from mujun.enterprises.models import Enterprise, EnterpriseYear
from mujun.evaluation.models import Result, Run, Scheme
from mujun.land.models import Parcel
from mujun.projects.models import Project

LIST = "/api/enterprises/"


@pytest.fixture
def published_run(regions, city_admin):
    scheme = Scheme.objects.create(name="方案", year=2024, toml="")
    return Run.objects.create(
        name="湖州市2024", scheme=scheme, year=2024, region=regions.city, status=Run.Status.PUBLISHED
    )


@pytest.fixture
def held(regions, make_enterprise, published_run):
    """An enterprise with a published result, a project and a parcel, and one with only yearly figures."""
    silk = make_enterprise(1, name="湖州丝绸有限公司")
    other = make_enterprise(2)
    for enterprise in (silk, other):
        Result.objects.create(run=published_run, enterprise=enterprise, region=regions.wuxing, status="evaluated")
    Project.objects.create(code="P1", name="丝绸项目", enterprise=silk, region=regions.wuxing, total_investment=1000)
    Parcel.objects.create(code="D1", region=regions.wuxing, holder=silk, area_mu=20)
    free = make_enterprise(3, name="录错的企业")
    EnterpriseYear.objects.create(enterprise=free, year=2024, land_mu=10, tax=1)
    return silk, free


def test_api_refuses_to_delete_an_enterprise_with_published_results(client_as, operator_wuxing, held, published_run):
    silk, _ = held
    response = client_as(operator_wuxing).delete(f"{LIST}{silk.pk}/")

    assert response.status_code == 409
    message = response.json()["detail"]
    assert message.startswith("企业“湖州丝绸有限公司”有")
    for holder in ("1个评价结果", "1个项目", "1个地块"):
        assert holder in message
    assert message.endswith("不能删除。可将其停用。")
    assert Enterprise.objects.filter(pk=silk.pk).exists()
    assert published_run.results.count() == 2


def test_web_delete_is_refused_with_the_same_message(client_as, operator_wuxing, held, published_run):
    silk, _ = held
    client = client_as(operator_wuxing)
    assert client.get(reverse("enterprises:enterprise_delete", args=[silk.pk])).status_code == 200

    response = client.post(reverse("enterprises:enterprise_delete", args=[silk.pk]))

    assert response.status_code == 302 and response.url == silk.get_absolute_url()
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "1个评价结果" in message and "可将其停用" in message
    assert Enterprise.objects.filter(pk=silk.pk).exists() and published_run.results.count() == 2


def test_an_enterprise_nothing_holds_is_deleted_with_its_figures(client_as, operator_wuxing, held):
    _, free = held
    client = client_as(operator_wuxing)
    response = client.post(reverse("enterprises:enterprise_delete", args=[free.pk]))
    assert response.status_code == 302 and response.url == reverse("enterprises:enterprise_list")
    assert not Enterprise.objects.filter(pk=free.pk).exists()
    assert not EnterpriseYear.objects.filter(enterprise_id=free.pk).exists()


def test_api_deletes_an_enterprise_nothing_holds(client_as, operator_wuxing, held):
    _, free = held
    assert client_as(operator_wuxing).delete(f"{LIST}{free.pk}/").status_code == 204
    assert not Enterprise.objects.filter(pk=free.pk).exists()


def test_operator_cannot_delete_or_deactivate_another_countys_enterprise(client_as, operator_nanxun, held):
    silk, free = held
    client = client_as(operator_nanxun)
    assert client.delete(f"{LIST}{free.pk}/").status_code == 403
    assert client.post(f"{LIST}{silk.pk}/deactivate/").status_code == 403
    assert client.post(reverse("enterprises:enterprise_deactivate", args=[silk.pk])).status_code == 403
    silk.refresh_from_db()
    assert silk.active and Enterprise.objects.filter(pk=free.pk).exists()


def test_deactivation_through_the_api_keeps_the_enterprise_and_its_results(
    client_as, operator_wuxing, held, published_run
):
    silk, _ = held
    client = client_as(operator_wuxing)

    response = client.post(f"{LIST}{silk.pk}/deactivate/")

    assert response.status_code == 200 and response.json()["active"] is False
    silk.refresh_from_db()
    assert not silk.active and published_run.results.filter(enterprise=silk).exists()
    assert silk.history.latest().history_user == operator_wuxing
    # Still reachable by its URL, and listed on request.
    assert client.get(f"{LIST}{silk.pk}/").json()["active"] is False
    assert client.get(LIST, {"active": "false"}).json()["count"] == 1
    # The flag is the service's: an edit does not change it.
    client.patch(f"{LIST}{silk.pk}/", {"active": True}, content_type="application/json")
    silk.refresh_from_db()
    assert not silk.active

    # No new figures for it.
    year = {"enterprise": silk.pk, "year": 2025, "land_mu": 10}
    refused = client.post("/api/enterprise-years/", year, content_type="application/json")
    assert refused.status_code == 400 and "已停用" in str(refused.json())

    assert client.post(f"{LIST}{silk.pk}/reactivate/").json()["active"] is True
    assert client.post("/api/enterprise-years/", year, content_type="application/json").status_code == 201


def test_deactivated_enterprise_leaves_the_default_list_and_data_entry(client_as, operator_wuxing, held):
    silk, _ = held
    client = client_as(operator_wuxing)
    before = client.get(reverse("enterprises:enterprise_list")).context["table"].paginator.count
    response = client.post(reverse("enterprises:enterprise_deactivate", args=[silk.pk]))
    assert response.status_code == 302
    silk.refresh_from_db()
    assert not silk.active

    assert "已停用" in client.get(silk.get_absolute_url()).content.decode()
    listing = client.get(reverse("enterprises:enterprise_list"))
    assert "湖州丝绸有限公司" not in listing.content.decode() and "录错的企业" in listing.content.decode()
    assert listing.context["table"].paginator.count == before - 1  # the count kept before the deactivation: computed again
    everything = client.get(reverse("enterprises:enterprise_list"), {"active": ""}).content.decode()
    assert "湖州丝绸有限公司" in everything

    added = client.post(
        reverse("enterprises:enterpriseyear_add", args=[silk.pk]), {"year": 2025, "land_mu": 10, "coefficient": 1}
    )
    assert added.status_code == 200 and "已停用" in added.content.decode()
    assert not silk.years.filter(year=2025).exists()
