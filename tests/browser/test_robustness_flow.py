"""A county official checks how robust the run's grades are before posting them: from the run page, sets the
spreads, draws and threshold, launches the analysis and filters the fragile grades."""

import pytest

from mujun.evaluation.models import RobustnessAnalysis
from mujun.evaluation.tests.conftest import county_data, finished_run, make_enterprises, scheme  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_launch_an_analysis_and_filter_the_fragile_grades(page, logged_in, screenshot, city_admin, finished_run):  # noqa: F811
    logged_in("city_admin", "pw-city_admin")
    page.goto(page.base + finished_run.get_absolute_url())
    page.click("#run-robustness")
    page.fill("input[name=draws]", "300")
    page.fill("input[name=weight_spread]", "0.3")
    page.fill("input[name=benchmark_spread]", "0.3")
    page.fill("input[name=threshold]", "0.95")
    page.click("#robustness-form button[type=submit]")
    page.wait_for_selector("#robustness-summary")
    analysis = RobustnessAnalysis.objects.get()
    assert analysis.status == "done" and analysis.draws == 300
    assert 0 < analysis.fragile < analysis.graded
    assert page.inner_text("#fragile-count") == str(analysis.fragile)
    assert page.inner_text("#stable-share") == f"{analysis.stable / analysis.graded * 100:.1f} %"
    assert page.locator("tr.fragile").count() == analysis.fragile  # all on the first page: 26 graded rows
    screenshot(page, "robustness-analysis")

    page.select_option("select[name=fragile]", "true")
    page.click(".filter-form button[type=submit]")
    page.wait_for_url("**fragile=true**")
    assert page.locator("tbody tr").count() == analysis.fragile == page.locator(".fragile-mark").count()
    screenshot(page, "robustness-fragile")
