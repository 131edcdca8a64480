"""Adding a project on the web (issue 8, item 4: /projects/add/ answered 500 to everybody)."""

from django.urls import reverse

from mujun.projects.models import Project

ADD = reverse("projects:project_add")


def project_data(code, region, enterprise=None) -> dict:
    return {
        "code": code, "name": f"项目{code}", "region": region.pk, "enterprise": enterprise.pk if enterprise else "",
        "total_investment": 20_000, "level": "county", "is_new": "on",
    }  # fmt: skip


def test_city_admin_adds_a_project(client_as, city_admin, regions):
    client = client_as(city_admin)
    assert client.get(ADD).status_code == 200
    response = client.post(ADD, project_data("HZ-001", regions.lianshi))
    project = Project.objects.get(code="HZ-001")
    assert response.status_code == 302 and response.url == project.get_absolute_url()
    assert project.region == regions.lianshi and project.enterprise is None and project.stage == "planned"


def test_county_operator_adds_a_project_only_in_their_county(client_as, operator_wuxing, regions, make_enterprise):
    client = client_as(operator_wuxing)
    page = client.get(ADD)
    assert page.status_code == 200
    assert set(page.context["form"].fields["region"].queryset) == {regions.wuxing, regions.zhili}
    enterprise = make_enterprise(1, region=regions.zhili)
    response = client.post(ADD, project_data("WX-001", regions.zhili, enterprise))
    assert response.status_code == 302
    assert Project.objects.get(code="WX-001").history.first().history_user == operator_wuxing
    refused = client.post(ADD, project_data("NX-001", regions.lianshi))
    assert refused.status_code == 200 and "region" in refused.context["form"].errors
    assert not Project.objects.filter(code="NX-001").exists()


def test_viewer_may_not_add_a_project(client_as, viewer, regions):
    client = client_as(viewer)
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, project_data("V-001", regions.zhili)).status_code == 403
    assert not Project.objects.exists()
