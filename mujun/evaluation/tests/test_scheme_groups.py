"""Runs under schemes with groups by any rule, penalty and bonus items and merged tenants (issue 10 item 2)."""

import pytest

from mujun.engine.scheme import parse_scheme, preset_toml
from mujun.evaluation import services
from mujun.evaluation.models import Run, Scheme
from mujun.evaluation.tests.conftest import SCHEME_TOML, YEAR

# The test scheme with its 规下 group made Nanxun's instead: Nanxun's 规上 firms meet both groups' conditions.
OVERLAPPING_TOML = SCHEME_TOML.replace(
    'id = "below"\nlabel = "规下企业"\nabove_scale = false\n',
    'id = "nanxun"\nlabel = "南浔区企业"\nselect = { regions = ["南浔区"] }\n',
)
ADJUSTED_TOML = SCHEME_TOML.replace(
    '  missing = "group_mean_score"\n',
    """  missing = "group_mean_score"

  [[groups.adjustments]]
  id = "water"
  label = "用水量大扣分"
  column = "water_t"
  points = -4
  min = 1000
""",
).replace(
    "[policies.A]",
    """[[adjustments]]
id = "safety"
label = "安全事故扣分"
column = "safety_accident"
points = -5

[policies.A]""",
)
assert ADJUSTED_TOML.count("[[groups.adjustments]]") == 1 and ADJUSTED_TOML.index("water") < ADJUSTED_TOML.index('"below"')


def run_under(toml: str, user, region) -> Run:
    scheme = Scheme.objects.create(name="分组测试", year=YEAR, toml=toml)
    run = Run.objects.create(name="分组测试", scheme=scheme, year=YEAR, region=region, created_by=user)
    services.start_run(run, user)
    run.refresh_from_db()
    return run


def test_the_input_carries_the_industry_code_and_the_new_figures(regions, make_enterprises):
    (firm,) = make_enterprises(regions["wuxing"], 1, tenant=True, high_tech=True, water_t=120.0, land_use_tax=1.5)
    firm.industry_code = "1810"
    firm.save()
    frame = services.build_input(regions["wuxing"], YEAR)
    row = frame.row(0, named=True)
    assert (row["industry_code"], row["tenant"], row["high_tech"], row["safety_accident"]) == ("1810", True, True, False)
    assert (row["water_t"], row["land_use_tax"], row["landlord_uscc"]) == (120.0, 1.5, "")
    assert row["prior_d_years"] in (None, 0) and frame.columns[-1] == "prior_d_years"  # no earlier D years


def test_a_scheme_may_select_and_adjust_by_the_new_stored_columns():
    toml = ADJUSTED_TOML.replace('above_scale = true\n', 'select = { above_scale = true, industry_prefixes = ["17"], tenant = false }\n')
    assert services.unstored_columns(parse_scheme(toml)) == []
    for preset in ("yiwu-2022", "cixi-2022"):
        assert services.unstored_columns(parse_scheme(preset_toml(preset))) == []


def test_rows_in_two_groups_come_out_invalid_naming_the_enterprise_and_both_groups(city_admin, regions, county_data):
    run = run_under(OVERLAPPING_TOML, city_admin, regions["city"])
    assert run.status == Run.Status.DONE, run.message
    nanxun = {e.pk: e for e in county_data["nanxun"]}
    invalid = list(run.results.filter(status="invalid").select_related("enterprise"))
    assert {r.enterprise_id for r in invalid} == set(nanxun)
    for result in invalid:
        assert result.enterprise.name in result.reason and result.enterprise.uscc in result.reason
        assert "分组 above（规上企业）和分组 nanxun（南浔区企业）" in result.reason
        assert result.grade == "" and result.group == ""
    assert run.summary["problem_count"] == len(nanxun)
    assert all("同时符合分组 above（规上企业）和分组 nanxun（南浔区企业）的条件" in p for p in run.summary["problems"])
    # Wuxing's 规下 firms are in no group now.
    below = run.results.get(enterprise=county_data["below"][0])
    assert (below.status, below.reason) == ("out_of_scope", "不属于方案的任何分组")


@pytest.mark.parametrize("flag", [False, True])
def test_adjustments_count_in_the_stored_totals(city_admin, regions, county_data, flag):
    from mujun.enterprises.models import EnterpriseYear

    firm = county_data["wuxing"][0]
    EnterpriseYear.objects.filter(enterprise=firm).update(safety_accident=flag, water_t=5000.0)
    plain = run_under(SCHEME_TOML, city_admin, regions["city"]).results.get(enterprise=firm)
    adjusted = run_under(ADJUSTED_TOML, city_admin, regions["city"]).results.get(enterprise=firm)
    assert adjusted.total == pytest.approx(plain.total - 4 - (5 if flag else 0))
    assert adjusted.indicators["water"] == {"points": -4.0}
    assert adjusted.indicators["safety"] == {"points": -5.0 if flag else 0.0}


def test_the_result_page_shows_the_points_each_item_gave(client_as, city_admin, regions, county_data):
    from mujun.enterprises.models import EnterpriseYear

    firm = county_data["wuxing"][0]
    EnterpriseYear.objects.filter(enterprise=firm).update(safety_accident=True, water_t=10.0)
    run = run_under(ADJUSTED_TOML, city_admin, regions["city"])
    page = client_as(city_admin).get(f"/evaluation/runs/{run.pk}/results/{firm.pk}/").content.decode()
    items = page[page.index('id="result-adjustments"') :]
    assert "加减分项" in items and "安全事故扣分" in items and "用水量大扣分" in items
    rows = [row for row in items.split("<tr>")[2:4]]
    assert ">-5<" in rows[0] and rows[0].count("-5") == 2  # in the scheme and given
    assert ">-4<" in rows[1] and ">0<" in rows[1]  # water under the minimum: nothing given


def test_the_scheme_page_shows_each_groups_conditions_and_adjustments_in_chinese(client_as, city_admin):
    scheme = Scheme.objects.create(name="义乌", year=2022, toml=preset_toml("yiwu-2022"), preset="yiwu-2022")
    page = client_as(city_admin).get(scheme.get_absolute_url()).content.decode()
    assert "规上企业；行业代码以17、18开头" in page and "规下企业" in page
    assert "发生安全生产事故扣分" in page and "发生安全生产事故为是时-5分" in page
    assert "高新技术企业为是时+3分" in page
    cixi = Scheme.objects.create(name="慈溪", year=2022, toml=preset_toml("cixi-2022"), preset="cixi-2022")
    page = client_as(city_admin).get(cixi.get_absolute_url()).content.decode()
    assert "规下企业；用地不足3亩；非租赁企业" in page and "租赁企业的数据并入出租方" in page
