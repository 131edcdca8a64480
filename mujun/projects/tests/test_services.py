from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from mujun.core.uploads import MAX_UPLOAD_BYTES
from mujun.projects import services
from mujun.projects.models import Evidence, MonthlyReport, Project, StageChange
from mujun.projects.services import Refused, Upload, advance, correct_back, submit_report


def _to_construction(project, user, files):
    advance(project, "signed", date(2024, 1, 12), files("document"), user)
    advance(project, "landed", date(2024, 3, 5), files("document"), user)
    return advance(project, "construction", date(2024, 4, 24), files("photo", "document"), user)


def test_advance_one_stage_at_a_time_keeps_evidence_and_thumbnails(project, operator_wuxing, files):
    project = _to_construction(project, operator_wuxing, files)
    assert project.stage == "construction"
    assert project.actual_construction == date(2024, 4, 24)
    photo = Evidence.objects.get(project=project, stage="construction", kind="photo")
    assert photo.thumbnail and photo.thumbnail.storage.exists(photo.thumbnail.name)
    assert photo.file.storage.exists(photo.file.name)
    assert list(StageChange.objects.filter(project=project).values_list("to_stage", flat=True)) == [
        "construction", "landed", "signed",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("stage", "on", "kinds", "message"),
    [
        ("landed", date(2024, 1, 12), ["document"], "不能跳过阶段"),
        ("signed", None, ["document"], "日期"),
        ("signed", date(2024, 1, 12), [], "须上传文件"),
        ("signed", date(2024, 1, 12), ["photo"], "须上传文件"),
    ],
)
def test_refusals_store_nothing(project, operator_wuxing, files, stage, on, kinds, message):
    with pytest.raises(Refused, match=message):
        advance(project, stage, on, files(*kinds), operator_wuxing)
    project.refresh_from_db()
    assert project.stage == "planned"
    assert not Evidence.objects.exists()
    assert not StageChange.objects.exists()


def test_date_before_previous_stage_is_refused_and_files_are_not_left_behind(project, operator_wuxing, files, settings):
    advance(project, "signed", date(2024, 1, 12), files("document"), operator_wuxing)
    with pytest.raises(Refused, match="早于上一阶段") as refusal:
        advance(project, "landed", date(2024, 1, 2), files("document"), operator_wuxing)
    assert str(refusal.value) == "落地日期2024-01-02早于上一阶段签约的日期2024-01-12"  # Chinese only
    assert Evidence.objects.count() == 1
    stored = [p for p in (settings.MEDIA_ROOT / "projects" / "evidence").rglob("*") if p.is_file()]
    assert len(stored) == 1


def test_wrong_file_types_are_refused(project, operator_wuxing, files):
    exe = Upload("agreement.exe", b"MZ...", "document")
    with pytest.raises(Refused, match="类型不符"):
        advance(project, "signed", date(2024, 1, 12), [exe], operator_wuxing)
    fake_pdf = Upload("agreement.pdf", b"not a pdf", "document")
    with pytest.raises(Refused, match="内容与扩展名不符"):
        advance(project, "signed", date(2024, 1, 12), [fake_pdf], operator_wuxing)
    big = Upload("agreement.pdf", b"%PDF" + b"0" * MAX_UPLOAD_BYTES, "document")
    with pytest.raises(Refused, match="20MB"):
        advance(project, "signed", date(2024, 1, 12), [big], operator_wuxing)


def test_other_county_may_not_advance(project, operator_nanxun, files):
    with pytest.raises(PermissionDenied):
        advance(project, "signed", date(2024, 1, 12), files("document"), operator_nanxun)


def test_backward_correction_is_a_city_administrators_recorded_act(project, operator_wuxing, city_admin, files):
    project = _to_construction(project, operator_wuxing, files)
    with pytest.raises(PermissionDenied):
        correct_back(project, "landed", operator_wuxing, "wrong date")
    with pytest.raises(Refused, match="原因"):
        correct_back(project, "landed", city_admin, " ")
    correct_back(project, "signed", city_admin, "土地合同作废 / land contract void")
    project.refresh_from_db()
    assert project.stage == "signed"
    assert project.actual_landed is None and project.actual_construction is None
    change = StageChange.objects.filter(correction=True).get()
    assert change.user == city_admin and change.from_stage == "construction"
    assert project.history.first().history_change_reason.startswith("correction")


def test_revenue_of_20_million_makes_projects_at_capacity_above_scale_with_the_statistics(project, operator_wuxing, files):
    from mujun.enterprises.models import EnterpriseYear

    project = _to_construction(project, operator_wuxing, files)
    advance(project, "completed", date(2024, 9, 1), files("photo", "document"), operator_wuxing)
    advance(project, "commissioned", date(2024, 10, 1), files("photo"), operator_wuxing)
    figures = EnterpriseYear.objects.create(enterprise=project.enterprise, year=2024, land_mu=10, revenue=2500)
    project.refresh_from_db()
    # 达产 needs the project's output figures: revenue alone never skips it.
    assert project.stage == "commissioned"
    advance(project, "capacity", date(2024, 11, 20), files("document"), operator_wuxing)
    figures.revenue = 1999
    figures.save()
    project.refresh_from_db()
    assert project.stage == "capacity"
    figures.revenue = 2000
    figures.save()
    project.refresh_from_db()
    assert project.stage == "above_scale"
    assert project.actual_above_scale == date(2024, 12, 31)
    change = StageChange.objects.get(project=project, automatic=True)
    assert (change.to_stage, change.date, change.statistics) == ("above_scale", date(2024, 12, 31), figures)
    assert "2024" in change.reason and "2000" in change.reason and f"#{figures.pk}" in change.reason


def test_statistics_of_a_year_before_capacity_or_not_yet_ended_move_nothing(project, operator_wuxing, files):
    """Figures of 2024 say nothing of a project at capacity in 2025: no 上规 back-dated to its own dates."""
    from mujun.enterprises.models import EnterpriseYear

    project = _to_construction(project, operator_wuxing, files)
    advance(project, "completed", date(2024, 9, 1), files("photo", "document"), operator_wuxing)
    advance(project, "commissioned", date(2025, 2, 1), files("photo"), operator_wuxing)
    advance(project, "capacity", date(2025, 3, 1), files("document"), operator_wuxing)
    EnterpriseYear.objects.create(enterprise=project.enterprise, year=2024, land_mu=10, revenue=9000)
    EnterpriseYear.objects.create(enterprise=project.enterprise, year=date.today().year, land_mu=10, revenue=9000)
    project.refresh_from_db()
    assert project.stage == "capacity" and project.actual_above_scale is None


def test_monthly_reports(project, operator_wuxing, operator_nanxun, city_admin, files):
    report = submit_report(project, date(2024, 5, 1), 300, None, "基础施工", files("photo"), operator_wuxing)
    assert report.invested_to_date == 300 and report.photos.count() == 1
    with pytest.raises(Refused, match="已填报月报"):
        submit_report(project, date(2024, 5, 20), 10, None, "", [], operator_wuxing)
    with pytest.raises(Refused, match="不能为负数"):
        submit_report(project, date(2024, 6, 1), -5, None, "", [], operator_wuxing)
    with pytest.raises(Refused, match="小于上月累计"):
        submit_report(project, date(2024, 6, 1), 5, 100, "", [], operator_wuxing)
    with pytest.raises(PermissionDenied):
        submit_report(project, date(2024, 6, 1), 5, None, "", [], operator_nanxun)
    assert MonthlyReport.objects.count() == 1
    assert Project.objects.get().last_progress_month == date(2024, 5, 1)
    with pytest.raises(Refused, match="退回"):
        services.review_report(report, False, "", city_admin)
    services.review_report(report, False, "照片不清晰", city_admin)
    resubmitted = submit_report(project, date(2024, 5, 1), 320, None, "补充照片", [], operator_wuxing, report=report)
    assert resubmitted.status == "submitted" and resubmitted.invested_to_date == 320
    with pytest.raises(PermissionDenied):
        services.review_report(report, True, "", operator_wuxing)
    services.review_report(report, True, "", city_admin)
    with pytest.raises(Refused, match="审核通过"):
        submit_report(project, date(2024, 5, 1), 1, None, "", [], operator_wuxing, report=report)


def test_an_enterprise_import_reaching_20_million_makes_projects_above_scale(project, operator_wuxing, files):
    from mujun.enterprises.imports import EnterpriseImporter

    project = _to_construction(project, operator_wuxing, files)
    advance(project, "completed", date(2024, 9, 1), files("photo", "document"), operator_wuxing)
    advance(project, "commissioned", date(2024, 10, 1), files("photo"), operator_wuxing)
    advance(project, "capacity", date(2024, 11, 1), files("document"), operator_wuxing)
    enterprise = project.enterprise
    csv = (
        "uscc,name,region,above_scale,land_mu,revenue\n"
        f"{enterprise.uscc},{enterprise.name},{enterprise.region.code},是,10,2500\n"
    ).encode()
    EnterpriseImporter(operator_wuxing, year=2024).run(csv, filename="figures.csv")
    project.refresh_from_db()
    assert project.stage == "above_scale"
    assert project.actual_above_scale == date(2024, 12, 31)
    assert StageChange.objects.get(project=project, automatic=True).statistics.revenue == 2500
