import datetime as dt
import math
from urllib.parse import quote

import polars as pl
import pytest
from django.urls import reverse
from django.utils import timezone

from mujun.engine.evaluation import evaluate
from mujun.engine.io import INPUT_COLUMNS
from mujun.engine.scheme import parse_scheme
from mujun.enterprises.models import EnterpriseYear
from mujun.evaluation import services
from mujun.evaluation.models import Result, Run
from mujun.evaluation.tests.conftest import SCHEME_TOML, YEAR, workbook_rows
from mujun.engine.evaluation import POLICY_HEADERS


def engine_frame(years) -> pl.DataFrame:
    """The engine's input written out by hand from the records the test created."""
    rows = []
    for year in years:
        enterprise = year.enterprise
        county = enterprise.region.county()
        row = {column: getattr(year, column, None) for column in INPUT_COLUMNS}
        row.update(
            uscc=enterprise.uscc, name=enterprise.name, region=county.name, established_on=enterprise.established_on
        )
        rows.append(row)
    schema = {"established_on": pl.Date, "land_acquired_on": pl.Date}
    return pl.DataFrame(rows, schema_overrides=schema, infer_schema_length=None).select(list(INPUT_COLUMNS))


def test_run_end_to_end_matches_the_engine(client_as, city_admin, regions, scheme, county_data):
    client = client_as(city_admin)
    response = client.post(
        reverse("evaluation:run_add"), {"scheme": scheme.pk, "region": regions["city"].pk, "year": "", "name": ""}
    )
    run = Run.objects.get()
    assert response.status_code == 302 and response.url == run.get_absolute_url()
    assert run.status == Run.Status.DONE, run.message
    assert run.progress == 100 and run.year == YEAR and run.finished_at is not None
    assert run.scheme_toml == SCHEME_TOML and run.input_snapshot
    assert run.name.startswith("湖州市 2024")

    expected = evaluate(
        engine_frame(EnterpriseYear.objects.select_related("enterprise__region__parent").order_by("enterprise_id")),
        parse_scheme(SCHEME_TOML),
    ).result
    stored = {r.enterprise.uscc: r for r in run.results.select_related("enterprise", "region")}
    assert len(stored) == expected.height == 30
    for row in expected.iter_rows(named=True):
        result = stored[row["uscc"]]
        assert result.status == row["status"]
        assert result.grade == (row["grade"] or "")
        assert result.rank == row["rank"]
        assert result.region.name == row["region"]
        if row["total"] is None:
            assert result.total is None
        else:
            assert math.isclose(result.total, row["total"], rel_tol=0, abs_tol=1e-12)
        if row["group"] == "above":
            assert result.indicators["va_per_mu"]["score"] == row["va_per_mu_score"]
    # The town's enterprises count under their county.
    assert {r.region.name for r in stored.values()} == {"吴兴区", "南浔区"}
    assert stored[county_data["small"][0].uscc].status == "out_of_scope"
    assert run.summary["grades"] == {
        g: n for g, n in expected.filter(pl.col("grade").is_not_null())["grade"].value_counts().iter_rows()
    }
    assert run.summary["groups"]["above"]["evaluated"] == 26
    assert run.summary["groups"]["above"]["indicators"][1]["benchmark"] == 100

    page = client.get(run.get_absolute_url()).content.decode()
    assert "hx-trigger" not in page  # finished: nothing polls
    assert "vendor/plotly/plotly.min.js" in page and "data-plotly-figure" in page


def test_input_is_built_from_the_region_and_its_towns(regions, county_data):
    frame = services.build_input(regions["wuxing"], YEAR)
    assert frame.height == 12 + 8 + 3 + 1
    assert frame["region"].unique().to_list() == ["吴兴区"]
    assert frame["region_id"].unique().to_list() == [regions["wuxing"].pk]
    assert frame.columns == [*services.ID_COLUMNS, *INPUT_COLUMNS]
    assert frame.schema["above_scale"] == pl.Boolean and frame.schema["land_mu"] == pl.Float64
    assert services.build_input(regions["zhili"], YEAR).height == 8
    assert services.build_input(regions["wuxing"], YEAR - 1).is_empty()


def test_progress_fragment_polls_until_the_run_is_finished(client_as, city_admin, finished_run):
    client = client_as(city_admin)
    url = reverse("evaluation:run_progress", args=[finished_run.pk])
    Run.objects.filter(pk=finished_run.pk).update(status=Run.Status.RUNNING, progress=40)
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in fragment.content.decode() and "40 %" in fragment.content.decode()
    Run.objects.filter(pk=finished_run.pk).update(status=Run.Status.DONE, progress=100)
    done = client.get(url, headers={"HX-Request": "true"})
    assert done.headers.get("HX-Refresh") == "true"


def test_run_without_data_fails_with_a_clear_message(city_admin, regions, scheme):
    from mujun.evaluation.services import start_run

    run = Run.objects.create(name="空", scheme=scheme, year=YEAR, region=regions["nanxun"], created_by=city_admin)
    start_run(run, city_admin)
    assert run.status == Run.Status.FAILED
    assert run.message == "南浔区 2024年没有企业数据" and not run.results.exists()


def test_operator_runs_only_their_own_county(client_as, operator_wuxing, regions, scheme, county_data):
    client = client_as(operator_wuxing)
    form = client.get(reverse("evaluation:run_add")).context["form"]
    assert list(form.fields["region"].queryset) == [regions["wuxing"]]

    refused = client.post(reverse("evaluation:run_add"), {"scheme": scheme.pk, "region": regions["nanxun"].pk})
    assert refused.status_code == 200 and "region" in refused.context["form"].errors
    refused = client.post(reverse("evaluation:run_add"), {"scheme": scheme.pk, "region": regions["city"].pk})
    assert refused.status_code == 200 and not Run.objects.exists()

    client.post(reverse("evaluation:run_add"), {"scheme": scheme.pk, "region": regions["wuxing"].pk})
    run = Run.objects.get()
    assert run.region == regions["wuxing"] and run.status == Run.Status.DONE
    assert run.results.count() == 24 and run.created_by == operator_wuxing


def test_viewer_cannot_create_runs(client_as, viewer, regions, scheme):
    client = client_as(viewer)
    assert client.get(reverse("evaluation:run_add")).status_code == 403
    assert (
        client.post(reverse("evaluation:run_add"), {"scheme": scheme.pk, "region": regions["city"].pk}).status_code
        == 403
    )
    api = client.post("/api/evaluation/runs/", {"scheme": scheme.pk, "region": regions["city"].pk})
    assert api.status_code == 403
    assert not Run.objects.exists()


def test_publish_freezes_the_run(client_as, city_admin, operator_wuxing, finished_run):
    client = client_as(operator_wuxing)
    assert client.post(reverse("evaluation:run_publish", args=[finished_run.pk])).status_code == 403

    client = client_as(city_admin)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    client.post(
        reverse("evaluation:run_post", args=[finished_run.pk]),
        {"posting_starts_on": yesterday - dt.timedelta(days=6), "posting_ends_on": yesterday},
    )
    client.post(reverse("evaluation:run_publish", args=[finished_run.pk]))
    finished_run.refresh_from_db()
    assert finished_run.status == Run.Status.PUBLISHED and finished_run.published_at is not None
    assert finished_run.history.first().status == Run.Status.PUBLISHED
    assert finished_run.history.first().history_user == city_admin

    assert client.post(reverse("evaluation:run_rerun", args=[finished_run.pk])).status_code == 403
    assert client.post(reverse("evaluation:run_delete", args=[finished_run.pk])).status_code == 403
    assert Run.objects.filter(pk=finished_run.pk, status=Run.Status.PUBLISHED).exists()
    assert finished_run.results.count() == 30
    page = client.get(finished_run.get_absolute_url()).content.decode()
    assert reverse("evaluation:run_delete", args=[finished_run.pk]) not in page


def test_unpublished_run_can_be_rerun_and_deleted(client_as, city_admin, finished_run):
    client = client_as(city_admin)
    EnterpriseYear.objects.filter(enterprise__region__name="南浔区").delete()
    client.post(reverse("evaluation:run_rerun", args=[finished_run.pk]))
    finished_run.refresh_from_db()
    assert finished_run.status == Run.Status.DONE and finished_run.results.count() == 24

    snapshot = finished_run.input_snapshot.path
    response = client.post(reverse("evaluation:run_delete", args=[finished_run.pk]))
    assert response.status_code == 302
    assert not Run.objects.exists() and not Result.objects.exists()
    import os

    assert not os.path.exists(snapshot)


def test_reproduce_gives_identical_results_and_notices_a_change(client_as, city_admin, finished_run):
    outcome = services.reproduce_run(finished_run)
    assert outcome.identical and outcome.compared == 30 and outcome.differing == 0

    # The stored figures change after the run: the snapshot still reproduces the run.
    EnterpriseYear.objects.update(tax=0)
    response = client_as(city_admin).post(reverse("evaluation:run_reproduce", args=[finished_run.pk]), follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["success"]

    tampered = finished_run.results.filter(status="evaluated").first()
    Result.objects.filter(pk=tampered.pk).update(total=tampered.total + 1)
    outcome = services.reproduce_run(finished_run)
    assert not outcome.identical and outcome.differing == 1


@pytest.mark.parametrize("grade", ["D", "A"])
def test_policy_list_holds_exactly_the_grade(client_as, viewer, published_run, grade):
    rows = workbook_rows(client_as(viewer).get(reverse("evaluation:run_policy_export", args=[published_run.pk, grade])))
    header, body = rows[0], rows[1:]
    expected = set(published_run.results.filter(grade=grade).values_list("enterprise__uscc", flat=True))
    assert expected and {row[0] for row in body} == expected
    assert header[0] == "统一社会信用代码"
    if grade == "D":
        assert POLICY_HEADERS["electricity_surcharge_yuan_per_kwh"] in header
        column = header.index(POLICY_HEADERS["electricity_surcharge_yuan_per_kwh"])
        assert {row[column] for row in body} == {0.3}


def test_single_policy_list_and_the_policy_page(client_as, viewer, published_run):
    client = client_as(viewer)
    page = client.get(reverse("evaluation:run_policies", args=[published_run.pk])).content.decode()
    # Each agency's list, from the recipients' declaration; none for a policy the scheme does not have.
    for recipient in ("power", "water", "tax"):
        assert reverse("evaluation:run_recipient_export", args=[published_run.pk, recipient]) in page
    assert reverse("evaluation:run_recipient_export", args=[published_run.pk, "banks"]) not in page
    url = reverse("evaluation:run_policy_export", args=[published_run.pk, "D"]) + "?policy=water_surcharge_yuan_per_t"
    header = workbook_rows(client.get(url))[0]
    assert POLICY_HEADERS["water_surcharge_yuan_per_t"] in header
    assert POLICY_HEADERS["electricity_surcharge_yuan_per_kwh"] not in header
    assert client.get(reverse("evaluation:run_policy_export", args=[published_run.pk, "B"])).status_code == 404
    missing = reverse("evaluation:run_recipient_export", args=[published_run.pk, "banks"])
    assert client.get(missing).status_code == 404


def test_policy_lists_and_their_files_are_named_in_chinese(client_as, viewer, published_run):
    client = client_as(viewer)
    page = client.get(reverse("evaluation:run_policies", args=[published_run.pk])).content.decode()
    assert "供电公司" in page and "加价标准(元/千瓦时)" in page
    assert ">electricity_surcharge_yuan_per_kwh<" not in page  # the key only in a download's address
    whole = client.get(reverse("evaluation:run_policy_export", args=[published_run.pk, "D"]))["Content-Disposition"]
    power = client.get(reverse("evaluation:run_recipient_export", args=[published_run.pk, "power"]))
    assert quote(f"{published_run.name}-D档企业名单.xlsx") in whole
    assert quote(f"{published_run.name}-差别化电价名单(供电公司).xlsx") in power["Content-Disposition"]
    assert "electricity" not in power["Content-Disposition"]
