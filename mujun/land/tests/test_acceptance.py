"""标准地 acceptance (达产复核): the due parcels checked against their commitments with the holder's published
figures and its projects' investment, the breach measures and amounts, agreement with 投而未达标, the decision,
the pages (list with the due parcels, export, parcel and enterprise panels, detail), the API, bad input."""

import io
from datetime import date, timedelta

import polars as pl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from mujun.enterprises.models import EnterpriseYear
from mujun.evaluation.models import Result, Run, Scheme
from mujun.land import services
from mujun.land.models import Acceptance, Finding, Parcel
from mujun.land.views import acceptance_rows
from mujun.projects.models import Project

TODAY = date(2024, 6, 30)
# Commissioned a month ago: not due whichever day the check takes (the pages check as of today).
RECENT = timezone.localdate() - timedelta(days=30)
COMMITMENTS = {
    "committed_investment_intensity": 300, "committed_output_per_mu": 400, "committed_tax_per_mu": 30,
    "committed_energy_per_value_added": 0.5, "committed_emissions_per_value_added": 0.05,
    "contract_deposit": 100, "price_difference_per_point": 2, "recovery_below_share": 0.5,
}  # fmt: skip


@pytest.fixture
def land(regions, make_enterprise, city_admin):
    """A good (A) and a poor (D) holder with published figures of 2022 and 2023; their parcels, both due in
    2023; a parcel not due yet; a project with its fixed-asset investment on the poor one."""
    scheme = Scheme.objects.create(name="方案", year=2023, toml="")
    runs = {
        year: Run.objects.create(name=f"湖州市{year}", scheme=scheme, year=year, region=regions.city, status=Run.Status.PUBLISHED)
        for year in (2022, 2023)
    }  # fmt: skip
    good, poor = make_enterprise(1, name="优质企业"), make_enterprise(2, name="低效企业", region=regions.zhili)
    figures = {  # land, tax, revenue, value added, energy, emissions
        good: (20, 800, 10_000, 3000, 900, 60),  # tax 40 a mu, output 500, energy 0.3, emissions 0.02
        poor: (20, 300, 6_000, 1000, 800, 80),  # tax 15 a mu (half: not below it), output 300, energy 0.8, emissions 0.08
    }
    for enterprise, (land_mu, tax, revenue, value_added, energy, emission) in figures.items():
        for year in (2022, 2023):
            EnterpriseYear.objects.create(
                enterprise=enterprise, year=year, land_mu=land_mu, tax=tax, revenue=revenue, value_added=value_added,
                energy_tce=energy, emission_eq=emission, above_scale=True,
            )  # fmt: skip
            grade = "A" if enterprise == good else "D"
            Result.objects.create(run=runs[year], enterprise=enterprise, region=enterprise.region, status="evaluated", grade=grade)
    dates = {"approved_on": date(2018, 1, 1), "supplied_on": date(2018, 3, 1), "started_on": date(2018, 6, 1),
             "completed_on": date(2019, 6, 1)}  # fmt: skip
    parcels = {
        "good": Parcel.objects.create(code="G-1", region=regions.zhili, holder=good, area_mu=20, commissioned_on=date(2020, 3, 1),
                                      actual_investment_intensity=320, **dates, **COMMITMENTS),
        "poor": Parcel.objects.create(code="P-1", region=regions.zhili, holder=poor, area_mu=10, commissioned_on=date(2020, 5, 1),
                                      **dates, **COMMITMENTS),
        "new": Parcel.objects.create(code="N-1", region=regions.zhili, holder=good, area_mu=5, commissioned_on=RECENT,
                                     **dates, **COMMITMENTS),
        "plain": Parcel.objects.create(code="O-1", region=regions.zhili, holder=good, area_mu=5, commissioned_on=date(2019, 1, 1), **dates),
    }  # fmt: skip
    # 5,400 万元 on P-1 (10 mu) and a 20-mu parcel elsewhere: a third each mu, 180 万元 a mu on P-1.
    other = Parcel.objects.create(code="P-2", region=regions.zhili, holder=poor, area_mu=20)
    project = Project.objects.create(code="X1", name="扩建项目", enterprise=poor, region=regions.zhili,
                                     total_investment=6000, fixed_asset_investment=5400)  # fmt: skip
    project.parcels.set([parcels["poor"], other])
    return parcels


def test_the_due_parcels_are_checked_with_the_published_figures(land, city_admin):
    made = services.accept_due_parcels(city_admin, TODAY)
    assert sorted(a.parcel.code for a in made) == ["G-1", "P-1"]
    good, poor = Acceptance.objects.get(parcel=land["good"]), Acceptance.objects.get(parcel=land["poor"])
    assert (good.due_on, good.figures_year, good.holder_grade, good.outcome) == (date(2023, 3, 1), 2023, "A", "passed")
    assert good.breach_amount == 0 and good.indicators["tax_per_mu"]["actual"] == pytest.approx(40)
    assert good.indicators["investment_intensity"]["actual"] == pytest.approx(320)  # no project: as recorded
    assert (poor.outcome, poor.holder_grade, poor.recovery_proposed) == ("failed", "D", False)
    indicators = poor.indicators
    assert indicators["investment_intensity"]["actual"] == pytest.approx(180)  # 5,400 × 10/30 ÷ 10 mu
    assert indicators["investment_intensity"]["measure"] == "price_difference"
    assert indicators["investment_intensity"]["amount"] == pytest.approx(80)  # 40 points × 2 万元
    assert indicators["tax_per_mu"] == pytest.approx(
        {"committed": 30, "actual": 15, "passed": False, "shortfall": 0.5, "measure": "tax_shortfall", "amount": 150}
    )
    # Output 25 % short, energy 60 % over, emissions 60 % over: the deposit of 100 kept, and no more.
    assert [indicators[n]["amount"] for n in ("output_per_mu", "energy_per_value_added", "emissions_per_value_added")] == (
        pytest.approx([25, 60, 15])
    )
    assert poor.breach_amount == pytest.approx(80 + 150 + 100)
    assert [row["name"] for row in acceptance_rows(poor)] == [
        "investment_intensity", "output_per_mu", "tax_per_mu", "energy_per_value_added", "emissions_per_value_added"
    ]  # fmt: skip
    # Nothing is due twice; the history records who made it.
    assert services.accept_due_parcels(city_admin, TODAY) == []
    assert poor.history.first().history_user == city_admin


def test_the_acceptance_and_the_five_wei_findings_agree(land, city_admin):
    services.classify_parcels(TODAY)
    services.accept_due_parcels(city_admin, TODAY)
    poor = Parcel.objects.get(pk=land["poor"].pk)
    assert (poor.actual_tax_per_mu, poor.actual_output_per_mu) == (15, 300)  # written on the parcel
    rules = set(Finding.objects.filter(parcel=poor).values_list("rule", flat=True))
    assert {"below_investment_intensity", "below_output_per_mu", "below_tax_per_mu", "holder_graded_d"} <= rules
    assert poor.category == "commissioned_below_standard"
    assert not Finding.objects.filter(parcel=land["good"], category="commissioned_below_standard").exists()


def test_the_latest_published_year_stands_in_for_one_not_published(land, city_admin):
    Parcel.objects.filter(pk=land["good"].pk).update(commissioned_on=date(2017, 1, 1))  # due 2020, not published
    Parcel.objects.filter(pk=land["good"].pk).update(approved_on=None, supplied_on=None, started_on=None, completed_on=None)
    acceptance = services.accept_parcel(Parcel.objects.get(pk=land["good"].pk), city_admin, TODAY)
    assert (acceptance.due_on, acceptance.figures_year) == (date(2020, 1, 1), 2023)


def test_one_parcel_from_its_page_is_refused_clearly(land, city_admin, operator_nanxun):
    due_on = services.acceptance_due(Parcel.objects.filter(pk=land["new"].pk))["due_on"][0]
    with pytest.raises(ValidationError, match=due_on.isoformat()):
        services.accept_parcel(land["new"], city_admin, TODAY)
    with pytest.raises(ValidationError, match="O-1"):
        services.accept_parcel(land["plain"], city_admin, TODAY)
    with pytest.raises(PermissionDenied):
        services.accept_parcel(land["poor"], operator_nanxun, TODAY)
    first = services.accept_parcel(land["poor"], city_admin, TODAY)
    again = services.accept_parcel(land["poor"], city_admin, TODAY)  # pending: checked again, the same record
    assert again.pk == first.pk and Acceptance.objects.count() == 1
    services.decide_acceptance(again, "enforced", TODAY, "已扣保证金", city_admin)
    with pytest.raises(ValidationError):
        services.accept_parcel(land["poor"], city_admin, TODAY)


def test_the_decision_is_checked(land, city_admin, operator_wuxing):
    services.accept_due_parcels(city_admin, TODAY)
    good, poor = Acceptance.objects.get(parcel=land["good"]), Acceptance.objects.get(parcel=land["poor"])
    with pytest.raises(ValidationError) as missing:
        services.decide_acceptance(poor, "enforced", None, "", operator_wuxing)
    assert "decided_on" in missing.value.message_dict
    with pytest.raises(ValidationError) as early:
        services.decide_acceptance(poor, "enforced", date(2024, 1, 1), "", operator_wuxing)
    assert "decided_on" in early.value.message_dict
    with pytest.raises(ValidationError) as nothing:
        services.decide_acceptance(good, "enforced", TODAY, "", operator_wuxing)
    assert "decision" in nothing.value.message_dict
    decided = services.decide_acceptance(poor, "recheck", TODAY, "一年后复核", operator_wuxing)
    assert (decided.decision, decided.decided_on) == ("recheck", TODAY)
    with pytest.raises(ValidationError):
        services.decide_acceptance(decided, "waived", TODAY, "", operator_wuxing)
    # "Re-check later" makes the parcel due again.
    assert land["poor"].pk in services.due_frame(TODAY)["id"].to_list()


def test_bad_contract_terms_are_refused(regions, client_as, operator_wuxing):
    response = client_as(operator_wuxing).post(reverse("land:parcel_add"), {
        "code": "B-1", "region": regions.zhili.pk, "area_mu": 10, "land_use": "industrial",
        "contract_deposit": -5, "recovery_below_share": 1.5,
    })  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200 and "不能为负数" in page and "应大于0且不超过1" in page
    assert not Parcel.objects.exists()


def test_the_pages(land, client_as, city_admin, operator_wuxing, operator_nanxun, viewer):
    # The list shows the due parcels; only the city administrator checks them all at once.
    page = client_as(viewer).get(reverse("land:acceptance_list")).content.decode()
    assert "P-1" in page and "accept-due" not in page
    due = page.split('id="acceptance-due"')[1]  # G-1 and P-1, by commissioning; N-1 not due, O-1 no commitment
    assert "到期待复核地块2宗" in due and due.index("G-1") < due.index("P-1") and "N-1" not in due and "O-1" not in due
    assert "P-1" not in client_as(operator_nanxun).get(reverse("land:acceptance_list")).content.decode()  # 南浔's list
    assert client_as(operator_wuxing).post(reverse("land:acceptance_accept_due")).status_code == 403
    # The parcel's page offers the check to its county's operator, not to another county's.
    assert 'id="accept-parcel"' in client_as(operator_wuxing).get(land["poor"].get_absolute_url()).content.decode()
    assert 'id="accept-parcel"' not in client_as(operator_nanxun).get(land["poor"].get_absolute_url()).content.decode()
    assert client_as(operator_nanxun).post(reverse("land:parcel_accept", args=[land["poor"].pk])).status_code == 403
    response = client_as(operator_wuxing).post(reverse("land:parcel_accept", args=[land["poor"].pk]))
    acceptance = Acceptance.objects.get(parcel=land["poor"])
    assert response.status_code == 302 and response.url == acceptance.get_absolute_url()
    page = client_as(viewer).get(reverse("land:acceptance_list")).content.decode()
    assert "到期待复核地块1宗" in page.split('id="acceptance-due"')[1] and "未达标 1" in page
    # A parcel not due: back to its page with the reason.
    due_on = services.acceptance_due(Parcel.objects.filter(pk=land["new"].pk))["due_on"][0]
    response = client_as(operator_wuxing).post(reverse("land:parcel_accept", args=[land["new"].pk]), follow=True)
    assert due_on.isoformat() in response.content.decode() and not Acceptance.objects.filter(parcel=land["new"]).exists()

    detail = client_as(viewer).get(acceptance.get_absolute_url()).content.decode()
    assert 'data-indicator="tax_per_mu"' in detail and "decide-form" not in detail
    panel = client_as(viewer).get(land["poor"].get_absolute_url()).content.decode()
    assert 'id="acceptance"' in panel and "table-danger" in panel
    enterprise = client_as(viewer).get(land["poor"].holder.get_absolute_url()).content.decode()
    assert 'id="enterprise-acceptances"' in enterprise and "P-1" in enterprise

    # The decision: refused out of scope, explained when incomplete, recorded in scope.
    decide = reverse("land:acceptance_decide", args=[acceptance.pk])
    assert client_as(operator_nanxun).post(decide, {"decision": "enforced", "decided_on": "2030-01-01"}).status_code == 403
    client_as(operator_wuxing).post(decide, {"decision": "enforced", "decided_on": ""})
    assert Acceptance.objects.get(pk=acceptance.pk).decision == "pending"
    client_as(operator_wuxing).post(decide, {"decision": "enforced", "decided_on": "2030-01-01", "note": "已扣保证金"})
    assert Acceptance.objects.get(pk=acceptance.pk).decision == "enforced"

    # Filtered by result and exported with every indicator's columns.
    page = client_as(viewer).get(reverse("land:acceptance_list"), {"outcome": "failed"}).content.decode()
    assert 'data-code="P-1"' in page
    assert 'data-code="P-1"' not in client_as(viewer).get(reverse("land:acceptance_list"), {"outcome": "passed"}).content.decode()
    export = client_as(viewer).get(reverse("land:acceptance_export"), {"outcome": "failed"})
    sheet = pl.read_excel(io.BytesIO(export.content))
    row = sheet.row(0, named=True)
    assert sheet.height == 1 and row["地块编号"] == "P-1" and row["复核结果"] == "未达标"
    assert row["亩均税收(万元)·实际"] == pytest.approx(15) and row["亩均税收(万元)·违约措施"] == "补缴税收差额"
    assert row["违约金额合计(万元)"] == pytest.approx(330)


def test_the_api_lists_and_decides(land, client_as, city_admin, operator_wuxing, operator_nanxun):
    services.accept_due_parcels(city_admin, TODAY)
    poor = Acceptance.objects.get(parcel=land["poor"])
    listed = client_as(operator_wuxing).get("/api/acceptances/", {"outcome": "failed"}).json()
    assert [a["id"] for a in listed["results"]] == [poor.pk]
    url = f"/api/acceptances/{poor.pk}/decide/"
    assert client_as(operator_nanxun).post(url, {"decision": "waived", "decided_on": "2030-01-01"}).status_code == 403
    refused = client_as(operator_wuxing).post(url, {"decision": "waived", "decided_on": "2020-01-01"})
    assert refused.status_code == 400 and "decided_on" in refused.json()
    done = client_as(operator_wuxing).post(url, {"decision": "waived", "decided_on": "2030-01-01"})
    assert done.status_code == 200 and done.json()["decision"] == "waived"
    assert client_as(operator_wuxing).patch(f"/api/acceptances/{poor.pk}/", {"outcome": "passed"}).status_code == 405


def test_the_command_checks_the_due_parcels(land, capsys):
    call_command("accept_due_parcels", "--as-of", TODAY.isoformat())
    assert "2 parcel(s) checked, 1 failed" in capsys.readouterr().out
