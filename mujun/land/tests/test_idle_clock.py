"""The idle-land clock on stored parcels: the investigation recorded through the service (and refused when
wrong), the parcel's page, the ledger with its filters, sums and workbook, the case proposing the statute's
measure, and the API."""

import io
from datetime import timedelta

import polars as pl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from mujun.land.models import DisposalCase, Finding, Parcel
from mujun.land.services import (classify_parcels, computed_idle_clock, idle_ledger, parcel_idle_clock, proposed_measure,
                                 record_idle)  # fmt: skip


def year_after(day):
    """The same day a year later (28 February for 29 February), as the clock counts."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def idle_parcels(regions, today):
    """Behind by 100 days (not yet idle), idle 135 days (fee due), idle 435 days (recovery due), one in 南浔."""

    def parcel(code, region, agreed_days_ago, price=1200.0):
        return Parcel.objects.create(
            code=code, region=region, area_mu=30, land_price=price, approved_on=today - timedelta(days=1200),
            supplied_on=today - timedelta(days=1000), agreed_start_on=today - timedelta(days=agreed_days_ago),
        )  # fmt: skip

    return {
        "late": parcel("LATE", regions.zhili, 100),
        "fee": parcel("FEE", regions.zhili, 500),
        "recover": parcel("RECOVER", regions.zhili, 800, price=900.0),
        "nanxun": parcel("NX", regions.lianshi, 500),
        "fine": Parcel.objects.create(code="FINE", region=regions.zhili, area_mu=10, supplied_on=today - timedelta(days=10)),
    }


def test_the_clock_of_stored_parcels(idle_parcels, today):
    clock = {row["code"]: row for row in computed_idle_clock().iter_rows(named=True)}
    assert {code: row["stage"] for code, row in clock.items()} == {
        "LATE": "overdue", "FEE": "fee_due", "RECOVER": "recovery_due", "NX": "fee_due", "FINE": "not_idle",
    }  # fmt: skip
    fee = clock["FEE"]
    assert fee["idle_since"] == year_after(today - timedelta(days=500))
    assert fee["recovery_due_on"] == year_after(fee["idle_since"])
    assert fee["fee"] == pytest.approx(240.0) and clock["RECOVER"]["fee"] == pytest.approx(180.0)
    assert fee["region_name"] == "织里镇" and fee["measure"] == "idle_fee"


def behind():
    return computed_idle_clock().filter(pl.col("stage") != "not_idle")


def test_the_kept_ledger_follows_each_change_of_what_it_reads(idle_parcels, operator_wuxing, regions, today):
    assert idle_ledger().equals(behind()) and "FINE" not in idle_ledger()["code"]
    fee = idle_parcels["fee"]
    notice = parcel_idle_clock(fee)["idle_since"] + timedelta(days=20)
    record_idle(fee, operator_wuxing, cause="government", reason="规划调整", notice_on=notice, reply_on=notice + timedelta(days=5))
    assert idle_ledger().filter(pl.col("code") == "FEE")["stage"].to_list() == ["government"]
    regions.zhili.name = "织里镇（新）"
    regions.zhili.save()
    assert set(idle_ledger().filter(pl.col("code").is_in(["FEE", "LATE"]))["region_name"]) == {"织里镇（新）"}
    late = Parcel.objects.create(code="LATER", region=regions.lianshi, area_mu=5, supplied_on=today - timedelta(days=900),
                                 agreed_start_on=today - timedelta(days=600))  # fmt: skip
    assert idle_ledger(Parcel.objects.filter(pk=late.pk))["stage"].to_list() == ["fee_due"]
    assert idle_ledger().equals(behind())


def test_recording_the_investigation(idle_parcels, operator_wuxing, operator_nanxun, today):
    fee = idle_parcels["fee"]
    idle_since = parcel_idle_clock(fee)["idle_since"]
    notice = idle_since + timedelta(days=20)
    record_idle(fee, operator_wuxing, cause="enterprise", reason="", notice_on=notice, reply_on=None)
    fee.refresh_from_db()
    assert fee.idle_notice_on == notice and fee.history.count() == 2
    clock = parcel_idle_clock(fee)
    assert clock["reply_deadline"] == notice + timedelta(days=30) and clock["reply_overdue"]

    with pytest.raises(PermissionDenied):
        record_idle(fee, operator_nanxun, cause="", reason="", notice_on=notice, reply_on=None)

    def refused(parcel=fee, **values):
        with pytest.raises(ValidationError) as error:
            record_idle(parcel, operator_wuxing, **{"cause": "", "reason": "", "notice_on": None, "reply_on": None, **values})
        return error.value.message_dict

    assert "不能早于地块成为闲置土地的日期" in refused(notice_on=idle_since - timedelta(days=1))["idle_notice_on"][0]
    assert "idle_notice_on" in refused(notice_on=today + timedelta(days=1))
    assert "不能早于调查通知书送达日期" in refused(notice_on=notice, reply_on=notice - timedelta(days=1))["idle_reply_on"][0]
    assert "idle_reply_on" in refused(reply_on=notice)
    assert "idle_cause_reason" in refused(cause="government", reason=" ")
    assert "地块未认定闲置" in refused(parcel=idle_parcels["late"], notice_on=today)["idle_notice_on"][0]
    fee.refresh_from_db()
    assert fee.idle_notice_on == notice and fee.idle_reply_on is None  # nothing half-written

    record_idle(fee, operator_wuxing, cause="government", reason="规划调整", notice_on=notice, reply_on=notice + timedelta(days=5))
    clock = parcel_idle_clock(fee)
    assert (clock["stage"], clock["fee"], clock["measure"], clock["reply_overdue"]) == ("government", None, "extend", False)


def test_a_negative_land_price_is_refused(regions, client_as, operator_wuxing):
    response = client_as(operator_wuxing).post(
        reverse("land:parcel_add"), {"code": "P-1", "region": regions.zhili.pk, "area_mu": 10, "land_use": "industrial", "land_price": -5}
    )
    assert response.status_code == 200 and "不能为负数" in response.content.decode()
    assert not Parcel.objects.exists()


def test_the_parcel_page_shows_the_clock_and_records_the_notice(idle_parcels, client_as, operator_wuxing, viewer):
    recover = idle_parcels["recover"]
    page = client_as(viewer).get(reverse("land:parcel_detail", args=[recover.pk])).content.decode()
    assert 'id="idle-clock"' in page and "闲置满两年：无偿收回" in page and "180.0" in page
    assert 'id="idle-form"' not in page  # a leader reads
    client = client_as(operator_wuxing)
    notice = parcel_idle_clock(recover)["idle_since"] + timedelta(days=10)
    response = client.post(reverse("land:parcel_idle_record", args=[recover.pk]), {"cause": "enterprise", "notice_on": notice.isoformat()})
    assert response.status_code == 302
    recover.refresh_from_db()
    assert recover.idle_notice_on == notice and recover.idle_cause == "enterprise"
    bad = client.post(
        reverse("land:parcel_idle_record", args=[recover.pk]),
        {"cause": "enterprise", "notice_on": notice.isoformat(), "reply_on": (notice - timedelta(days=3)).isoformat()},
        follow=True,
    )
    assert "不能早于调查通知书送达日期" in bad.content.decode()
    recover.refresh_from_db()
    assert recover.idle_reply_on is None
    page = client.get(reverse("land:parcel_detail", args=[recover.pk])).content.decode()
    assert 'id="idle-form"' in page and "reply-overdue" not in page
    assert client_as(viewer).post(reverse("land:parcel_idle_record", args=[recover.pk]), {"cause": ""}).status_code == 403


def test_the_ledger_filters_sums_and_exports(idle_parcels, regions, client_as, viewer, operator_wuxing):
    fee = idle_parcels["fee"]
    record_idle(fee, operator_wuxing, cause="enterprise", reason="", notice_on=parcel_idle_clock(fee)["idle_since"], reply_on=None)
    client = client_as(viewer)
    page = client.get(reverse("land:idle_ledger")).content.decode()
    for code in ("LATE", "FEE", "RECOVER", "NX"):
        assert f'data-code="{code}"' in page
    assert 'data-code="FINE"' not in page
    assert "reply-overdue" in page
    assert 'id="sum-fees">660.0<' in page  # 240 + 180 + 240 (南浔); the late parcel owes nothing yet
    wuxing = client.get(reverse("land:idle_ledger"), {"region": regions.wuxing.pk}).content.decode()
    assert 'data-code="NX"' not in wuxing and 'data-code="FEE"' in wuxing
    recovering = client.get(reverse("land:idle_ledger"), {"stage": "recovery_due"}).content.decode()
    assert 'data-code="RECOVER"' in recovering and 'data-code="FEE"' not in recovering
    by_cause = client.get(reverse("land:idle_ledger"), {"cause": "enterprise"}).content.decode()
    assert 'data-code="FEE"' in by_cause and 'data-code="RECOVER"' not in by_cause
    assert 'data-code="FEE"' not in client.get(reverse("land:idle_ledger"), {"stage": "nonsense"}).content.decode()

    export = client.get(reverse("land:idle_ledger_export"), {"region": regions.wuxing.pk})
    sheet = pl.read_excel(io.BytesIO(export.content), sheet_name="闲置土地台账")
    rows = {row["地块编号"]: row for row in sheet.iter_rows(named=True)}
    assert set(rows) == {"LATE", "FEE", "RECOVER"}
    assert rows["FEE"]["应缴土地闲置费(万元)"] == pytest.approx(240.0)
    assert rows["FEE"]["逾期未答复"] == "是" and rows["FEE"]["闲置原因"] == "企业"
    assert rows["RECOVER"]["处置阶段"] == "闲置满两年：无偿收回"
    assert rows["RECOVER"]["建议处置措施"] == "收回/回购" and rows["LATE"]["建议处置措施"] == "督促开工"


def test_a_case_from_an_idle_finding_proposes_the_statutes_measure(idle_parcels, client_as, operator_wuxing):
    classify_parcels()
    recover = Finding.objects.get(parcel=idle_parcels["recover"])
    assert proposed_measure(recover) == "recover"
    form = client_as(operator_wuxing).get(reverse("land:finding_open_case", args=[recover.pk])).content.decode()
    assert '<option value="recover" selected>' in form
    fee = idle_parcels["fee"]
    record_idle(fee, operator_wuxing, cause="government", reason="征地拆迁未完成", notice_on=None, reply_on=None)
    assert proposed_measure(Finding.objects.get(parcel=fee)) == "extend"
    assert {"idle_fee", "extend", "swap", "replan"} <= set(DisposalCase.Measure.values)


def test_the_api_shows_the_record_and_records_through_the_service(idle_parcels, client_as, operator_wuxing):
    client = client_as(operator_wuxing)
    fee = idle_parcels["fee"]
    url = f"/api/parcels/{fee.pk}/"
    data = client.get(url).json()
    assert data["land_price"] == 1200.0 and data["idle_notice_on"] is None
    client.patch(url, {"idle_notice_on": timezone.localdate().isoformat()}, content_type="application/json")
    fee.refresh_from_db()
    assert fee.idle_notice_on is None  # read-only: recorded through the action
    notice = parcel_idle_clock(fee)["idle_since"]
    bad = client.post(f"{url}record-idle/", {"idle_notice_on": str(notice), "idle_reply_on": str(notice - timedelta(days=1))}, content_type="application/json")
    assert bad.status_code == 400 and "idle_reply_on" in bad.json()
    good = client.post(f"{url}record-idle/", {"idle_cause": "enterprise", "idle_notice_on": str(notice)}, content_type="application/json")
    assert good.status_code == 200 and good.json()["idle_notice_on"] == str(notice)
    negative = client.patch(url, {"land_price": -1}, content_type="application/json")
    assert negative.status_code == 400 and "land_price" in negative.json()
