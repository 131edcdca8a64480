"""A low-efficiency firm's remediation in the browser: a county operator finds the firm on the year's list
with the rule it met, opens a case, notes progress with evidence, closes the case with the land released,
and sees it closed on the firm's page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mujun.enterprises.models import EnterpriseYear
from mujun.evaluation.models import Result, Run, Scheme
from mujun.remediation.models import RemediationCase
from mujun.remediation.services import compute_listing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_listed_firm_is_remediated_to_closure(page, logged_in, screenshot, tmp_path, regions, make_enterprise, django_user_model):
    django_user_model.objects.create_user("wx", password="pw-wuxing-2026", role="county_operator", region=regions.wuxing)
    scheme = Scheme.objects.create(name="方案", year=2024, toml="")
    run = Run.objects.create(name="湖州市2024", scheme=scheme, year=2024, region=regions.city, status=Run.Status.PUBLISHED)
    firms = [
        (make_enterprise(1, name="织里低效印染有限公司", region=regions.zhili, above_scale=True, industry_code="1713"), True, 20, 80, "D"),
        (make_enterprise(2, name="织里优质童装有限公司", region=regions.zhili, above_scale=True, industry_code="1811"), True, 20, 600, "A"),
        (make_enterprise(3, name="练市小五金厂", region=regions.lianshi, industry_code="3311"), False, 5, 10, "C"),
    ]  # fmt: skip
    for firm, above, land, tax, grade in firms:
        EnterpriseYear.objects.create(enterprise=firm, year=2024, above_scale=above, land_mu=land, tax=tax)
        Result.objects.create(run=run, enterprise=firm, region=firm.region, status="evaluated", grade=grade)
    assert compute_listing(2024) == 2
    today = timezone.localdate()

    logged_in("wx", "pw-wuxing-2026")
    page.goto(page.base + "/remediation/?year=2024")
    table = page.inner_text("#listing-table")
    assert "织里低效印染有限公司" in table and "规上企业亩均税收低于标准" in table and "织里优质童装有限公司" not in table
    screenshot(page, "remediation-list")
    # The operator opens cases in their own county only: the other county's firm offers none.
    page.goto(page.base + f"/remediation/?year=2024&region={regions.nanxun.pk}")
    assert "练市小五金厂" in page.inner_text("#listing-table")
    assert page.locator("#listing-table a.open-case").count() == 0
    page.goto(page.base + "/remediation/?year=2024")
    page.click("#listing-table tr:has-text('织里低效印染有限公司') a.open-case")
    page.wait_for_selector("#open-case-form")
    page.select_option("select[name=measure]", "relocation")
    page.fill("input[name=responsible_unit]", "吴兴区经济和信息化局")
    # A deadline before the case is opened (today) is refused, in Chinese, and nothing is stored.
    page.fill("input[name=deadline]", (today - timedelta(days=1)).isoformat())
    page.click("#open-case-form button[type=submit]")
    page.wait_for_selector("#open-case-form >> text=不能早于立案日期")
    assert not RemediationCase.objects.exists()
    page.fill("input[name=deadline]", (today + timedelta(days=90)).isoformat())
    page.click("#open-case-form button[type=submit]")
    page.wait_for_selector("#case-status >> text=整治中")

    evidence = tmp_path / "搬迁协议.pdf"
    evidence.write_bytes(b"%PDF-1.4 demo")
    page.fill("#progress-form textarea[name=note]", "已签订搬迁入园协议")
    page.set_input_files("#progress-form input[name=evidence]", str(evidence))
    page.click("#progress-form button[type=submit]")
    page.wait_for_selector("#progress >> text=已签订搬迁入园协议")
    assert page.locator("#progress a:has-text('证明材料')").count() == 1
    screenshot(page, "remediation-case")

    # Closing a relocation without the land released is refused, in Chinese; with it the case closes.
    page.click("#close-form button[type=submit]")
    page.wait_for_selector(".alert >> text=整治措施涉及腾出土地的案件，结案时必须填写")
    page.fill("#close-form input[name=land_released_mu]", "18.5")
    page.click("#close-form button[type=submit]")
    page.wait_for_selector("#case-status >> text=已办结")
    case = RemediationCase.objects.get()
    assert (case.status, case.land_released_mu) == ("closed", 18.5)
    assert page.inner_text("#land-released") == "18.50"

    page.click("dl a:has-text('织里低效印染有限公司')")
    page.wait_for_selector("#enterprise-remediation-cases")
    panel = page.inner_text("#enterprise-remediation")
    assert "搬迁" in panel and "已办结" in panel and "18.50" in panel
    screenshot(page, "remediation-enterprise")
