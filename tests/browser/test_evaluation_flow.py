"""A city administrator's day with the evaluation: log in, import the county workbook, run the
evaluation, post it for public notice and publish it, open the results and an enterprise, export the results and a policy list."""

import io
import random

import openpyxl
import pytest

from mujun.engine.io import INPUT_COLUMNS
from mujun.engine.scheme import preset_toml
from mujun.engine.uscc import make_uscc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def county_workbook(path, rows: int = 40) -> list[str]:
    """A workbook as a county sends it: a title row above Chinese headers."""
    rng = random.Random(7)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["湖州市2024年度工业企业亩均效益评价数据（吴兴区、南浔区）"])
    columns = list(INPUT_COLUMNS)[:13]  # uscc … electricity_10k_kwh
    sheet.append([INPUT_COLUMNS[c] for c in columns])
    codes = []
    for i in range(rows):
        code = make_uscc(f"9133050{2 + i % 2}MA2{i:06d}")
        codes.append(code)
        land = round(rng.uniform(5, 80), 2)
        tax = round(land * rng.lognormvariate(3.1, 0.6), 2)
        va = tax * rng.uniform(4, 7)
        sheet.append(
            [code, f"湖州测试{i:02d}新材料有限公司", "吴兴区" if i % 2 == 0 else "南浔区", "是", land, tax,
             round(va, 2), round(va * 4, 2), round(va / 2.5, 2), round(va / 5000, 4), round(va * 0.12, 2),
             rng.randint(20, 400), round(tax / 0.25, 2)]
        )
    book.save(path)
    return codes


def test_import_evaluate_browse_export(page, logged_in, screenshot, start_city_run, tmp_path, regions, django_user_model):
    from mujun.evaluation.models import Run, Scheme

    django_user_model.objects.create_user("cityadmin", password="pw-city-2026", role="city_admin")
    Scheme.objects.create(name="湖州市2024年度亩均效益评价", year=2024, preset="huangyan-2022",
                          toml=preset_toml("huangyan-2022"))
    workbook = tmp_path / "wuxing-2024.xlsx"
    codes = county_workbook(workbook)

    logged_in("cityadmin", "pw-city-2026")
    screenshot(page, "01-home")

    # Import the workbook.
    page.goto(page.base + "/enterprises/import/")
    page.set_input_files("input[type=file]", str(workbook))
    page.fill("input[name=year]", "2024")
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector("#import-result")
    assert "40" in page.inner_text("#import-result")
    screenshot(page, "02-import-done")

    # Run the evaluation for the whole city.
    run = start_city_run()
    assert run.results.filter(status="evaluated").count() == 40
    assert "未发布" in page.inner_text("h1")  # a draft says so
    screenshot(page, "03-run-detail")

    # Post it for public notice (公示): a window already over, no objection filed (the cycle with objections
    # is walked in test_evaluation_cycle.py).
    page.fill("input[name=posting_starts_on]", "2025-04-14")
    page.fill("input[name=posting_ends_on]", "2025-04-20")
    page.once("dialog", lambda dialog: dialog.accept())  # "posting makes the results public": yes
    with page.expect_navigation():
        page.click("#posting-card button")
    run.refresh_from_db()
    assert run.status == Run.Status.POSTED and "公示中" in page.inner_text("h1")

    # Publish it: only a published run counts outside its own page (the enterprise page below).
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("form[action$='/publish/'] button")
    run.refresh_from_db()
    assert run.status == Run.Status.PUBLISHED and "未发布" not in page.inner_text("h1")

    # Browse the results: 40 rows, grade A first when sorted by rank.
    page.goto(page.url + "results/?grade=A")
    rows = page.locator("table tbody tr")
    assert rows.count() == 8  # 20 % of 40
    screenshot(page, "04-results-grade-A")

    # Open an enterprise from the results and see its indicator table.
    rows.first.locator("a").first.click()
    page.wait_for_url("**/enterprises/*/")
    body = page.inner_text("body")
    assert "亩均税收" in body and "tax_per_mu" not in body.split("亩均税收")[0][-5:]
    assert any(code in body for code in codes)
    screenshot(page, "05-enterprise")

    # Export the results to Excel and check the rows.
    page.go_back()
    page.go_back()
    run_url = page.url.split("results")[0]
    page.goto(run_url)
    with page.expect_download() as download_info:
        page.click("a[href$='/export/']")
    data = download_info.value.path().read_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    exported = [row for row in sheet.iter_rows(values_only=True)]
    assert len(exported) == 41
    assert {row[0] for row in exported[1:]} == set(codes)
