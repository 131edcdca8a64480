"""Low-efficiency firms: the list of a year from the published evaluation only, by each county's rules;
firms that left the list; remediation cases from a listed firm to closure, their bad input refused in
Chinese; the overview against targets; the pages, the export, the API and the panels."""

import io
from datetime import date, timedelta

import polars as pl
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from mujun.enterprises.models import EnterpriseYear
from mujun.evaluation.models import Result, Run, Scheme
from mujun.remediation import services
from mujun.remediation.models import Listing, RemediationCase, RemediationTarget, Thresholds


@pytest.fixture
def scheme(db):
    return Scheme.objects.create(name="方案", year=2024, toml="")


def run_of(scheme, regions, year, status=Run.Status.PUBLISHED):
    return Run.objects.create(name=f"湖州市{year}", scheme=scheme, year=year, region=regions.city, status=status)


@pytest.fixture
def firms(regions, make_enterprise, scheme):
    """Four firms graded in the published runs of 2023 and 2024, with their figures of each year:
    ``low`` (规上, 4 万元/亩 both years), ``large`` (规下 on 12 mu, 2023 only: 规上 in 2024), ``fine``
    (规上, 20 万元/亩) and ``nanxun`` (规上 5.5 万元/亩 in 南浔区)."""
    made = {
        "low": make_enterprise(1, name="低效纺织有限公司", industry_code="1711", above_scale=True),
        "large": make_enterprise(2, name="大块地织造厂", industry_code="1711"),
        "fine": make_enterprise(3, name="优质材料有限公司", industry_code="1711", above_scale=True),
        "nanxun": make_enterprise(4, name="练市木业有限公司", region=regions.lianshi, industry_code="2011", above_scale=True),
    }
    figures = {
        2023: {"low": (True, 10, 40), "large": (False, 12, 60), "fine": (True, 10, 200), "nanxun": (True, 10, 55)},
        2024: {"low": (True, 10, 40), "large": (True, 12, 84), "fine": (True, 10, 200), "nanxun": (True, 10, 55)},
    }
    for year, rows in figures.items():
        run = run_of(scheme, regions, year)
        for key, (above, land, tax) in rows.items():
            firm = made[key]
            EnterpriseYear.objects.create(enterprise=firm, year=year, above_scale=above, land_mu=land, tax=tax)
            grade = "D" if key in ("low", "nanxun") else "C" if key == "large" else "A"
            Result.objects.create(run=run, enterprise=firm, region=firm.region, status="evaluated", grade=grade)
    return made


def listed(year) -> dict[str, list[str]]:
    return {row.enterprise.name: row.rules for row in Listing.objects.filter(year=year).select_related("enterprise")}


def test_the_list_of_a_year_follows_the_city_rules(firms):
    assert services.compute_listing(2023) == 3
    assert listed(2023) == {
        "低效纺织有限公司": ["above_scale_tax"],
        "大块地织造厂": ["large_below_scale"],
        "练市木业有限公司": ["above_scale_tax"],
    }
    low = Listing.objects.get(year=2023, enterprise=firms["low"])
    assert low.grade == "D" and low.tax_per_mu == 4.0 and low.figures["tax_per_mu_floor"] == 6.0


def test_a_county_rule_overrides_the_city(firms, regions):
    Thresholds.objects.create(region=None, above_scale_tax_per_mu=5.0)
    Thresholds.objects.create(region=regions.nanxun, above_scale_tax_per_mu=6.0)
    services.compute_listing(2024)
    # 吴兴区 follows the city's 5 万元 (4 is below); 南浔区 its own 6 万元 (5.5 is below).
    assert listed(2024) == {"低效纺织有限公司": ["above_scale_tax"], "练市木业有限公司": ["above_scale_tax"]}


def test_only_the_published_evaluation_lists(firms, regions, scheme, make_enterprise):
    draft = run_of(scheme, regions, 2024, status=Run.Status.DONE)
    unpublished = make_enterprise(9, name="草稿企业", above_scale=True)
    EnterpriseYear.objects.create(enterprise=unpublished, year=2024, above_scale=True, land_mu=10, tax=1)
    Result.objects.create(run=draft, enterprise=unpublished, region=regions.wuxing, status="evaluated", grade="D")
    services.compute_listing(2024)
    assert "草稿企业" not in listed(2024)


def test_computing_again_replaces_the_year_and_a_firm_leaving_is_shown(firms):
    services.compute_listing(2023)
    services.compute_listing(2024)
    services.compute_listing(2024)
    assert Listing.objects.filter(year=2024).count() == 2
    left = services.left_the_list(2024)
    assert [row["listing"].enterprise.name for row in left] == ["大块地织造厂"]
    assert left[0]["tax_per_mu"] == 7.0 and left[0]["above_scale"] is True


def test_the_page_names_the_first_leavers_and_counts_them_all(firms, city_admin, client_as, monkeypatch):
    from mujun.remediation import views

    services.compute_listing(2023)
    services.compute_listing(2024)
    services.compute_listing(2024)  # 大块地织造厂 left the list; one more firm leaving by its listing removed:
    Listing.objects.filter(year=2024, enterprise=firms["low"]).delete()
    url = reverse("remediation:lowfirm_list") + "?year=2024"
    page = client_as(city_admin).get(url).content.decode()
    assert "大块地织造厂" in page and "低效纺织有限公司" in page.split('id="left-the-list"')[1] and 'id="left-shown"' not in page
    monkeypatch.setattr(views, "LEAVERS_SHOWN", 1)
    card = client_as(city_admin).get(url).content.decode().split('id="left-the-list"')[1]
    assert card.count("<tr><td>") == 1 and "此处列出前1家（共2家）" in card


def open_case_for(firm, city_admin, year=2024, **fields):
    listing = Listing.objects.get(enterprise=firm, year=year)
    fields = {"measure": "upgrade", "responsible_unit": "经信局", "deadline": timezone.localdate() + timedelta(days=90), **fields}
    return services.open_case(services.new_case(listing, **fields), city_admin)


def test_a_case_from_a_listed_firm_to_closure(firms, city_admin):
    services.compute_listing(2024)
    case = open_case_for(firms["low"], city_admin, measure="land_recovered")
    assert case.rules == ["above_scale_tax"] and case.figures["land_mu"] == 10.0
    with pytest.raises(ValidationError) as refused:
        open_case_for(firms["low"], city_admin)
    assert "已有未结的整治案件" in " ".join(refused.value.messages)
    with pytest.raises(ValidationError) as refused:
        services.close_case(case, timezone.localdate(), None, city_admin)
    assert "land_released_mu" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.close_case(case, timezone.localdate(), 11.0, city_admin)
    assert "land_released_mu" in refused.value.message_dict
    closed = services.close_case(case, timezone.localdate(), 8.0, city_admin)
    assert closed.status == "closed" and closed.land_released_mu == 8.0
    with pytest.raises(ValidationError):
        services.close_case(closed, timezone.localdate(), 8.0, city_admin)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"deadline": date(2020, 1, 1), "opened_on": date(2024, 3, 1)}, "deadline", "不能早于立案日期"),
    ],
)
def test_bad_case_input_is_refused_in_chinese(firms, city_admin, fields, field, message):
    services.compute_listing(2024)
    with pytest.raises(ValidationError) as refused:
        open_case_for(firms["low"], city_admin, **fields)
    assert refused.value.message_dict[field] == [message]
    assert not RemediationCase.objects.exists()


def test_negative_land_and_closing_before_opening_are_refused(firms, city_admin):
    services.compute_listing(2024)
    case = open_case_for(firms["low"], city_admin, measure="exit", opened_on=date(2024, 3, 1))
    with pytest.raises(ValidationError) as refused:
        services.close_case(case, date(2024, 4, 1), -1.0, city_admin)
    assert refused.value.message_dict["land_released_mu"] == ["不能为负数"]
    with pytest.raises(ValidationError) as refused:
        services.close_case(case, date(2024, 2, 1), 1.0, city_admin)
    assert refused.value.message_dict["closed_on"] == ["不能早于立案日期"]
    case.refresh_from_db()
    assert case.status == "open"


def test_bad_rules_and_targets_are_refused(regions):
    with pytest.raises(ValidationError) as refused:
        Thresholds(region=regions.wuxing, above_scale_tax_per_mu=-1, industry_share=1.5).full_clean()
    assert refused.value.message_dict == {"above_scale_tax_per_mu": ["不能为负数"], "industry_share": ["不能大于1"]}
    with pytest.raises(ValidationError) as refused:
        Thresholds(region=regions.zhili).full_clean()
    assert "region" in refused.value.message_dict
    Thresholds.objects.create(region=None)
    with pytest.raises(ValidationError):
        Thresholds(region=None).full_clean()
    with pytest.raises(ValidationError) as refused:
        RemediationTarget(region=regions.wuxing, year=2024, land_target_mu=-5).full_clean()
    assert refused.value.message_dict["land_target_mu"] == ["不能为负数"]


def test_operator_opens_cases_only_in_their_county(firms, operator_wuxing, client_as):
    services.compute_listing(2024)
    client = client_as(operator_wuxing)
    nanxun = Listing.objects.get(enterprise=firms["nanxun"], year=2024)
    assert client.get(reverse("remediation:lowfirm_open_case", args=[nanxun.pk])).status_code == 403
    own = Listing.objects.get(enterprise=firms["low"], year=2024)
    response = client.post(
        reverse("remediation:lowfirm_open_case", args=[own.pk]),
        {"measure": "upgrade", "responsible_unit": "经信局", "deadline": "2020-01-01"},
    )
    assert response.status_code == 200 and "不能早于立案日期" in response.content.decode()
    deadline = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client.post(
        reverse("remediation:lowfirm_open_case", args=[own.pk]),
        {"measure": "upgrade", "responsible_unit": "经信局", "deadline": deadline},
    )
    case = RemediationCase.objects.get()
    assert response.status_code == 302 and response.url == case.get_absolute_url()


def test_overdue_cases_stand_out_and_the_overview_counts_them(firms, city_admin, client_as, regions):
    services.compute_listing(2024)
    today = timezone.localdate()
    open_case_for(firms["low"], city_admin, opened_on=today - timedelta(days=100), deadline=today - timedelta(days=1))
    closing = open_case_for(firms["nanxun"], city_admin, measure="relocation", opened_on=today - timedelta(days=10))
    services.close_case(closing, today, 6.0, city_admin)
    RemediationTarget.objects.create(region=regions.nanxun, year=today.year, firms_target=4, land_target_mu=30)
    rows = {row["county"].name: row for row in services.overview(today.year)}
    assert rows["吴兴区"]["open"] == 1 and rows["吴兴区"]["overdue"] == 1
    assert rows["南浔区"]["closed"] == 1 and rows["南浔区"]["released"] == 6.0 and rows["南浔区"]["firms_target"] == 4
    page = client_as(city_admin).get(reverse("remediation:remediation_case_list")).content.decode()
    assert page.count("table-danger overdue") == 1
    home = client_as(city_admin).get(reverse("home")).content.decode()
    assert 'id="home-remediation-overdue"' in home


def test_the_list_page_shows_rules_cases_and_firms_that_left(firms, city_admin, client_as):
    services.compute_listing(2023)
    services.compute_listing(2024)
    open_case_for(firms["low"], city_admin)
    client = client_as(city_admin)
    page = client.get(reverse("remediation:lowfirm_list"), {"year": 2024}).content.decode()
    assert "低效纺织有限公司" in page and "规上企业亩均税收低于标准" in page
    assert "大块地织造厂" in page.split('id="left-the-list"')[1]
    filtered = client.get(reverse("remediation:lowfirm_list"), {"year": 2024, "rule": "large_below_scale"}).content.decode()
    assert "低效纺织有限公司" not in filtered.split('id="left-the-list"')[0]


def test_the_export_lists_the_year_with_rules_in_words_and_the_firms_that_left(firms, city_admin, client_as):
    services.compute_listing(2023)
    services.compute_listing(2024)
    response = client_as(city_admin).get(reverse("remediation:lowfirm_export"), {"year": 2024})
    sheets = pl.read_excel(io.BytesIO(response.content), sheet_id=0)
    listed_sheet = sheets["低效企业名单"]
    assert sorted(listed_sheet["企业名称"].to_list()) == ["低效纺织有限公司", "练市木业有限公司"]
    assert set(listed_sheet["认定规则"].to_list()) == {"规上企业亩均税收低于标准"}
    assert sheets["退出名单企业"]["企业名称"].to_list() == ["大块地织造厂"]


def test_only_the_city_admin_computes_the_list(firms, operator_wuxing, city_admin, client_as):
    url = reverse("remediation:lowfirm_compute")
    assert client_as(operator_wuxing).post(url, {"year": 2024}).status_code == 403
    assert client_as(city_admin).post(url, {"year": 2024}).status_code == 302
    assert Listing.objects.filter(year=2024).count() == 2


def test_api_opens_and_closes_a_case_as_the_pages_do(firms, city_admin, client_as):
    services.compute_listing(2024)
    client = client_as(city_admin)
    listing = Listing.objects.get(enterprise=firms["low"], year=2024)
    deadline = (timezone.localdate() + timedelta(days=30)).isoformat()
    created = client.post(
        "/api/remediation-cases/",
        {"listing": listing.pk, "measure": "exit", "responsible_unit": "经信局", "deadline": deadline},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    case = created.json()
    assert case["enterprise"] == firms["low"].pk and case["status"] == "open"
    refused = client.post(f"/api/remediation-cases/{case['id']}/close/", {"closed_on": timezone.localdate().isoformat()},
                          content_type="application/json")  # fmt: skip
    assert refused.status_code == 400 and "land_released_mu" in refused.json()
    closed = client.post(f"/api/remediation-cases/{case['id']}/close/",
                         {"closed_on": timezone.localdate().isoformat(), "land_released_mu": 10},
                         content_type="application/json")  # fmt: skip
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert client.get("/api/low-efficiency-listings/", {"year": 2024}).json()["count"] == 2


def test_the_enterprise_page_shows_its_listings_and_cases(firms, city_admin, client_as):
    services.compute_listing(2024)
    open_case_for(firms["low"], city_admin)
    page = client_as(city_admin).get(firms["low"].get_absolute_url()).content.decode()
    panel = page.split('id="enterprise-remediation"')[1]
    assert "规上企业亩均税收低于标准" in panel and 'id="enterprise-remediation-cases"' in panel
