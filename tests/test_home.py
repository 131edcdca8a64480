"""The home page is made of the cards the apps register (core.extensions): each role sees them."""

import datetime as dt

import pytest


@pytest.fixture
def home_data(regions, make_enterprise):
    from mujun.land.models import DisposalCase, Parcel
    from mujun.projects.models import Project
    from mujun.services.models import Department, Problem

    firm = make_enterprise(1, region=regions.zhili)
    parcel = Parcel.objects.create(code="ZL-1", region=regions.zhili, area_mu=10, holder=firm)
    DisposalCase.objects.create(
        parcel=parcel, category="supplied_not_used", measure="urge_start", responsible_unit="织里镇",
        deadline=dt.date(2026, 12, 31),
    )  # fmt: skip
    Project.objects.create(code="P-1", name="年产十万套汽车零部件项目", enterprise=firm, region=regions.wuxing, total_investment=5000)
    department = Department.objects.create(name="市经信局", region=regions.city)
    Problem.objects.create(
        enterprise=firm, category="land", title="用地指标", status="assigned", department=department,
        deadline=dt.date(2020, 1, 1),
    )  # fmt: skip


ROLES = ["city_admin", "operator_wuxing", "viewer", "judge", "handler"]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_the_home_cards(role, request, home_data, client_as, django_user_model, regions):
    if role in ("judge", "handler"):
        user = django_user_model.objects.create_user(role, role=role)
    else:
        user = request.getfixturevalue(role)
    page = client_as(user).get("/")
    assert page.status_code == 200
    html = page.content.decode()
    for card in ("dash-grades", "dash-inspection", "dash-indicators", "dash-overdue"):
        assert f'id="{card}"' in html, card
    assert "/enterprises/" in html and "/projects/" in html and "/land/" in html
    assert "尚无已发布的全市评价结果" in html  # the grades card, empty-safe
