import re

import pytest

from mujun.engine.scheme import (
    PRESETS,
    Grading,
    SchemeError,
    load_scheme,
    parse_scheme,
    preset_toml,
    required_columns,
    scheme_to_toml,
)

VALID = """
name = "测试方案"
year = 2022

[[groups]]
id = "above"
above_scale = true
grading = { method = "share", A = 0.2, B = 0.4, C = 0.35, D = 0.05 }

  [[groups.indicators]]
  id = "tax_per_mu"
  numerator = "tax"
  denominator = "land_mu"
  weight = 30
  benchmark = 24.097
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(SchemeError) as caught:
        parse_scheme(text)
    return caught.value.messages()


def english_problems_of(text: str) -> list[str]:
    with pytest.raises(SchemeError) as caught:
        parse_scheme(text)
    return caught.value.messages("en")


@pytest.mark.parametrize("preset_id", sorted(PRESETS))
def test_presets_parse_and_round_trip_through_toml(preset_id):
    scheme = parse_scheme(preset_toml(preset_id))
    assert parse_scheme(scheme_to_toml(scheme)) == scheme


def test_huangyan_2022_preset_states_the_published_formula():
    scheme = parse_scheme(preset_toml("huangyan-2022"))
    above, below = scheme.groups
    assert (above.id, above.above_scale, below.above_scale) == ("above", True, False)
    assert [(i.numerator, i.denominator, i.weight, i.benchmark) for i in above.indicators] == [
        ("tax", "land_mu", 30, 24.097),
        ("value_added", "land_mu", 20, 136.16),
        ("value_added", "energy_tce", 20, 2.694),
        ("value_added", "emission_eq", 10, 4929.81),
        ("value_added", "employees", 10, 18.14),
        ("rd_expense", "revenue", 10, 0.0302),
    ]
    assert [i.missing for i in above.indicators].count("group_mean_score") == 1
    assert above.indicators[3].missing == "group_mean_score"
    assert [(i.numerator, i.denominator, i.weight, i.benchmark) for i in below.indicators] == [
        ("tax", "land_mu", 50, 11.5932),
        ("tax", "electricity_10k_kwh", 50, 0.2352),
    ]
    assert above.grading == below.grading == Grading("share", 0.2, 0.4, 0.35, 0.05)
    assert scheme.scope.below_scale_min_land_mu == 3
    assert scheme.policies["A"]["land_use_tax_reduction"] == 1.0
    assert scheme.policies["D"]["land_use_tax_reduction"] == 0.0
    assert scheme.policies["D"]["credit_restricted"] is True
    assert scheme.policies["D"]["electricity_surcharge_yuan_per_kwh"] > 0


def test_huangyan_2021_preset_has_the_2021_benchmarks():
    scheme = parse_scheme(preset_toml("huangyan-2021"))
    above, below = scheme.groups
    assert scheme.year == 2021
    assert [i.benchmark for i in above.indicators] == [26.01, 132.27, 2.54, 4861.08, 17.45, 0.0305]
    assert [i.benchmark for i in below.indicators] == [16.601058, 0.236565]


def test_required_columns_are_the_columns_indicators_name():
    scheme = parse_scheme(preset_toml("huangyan-2022"))
    assert required_columns(scheme) == {
        "tax", "land_mu", "value_added", "energy_tce", "emission_eq", "employees", "rd_expense", "revenue",
        "electricity_10k_kwh",
    }


def test_weight_that_is_not_a_number_names_group_indicator_and_field():
    problems = problems_of(VALID.replace("weight = 30", 'weight = "thirty"'))
    assert problems == [
        "分组 above 指标 tax_per_mu 的权重不是数字"
    ]


def test_shares_not_summing_to_one_are_refused_on_exact_decimals():
    problems = problems_of(VALID.replace("D = 0.05", "D = 0.1"))
    assert problems == ["分组 above 分档的A档至D档比例之和为1.05，应为1"]
    # 0.2 + 0.4 + 0.35 + 0.05 is 1 exactly in decimals though not in binary floating point.
    assert parse_scheme(VALID).groups[0].grading.D == 0.05


def test_share_d_may_be_left_out_and_is_the_rest():
    scheme = parse_scheme(VALID.replace(", D = 0.05", ""))
    assert scheme.groups[0].grading.D == 0.05


def test_every_problem_is_reported_at_once():
    text = (
        VALID.replace('method = "share"', 'method = "quota"')
        .replace('benchmark = 24.097', 'benchmark = "average"')
        .replace("year = 2022", 'year = "2022"')
        + '\n  [[groups.indicators]]\n  id = "tax_per_mu"\n  numerator = "tax"\n  weight = -1\n'
        + '  benchmark = 0\n  missing = "drop"\n  colour = 1\n'
    )
    problems = english_problems_of(text)
    expected_fragments = [
        "scheme: year must be a whole year",
        "group above, grading: method must be share or threshold",
        "group above, indicator tax_per_mu: benchmark must be a positive number or one of ratio_of_sums, mean, median",
        "group above, indicator tax_per_mu: id is repeated in this group",
        "group above, indicator tax_per_mu: weight must not be less than 0",
        "group above, indicator tax_per_mu: benchmark must be greater than 0",
        "group above, indicator tax_per_mu: missing must be zero or group_mean_score",
        "group above, indicator tax_per_mu: unknown setting colour",
    ]
    for fragment in expected_fragments:
        assert any(fragment in problem for problem in problems), (fragment, problems)
    assert not any(re.search(r"[\u4e00-\u9fff]", problem) for problem in problems)  # English only
    assert all(re.search(r"[\u4e00-\u9fff]", problem) for problem in problems_of(text))


def test_duplicate_group_ids_and_two_groups_for_one_size_class():
    group = VALID[VALID.index("[[groups]]"):]
    problems = english_problems_of(VALID + group)
    assert any("group above: id is repeated" in p for p in problems)
    assert any(
        "groups above (above designated size) and above (above designated size) select the same enterprises" in p
        for p in problems
    )


def test_threshold_minimums_must_not_increase():
    text = VALID.replace(
        '{ method = "share", A = 0.2, B = 0.4, C = 0.35, D = 0.05 }', '{ method = "threshold", A = 60, B = 80, C = 40 }'
    )
    assert any("A to C minimums must not increase" in p for p in english_problems_of(text))


def test_indicator_dividing_by_a_text_column_is_refused():
    problems = english_problems_of(VALID.replace('denominator = "land_mu"', 'denominator = "name"'))
    assert any("denominator name is not a numeric column" in p for p in problems)


def test_shared_indicator_id_must_mean_the_same_ratio_in_every_group():
    below = VALID[VALID.index("[[groups]]"):].replace('"above"', '"below"').replace("true", "false")
    below = below.replace('denominator = "land_mu"', 'denominator = "electricity_10k_kwh"')
    problems = english_problems_of(VALID + below)
    assert any("group below, indicator tax_per_mu: numerator and denominator differ" in p for p in problems)


def test_policies_per_grade_are_checked():
    text = VALID + '\n[policies.A]\nsurcharge = 0\n[policies.D]\nsurcharge = "high"\ngrade = 1\n[policies.E]\nx = 1\n'
    problems = english_problems_of(text)
    assert any("policies.D: surcharge has a different type than in grade A" in p for p in problems)
    assert any("grade cannot be used as a column name" in p for p in problems)
    assert any("policies: unknown setting E" in p for p in problems)


def test_invalid_toml_is_a_scheme_error():
    assert problems_of("name = ")[0].startswith("方案不是有效的TOML")


def test_load_scheme_reports_a_missing_file(tmp_path):
    with pytest.raises(SchemeError) as caught:
        load_scheme(tmp_path / "none.toml")
    assert "cannot read scheme file" in caught.value.messages("en")[0]


def test_unknown_preset_is_a_scheme_error():
    with pytest.raises(SchemeError):
        preset_toml("atlantis-2022")
