"""A city administrator compares the run's scheme with an edited copy in Chromium (charts drawn, the workbook
downloaded), then opens an enterprise whose grade changes and reads what would lift its grade."""

import datetime as dt
import random

import openpyxl
import pytest

from mujun.engine.scheme import preset_toml
from mujun.engine.uscc import make_uscc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def city_with_a_run(regions, user):
    """Forty enterprises with figures for 2024 in two counties, evaluated city-wide under Huangyan's rules."""
    from mujun.enterprises.models import Enterprise, EnterpriseYear
    from mujun.evaluation.models import Run, Scheme
    from mujun.evaluation.services import start_run

    rng = random.Random(12)
    for n in range(40):
        region = regions.wuxing if n % 2 else regions.nanxun
        above = n < 30
        enterprise = Enterprise.objects.create(
            uscc=make_uscc(f"91{region.code[:6]}{n:09d}"), name=f"{region.name}试点{n:02d}科技有限公司", region=region,
            above_scale=above, established_on=dt.date(2010, 1, 1),
        )  # fmt: skip
        land = round(rng.uniform(5, 80), 2)
        value_added = round(land * rng.uniform(30, 200), 2)
        EnterpriseYear.objects.create(
            enterprise=enterprise, year=2024, above_scale=above, land_mu=land, tax=round(land * rng.uniform(2, 40), 2),
            value_added=value_added, revenue=round(value_added * 4, 1) if above else 1500.0,
            energy_tce=round(rng.uniform(50, 5000), 1), emission_eq=round(rng.uniform(0.1, 2), 3),
            rd_expense=round(value_added * rng.uniform(0, 0.1), 2), employees=rng.randint(10, 800),
            electricity_10k_kwh=round(rng.uniform(10, 900), 1), water_t=round(rng.uniform(1000, 90000)),
            land_use_tax=round(land * 0.3, 2),
        )  # fmt: skip
    scheme = Scheme.objects.create(
        name="湖州市2024年度亩均效益评价", year=2024, preset="huangyan-2022", toml=preset_toml("huangyan-2022")
    )
    run = Run.objects.create(name="湖州市2024年度", scheme=scheme, year=2024, region=regions.city, created_by=user)
    start_run(run, user)
    run.refresh_from_db()
    assert run.status == Run.Status.DONE, run.message
    return run


def test_compare_an_edited_scheme_and_explain_a_grade(
    page, logged_in, screenshot, regions, django_user_model, tmp_path
):
    admin = django_user_model.objects.create_user("cityadmin", password="pw-city-2026", role="city_admin")
    run = city_with_a_run(regions, admin)
    logged_in("cityadmin", "pw-city-2026")

    page.goto(f"{page.base}/evaluation/runs/{run.pk}/")
    page.click("#run-compare")
    page.wait_for_url(f"**/evaluation/runs/{run.pk}/compare/")
    # Tax per mu counts double, value added per mu not at all; A gets 30 % instead of 20 %.
    page.click("#compare-form summary")
    page.fill("input[name=weight__above__tax_per_mu]", "60")
    page.fill("input[name=weight__above__value_added_per_mu]", "0")
    page.fill("input[name=grading__above__A]", "0.3")
    page.fill("input[name=grading__above__B]", "0.3")
    page.click("#compare-submit")
    page.wait_for_selector("#transition-matrix")
    page.wait_for_selector(".plotly-chart .main-svg")
    assert page.locator(".plotly-chart .main-svg").count() >= 3  # transitions, per region, policy money
    totals = page.locator("#transition-matrix tbody tr td:last-child").all_inner_texts()
    assert sum(int(t.replace(",", "")) for t in totals) == 40
    changed_rows = page.locator("#compare-changed tbody tr")
    assert changed_rows.count() > 0
    assert "上升" in page.inner_text("#compare-changed")  # a 30 % A lifts some B firms
    assert page.locator("#compare-money tbody tr").count() == 4  # electricity, water, sewage, land-use tax
    screenshot(page, "scheme-compare")

    with page.expect_download() as download:
        page.click("#compare-export")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.endswith("方案对比.xlsx")
    assert openpyxl.load_workbook(saved, read_only=True).sheetnames == ["汇总", "按区域", "按分组", "等级变化企业", "政策金额"]

    # An enterprise that is not A: what would lift it, and what its grade costs it.
    from mujun.evaluation.models import Result

    result = Result.objects.filter(run=run, group="above", grade="C").first()
    page.goto(f"{page.base}/evaluation/runs/{run.pk}/results/{result.enterprise_id}/")
    page.wait_for_selector("#result-explainer")
    lifts = page.inner_text("#explainer-lifts")
    assert "实缴税金" in lifts and "+" in lifts
    assert "C档与B档相比" in page.inner_text("#result-explainer")
    assert page.inner_text("#explainer-total-cost").strip() not in ("", "0.00")  # C pays surcharges that B does not
    screenshot(page, "result-explainer")
