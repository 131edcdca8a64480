"""The policy simulator page and the explainer panel of a result page."""

from io import BytesIO

import openpyxl
from django.urls import reverse

from mujun.evaluation.models import Result

SHARES = {f"grading__above__{grade}": share for grade, share in zip("ABCD", ("0.2", "0.4", "0.35", "0.05"))}


def compare(client, run, **query):
    return client.get(reverse("evaluation:run_compare", args=[run.pk]), {"compare": "1", **query})


def test_compare_page_offers_the_run_scheme_to_edit(client_as, viewer, published_run):
    page = client_as(viewer).get(reverse("evaluation:run_compare", args=[published_run.pk]))
    assert page.status_code == 200
    form = page.context["form"]
    assert form["weight__above__tax_per_mu"].value() == 60
    assert form["benchmark__above__tax_per_mu"].value() == "ratio_of_sums"
    assert form["grading__below__A"].value() == 100 and "grading__below__D" not in form.fields  # minimum totals
    assert page.context.get("counts") is None  # nothing compared before the user asks


def test_the_run_scheme_against_itself_changes_nothing(client_as, viewer, published_run):
    page = compare(client_as(viewer), published_run)
    assert page.context["counts"] == {"enterprises": 30, "changed": 0, "up": 0, "down": 0, "other": 0}
    for position, (_grade, cells, total) in enumerate(page.context["matrix"]):
        assert sum(cells) == total and all(n == 0 for i, n in enumerate(cells) if i != position)
    assert sum(total for *_rest, total in page.context["matrix"]) == 30
    money = page.context["money"]
    assert money and all(row["difference"] == 0 for row in money)


def test_edited_weights_move_grades_and_the_matrix_counts_everyone(client_as, viewer, published_run):
    edits = {"weight__above__tax_per_mu": "0", "weight__above__va_per_mu": "100"}
    page = compare(client_as(viewer), published_run, **edits)
    counts = page.context["counts"]
    assert counts["changed"] > 0 and counts["changed"] == counts["up"] + counts["down"] + counts["other"]
    assert sum(total for *_rest, total in page.context["matrix"]) == 30
    changed = page.context["changed"]
    assert len(changed) == counts["changed"]
    row = changed[0]
    result = Result.objects.get(run=published_run, enterprise_id=row["enterprise_id"])
    assert result.grade == row["grade_first"] and row["grade_first"] != row["grade_second"]
    by_region = page.context["by_region"]["rows"]
    assert sum(r[1] for r in by_region) == 30


def test_bad_edits_are_refused_with_the_reason(client_as, viewer, published_run):
    client = client_as(viewer)
    page = compare(client, published_run, **{"benchmark__above__tax_per_mu": "lots"})
    assert "benchmark__above__tax_per_mu" in page.context["form"].errors and page.context.get("counts") is None
    page = compare(client, published_run, **{**SHARES, "grading__above__A": "0.5"})
    assert page.context.get("counts") is None and page.context["problems"]
    assert page.context["problems"] == ["分组 above 分档的A档至D档比例之和为1.30，应为1"]  # the scheme parser's words


def test_a_saved_scheme_compares_and_exports(client_as, viewer, published_run, scheme):
    from mujun.evaluation.models import Scheme

    stricter = Scheme.objects.create(
        name="更严方案", year=2024, toml=scheme.toml.replace("name = \"测试区2024年度亩均效益评价\"", "name = \"更严方案\"")
        .replace("A = 0.2, B = 0.4, C = 0.35, D = 0.05", "A = 0.1, B = 0.3, C = 0.4, D = 0.2"),
    )  # fmt: skip
    client = client_as(viewer)
    page = compare(client, published_run, scheme=stricter.pk)
    assert page.context["second_name"] == "更严方案" and page.context["counts"]["down"] > 0
    response = compare(client, published_run, scheme=stricter.pk, export="1")
    assert response.status_code == 200
    book = openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert book.sheetnames == ["汇总", "按区域", "按分组", "等级变化企业", "政策金额"]
    summary = list(book["汇总"].iter_rows(values_only=True))
    assert summary[1][0] == "方案一等级" and summary[1][-1] == "合计"
    assert sum(row[-1] for row in summary[2:8]) == 30


def test_a_draft_run_is_not_compared_for_others(client_as, viewer, finished_run):
    assert client_as(viewer).get(reverse("evaluation:run_compare", args=[finished_run.pk])).status_code == 403


def test_result_page_explains_what_lifts_the_grade(client_as, viewer, published_run):
    client = client_as(viewer)
    result = published_run.results.filter(group="above", grade="C").select_related("enterprise").first()
    page = client.get(reverse("evaluation:result_detail", args=[published_run.pk, result.enterprise_id]))
    html = page.content.decode()
    assert 'id="result-explainer"' in html and 'id="explainer-lifts"' in html
    lifts = page.context["explanation_lifts"]
    assert [item["lift"].column for item in lifts] == ["tax", "value_added"]
    assert all((item["lift"].increase or 0) > 0 or item["reason"] for item in lifts)
    assert any(item["lift"].increase for item in lifts)
    assert page.context["explanation"].next_grade == "B"
    best = published_run.results.filter(grade="A").first()
    page = client.get(reverse("evaluation:result_detail", args=[published_run.pk, best.enterprise_id]))
    assert 'id="explainer-reason"' in page.content.decode()
