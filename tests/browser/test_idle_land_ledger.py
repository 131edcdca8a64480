"""The idle-land ledger in the browser: a county operator opens the ledger, filters it by stage, opens a parcel,
records the investigation notice (a wrong reply date refused first), sees the reply deadline, and downloads the
ledger's workbook with the fee in it."""

import io
from datetime import timedelta

import polars as pl
import pytest
from django.utils import timezone

from mujun.land.models import Parcel
from mujun.land.services import parcel_idle_clock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ledger_filter_parcel_notice_and_workbook(page, logged_in, screenshot, regions, django_user_model):
    django_user_model.objects.create_user("wx", password="pw-wuxing-2026", role="county_operator", region=regions.wuxing)
    today = timezone.localdate()
    for code, agreed_days_ago, price in [("ZL-LATE", 100, 800.0), ("ZL-FEE", 500, 1500.0), ("ZL-OLD", 900, 1200.0)]:
        Parcel.objects.create(
            code=code, region=regions.zhili, area_mu=40, land_price=price, approved_on=today - timedelta(days=1300),
            supplied_on=today - timedelta(days=1200), agreed_start_on=today - timedelta(days=agreed_days_ago),
        )  # fmt: skip
    Parcel.objects.create(code="ZL-NEW", region=regions.zhili, area_mu=20, supplied_on=today - timedelta(days=30))

    logged_in("wx", "pw-wuxing-2026")
    page.goto(page.base + "/land/idle/")
    rows = page.locator("table tbody tr[data-code]")
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.code)")) == ["ZL-FEE", "ZL-LATE", "ZL-OLD"]
    assert page.inner_text("#sum-fees") == "540.0"  # 20 % of 1,500 and of 1,200; the late parcel owes nothing yet
    screenshot(page, "idle-ledger")

    page.select_option("select[name=stage]", "fee_due")
    page.click("form.filter-form button[type=submit]")
    page.wait_for_url("**stage=fee_due**")
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.code)") == ["ZL-FEE"]

    page.click("tr[data-code='ZL-FEE'] a")
    page.wait_for_selector("#idle-clock")
    assert "闲置满一年：征缴土地闲置费" in page.inner_text("#idle-stage")
    assert "300.0" in page.inner_text("#idle-fee")
    parcel = Parcel.objects.get(code="ZL-FEE")
    notice = parcel_idle_clock(parcel)["idle_since"] + timedelta(days=7)
    page.select_option("#idle-form select[name=cause]", "enterprise")
    page.fill("#idle-form input[name=notice_on]", notice.isoformat())
    page.fill("#idle-form input[name=reply_on]", (notice - timedelta(days=1)).isoformat())
    page.click("#idle-form button[type=submit]")
    page.wait_for_selector(".alert >> text=不能早于调查通知书送达日期")
    parcel.refresh_from_db()
    assert parcel.idle_notice_on is None  # refused whole

    page.select_option("#idle-form select[name=cause]", "enterprise")
    page.fill("#idle-form input[name=notice_on]", notice.isoformat())
    page.fill("#idle-form input[name=reply_on]", "")
    page.click("#idle-form button[type=submit]")
    page.wait_for_selector(f"#idle-notice >> text={notice.isoformat()}")
    deadline = page.inner_text("#idle-reply-deadline")
    assert (notice + timedelta(days=30)).isoformat() in deadline and "逾期未答复" in deadline
    screenshot(page, "idle-parcel")

    page.goto(page.base + "/land/idle/")
    assert "reply-overdue" in page.inner_html("tr[data-code='ZL-FEE']")
    with page.expect_download() as download:
        page.click("a:has-text('导出Excel')")
    sheet = pl.read_excel(io.BytesIO(open(download.value.path(), "rb").read()), sheet_name="闲置土地台账")
    fee_row = sheet.filter(pl.col("地块编号") == "ZL-FEE").row(0, named=True)
    assert fee_row["应缴土地闲置费(万元)"] == 300.0 and fee_row["调查通知书送达日期"] == notice
    assert fee_row["逾期未答复"] == "是" and fee_row["处置阶段"] == "闲置满一年：征缴土地闲置费"
