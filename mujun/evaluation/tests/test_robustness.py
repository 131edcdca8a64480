"""Grade robustness in the web app: started from a run before it is posted, carried out as a background task,
its results page flagging fragile grades with a filter and a summary."""

import polars as pl
from django.urls import reverse

from mujun.engine.evaluation import Pipeline
from mujun.engine.robustness import Settings, robustness, run_grade_probability
from mujun.evaluation import services
from mujun.evaluation.models import RobustnessAnalysis, Run
from mujun.evaluation.tests.conftest import publish_directly

SETTINGS = {"draws": "200", "weight_spread": "0.3", "benchmark_spread": "0.3", "threshold": "0.95", "seed": "4"}


def engine_outcome(run):
    """The engine's analysis of the run's snapshot with the same settings, by credit code."""
    frame = services.load_snapshot(run)
    pipeline = Pipeline.run(services.engine_input(frame), services.scheme_for_run(run.scheme_toml, run.year), skip_invalid=True)
    outcome = robustness(pipeline, Settings(200, 0.3, 0.3, 4))
    return outcome, outcome.result.with_columns(run_grade_probability().alias("p_grade"))


def test_analysis_from_the_run_page_flags_fragile_grades(client_as, city_admin, finished_run):
    client = client_as(city_admin)
    page = client.get(finished_run.get_absolute_url())
    assert reverse("evaluation:run_robustness", args=[finished_run.pk]) in page.content.decode()

    response = client.post(reverse("evaluation:run_robustness", args=[finished_run.pk]), SETTINGS)
    analysis = RobustnessAnalysis.objects.get()
    assert response.status_code == 302 and response.url == analysis.get_absolute_url()
    assert analysis.status == RobustnessAnalysis.Status.DONE, analysis.message
    assert analysis.created_by == city_admin

    outcome, expected = engine_outcome(finished_run)
    graded = expected.filter(pl.col("p_A").is_not_null())
    fragile = graded.filter(pl.col("p_grade") < 0.95)
    assert (analysis.graded, analysis.stable, analysis.fragile) == (outcome.graded, outcome.stable, fragile.height)
    assert analysis.results.count() == graded.height
    stored = {r.result.enterprise.uscc: r for r in analysis.results.select_related("result__enterprise")}
    for row in graded.iter_rows(named=True):
        result = stored[row["uscc"]]
        assert (result.p_a, result.p_b, result.p_c, result.p_d) == (row["p_A"], row["p_B"], row["p_C"], row["p_D"])
        assert (result.rank_low, result.rank_high, result.p_grade) == (row["rank_low"], row["rank_high"], row["p_grade"])
        assert result.result.grade == row["grade"]

    # A spread of ±30 % over 26 close enterprises moves some grades: the test data has fragile ones.
    assert 0 < fragile.height < graded.height
    detail = client.get(analysis.get_absolute_url())
    html = detail.content.decode()
    assert detail.status_code == 200
    assert 'id="stable-share"' in html and f"{outcome.stable_share * 100:.1f} %" in html
    assert html.count("fragile-mark") == fragile.height
    only_fragile = client.get(analysis.get_absolute_url(), {"fragile": "true"}).content.decode()
    assert only_fragile.count("fragile-mark") == fragile.height
    for uscc in fragile["uscc"]:
        assert uscc in only_fragile
    for uscc in graded.filter(pl.col("p_grade") >= 0.95)["uscc"]:
        assert uscc not in only_fragile



def test_the_results_page_flags_fragile_grades_of_the_latest_analysis(client_as, city_admin, finished_run):
    client = client_as(city_admin)
    results_url = reverse("evaluation:run_results", args=[finished_run.pk])
    assert "fragile-mark" not in client.get(results_url).content.decode()  # no analysis yet: no column

    client.post(reverse("evaluation:run_robustness", args=[finished_run.pk]), SETTINGS)
    outcome, expected = engine_outcome(finished_run)
    graded = expected.filter(pl.col("p_A").is_not_null())
    fragile, kept = graded.filter(pl.col("p_grade") < 0.95), graded.filter(pl.col("p_grade") >= 0.95)
    assert fragile.height and kept.height

    page = client.get(results_url, {"per_page": 100}).content.decode()
    assert page.count("fragile-mark") == fragile.height
    assert f"{round(outcome.stable_share * 100)} %" in page and 'id="robustness-summary"' in page
    only_fragile = client.get(results_url, {"fragile": "true", "per_page": 100}).content.decode()
    assert only_fragile.count("fragile-mark") == fragile.height
    assert all(uscc in only_fragile for uscc in fragile["uscc"])
    assert not any(uscc in only_fragile for uscc in kept["uscc"])
    not_fragile = client.get(results_url, {"fragile": "false", "per_page": 100}).content.decode()
    assert "fragile-mark" not in not_fragile and all(uscc in not_fragile for uscc in kept["uscc"])

def test_the_page_speaks_chinese(client_as, city_admin, finished_run):
    client = client_as(city_admin)
    page = client.get(reverse("evaluation:run_robustness", args=[finished_run.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert "等级稳健性" in html and "抽样次数" in html


def test_only_editors_analyse_and_only_before_posting(client_as, viewer, city_admin, finished_run):
    url = reverse("evaluation:run_robustness", args=[finished_run.pk])
    assert client_as(viewer).post(url, SETTINGS).status_code == 403  # a viewer sees, never starts
    publish_directly(finished_run, city_admin)
    assert finished_run.status == Run.Status.PUBLISHED
    assert client_as(city_admin).post(url, SETTINGS).status_code == 403
    assert not RobustnessAnalysis.objects.exists()


def test_settings_out_of_range_are_refused_by_the_form(client_as, city_admin, finished_run):
    url = reverse("evaluation:run_robustness", args=[finished_run.pk])
    response = client_as(city_admin).post(url, {**SETTINGS, "weight_spread": "1.5"})
    assert response.status_code == 200
    assert response.context["form"].errors["weight_spread"]
    assert not RobustnessAnalysis.objects.exists()


def test_a_rerun_drops_the_analyses_of_the_grades_it_replaces(city_admin, finished_run):
    analysis = services.start_robustness(finished_run, city_admin, draws=20, weight_spread=0.1, benchmark_spread=0.1, seed=1, threshold=0.9)
    assert analysis.status == RobustnessAnalysis.Status.DONE and analysis.results.exists()
    services.start_run(finished_run, city_admin)
    finished_run.refresh_from_db()
    assert finished_run.status == Run.Status.DONE
    assert not RobustnessAnalysis.objects.exists()
