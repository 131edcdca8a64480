from html import unescape

from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mujun.engine.evaluation import result_headers
from mujun.engine.scheme import parse_scheme
from mujun.evaluation.models import Result, Run
from mujun.evaluation.tests.conftest import publish_directly, workbook_rows
from mujun.evaluation.views import enterprise_evaluation_context


def table_rows(response) -> list[Result]:
    return list(response.context["table"].page.object_list.data)


def test_results_filter_by_region_group_grade_status_and_search(client_as, viewer, regions, published_run):
    client = client_as(viewer)
    url = reverse("evaluation:run_results", args=[published_run.pk])

    everything = client.get(url)
    assert everything.context["table"].paginator.count == 30

    by_region = table_rows(client.get(url, {"region": regions["nanxun"].pk}))
    assert len(by_region) == 6 and {r.region_id for r in by_region} == {regions["nanxun"].pk}

    below = table_rows(client.get(url, {"group": "below"}))
    assert len(below) == 4 and {r.group for r in below} == {"below"}

    graded_a = table_rows(client.get(url, {"grade": "A"}))
    assert graded_a and {r.grade for r in graded_a} == {"A"}
    assert len(graded_a) == published_run.results.filter(grade="A").count()

    out = table_rows(client.get(url, {"status": "out_of_scope"}))
    assert [r.enterprise.name for r in out] == ["吴兴区测试企业401"]

    by_name = table_rows(client.get(url, {"q": "织里镇测试企业10"}))
    assert len(by_name) == 8
    target = published_run.results.select_related("enterprise").first().enterprise
    by_code = table_rows(client.get(url, {"q": target.uscc.lower()}))
    assert [r.enterprise for r in by_code] == [target]
    prefix = target.uscc[:8]
    by_prefix = table_rows(client.get(url, {"q": prefix}))
    assert by_prefix and {r.enterprise.uscc[:8] for r in by_prefix} == {prefix}
    assert len(by_prefix) == published_run.results.filter(enterprise__uscc__startswith=prefix).count()

    # Filtering by a region not in the run is rejected by the form (an empty, not a wrong, list).
    assert "region" in client.get(url, {"region": regions["zhili"].pk}).context["filter"].errors


def test_results_sort_by_total_and_link_to_the_enterprise(client_as, viewer, published_run):
    client = client_as(viewer)
    url = reverse("evaluation:run_results", args=[published_run.pk])
    descending = table_rows(client.get(url, {"sort": "-total"}))
    totals = [r.total for r in descending]
    scored = [t for t in totals if t is not None]
    assert scored == sorted(scored, reverse=True) and totals[: len(scored)] == scored  # unscored last
    ascending = [r.total for r in table_rows(client.get(url, {"sort": "total"})) if r.total is not None]
    assert ascending == sorted(ascending)
    by_name = [r.enterprise.name for r in table_rows(client.get(url, {"sort": "name"}))]
    assert by_name == sorted(by_name)
    page = client.get(url).content.decode()
    assert descending[0].enterprise.get_absolute_url() in page


def test_results_page_queries_do_not_grow_with_rows(client_as, viewer, published_run):
    client = client_as(viewer)
    url = reverse("evaluation:run_results", args=[published_run.pk])
    client.get(url)  # session, content types
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    counts = [
        q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper() and "evaluation_result" in q["sql"]
    ]
    assert len(counts) == 1  # the paginator counts once
    assert len(queries.captured_queries) <= 10


def test_results_export_opens_with_chinese_headers_and_the_filtered_rows(client_as, viewer, published_run):
    client = client_as(viewer)
    rows = workbook_rows(client.get(reverse("evaluation:run_export", args=[published_run.pk])))
    header, body = rows[0], rows[1:]
    headers = result_headers(parse_scheme(published_run.scheme_toml))
    for column in ("uscc", "name", "region", "total", "rank", "grade", "tax_per_mu_value", "tax_per_mu_score"):
        assert headers[column] in header
    assert "亩均税收得分" in header and "差别化电价加价(元/千瓦时)" in header
    assert len(body) == 30
    uscc_at, total_at = header.index(headers["uscc"]), header.index(headers["total"])
    stored = dict(published_run.results.values_list("enterprise__uscc", "total"))
    for row in body:
        expected = stored[row[uscc_at]]
        assert row[total_at] == (None if expected is None else round(expected, 2))

    body = workbook_rows(client.get(reverse("evaluation:run_export", args=[published_run.pk]), {"grade": "D"}))[1:]
    assert {row[uscc_at] for row in body} == set(
        published_run.results.filter(grade="D").values_list("enterprise__uscc", flat=True)
    )


def test_run_page_shows_grade_counts(client_as, viewer, published_run):
    page = client_as(viewer).get(published_run.get_absolute_url())
    assert page.status_code == 200
    assert "grade-card" in page.content.decode()
    assert page.context["grade_cards"][0][:2] == ("A", published_run.summary["grades"]["A"])


def test_enterprise_block_shows_grades_over_runs_and_the_indicator_table(
    client_as, viewer, city_admin, finished_run, county_data
):
    enterprise = county_data["wuxing"][0]
    later = Run.objects.create(
        name="草稿",
        scheme=finished_run.scheme,
        year=finished_run.year,
        region=finished_run.region,
        status=Run.Status.DONE,
        summary=finished_run.summary,
    )
    Result.objects.create(
        run=later,
        enterprise=enterprise,
        region=finished_run.region,
        group="above",
        status="evaluated",
        grade="B",
        rank=9,
        total=50,
    )
    publish_directly(finished_run, city_admin)

    context = enterprise_evaluation_context(enterprise)
    assert [row["run"].pk for row in context["evaluation_history"]] == [finished_run.pk]  # the draft never shows
    result = finished_run.results.get(enterprise=enterprise)
    first = context["evaluation_history"][0]
    assert first["ranked_of"] == 26 and first["result"] == result
    assert first["url"] == reverse("evaluation:result_detail", args=[finished_run.pk, enterprise.pk])

    html = unescape(render_to_string("evaluation/_enterprise_evaluation.html", context))
    assert "evaluation-indicators" in html
    for label in ("亩均税收", "亩均增加值"):
        assert label in html
    tax = result.indicators["tax_per_mu"]
    assert f"{tax['value']:.4f}" in html and f"{tax['score']:.2f}" in html
    benchmark = finished_run.summary["groups"]["above"]["indicators"][0]["benchmark"]
    assert f"{benchmark:.4f}" in html
    assert f"{result.rank} / 26" in html

    # The grade links to the enterprise's own result, with the same indicator table.
    own = unescape(client_as(viewer).get(first["url"]).content.decode())
    assert "亩均增加值" in own and f"{tax['score']:.2f}" in own and f"{result.rank} / 26" in own


def test_enterprise_never_evaluated(db, county_data):
    context = enterprise_evaluation_context(county_data["wuxing"][0])
    assert context["evaluation_history"] == [] and context["evaluation_indicators"] == []


def test_search_with_many_matches_gives_the_same_rows(client_as, viewer, published_run, monkeypatch):
    """A common term takes the subquery path; it must find exactly what the short-list path finds."""
    from mujun.evaluation.filtersets import ResultFilterSet

    client = client_as(viewer)
    url = reverse("evaluation:run_results", args=[published_run.pk])
    short_list = {r.pk for r in table_rows(client.get(url, {"q": "测试企业"}))}
    monkeypatch.setattr(ResultFilterSet, "FEW_MATCHES", 1)
    subquery = {r.pk for r in table_rows(client.get(url, {"q": "测试企业"}))}
    assert short_list == subquery and len(short_list) > 1

