"""Projects and monthly reports over the API follow the pages' workflow: the stage and a report's review are
read-only and change through actions calling the services; an approved report is never deleted; a project
links only to its own county's enterprise and parcels, on the web, over the API and in an import."""

import io
from datetime import date

import openpyxl
import pytest

from mujun.core.imports import ImportFailed
from mujun.land.models import Parcel
from mujun.projects.imports import ProjectImporter
from mujun.projects.models import MonthlyReport, Project
from mujun.projects.services import review_report, submit_report


@pytest.fixture
def report(project, operator_wuxing):
    return submit_report(project, date(2024, 5, 1), 300, None, "", [], operator_wuxing)


def test_an_approved_report_cannot_be_deleted(report, client_as, operator_wuxing, city_admin):
    review_report(report, True, "", city_admin)
    client = client_as(operator_wuxing)
    response = client.delete(f"/api/project-reports/{report.pk}/")
    assert response.status_code == 409 and "已审核通过" in response.json()["detail"]
    # Nor with its project, which would take it along.
    assert client.delete(f"/api/projects/{report.project_id}/").status_code == 409
    assert MonthlyReport.objects.filter(pk=report.pk, status="approved").exists()


def test_a_report_not_yet_approved_can_be_deleted(report, client_as, operator_wuxing):
    assert client_as(operator_wuxing).delete(f"/api/project-reports/{report.pk}/").status_code == 204
    assert not MonthlyReport.objects.exists()
    assert Project.objects.get().last_progress_month is None


def test_a_report_is_reviewed_by_the_city_through_the_review_action(report, client_as, operator_wuxing, city_admin):
    operator = client_as(operator_wuxing)
    patched = operator.patch(f"/api/project-reports/{report.pk}/", {"status": "approved"}, content_type="application/json")
    report.refresh_from_db()
    assert patched.status_code == 200 and report.status == "submitted"
    assert operator.post(f"/api/project-reports/{report.pk}/review/", {"decision": "approve"}).status_code == 403
    admin = client_as(city_admin)
    no_note = admin.post(f"/api/project-reports/{report.pk}/review/", {"decision": "return"})
    assert no_note.status_code == 400 and "须说明原因" in no_note.json()["detail"]
    approved = admin.post(f"/api/project-reports/{report.pk}/review/", {"decision": "approve"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    changed = operator.patch(f"/api/project-reports/{report.pk}/", {"invested_month": 1}, content_type="application/json")
    assert changed.status_code == 400 and MonthlyReport.objects.get().invested_month == 300


def test_the_stage_changes_only_through_advance_and_correct(project, client_as, operator_wuxing, city_admin):
    operator = client_as(operator_wuxing)
    patched = operator.patch(f"/api/projects/{project.pk}/", {"stage": "commissioned", "actual_commissioned": "2024-01-01"},
                             content_type="application/json")  # fmt: skip
    project.refresh_from_db()
    assert patched.status_code == 200 and (project.stage, project.actual_commissioned) == ("planned", None)
    project.stage = "signed"
    project.save()
    assert operator.post(f"/api/projects/{project.pk}/correct/", {"stage": "planned", "reason": "录入错误"}).status_code == 403
    corrected = client_as(city_admin).post(f"/api/projects/{project.pk}/correct/", {"stage": "planned", "reason": "录入错误"})
    assert corrected.status_code == 200 and corrected.json()["stage"] == "planned"


def project_data(region, **extra) -> dict:
    return {"code": "WX-9", "name": "新项目", "region": region.pk, "total_investment": 20_000, "level": "county", **extra}


def test_a_project_links_only_to_its_own_countys_enterprise_and_parcels(project, regions, client_as, operator_wuxing, city_admin, make_enterprise):
    other_enterprise = make_enterprise(2, region=regions.lianshi)
    other_parcel = Parcel.objects.create(code="NX-P", region=regions.lianshi, area_mu=20)
    own_parcel = Parcel.objects.create(code="WX-P", region=regions.zhili, area_mu=20)
    for client in (client_as(operator_wuxing), client_as(city_admin)):
        created = client.post("/api/projects/", project_data(regions.zhili, enterprise=other_enterprise.pk), content_type="application/json")
        assert created.status_code == 400 and "enterprise" in created.json()
        created = client.post("/api/projects/", project_data(regions.zhili, parcels=[other_parcel.pk]), content_type="application/json")
        assert created.status_code == 400 and "NX-P" in str(created.json()["parcels"])
        linked = client.patch(f"/api/projects/{project.pk}/", {"parcels": [own_parcel.pk, other_parcel.pk]}, content_type="application/json")
        assert linked.status_code == 400 and "parcels" in linked.json()
        moved = client.patch(f"/api/projects/{project.pk}/", {"enterprise": other_enterprise.pk}, content_type="application/json")
        assert moved.status_code == 400 and "enterprise" in moved.json()
    assert not Project.objects.filter(code="WX-9").exists()
    project.refresh_from_db()
    assert project.enterprise.region == regions.wuxing and not project.parcels.exists()

    form = client_as(operator_wuxing).post(
        f"/projects/{project.pk}/edit/",
        {**project_data(regions.zhili), "code": project.code, "enterprise": other_enterprise.pk, "parcels": [other_parcel.pk]},
    )
    assert form.status_code == 200 and {"enterprise", "parcels"} <= set(form.context["form"].errors)

    ok = client_as(operator_wuxing).patch(f"/api/projects/{project.pk}/", {"parcels": [own_parcel.pk]}, content_type="application/json")
    assert ok.status_code == 200 and list(project.parcels.all()) == [own_parcel]
    # A city-level project may link any county's.
    city_project = client_as(city_admin).post(
        "/api/projects/", project_data(regions.city, enterprise=other_enterprise.pk, parcels=[own_parcel.pk]), content_type="application/json"
    )
    assert city_project.status_code == 201


def test_a_project_import_refuses_another_countys_enterprise_and_parcels(regions, city_admin, make_enterprise):
    other_enterprise = make_enterprise(2, region=regions.lianshi)
    Parcel.objects.create(code="NX-P", region=regions.lianshi, area_mu=20)
    book = openpyxl.Workbook()
    book.active.append(["项目编号", "项目名称", "统一社会信用代码", "所属区域", "地块编号", "总投资(万元)"])
    book.active.append(["WX-9", "新项目", other_enterprise.uscc, "织里镇", "NX-P", 20_000])
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    with pytest.raises(ImportFailed) as failure:
        ProjectImporter(city_admin).run(out, filename="p.xlsx")
    messages = [str(p) for p in failure.value.problems]
    assert any("统一社会信用代码" in m and "不在项目所在县区" in m for m in messages)
    assert any("NX-P" in m and "不在项目所在县区" in m for m in messages)
    assert not Project.objects.exists()
