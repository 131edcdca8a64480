"""The cycle of a run after its evaluation (issue 10, item 3): posted for public notice (公示) with a window,
objections filed inside it by the enterprise's town or county operator, each decided by a city administrator
(upheld, figures corrected and the run recomputed, regraded with a reason), then published with a mark where
review changed a grade. Each refusal (item 6) is checked too: an objection after the window, a regrade
without a reason, publishing while objections await review or the window is open."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from mujun.enterprises.models import EnterpriseYear
from mujun.evaluation import services
from mujun.evaluation.grades import published_grades, visible_runs
from mujun.core.clock import replaying
from mujun.evaluation.models import Objection, Result, Run
from mujun.evaluation.tests.conftest import YEAR, workbook_rows
from mujun.evaluation.views import enterprise_evaluation_context

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


@pytest.fixture
def town_staff(regions, django_user_model):
    """织里镇's staff: a county operator placed in the town."""
    return django_user_model.objects.create_user(
        "zhili_staff", password="pw-zhili", role="county_operator", region=regions.zhili
    )


@pytest.fixture
def posted_run(city_admin, finished_run):
    """The city-wide run posted from yesterday for a week: objections may be filed today."""
    return services.post_run(finished_run, city_admin, today() - days(1), today() + days(5))


def zhili_result(run, grade=None) -> Result:
    """A graded result of an enterprise in 织里镇 (optionally of ``grade``)."""
    results = run.results.filter(enterprise__region__name="织里镇", status="evaluated").order_by("rank", "id")
    if grade:
        results = results.filter(grade=grade)
    return results.select_related("enterprise__region", "run").first()


def objection_to(run, staff, grade=None, reason="税金数据漏报") -> Objection:
    return services.file_objection(zhili_result(run, grade), staff, reason)


# --------------------------------------------------------------------------------------------------
# Posting


def test_posting_keeps_each_grade_as_posted_and_opens_the_run_to_everybody(posted_run, viewer):
    assert posted_run.status == Run.Status.POSTED and posted_run.posted_at is not None
    assert not posted_run.results.exclude(posted_grade=F("grade")).exists()
    # Everybody signed in sees a posted run (公示 is public), but its grades do not count yet.
    assert posted_run in visible_runs(viewer)
    assert published_grades(posted_run.results.values_list("enterprise_id", flat=True)) == {}
    latest = posted_run.history.first()
    assert (latest.status, latest.posting_starts_on, latest.posting_ends_on) == (
        Run.Status.POSTED, today() - days(1), today() + days(5),
    )  # fmt: skip


def test_posting_refuses_a_window_ending_before_it_starts_and_other_counties(city_admin, operator_nanxun, finished_run):
    with pytest.raises(ValidationError, match="公示结束日期不能早于开始日期"):
        services.post_run(finished_run, city_admin, today(), today() - days(1))
    with pytest.raises(PermissionDenied):
        services.post_run(finished_run, operator_nanxun, today(), today() + days(6))
    finished_run.refresh_from_db()
    assert finished_run.status == Run.Status.DONE and finished_run.posting_starts_on is None


def test_a_posted_run_is_neither_evaluated_again_nor_deleted(client_as, city_admin, posted_run):
    with pytest.raises(ValidationError):
        services.start_run(posted_run, city_admin)
    client = client_as(city_admin)
    assert client.post(reverse("evaluation:run_rerun", args=[posted_run.pk])).status_code == 403
    assert client.post(reverse("evaluation:run_delete", args=[posted_run.pk])).status_code == 403
    posted_run.refresh_from_db()
    assert posted_run.status == Run.Status.POSTED


def test_the_notice_lists_name_code_and_grade_under_a_title_with_the_window(client_as, viewer, posted_run):
    response = client_as(viewer).get(reverse("evaluation:run_posting_export", args=[posted_run.pk]))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    rows = list(openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == f"湖州市{YEAR}年度工业企业亩均效益综合评价结果公示"
    assert rows[1][:3] == ("企业名称", "统一社会信用代码", "评价等级")
    graded = posted_run.results.exclude(grade="").count()
    listed = [row for row in rows[2 : 2 + graded]]
    assert len(listed) == graded and all(len([c for c in row if c is not None]) == 3 for row in listed)
    assert {row[1] for row in listed} == set(posted_run.results.exclude(grade="").values_list("enterprise__uscc", flat=True))
    notes = " ".join(str(row[0]) for row in rows[2 + graded :] if row and row[0])
    start, end = posted_run.posting_starts_on, posted_run.posting_ends_on
    assert f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日" in notes
    assert "异议" in notes


# --------------------------------------------------------------------------------------------------
# Objections


def test_the_town_and_the_county_operator_object_for_the_enterprise(posted_run, town_staff, operator_wuxing):
    mine = objection_to(posted_run, town_staff)
    assert (mine.filed_as, mine.filed_by, mine.decision) == (Objection.FiledAs.TOWN, town_staff, "pending")
    other = zhili_result(posted_run)
    second = posted_run.results.filter(enterprise__region__name="织里镇").exclude(pk=other.pk).first()
    on_behalf = services.file_objection(second, operator_wuxing, "代企业提出")
    assert on_behalf.filed_as == Objection.FiledAs.COUNTY
    assert mine.history.first().history_user == town_staff


def test_nobody_else_objects(posted_run, operator_nanxun, viewer, city_admin):
    result = zhili_result(posted_run)
    for user in (operator_nanxun, viewer, city_admin):
        with pytest.raises(PermissionDenied):
            services.file_objection(result, user, "异议")
    assert not Objection.objects.exists()


def test_an_objection_after_the_window_is_refused_naming_the_window(city_admin, finished_run, town_staff):
    run = services.post_run(finished_run, city_admin, today() - days(8), today() - days(2))
    with pytest.raises(ValidationError) as refused:
        objection_to(run, town_staff)
    message = " ".join(refused.value.messages)
    assert "异议仅在公示期内受理" in message
    assert str(today() - days(8)) in message and str(today() - days(2)) in message
    assert not Objection.objects.exists()


def test_the_window_includes_its_first_and_last_day(city_admin, finished_run, town_staff):
    run = services.post_run(finished_run, city_admin, today() - days(6), today())
    first, second, third = run.results.filter(enterprise__region__name="织里镇").select_related("enterprise__region", "run")[:3]
    assert services.file_objection(first, town_staff, "最后一天").pk  # today, the last day (local date)
    with replaying(today() - days(6)):
        assert services.file_objection(second, town_staff, "第一天").pk
    with replaying(today() - days(7)):
        with pytest.raises(ValidationError, match="公示期内"):
            services.file_objection(third, town_staff, "前一天")
    assert Objection.objects.count() == 2


def test_an_objection_needs_a_reason_and_only_one_awaits_review_per_enterprise(posted_run, town_staff):
    with pytest.raises(ValidationError) as refused:
        objection_to(posted_run, town_staff, reason="  ")
    assert "reason" in refused.value.message_dict
    objection_to(posted_run, town_staff)
    with pytest.raises(ValidationError, match="待复核"):
        objection_to(posted_run, town_staff)
    assert Objection.objects.count() == 1


def test_evidence_is_kept_when_it_is_a_pdf_and_refused_otherwise(posted_run, town_staff):
    result = zhili_result(posted_run)
    with pytest.raises(ValidationError):
        services.file_objection(result, town_staff, "附证明", SimpleUploadedFile("证明.pdf", b"not a pdf"))
    objection = services.file_objection(result, town_staff, "附证明", SimpleUploadedFile("完税证明.pdf", PDF))
    assert objection.evidence and objection.evidence_name == "完税证明.pdf"


# --------------------------------------------------------------------------------------------------
# Review


def test_only_a_city_administrator_decides(posted_run, town_staff, operator_wuxing):
    objection = objection_to(posted_run, town_staff)
    for user in (town_staff, operator_wuxing):
        with pytest.raises(PermissionDenied):
            services.decide_objection(objection, user, "upheld", "维持")
    objection.refresh_from_db()
    assert objection.is_pending


def test_a_regrade_without_a_reason_is_refused(posted_run, town_staff, city_admin):
    objection = objection_to(posted_run, town_staff, grade="C")
    with pytest.raises(ValidationError) as refused:
        services.decide_objection(objection, city_admin, "regraded", "  ", "B")
    assert refused.value.message_dict["decision_reason"] == ["调整等级必须填写书面理由。"]
    objection.refresh_from_db()
    assert objection.is_pending and objection.result.grade == "C" and not objection.result.changed_on_review


def test_a_regrade_changes_the_grade_and_records_who_when_before_and_after(posted_run, town_staff, city_admin):
    objection = objection_to(posted_run, town_staff, grade="C")
    before_counts = dict(posted_run.summary["grades"])
    services.decide_objection(objection, city_admin, "regraded", "技改投产，经复核调整为B档", "B")
    objection.refresh_from_db()
    result = objection.result
    assert (result.grade, result.posted_grade, result.changed_on_review) == ("B", "C", True)
    assert result.review_note == "技改投产，经复核调整为B档"
    assert (objection.decision, objection.grade_before, objection.grade_after) == ("regraded", "C", "B")
    assert objection.decided_by == city_admin and objection.decided_at is not None
    latest = objection.history.first()
    assert (latest.history_user, latest.decision, latest.grade_before, latest.grade_after) == (city_admin, "regraded", "C", "B")
    posted_run.refresh_from_db()
    counts = posted_run.summary["grades"]
    assert counts["B"] == before_counts["B"] + 1 and counts["C"] == before_counts["C"] - 1
    with pytest.raises(ValidationError, match="已复核"):
        services.decide_objection(objection, city_admin, "upheld", "再次复核")


def test_upholding_keeps_the_grade(posted_run, town_staff, city_admin):
    objection = objection_to(posted_run, town_staff)
    grade = objection.result.grade
    services.decide_objection(objection, city_admin, "upheld", "原数据准确，维持原等级")
    objection.refresh_from_db()
    assert (objection.decision, objection.grade_before, objection.grade_after) == ("upheld", grade, grade)
    assert not objection.result.changed_on_review


def test_corrected_figures_recompute_the_run_and_show_which_grades_changed(posted_run, town_staff, city_admin):
    worst = posted_run.results.filter(enterprise__region__name="织里镇", group="above").order_by("-rank").first()
    objection = services.file_objection(worst, town_staff, "税金漏报")
    enterprise, posted = objection.result.enterprise, worst.grade
    assert posted in ("C", "D")
    totals_before = dict(posted_run.results.values_list("enterprise__uscc", "total"))
    EnterpriseYear.objects.filter(enterprise=enterprise, year=YEAR).update(tax=10_000_000)
    services.decide_objection(objection, city_admin, "corrected", "补录漏报税金")
    objection.refresh_from_db()
    result = objection.result
    assert (objection.grade_before, objection.grade_after) == (posted, "A")
    assert (result.grade, result.posted_grade, result.changed_on_review) == ("A", posted, True)
    posted_run.refresh_from_db()
    [recompute] = posted_run.summary["review_recomputes"]
    changed = {change["uscc"]: (change["before"], change["after"]) for change in recompute["changes"]}
    assert changed[enterprise.uscc] == (posted, "A")
    assert recompute["changes"][0]["total_before"] == totals_before[recompute["changes"][0]["uscc"]]
    # Exactly the enterprises whose grade differs now from the grade as posted are listed (one recompute).
    differing = posted_run.results.exclude(grade=F("posted_grade")).values_list("enterprise__uscc", flat=True)
    assert set(changed) == set(differing) == set(services.review_changes(posted_run).values_list("enterprise__uscc", flat=True))
    assert len(changed) >= 2  # a share grading: lifting one firm into A pushes another down
    assert posted_run.objections.get() == objection  # the objection stays attached to its result


def test_a_regrade_stands_when_the_run_is_recomputed_later(posted_run, town_staff, operator_wuxing, city_admin):
    first = objection_to(posted_run, town_staff, grade="C")
    services.decide_objection(first, city_admin, "regraded", "经复核调整为A档", "A")
    other = posted_run.results.filter(enterprise__region__name="吴兴区", grade="D").select_related("enterprise__region", "run").first()
    other = other or posted_run.results.filter(enterprise__region__name="吴兴区").exclude(pk=first.result_id).select_related("enterprise__region", "run").first()
    second = services.file_objection(other, operator_wuxing, "代企业提出")
    EnterpriseYear.objects.filter(enterprise=other.enterprise, year=YEAR).update(tax=5_000_000)
    services.decide_objection(second, city_admin, "corrected", "更正税金")
    first.result.refresh_from_db()
    assert (first.result.grade, first.result.changed_on_review) == ("A", True)


def test_a_run_reviewed_with_a_regrade_and_a_correction_still_reproduces(posted_run, town_staff, operator_wuxing, city_admin):
    first = objection_to(posted_run, town_staff, grade="C")
    services.decide_objection(first, city_admin, "regraded", "经复核调整为A档", "A")
    assert services.reproduce_run(posted_run).identical  # the regrade is the record, not a difference
    other = posted_run.results.filter(enterprise__region__name="吴兴区").exclude(pk=first.result_id).first()
    second = services.file_objection(other, operator_wuxing, "代企业提出")
    EnterpriseYear.objects.filter(enterprise=other.enterprise, year=YEAR).update(tax=5_000_000)
    services.decide_objection(second, city_admin, "corrected", "更正税金")
    reproduction = services.reproduce_run(posted_run)
    assert reproduction.identical and reproduction.compared == posted_run.results.count()
    # A stored grade that neither the figures nor a regrade explain is still caught.
    other.refresh_from_db()
    posted_run.results.filter(pk=other.pk).update(grade="D" if other.grade != "D" else "A")
    assert services.reproduce_run(posted_run).differing == 1


def test_publishing_waits_for_the_window_and_every_decision(city_admin, finished_run, town_staff):
    starts, ends = today() - days(8), today() - days(2)
    run = services.post_run(finished_run, city_admin, starts, ends)
    with replaying(starts + days(1)):
        objection = objection_to(run, town_staff, grade="C")
        with pytest.raises(ValidationError, match="公示期结束后"):
            services.publish_run(run, city_admin)
    with pytest.raises(ValidationError, match="1条异议待复核"):
        services.publish_run(run, city_admin)
    run.refresh_from_db()
    assert run.status == Run.Status.POSTED
    services.decide_objection(objection, city_admin, "regraded", "经复核调整为B档", "B")
    services.publish_run(run, city_admin)
    assert run.status == Run.Status.PUBLISHED
    # Now the grades count: the regraded one with its new grade.
    enterprise_id = objection.result.enterprise_id
    [grade] = published_grades([enterprise_id])[enterprise_id]
    assert grade.grade == "B" and grade.result.changed_on_review
    with pytest.raises(ValidationError):
        services.decide_objection(objection, city_admin, "upheld", "发布后")


# --------------------------------------------------------------------------------------------------
# Pages


def test_pages_walk_the_cycle_and_show_the_mark(client_as, city_admin, town_staff, viewer, finished_run):
    admin = client_as(city_admin)
    url = finished_run.get_absolute_url()
    assert "公示评价结果" in admin.get(url).content.decode()
    # Publishing straight away is refused with the reason.
    page = admin.post(reverse("evaluation:run_publish", args=[finished_run.pk]), follow=True).content.decode()
    assert "只有经过公示的评价批次才能发布" in page
    admin.post(
        reverse("evaluation:run_post", args=[finished_run.pk]),
        {"posting_starts_on": today() - days(1), "posting_ends_on": today() + days(5)},
    )
    finished_run.refresh_from_db()
    assert finished_run.status == Run.Status.POSTED
    assert "公示中" in client_as(viewer).get(url).content.decode()

    # The town files an objection from the enterprise's result page.
    result = zhili_result(finished_run, "C")
    # The enterprise page shows the posted grade as 公示中, outside the counted (published) grades.
    enterprise_page = client_as(viewer).get(result.enterprise.get_absolute_url()).content.decode()
    assert "evaluation-posted" in enterprise_page and "发布后生效" in enterprise_page
    assert enterprise_evaluation_context(result.enterprise)["evaluation_history"] == []
    staff = client_as(town_staff)
    result_page = staff.get(reverse("evaluation:result_detail", args=[finished_run.pk, result.enterprise_id])).content.decode()
    add_url = reverse("evaluation:objection_add", args=[finished_run.pk])
    assert f"{add_url}?enterprise={result.enterprise_id}" in result_page
    response = staff.post(add_url, {"uscc": result.enterprise.uscc, "reason": "企业技改投产", "evidence": SimpleUploadedFile("证明.pdf", PDF)})
    objection = Objection.objects.get()
    assert response.status_code == 302 and response["Location"] == objection.get_absolute_url()
    assert client_as(viewer).get(reverse("evaluation:objection_evidence", args=[finished_run.pk, objection.pk])).status_code == 200

    # The city administrator: a regrade without a reason is refused on the page, with one it is taken.
    detail = reverse("evaluation:objection_detail", args=[finished_run.pk, objection.pk])
    page = admin.post(detail, {"decision": "regraded", "grade": "B", "reason": ""}).content.decode()
    assert "调整等级必须填写书面理由" in page
    admin.post(detail, {"decision": "regraded", "grade": "B", "reason": "技改投产，经复核调整为B档"})
    objection.refresh_from_db()
    assert objection.decision == "regraded" and objection.result.grade == "B"
    # Publishing inside the window is refused, naming the window.
    page = admin.post(reverse("evaluation:run_publish", args=[finished_run.pk]), follow=True).content.decode()
    assert "公示期为" in page
    Run.objects.filter(pk=finished_run.pk).update(posting_starts_on=today() - days(9), posting_ends_on=today() - days(2))
    admin.post(reverse("evaluation:run_publish", args=[finished_run.pk]))
    finished_run.refresh_from_db()
    assert finished_run.status == Run.Status.PUBLISHED

    reader = client_as(viewer)
    exported = workbook_rows(reader.get(reverse("evaluation:run_export", args=[finished_run.pk])))
    header = exported[0]
    row = next(r for r in exported[1:] if r[0] == result.enterprise.uscc)
    assert (row[header.index("公示等级")], row[header.index("复核调整")]) == ("C", "是")
    assert sum(1 for r in exported[1:] if r[header.index("复核调整")] == "是") == 1
    results_page = reader.get(reverse("evaluation:run_results", args=[finished_run.pk]) + "?grade=B").content.decode()
    assert results_page.count("复核调整") == 1
    assert "复核调整" in reader.get(reverse("evaluation:result_detail", args=[finished_run.pk, result.enterprise_id])).content.decode()
    assert "复核调整" in reader.get(result.enterprise.get_absolute_url()).content.decode()


def test_a_late_objection_on_the_page_names_the_window(client_as, city_admin, town_staff, finished_run):
    services.post_run(finished_run, city_admin, today() - days(8), today() - days(2))
    result = zhili_result(finished_run)
    page = client_as(town_staff).post(
        reverse("evaluation:objection_add", args=[finished_run.pk]), {"uscc": result.enterprise.uscc, "reason": "迟交"}
    ).content.decode()
    assert "异议仅在公示期内受理" in page and not Objection.objects.exists()


def test_correcting_figures_on_the_review_page_recomputes_and_shows_the_changes(client_as, city_admin, town_staff, posted_run):
    objection = objection_to(posted_run, town_staff, grade="C")
    year = EnterpriseYear.objects.get(enterprise=objection.result.enterprise, year=YEAR)
    detail = reverse("evaluation:objection_detail", args=[posted_run.pk, objection.pk])
    admin = client_as(city_admin)
    page = admin.get(detail).content.decode()
    assert 'name="figures-tax"' in page
    form = {f"figures-{name}": value for name, value in figures(year).items()}
    response = admin.post(detail, {"decision": "corrected", "reason": "补录漏报税金", **form, "figures-tax": "9000000"})
    assert response.status_code == 302 and response["Location"] == reverse("evaluation:run_changes", args=[posted_run.pk])
    year.refresh_from_db()
    assert year.tax == 9_000_000
    changes = admin.get(response["Location"]).content.decode()
    assert objection.result.enterprise.uscc in changes and "按更正数据重新计算" in changes


def figures(year) -> dict:
    from django.forms.models import model_to_dict

    data = model_to_dict(year, exclude=["id", "enterprise"])
    return {k: v for k, v in data.items() if v is not None and v is not False}


# --------------------------------------------------------------------------------------------------
# API


def test_the_api_posts_files_decides_and_publishes_through_the_services(client_as, city_admin, town_staff, finished_run):
    admin, staff = client_as(city_admin), client_as(town_staff)
    base = "/api/evaluation"
    bad = admin.post(f"{base}/runs/{finished_run.pk}/post/", {"posting_starts_on": today(), "posting_ends_on": today() - days(1)})
    assert bad.status_code == 400 and "公示结束日期不能早于开始日期" in bad.content.decode()
    posted = admin.post(f"{base}/runs/{finished_run.pk}/post/", {"posting_starts_on": today() - days(1), "posting_ends_on": today() + days(5)})
    assert posted.status_code == 200 and posted.json()["status"] == "posted"

    result = zhili_result(finished_run, "C")
    filed = staff.post(f"{base}/objections/", {"result": result.pk, "reason": "企业技改投产"})
    assert filed.status_code == 201, filed.content
    assert filed.json()["filed_as"] == "town" and filed.json()["decision"] == "pending"
    pk = filed.json()["id"]
    assert staff.post(f"{base}/objections/{pk}/decide/", {"decision": "upheld", "reason": "维持"}).status_code == 403
    refused = admin.post(f"{base}/objections/{pk}/decide/", {"decision": "regraded", "grade": "B", "reason": ""})
    assert refused.status_code == 400 and "调整等级必须填写书面理由" in refused.content.decode()
    decided = admin.post(f"{base}/objections/{pk}/decide/", {"decision": "regraded", "grade": "B", "reason": "经复核调整为B档"})
    assert decided.status_code == 200 and (decided.json()["grade_before"], decided.json()["grade_after"]) == ("C", "B")
    refused = admin.post(f"{base}/runs/{finished_run.pk}/publish/")
    assert refused.status_code == 400 and "公示期为" in refused.content.decode()
    listed = admin.get(f"{base}/results/?run={finished_run.pk}&grade=B").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert any(row["changed_on_review"] and row["posted_grade"] == "C" for row in rows)


def test_the_api_refuses_a_late_objection(client_as, city_admin, town_staff, finished_run):
    services.post_run(finished_run, city_admin, today() - days(8), today() - days(2))
    result = zhili_result(finished_run)
    late = client_as(town_staff).post("/api/evaluation/objections/", {"result": result.pk, "reason": "迟交"})
    assert late.status_code == 400 and "异议仅在公示期内受理" in late.content.decode()
    assert not Objection.objects.exists()
