"""A project's parcels are part of its audit: linking and unlinking them is a history row naming the change,
on the web, over the API and in an import (issue 8, item 11)."""

import io

import pytest
from django.urls import reverse

from mujun.land.models import Parcel
from mujun.projects.imports import ProjectImporter
from mujun.projects.models import Project
from mujun.projects.tests.test_project_add import project_data


@pytest.fixture
def parcels(regions):
    return [Parcel.objects.create(code=f"WX-{n}", region=regions.zhili, area_mu=20) for n in (1, 2, 3)]


def linked(record) -> list[str]:
    return sorted(str(row.parcel) for row in record.parcels.all())


def test_changing_parcels_on_the_web_is_one_history_row_naming_them(client_as, operator_wuxing, regions, parcels):
    client = client_as(operator_wuxing)
    data = project_data("WX-001", regions.zhili)
    client.post(reverse("projects:project_add"), {**data, "parcels": [parcels[0].pk, parcels[1].pk]})
    project = Project.objects.get(code="WX-001")
    assert linked(project.history.get()) == ["WX-1", "WX-2"]  # created with its parcels: one row

    edit = reverse("projects:project_edit", args=[project.pk])
    assert client.post(edit, {**data, "parcels": [parcels[0].pk, parcels[2].pk]}).status_code == 302

    assert project.history.count() == 2
    assert linked(project.history.first()) == ["WX-1", "WX-3"]
    latest = client.get(project.get_absolute_url()).context["history"][0]
    assert latest["user"] == operator_wuxing
    assert latest["changes"] == [{"field": "地块", "old": "WX-1、WX-2", "new": "WX-1、WX-3"}]


def test_parcels_changed_over_the_api_are_in_the_history(client_as, city_admin, regions, parcels):
    project = Project.objects.create(code="WX-002", name="项目", region=regions.zhili, total_investment=100)
    response = client_as(city_admin).patch(
        f"/api/projects/{project.pk}/", {"parcels": [parcels[1].pk]}, content_type="application/json"
    )
    assert response.status_code == 200
    assert project.history.count() == 2  # its creation, and this change in one row
    latest = project.history.first()
    assert latest.history_user == city_admin and linked(latest) == ["WX-2"]


def workbook(*rows) -> io.BytesIO:
    lines = ["项目编号,项目名称,所属区域,总投资(万元),地块编号", *[",".join(row) for row in rows]]
    return io.BytesIO("\n".join(lines).encode())


def test_an_import_records_the_parcels_it_links_and_who_linked_them(city_admin, operator_wuxing, regions, parcels):
    ProjectImporter(city_admin).run(workbook(["WX-003", "项目", "织里镇", "100", "WX-1；WX-2"]), filename="p.csv")
    project = Project.objects.get(code="WX-003")
    created = project.history.get()
    assert (created.history_type, created.history_user, linked(created)) == ("+", city_admin, ["WX-1", "WX-2"])

    # Only the parcels change: the project's fields are as they were, its history still gets a row.
    ProjectImporter(operator_wuxing).run(workbook(["WX-003", "项目", "织里镇", "100", "WX-3"]), filename="p.csv")
    changed = project.history.first()
    assert (changed.history_type, changed.history_user, linked(changed)) == ("~", operator_wuxing, ["WX-3"])
    delta = changed.diff_against(created)
    assert delta.changed_fields == ["parcels"]
