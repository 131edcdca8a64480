"""Policies with history in a run: prior D years from the published runs of earlier years, escalated values and
amounts stored per result, and the policy lists page and the workbook of each recipient."""

import datetime as dt
from io import BytesIO
from urllib.parse import unquote

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from mujun.evaluation import services
from mujun.evaluation.models import Result, Run, Scheme
from mujun.evaluation.demo import CITY_POLICIES
from mujun.evaluation.services import build_input, prior_d_years, regraded_policies, start_run
from mujun.evaluation.tests.conftest import SCHEME_TOML, YEAR, publish_directly

# The demo city's Haining-style policies on the test scheme's groups.
HAINING_TOML = SCHEME_TOML[: SCHEME_TOML.index("[policies.A]")] + CITY_POLICIES


@pytest.fixture
def firms(regions, make_enterprises):
    """Twenty 规上 firms in 吴兴区 with water use and land-use tax; the first has a major violation (D)."""
    made = make_enterprises(regions.wuxing, 19, first=1, water_t=5000.0, land_use_tax=2.0)
    violator = make_enterprises(regions.wuxing, 1, first=50, water_t=8000.0, land_use_tax=3.0, major_violation=True)
    return [*violator, *made]


@pytest.fixture
def history(regions, city_admin, firms):
    """Published city-wide runs of 2021–2023 giving D to: firms[0] in 2022 and 2023 (2 years running going into
    2024); firms[1] in 2022 only (the run broken by a C); firms[2] in 2023 only; firms[3] in 2021 and 2023
    (no published 2022 grade: a missing year breaks the run). A published 吴兴区 run (another scope) gives
    firms[4] D in 2023, which the city's runs do not count."""
    scheme = Scheme.objects.create(name="历年方案", year=2023, toml=SCHEME_TOML)
    grades = {
        (regions.city, 2021): {3: "D", 1: "B"},
        (regions.city, 2022): {0: "D", 1: "D", 2: "C"},
        (regions.city, 2023): {0: "D", 1: "C", 2: "D", 3: "D"},
        (regions.wuxing, 2023): {4: "D"},
    }
    for (region, year), graded in grades.items():
        run = Run.objects.create(
            name=f"{region.name}{year}", scheme=scheme, year=year, region=region, status=Run.Status.DONE,
            created_by=city_admin,
        )  # fmt: skip
        for index, grade in graded.items():
            Result.objects.create(
                run=run, enterprise=firms[index], region=regions.wuxing, status="evaluated", grade=grade
            )
        publish_directly(run, city_admin)
    # A draft never counts: firms[1]'s 2023 D in an unpublished run.
    draft = Run.objects.create(name="草稿", scheme=scheme, year=2023, region=regions.city, created_by=city_admin)
    Result.objects.create(run=draft, enterprise=firms[1], region=regions.wuxing, status="evaluated", grade="D")
    return firms


def prior_of(frame, firm) -> int:
    return frame.filter(frame["enterprise_id"] == firm.pk)["prior_d_years"].item()


def test_build_input_counts_the_published_d_years_running_up_to_last_year(regions, history):
    frame = build_input(regions.city, YEAR)
    assert frame["prior_d_years"].null_count() == 0
    assert [prior_of(frame, firm) for firm in history[:6]] == [2, 0, 1, 1, 0, 0]
    # The 吴兴区 scope has its own history: firms[4]'s D there counts for 吴兴区's runs only.
    assert prior_of(build_input(regions.wuxing, YEAR), history[4]) == 1
    # Going into 2023: D in 2022 counts one year; firms[3]'s 2021 D has no 2022 grade after it.
    earlier = dict(prior_d_years(regions.city, 2023).iter_rows())
    assert earlier == {history[0].pk: 1, history[1].pk: 1}


@pytest.fixture
def haining_finished(regions, city_admin, history):
    scheme = Scheme.objects.create(name="海宁式方案", year=YEAR, toml=HAINING_TOML)
    run = Run.objects.create(name="湖州市2024", scheme=scheme, year=YEAR, region=regions.city, created_by=city_admin)
    start_run(run, city_admin)
    run.refresh_from_db()
    assert run.status == Run.Status.DONE, run.message
    return run


@pytest.fixture
def haining_run(city_admin, haining_finished):
    return publish_directly(haining_finished, city_admin)


def test_a_regrade_on_review_takes_the_new_grades_policies_and_d_years(
    haining_finished, history, city_admin, operator_wuxing
):
    today = timezone.localdate()
    run = services.post_run(haining_finished, city_admin, today - dt.timedelta(days=1), today + dt.timedelta(days=5))
    result = run.results.select_related("enterprise__region", "run").get(enterprise=history[0])
    objection = services.file_objection(result, operator_wuxing, "已整改")
    services.decide_objection(objection, city_admin, "regraded", "重大违法已撤销，经复核调整为C档", "C")
    result.refresh_from_db()
    assert (result.grade, result.consecutive_d_years) == ("C", 0)
    assert result.policies == {"energy_quota_reduction": 0.1}


def test_a_third_d_year_running_escalates_the_surcharge_and_the_money_follows(haining_run, history):
    violator = haining_run.results.get(enterprise=history[0])
    figures = history[0].years.get(year=YEAR)
    assert violator.grade == "D" and violator.consecutive_d_years == 3
    assert violator.policies["electricity_surcharge_yuan_per_kwh"] == 0.4
    assert violator.policies["electricity_surcharge_yuan"] == pytest.approx(0.4 * figures.electricity_10k_kwh * 10000)
    assert violator.policies["water_surcharge_yuan"] == pytest.approx(8000.0)
    assert violator.policies["credit_restricted"] is True
    assert "land_use_tax_relief_yuan" not in violator.policies  # D has no relief: nothing stored for it
    graded_a = haining_run.results.filter(grade="A").first()
    assert graded_a.consecutive_d_years == 0
    assert graded_a.policies == {"land_use_tax_reduction": 1.0, "land_use_tax_relief_yuan": pytest.approx(20000.0)}


def test_a_regrade_to_d_takes_the_escalated_policies(haining_run, history):
    policies, years = regraded_policies(haining_run, history[2].pk, "D")  # D in 2023: its second year running
    assert years == 2 and policies["electricity_surcharge_yuan_per_kwh"] == 0.3
    policies, years = regraded_policies(haining_run, history[0].pk, "B")
    assert years == 0 and policies["land_use_tax_reduction"] == 0.5


def sheets_of(response) -> dict[str, list[tuple]]:
    assert response.status_code == 200
    book = openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content)), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def export(client, run, recipient) -> dict[str, list[tuple]]:
    return sheets_of(client.get(reverse("evaluation:run_recipient_export", args=[run.pk, recipient])))


def test_the_power_company_gets_its_list_with_consecutive_d_years_and_money(client_as, viewer, haining_run, history):
    client = client_as(viewer)
    response = client.get(reverse("evaluation:run_recipient_export", args=[haining_run.pk, "power"]))
    assert "差别化电价名单(供电公司).xlsx" in unquote(response["Content-Disposition"])
    sheets = sheets_of(response)
    assert list(sheets) == ["差别化电价", "汇总"]
    header, *rows = sheets["差别化电价"]
    assert header == (
        "户名", "统一社会信用代码", "所属区域", "评价等级", "用电量(万千瓦时)", "加价标准(元/千瓦时)", "加价金额(元)", "连续D档年数"
    )
    expected = set(haining_run.results.filter(grade="D").values_list("enterprise__uscc", flat=True))
    assert {row[1] for row in rows} == expected
    violator = next(row for row in rows if row[1] == history[0].uscc)
    electricity = history[0].years.get(year=YEAR).electricity_10k_kwh
    assert violator[5] == 0.4 and violator[7] == 3
    assert violator[6] == pytest.approx(round(0.4 * electricity * 10000, 2))
    (totals_header, totals), = [sheets["汇总"][0:2]]
    assert totals_header[:3] == ("名单", "接收单位", "企业数") and totals[:3] == ("差别化电价", "供电公司", len(rows))
    assert totals[totals_header.index("加价金额(元)合计")] == pytest.approx(sum(row[6] for row in rows))


@pytest.mark.parametrize(
    ("recipient", "sheet", "header", "check"),
    [
        ("water", "差别化水价和污水处理费",
         ("户名", "统一社会信用代码", "所属区域", "评价等级", "用水量(吨)", "水价加价标准(元/吨)", "水价加价金额(元)",
          "污水处理费加价标准(元/吨)", "污水处理费加价金额(元)", "连续D档年数"),
         lambda row: row[6] == row[4] * row[5] and row[8] == row[4] * row[7]),
        ("tax", "城镇土地使用税减免",
         ("纳税人名称", "统一社会信用代码", "所属区域", "评价等级", "应纳税额(元)", "减免比例", "减免金额(元)"),
         lambda row: row[4] == 20000 and row[6] == 20000 * row[5] and row[3] in "AB"),
        ("banks", "限制新增授信",
         ("企业名称", "统一社会信用代码", "所属区域", "评价等级", "限制新增授信", "连续D档年数"),
         lambda row: row[3] == "D" and row[4] == "是"),
        ("energy", "用能指标限制",
         ("企业名称", "统一社会信用代码", "所属区域", "评价等级", "综合能耗(吨标准煤)", "新增用能指标压减比例", "连续D档年数"),
         lambda row: {"C": 0.1, "D": 0.3}[row[3]] == row[5]),
    ],
)
def test_each_recipient_gets_the_columns_it_expects(client_as, viewer, haining_run, recipient, sheet, header, check):
    sheets = export(client_as(viewer), haining_run, recipient)
    assert list(sheets) == [sheet, "汇总"]
    got, *rows = sheets[sheet]
    assert got == header
    assert rows and all(check(row) for row in rows if row[4] is not None)


def test_the_policy_page_lists_each_recipients_firms_with_d_years_and_totals(client_as, viewer, haining_run, history):
    page = client_as(viewer).get(reverse("evaluation:run_policies", args=[haining_run.pk])).content.decode()
    for recipient in ("power", "water", "tax", "banks", "energy"):
        assert reverse("evaluation:run_recipient_export", args=[haining_run.pk, recipient]) in page
    assert "供电公司：差别化电价" in page and "连续D档年数" in page
    power = page[page.index('id="recipient-power"') : page.index('id="recipient-water"')]
    assert history[0].uscc in power and "<td class=\"text-end\">3</td>" in power
    assert "合计" in power and "加价金额(元)" in power
    assert "其中1家连续多年为D档" in power
    # The run page shows the same lists, without the firms.
    detail = client_as(viewer).get(haining_run.get_absolute_url()).content.decode()
    assert reverse("evaluation:run_recipient_export", args=[haining_run.pk, "power"]) in detail


def test_grade_list_carries_d_years_and_amounts(client_as, viewer, haining_run, history):
    url = reverse("evaluation:run_policy_export", args=[haining_run.pk, "D"])
    header, *rows = sheets_of(client_as(viewer).get(url))["D"]
    assert "连续D档年数" in header and "差别化电价加价金额(元)" in header
    violator = next(row for row in rows if row[0] == history[0].uscc)
    assert violator[header.index("连续D档年数")] == 3


def test_the_api_gives_each_results_d_years_and_money(client_as, viewer, haining_run, history):
    graded_d = client_as(viewer).get("/api/evaluation/results/", {"run": haining_run.pk, "grade": "D"}).json()
    violator = next(r for r in graded_d["results"] if r["uscc"] == history[0].uscc)
    assert violator["consecutive_d_years"] == 3
    assert violator["policies"]["electricity_surcharge_yuan_per_kwh"] == 0.4
    assert "electricity_surcharge_yuan" in violator["policies"]
