"""Groups by any rule, penalty and bonus items, tenants merged with their landlords (issue 10 item 2)."""

import re

import polars as pl
import pytest

from mujun.engine.evaluation import NO_GROUP_REASON, InvalidInput, evaluate, result_headers
from mujun.engine.groups import Selection, describe_adjustment, describe_selection, selection_within
from mujun.engine.scheme import PRESETS, SchemeError, parse_scheme, preset_toml, scheme_to_toml
from mujun.engine.tests.factories import code, frame, row

INDICATOR = """
  [[groups.indicators]]
  id = "ratio"
  label = "亩均税收"
  numerator = "tax"
  denominator = "land_mu"
  weight = 100
  benchmark = 10
"""
SHARE = '{ method = "share", A = 0.2, B = 0.4, C = 0.35, D = 0.05 }'


def group(group_id: str, select: str = "", extra: str = "", grading: str = SHARE) -> str:
    selection = f"\n  [groups.select]\n  {select}\n" if select else ""
    return f'\n[[groups]]\nid = "{group_id}"\nlabel = "组{group_id}"\ngrading = {grading}\n{selection}{INDICATOR}{extra}'


def scheme_text(*groups: str, head: str = "", scope: str = "below_scale_min_land_mu = 0") -> str:
    return f'name = "测试"\nyear = 2022\n{head}\n[scope]\n{scope}\n' + "".join(groups)


def problems_of(text: str, language: str = "zh") -> list[str]:
    with pytest.raises(SchemeError) as caught:
        parse_scheme(text)
    return caught.value.messages(language)


def by_uscc(result: pl.DataFrame) -> dict[str, dict]:
    return {r["uscc"]: r for r in result.iter_rows(named=True)}


# --- parsing ------------------------------------------------------------------------------------------


def test_every_selection_condition_is_read_and_round_trips():
    text = scheme_text(
        group(
            "textile",
            'above_scale = true\n  industry_prefixes = ["17", "18"]\n  sector = "industry"\n  land_mu_min = 3\n'
            '  land_mu_max = 10.5\n  regions = ["吴兴区", "南浔区"]\n  tenant = false',
        ),
        head="",
        scope="merge_tenants = true",
    )
    scheme = parse_scheme(text)
    assert scheme.groups[0].selection == Selection(True, ("17", "18"), "industry", 3.0, 10.5, ("吴兴区", "南浔区"), False)
    assert scheme.scope.merge_tenants is True
    assert parse_scheme(scheme_to_toml(scheme)) == scheme


def test_the_group_level_above_scale_still_means_select_above_scale():
    legacy = scheme_text(group("a", extra="").replace('label = "组a"', 'label = "组a"\nabove_scale = true'))
    modern = scheme_text(group("a", "above_scale = true"))
    assert parse_scheme(legacy) == parse_scheme(modern)
    assert parse_scheme(legacy).groups[0].above_scale is True


def test_adjustments_of_the_scheme_and_of_a_group_are_read_and_round_trip():
    head = '[[adjustments]]\nid = "safety"\nlabel = "安全事故扣分"\ncolumn = "safety_accident"\npoints = -5\n'
    own = (
        '\n  [[groups.adjustments]]\n  id = "water"\n  label = "用水量大扣分"\n  column = "water_t"\n  points = -2\n'
        "  min = 10000\n  max = 50000\n"
    )
    scheme = parse_scheme(scheme_text(group("all", extra=own), head=head))
    assert [a.id for a in scheme.adjustments] == ["safety"]
    assert [(a.column, a.points, a.min, a.max) for a in scheme.groups[0].adjustments] == [("water_t", -2, 10000, 50000)]
    assert scheme.adjustment_ids() == ["safety", "water"]
    assert parse_scheme(scheme_to_toml(scheme)) == scheme


@pytest.mark.parametrize("preset_id", ["yiwu-2022", "cixi-2022"])
def test_new_presets_are_registered_with_chinese_names_and_round_trip(preset_id):
    assert re.search(r"[\u4e00-\u9fff]", PRESETS[preset_id])
    scheme = parse_scheme(preset_toml(preset_id))
    assert parse_scheme(scheme_to_toml(scheme)) == scheme


def test_yiwu_grades_above_scale_firms_in_four_industry_groups():
    scheme = parse_scheme(preset_toml("yiwu-2022"))
    assert [g.id for g in scheme.groups] == ["textile", "chemical", "machinery", "other", "below"]
    assert scheme.groups[0].selection.industry_prefixes == ("17", "18")
    assert all(g.above_scale for g in scheme.groups[:4]) and scheme.groups[4].above_scale is False
    assert {a.column: a.points for a in scheme.adjustments} == {"safety_accident": -5, "high_tech": 3}


def test_cixi_publishes_four_lists_and_merges_tenants():
    scheme = parse_scheme(preset_toml("cixi-2022"))
    assert scheme.scope.merge_tenants
    assert [g.selection.given() for g in scheme.groups] == [
        {"above_scale": True},
        {"above_scale": False, "land_mu_min": 3, "tenant": False},
        {"above_scale": False, "land_mu_max": 3, "tenant": False},
        {"above_scale": False, "tenant": True},
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("", ""),  # both unconditioned
        ("above_scale = true", "above_scale = true"),  # identical
        ('above_scale = true\n  industry_prefixes = ["17"]', "above_scale = true"),  # one inside the other
        ('industry_prefixes = ["171"]', 'industry_prefixes = ["17", "26"]'),
        ("land_mu_min = 5", "land_mu_min = 3"),
        ('industry_prefixes = ["18"]', 'sector = "industry"'),
        ('regions = ["吴兴区"]', 'regions = ["吴兴区", "南浔区"]'),
    ],
)
def test_groups_selecting_the_same_rows_by_construction_are_refused_naming_both(first, second):
    problems = problems_of(scheme_text(group("one", first), group("two", second)))
    assert any("分组 one" in p and "分组 two" in p and "重叠" in p for p in problems), problems
    english = problems_of(scheme_text(group("one", first), group("two", second)), "en")
    assert any("groups one" in p and "two" in p and "select the same enterprises" in p for p in english)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("above_scale = true", "above_scale = false"),
        ('industry_prefixes = ["17"]', 'industry_prefixes = ["18"]'),
        ("land_mu_max = 3", "land_mu_min = 3"),
        ("above_scale = true", 'regions = ["吴兴区"]'),  # may overlap by the data only: checked per row
        ('sector = "service"', 'industry_prefixes = ["18"]'),
    ],
)
def test_groups_kept_apart_or_overlapping_only_by_data_are_accepted(first, second):
    assert len(parse_scheme(scheme_text(group("one", first), group("two", second))).groups) == 2


def test_selection_within_reads_sector_from_prefixes():
    assert selection_within(Selection(industry_prefixes=("26", "1")), Selection(sector="industry"))
    assert not selection_within(Selection(industry_prefixes=("4",)), Selection(sector="industry"))  # 47–49 serve


@pytest.mark.parametrize(
    ("select", "fragment"),
    [
        ('industry_prefixes = ["C17"]', "分组 a 选择条件的行业代码前缀中的 C17 不是1至4位数字"),
        ('sector = "farming"', "分组 a 选择条件的产业类别必须是 industry 或 service"),
        ("land_mu_min = 5\n  land_mu_max = 3", "分组 a 选择条件的用地面积下限必须小于用地面积上限"),
        ("regions = []", "分组 a 选择条件的所属区域必须是非空文本的非空列表"),
        ('tenant = "是"', "分组 a 选择条件的租赁企业必须是 true 或 false"),
        ("colour = 1", "分组 a 选择条件有未知的设置项 colour"),
    ],
)
def test_bad_selections_are_named_in_chinese(select, fragment):
    problems = problems_of(scheme_text(group("a", select)))
    assert any(fragment in p for p in problems), problems


@pytest.mark.parametrize(
    ("adjustment", "fragment"),
    [
        ('id = "x"\n  column = "water_t"\n  points = 1', "加减分项 x 的下限缺失：数值列须给出 min 或 max"),
        ('id = "x"\n  column = "name"\n  points = 1', "加减分项 x 的列name 不是数值列或是/否列"),
        ('id = "x"\n  column = "high_tech"\n  points = 1\n  min = 1', "加减分项 x 的下限不适用"),
        ('id = "x"\n  column = "high_tech"', "加减分项 x 的分值缺失"),
        ('id = "total"\n  column = "high_tech"\n  points = 1', "加减分项 total 的编号与输出列重名"),
    ],
)
def test_bad_adjustments_are_named_in_chinese(adjustment, fragment):
    extra = f"\n  [[groups.adjustments]]\n  {adjustment}\n"
    problems = problems_of(scheme_text(group("a", extra=extra)))
    assert any(fragment in p for p in problems), problems


def test_a_group_adjustment_must_not_repeat_a_scheme_wide_id():
    head = '[[adjustments]]\nid = "x"\ncolumn = "high_tech"\npoints = 1\n'
    extra = '\n  [[groups.adjustments]]\n  id = "x"\n  column = "safety_accident"\n  points = -1\n'
    assert any("与方案的 [[adjustments]] 重复" in p for p in problems_of(scheme_text(group("a", extra=extra), head=head)))


def test_selections_and_adjustments_are_described_in_words():
    words = describe_selection(Selection(True, ("17", "18"), None, 3, None, ("吴兴区",), False))
    assert words.zh == "规上企业；行业代码以17、18开头；用地3亩及以上；属于吴兴区；非租赁企业"
    assert words.en == "above designated size; industry code starting with 17, 18; land of 3 mu or more; in 吴兴区; not a tenant"
    assert describe_selection(Selection()).zh == "全部企业"
    scheme = parse_scheme(preset_toml("yiwu-2022"))
    assert scheme.groups[0].selection_text().zh == "规上企业；行业代码以17、18开头"
    assert describe_adjustment(scheme.adjustments[0]).zh == "发生安全生产事故为是时-5分"


# --- evaluation -----------------------------------------------------------------------------------------


def test_rows_go_to_the_group_whose_conditions_they_meet():
    text = scheme_text(
        group("textile", 'above_scale = true\n  industry_prefixes = ["17", "18"]'),
        group("other", 'above_scale = true\n  industry_prefixes = ["26"]'),
        group("services", 'sector = "service"'),
        group("small", "above_scale = false\n  land_mu_max = 3"),
    )
    rows = [
        row(1, industry_code="1810"),
        row(2, industry_code="C1711"),
        row(3, industry_code="2614"),
        row(4, industry_code="5211", above_scale="否", land_mu=8),  # a service firm of any size
        row(5, above_scale="否", land_mu=2),
        row(6, above_scale="否", land_mu=5),  # no group
        row(7, industry_code=""),  # no code: neither an industry nor a service group
    ]
    result = by_uscc(evaluate(frame(rows), parse_scheme(text)).result)
    assert [result[code(n)]["group"] for n in range(1, 8)] == ["textile", "textile", "other", "services", "small", None, None]
    assert result[code(6)]["status"] == result[code(7)]["status"] == "out_of_scope"
    assert result[code(6)]["reason"] == NO_GROUP_REASON


def test_a_row_meeting_two_groups_is_invalid_naming_the_enterprise_and_both_groups():
    text = scheme_text(group("big", "above_scale = true"), group("wuxing", 'regions = ["吴兴区"]'))
    rows = [row(1), row(2, region="吴兴区", name="湖州丝绸有限公司"), row(3, region="吴兴区", above_scale="否")]
    with pytest.raises(InvalidInput) as caught:
        evaluate(frame(rows), parse_scheme(text))
    (problem,) = caught.value.problems
    assert problem.row == 3
    message = problem.message("zh")
    assert "第3行 分组：" in message and "湖州丝绸有限公司" in message and code(2) in message
    assert "分组 big（组big）" in message and "分组 wuxing（组wuxing）" in message
    english = problem.message("en")
    assert "湖州丝绸有限公司" in english and "groups big (组big) and wuxing (组wuxing)" in english

    result = by_uscc(evaluate(frame(rows), parse_scheme(text), skip_invalid=True).result)
    assert result[code(2)]["status"] == "invalid" and result[code(2)]["group"] is None
    assert "同时符合分组 big（组big）和分组 wuxing（组wuxing）的条件" in result[code(2)]["reason"]
    assert result[code(1)]["group"] == "big" and result[code(3)]["group"] == "wuxing"
    assert result[code(1)]["status"] == result[code(3)]["status"] == "evaluated"


def test_adjustments_add_points_to_the_total_in_their_own_columns():
    head = '[[adjustments]]\nid = "safety"\nlabel = "安全事故扣分"\ncolumn = "safety_accident"\npoints = -5\n'
    own = '\n  [[groups.adjustments]]\n  id = "water"\n  label = "用水扣分"\n  column = "water_t"\n  points = -2\n  min = 100\n'
    text = scheme_text(
        group("above", "above_scale = true", extra=own, grading='{ method = "threshold", A = 90, B = 80, C = 60 }'),
        group("below", "above_scale = false", grading='{ method = "threshold", A = 90, B = 80, C = 60 }'),
        head=head,
    )
    rows = [
        row(1),  # tax 100 on 10 mu: 100 points
        row(2, safety_accident="是", water_t=100),  # −5 −2
        row(3, safety_accident="否", water_t=99.9),
        row(4, above_scale="否", safety_accident="是", water_t=1000),  # the group has no water rule
    ]
    evaluation = evaluate(frame(rows), parse_scheme(text))
    result = evaluation.result
    assert result.columns.index("safety_points") > result.columns.index("ratio_score")
    assert result.columns.index("water_points") + 1 == result.columns.index("total")
    rows_out = by_uscc(result)
    assert [rows_out[code(n)]["total"] for n in range(1, 5)] == [100, 93, 100, 95]
    assert [rows_out[code(n)]["safety_points"] for n in range(1, 5)] == [0, -5, 0, -5]
    assert [rows_out[code(n)]["water_points"] for n in range(1, 5)] == [0, -2, 0, None]
    assert rows_out[code(2)]["grade"] == "A" and rows_out[code(4)]["grade"] == "A"
    assert result_headers(parse_scheme(text))["water_points"] == "用水扣分"


def test_schemes_without_adjustments_have_no_points_columns():
    result = evaluate(frame([row(1)]), parse_scheme(scheme_text(group("all")))).result
    assert not [c for c in result.columns if c.endswith("_points")]


def test_merge_tenants_adds_a_tenants_figures_to_its_landlord_only():
    text = scheme_text(
        group("above", "above_scale = true"),
        group("tenants", "above_scale = false\n  tenant = true"),
        group("below", "above_scale = false\n  tenant = false"),
        scope="below_scale_min_land_mu = 0\nmerge_tenants = true",
    )
    rows = [
        row(1, land_mu=10, tax=100),  # landlord
        row(2, above_scale="否", land_mu=2, tax=60, tenant="是", landlord_uscc=code(1)),
        row(3, above_scale="否", land_mu=1, tax=10, tenant="是", landlord_uscc=code(1)),
        row(4, above_scale="否", land_mu=2, tax=10, tenant="是", landlord_uscc=code(99)),  # landlord not in the input
        row(5, above_scale="否", land_mu=4, tax=40),
    ]
    merged = by_uscc(evaluate(frame(rows), parse_scheme(text)).result)
    assert merged[code(1)]["ratio_value"] == pytest.approx(170 / 13)
    assert merged[code(2)]["ratio_value"] == 30 and merged[code(2)]["group"] == "tenants"
    assert merged[code(4)]["ratio_value"] == 5 and merged[code(5)]["ratio_value"] == 10
    apart = by_uscc(evaluate(frame(rows), parse_scheme(text.replace("merge_tenants = true", ""))).result)
    assert apart[code(1)]["ratio_value"] == 10
    assert {n: apart[code(n)]["ratio_value"] for n in (2, 3, 4, 5)} == {
        n: merged[code(n)]["ratio_value"] for n in (2, 3, 4, 5)
    }


def test_an_invalid_landlord_code_and_prior_d_years_are_row_problems():
    rows = [row(1, landlord_uscc="91330000123", tenant="是"), row(2, prior_d_years="1.5"), row(3, prior_d_years="-1")]
    with pytest.raises(InvalidInput) as caught:
        evaluate(frame(rows), parse_scheme(scheme_text(group("all"))))
    messages = [p.message("zh") for p in caught.value.problems]
    assert messages[0].startswith("第2行 出租方统一社会信用代码：应为18位")
    assert messages[1:] == ["第3行 此前连续D档年数：应为不小于0的整数", "第4行 此前连续D档年数：应为不小于0的整数"]
