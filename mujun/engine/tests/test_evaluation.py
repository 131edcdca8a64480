from datetime import date

import polars as pl
import pytest

from mujun.engine.evaluation import InvalidInput, Problem, evaluate, prepare, share_cuts, summarise
from mujun.engine.scheme import parse_scheme, preset_toml
from mujun.engine.tests.factories import code, frame, huangyan_2022, one_indicator_scheme, row


def by_uscc(result: pl.DataFrame) -> dict[str, dict]:
    return {r["uscc"]: r for r in result.iter_rows(named=True)}


def huangyan_above_by_hand(r: dict, b=(24.097, 136.16, 2.694, 4929.81, 18.14, 0.0302)) -> float:
    f = {key: float(value) for key, value in r.items() if key in {
        "tax", "land_mu", "value_added", "energy_tce", "emission_eq", "employees", "rd_expense", "revenue"}}
    return (
        f["tax"] / f["land_mu"] / b[0] * 30
        + f["value_added"] / f["land_mu"] / b[1] * 20
        + f["value_added"] / f["energy_tce"] / b[2] * 20
        + f["value_added"] / f["emission_eq"] / b[3] * 10
        + f["value_added"] / f["employees"] / b[4] * 10
        + f["rd_expense"] / f["revenue"] / b[5] * 10
    )


def test_huangyan_2022_totals_equal_the_published_formula_by_hand():
    rows = [
        row(1, land_mu=12.5, tax=310.2, value_added=1650, energy_tce=610, emission_eq=0.35, employees=88,
            rd_expense=205, revenue=7300),
        row(2, land_mu=40, tax=95, value_added=2100, energy_tce=1900, emission_eq=1.2, employees=260,
            rd_expense=60, revenue=12000),
        row(3, above_scale="否", land_mu=6, tax=80, electricity_10k_kwh=300, revenue=900),
        row(4, above_scale="否", land_mu=3.5, tax=21, electricity_10k_kwh=65, revenue=400),
    ]
    result = by_uscc(evaluate(frame(rows), huangyan_2022()).result)
    assert result[code(1)]["total"] == pytest.approx(huangyan_above_by_hand(rows[0]), rel=1e-12)
    assert result[code(2)]["total"] == pytest.approx(huangyan_above_by_hand(rows[1]), rel=1e-12)
    assert result[code(3)]["total"] == pytest.approx(80 / 6 / 11.5932 * 50 + 80 / 300 / 0.2352 * 50, rel=1e-12)
    assert result[code(4)]["total"] == pytest.approx(21 / 3.5 / 11.5932 * 50 + 21 / 65 / 0.2352 * 50, rel=1e-12)
    assert result[code(1)]["tax_per_mu_value"] == pytest.approx(310.2 / 12.5)
    assert result[code(1)]["tax_per_mu_score"] == pytest.approx(310.2 / 12.5 / 24.097 * 30)
    assert result[code(1)]["rd_ratio_value"] == pytest.approx(205 / 7300)
    assert result[code(3)]["group"] == "below" and result[code(3)]["value_added_per_mu_value"] is None


def test_huangyan_2021_uses_the_2021_benchmarks():
    rows = [row(1), row(2, above_scale="否", land_mu=5, tax=40, electricity_10k_kwh=150, revenue=800)]
    result = by_uscc(evaluate(frame(rows), parse_scheme(preset_toml("huangyan-2021"))).result)
    assert result[code(1)]["total"] == pytest.approx(
        huangyan_above_by_hand(rows[0], (26.01, 132.27, 2.54, 4861.08, 17.45, 0.0305)), rel=1e-12
    )
    assert result[code(2)]["total"] == pytest.approx(40 / 5 / 16.601058 * 50 + 40 / 150 / 0.236565 * 50, rel=1e-12)


def test_missing_emissions_get_the_mean_emission_score_of_evaluated_above_scale_rows():
    rows = [
        row(1, emission_eq=0.2),
        row(2, emission_eq=0.5),
        row(3, emission_eq=None),
        row(4, emission_eq=0.01, established_on="2022-06-01"),  # exempt: not part of the mean
    ]
    result = by_uscc(evaluate(frame(rows), huangyan_2022()).result)
    mean = (1000 / 0.2 / 4929.81 * 10 + 1000 / 0.5 / 4929.81 * 10) / 2
    assert result[code(3)]["value_added_per_emission_value"] is None
    assert result[code(3)]["value_added_per_emission_score"] == pytest.approx(mean)
    # Other indicators score a missing value as zero.
    result = by_uscc(evaluate(frame([row(1), row(2, energy_tce=None)]), huangyan_2022()).result)
    assert result[code(2)]["value_added_per_energy_score"] == 0


def test_output_has_the_spec_columns_in_order_one_row_per_input_row():
    rows = [row(3), row(1, above_scale="否", land_mu=1), row(2)]
    result = evaluate(frame(rows), huangyan_2022()).result
    indicators = ["tax_per_mu", "value_added_per_mu", "value_added_per_energy", "value_added_per_emission",
                  "labour_productivity", "rd_ratio", "tax_per_electricity"]
    assert result.columns == [
        "uscc", "name", "region", "group", "status", "reason",
        *[f"{i}_{part}" for i in indicators for part in ("value", "score")],
        "total", "rank", "grade",
        "land_use_tax_reduction", "electricity_surcharge_yuan_per_kwh", "water_surcharge_yuan_per_t",
        "sewage_surcharge_yuan_per_t", "credit_restricted",
    ]
    assert result["uscc"].to_list() == [code(3), code(1), code(2)]


# --- step 1: scope and status ------------------------------------------------------------------


def test_status_rules_with_exemption_dates_relative_to_year_end():
    scheme = one_indicator_scheme(year=2022)  # new enterprise 2 years: after 2020-12-31; new land 3: 2019-12-31
    rows = [
        row(1),
        row(2, above_scale="否", land_mu="2.99"),
        row(3, above_scale="否", land_mu="3"),
        row(4, established_on="2020-12-31"),
        row(5, established_on="2021-01-01"),
        row(6, land_acquired_on="2019-12-31"),
        row(7, land_acquired_on="2020-01-01"),
        row(8, established_on=None, land_acquired_on=None),
    ]
    result = by_uscc(evaluate(frame(rows), scheme).result)
    status = {number: result[code(number)]["status"] for number in range(1, 9)}
    assert status == {
        1: "evaluated", 2: "out_of_scope", 3: "evaluated", 4: "evaluated", 5: "exempt", 6: "evaluated",
        7: "exempt", 8: "evaluated",
    }
    assert result[code(5)]["grade"] == "T" and result[code(7)]["grade"] == "T"
    assert result[code(2)]["grade"] is None
    assert result[code(2)]["reason"] == "规下企业用地不足3亩"
    assert result[code(5)]["reason"] == "成立未满2年"
    assert result[code(7)]["reason"] == "新供地未满3年"
    # Exempt and out-of-scope rows are neither scored nor ranked.
    assert result[code(5)]["total"] is None and result[code(5)]["rank"] is None


def test_scope_settings_and_as_of_move_the_limits():
    scheme = one_indicator_scheme(scope="below_scale_min_land_mu = 5\nnew_enterprise_years = 1")
    rows = [row(1, above_scale="否", land_mu=4.5), row(2, established_on="2021-06-30")]
    result = by_uscc(evaluate(frame(rows), scheme).result)
    assert result[code(1)]["status"] == "out_of_scope"
    assert result[code(2)]["status"] == "evaluated"  # established before 2021-12-31
    # Counting back from 30 June 2022 instead: exempt when established after 30 June 2021.
    result = by_uscc(evaluate(frame(rows), scheme, as_of=date(2022, 6, 30)).result)
    assert result[code(2)]["status"] == "evaluated"
    later = frame([row(2, established_on="2021-07-01")])
    assert evaluate(later, scheme, as_of=date(2022, 6, 30)).result["status"].to_list() == ["exempt"]


def test_rows_of_a_size_class_without_a_group_are_out_of_scope():
    scheme = parse_scheme(preset_toml("huangyan-2022").split("[[groups]]\nid = \"below\"")[0])
    result = by_uscc(evaluate(frame([row(1), row(2, above_scale="否")]), scheme).result)
    assert result[code(2)]["status"] == "out_of_scope"
    assert result[code(2)]["reason"] == "不属于方案的任何分组"


def test_above_scale_follows_revenue_when_left_empty():
    rows = [row(1, above_scale=None, revenue=2000), row(2, above_scale=None, revenue=1999.99)]
    result = by_uscc(evaluate(frame(rows), huangyan_2022()).result)
    assert (result[code(1)]["group"], result[code(2)]["group"]) == ("above", "below")


# --- steps 2-5: values, benchmarks, scores, total ----------------------------------------------


def test_value_is_missing_when_denominator_is_zero_negative_or_absent():
    scheme = one_indicator_scheme(numerator="tax", denominator="employees")
    rows = [row(1, employees=0), row(2, employees=-3), row(3, employees=None), row(4, tax=None), row(5)]
    result = by_uscc(evaluate(frame(rows), scheme).result)
    assert [result[code(n)]["ratio_value"] for n in range(1, 6)] == [None, None, None, None, 2.0]
    assert [result[code(n)]["ratio_score"] for n in range(1, 6)] == [0, 0, 0, 0, 20.0]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("ratio_of_sums", (100 + 300 + 20) / (10 + 20 + 4)),
        ("mean", (10 + 15 + 5) / 3),
        ("median", 10.0),
    ],
)
def test_computed_benchmarks_use_the_groups_evaluated_rows_with_a_value(kind, expected):
    scheme = one_indicator_scheme(benchmark=f'"{kind}"')
    rows = [
        row(1, tax=100, land_mu=10),
        row(2, tax=300, land_mu=20),
        row(3, tax=20, land_mu=4),
        row(4, tax=None, land_mu=10),  # no value: not counted
        row(5, tax=9999, land_mu=1, established_on="2022-01-01"),  # exempt: not counted
        row(6, above_scale="否", tax=5000, land_mu=5),  # other group
    ]
    evaluation = evaluate(frame(rows), scheme)
    assert evaluation.benchmarks["above"]["ratio"] == pytest.approx(expected)
    assert evaluation.benchmarks["below"]["ratio"] == pytest.approx(1000.0)
    result = by_uscc(evaluation.result)
    assert result[code(1)]["ratio_score"] == pytest.approx(10 / expected * 100)


def test_fixed_benchmark_is_reported_as_given():
    evaluation = evaluate(frame([row(1)]), huangyan_2022())
    assert evaluation.benchmarks["above"]["tax_per_mu"] == 24.097
    assert evaluation.benchmarks["below"]["tax_per_electricity"] == 0.2352


def test_cap_limits_value_over_benchmark_and_scores_never_go_below_zero():
    scheme = one_indicator_scheme(benchmark="10", cap="2")
    rows = [row(1, tax=500, land_mu=10), row(2, tax=150, land_mu=10), row(3, tax=-40, land_mu=10)]
    result = by_uscc(evaluate(frame(rows), scheme).result)
    assert result[code(1)]["ratio_score"] == 200  # 5 × benchmark, capped at 2
    assert result[code(2)]["ratio_score"] == pytest.approx(150)
    assert result[code(3)]["ratio_score"] == 0
    assert result[code(3)]["ratio_value"] == -4
    uncapped = by_uscc(evaluate(frame(rows), one_indicator_scheme(benchmark="10")).result)
    assert uncapped[code(1)]["ratio_score"] == 500


@pytest.mark.parametrize(("missing", "expected"), [("zero", 0.0), ("group_mean_score", (100 + 200) / 2)])
def test_missing_value_modes(missing, expected):
    scheme = one_indicator_scheme(missing=missing)
    rows = [row(1, tax=100), row(2, tax=200), row(3, tax=None), row(4, above_scale="否", tax=900)]
    result = by_uscc(evaluate(frame(rows), scheme).result)
    assert result[code(3)]["ratio_score"] == pytest.approx(expected)


def test_total_is_sum_times_coefficient_plus_bonus():
    scheme = one_indicator_scheme()
    rows = [row(1, tax=100, coefficient="1.1", bonus="3"), row(2, tax=100), row(3, tax=100, coefficient="")]
    result = by_uscc(evaluate(frame(rows), scheme).result)
    assert result[code(1)]["total"] == pytest.approx(100 * 1.1 + 3)
    assert result[code(2)]["total"] == result[code(3)]["total"] == 100


# --- steps 6-8: rank, grade, policies ------------------------------------------------------------


def test_equal_totals_share_the_smaller_rank():
    scheme = one_indicator_scheme()
    rows = [row(1, tax=90), row(2, tax=80), row(3, tax=80), row(4, tax=70), row(5, above_scale="否", tax=10)]
    result = evaluate(frame(rows), scheme).result
    assert result["rank"].to_list() == [1, 2, 2, 4, 1]


def test_share_cuts_round_half_up_on_exact_decimals():
    scheme = huangyan_2022()
    # Tiantai 2022 graded 1,248 firms; under 20/40/35/5 the round rule gives A 250, B 499, C 437, D 62.
    assert share_cuts(1248, scheme.groups[0]) == (250, 749, 1186)
    # 0.2 × 5 = 1 and 0.6 × 5 = 3 exactly, 0.95 × 10 = 9.5 rounds up, 0.2 × 12 = 2.4 rounds down.
    assert share_cuts(5, scheme.groups[0]) == (1, 3, 5)
    assert share_cuts(10, scheme.groups[0]) == (2, 6, 10)
    assert share_cuts(12, scheme.groups[0]) == (2, 7, 11)
    assert share_cuts(0, scheme.groups[0]) == (0, 0, 0)


def test_tiantai_sized_group_gets_the_round_rule_counts():
    rows = [row(n, tax=1000 + n) for n in range(1248)]
    result = evaluate(frame(rows), one_indicator_scheme()).result
    counts = dict(result.group_by("grade").len().iter_rows())
    assert counts == {"A": 250, "B": 499, "C": 437, "D": 62}


def test_a_row_tied_with_the_last_row_of_a_better_grade_gets_that_grade():
    scheme = one_indicator_scheme()
    # 10 rows: A = first 2, B up to 6, C up to 10 (9.5 rounds up), D none.
    taxes = [100, 90, 90, 80, 70, 60, 60, 50, 40, 30]
    result = evaluate(frame([row(n, tax=t) for n, t in enumerate(taxes)]), scheme).result
    assert result["grade"].to_list() == ["A", "A", "A", "B", "B", "B", "B", "C", "C", "C"]
    assert result["rank"].to_list() == [1, 2, 2, 4, 5, 6, 6, 8, 9, 10]


def test_twenty_rows_fill_every_grade_with_the_last_one_d():
    scheme = one_indicator_scheme()
    result = evaluate(frame([row(n, tax=100 - n) for n in range(20)]), scheme).result
    assert result["grade"].to_list() == ["A"] * 4 + ["B"] * 8 + ["C"] * 7 + ["D"]


def test_threshold_grading_takes_the_best_grade_whose_minimum_is_reached():
    scheme = one_indicator_scheme(grading='{ method = "threshold", A = 100, B = 80, C = 60 }')
    rows = [row(1, tax=100), row(2, tax=99.99), row(3, tax=80), row(4, tax=60), row(5, tax=59.9)]
    result = evaluate(frame(rows), scheme).result
    assert result["grade"].to_list() == ["A", "B", "B", "C", "D"]


def test_major_violation_forces_d_where_the_group_says_so():
    rows = [row(1, tax=500, major_violation="是"), row(2, tax=100), row(3, tax=50)]
    result = by_uscc(evaluate(frame(rows), one_indicator_scheme(force_d=True)).result)
    assert result[code(1)]["grade"] == "D"
    assert result[code(1)]["rank"] == 1  # the rank stands
    assert result[code(1)]["reason"] == "重大违法违规，定为D档"
    result = by_uscc(evaluate(frame(rows), one_indicator_scheme(force_d=False)).result)
    assert result[code(1)]["grade"] == "A" and result[code(1)]["reason"] is None


def test_each_graded_row_carries_its_grades_policies():
    policies = (
        '[policies.A]\nreduction = 1.0\nnote = "优先"\n'
        '[policies.D]\nreduction = 0\nnote = "限制"\n'
        '[policies.T]\nnote = "暂不评价"'
    )
    scheme = one_indicator_scheme(policies=policies)
    rows = [row(n, tax=100 - n) for n in range(20)] + [row(99, established_on="2022-05-05")]
    result = by_uscc(evaluate(frame(rows), scheme).result)
    assert (result[code(0)]["reduction"], result[code(0)]["note"]) == (1.0, "优先")
    assert (result[code(19)]["reduction"], result[code(19)]["note"]) == (0.0, "限制")
    assert (result[code(5)]["reduction"], result[code(5)]["note"]) == (None, None)  # B has no policies
    assert (result[code(99)]["reduction"], result[code(99)]["note"]) == (None, "暂不评价")


def test_huangyan_policies_follow_grades():
    rows = [row(n, tax=100 - n) for n in range(20)]
    result = evaluate(frame(rows), huangyan_2022()).result
    first, last = result.row(0, named=True), result.row(19, named=True)
    assert (first["grade"], first["land_use_tax_reduction"], first["credit_restricted"]) == ("A", 1.0, False)
    assert (last["grade"], last["land_use_tax_reduction"], last["credit_restricted"]) == ("D", 0.0, True)
    assert last["electricity_surcharge_yuan_per_kwh"] > 0


# --- invalid input ------------------------------------------------------------------------------


def problems(rows: list[dict], scheme=None) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        evaluate(frame(rows), scheme or huangyan_2022())
    return [str(problem) for problem in caught.value.problems]


def test_wrong_check_character_is_named_with_row_and_field():
    bad = code(1)[:17] + ("0" if code(1)[17] != "0" else "1")
    assert problems([row(1, uscc=bad)]) == [
        f"第2行 统一社会信用代码：校验位错误（应为{code(1)[17]}）"
    ]


def test_empty_and_malformed_credit_codes():
    found = problems([row(1, uscc=""), row(2, uscc="91331003ma2000002x"), row(3, uscc="ABC")])
    assert found[0] == "第2行 统一社会信用代码：为空"
    assert found[1].startswith("第3行 统一社会信用代码：含非法字符")
    assert found[2] == "第4行 统一社会信用代码：应为18位，实为3位"


def test_repeated_credit_code_names_the_other_rows():
    found = problems([row(1), row(2), row(1, name="again")])
    assert found == [
        "第2行 统一社会信用代码：与第4行重复",
        "第4行 统一社会信用代码：与第2行重复",
    ]


def test_missing_zero_and_negative_land():
    found = problems([row(1, land_mu=None), row(2, land_mu="0"), row(3, land_mu="-2.5"), row(4)])
    assert found == [
        "第2行 用地面积(亩)：缺失",
        "第3行 用地面积(亩)：必须大于0",
        "第4行 用地面积(亩)：必须大于0",
    ]


def test_text_in_a_number_column():
    found = problems([row(1, tax="约100"), row(2, employees="nan"), row(3, land_mu="abc")])
    assert found == [
        "第2行 实缴税金(万元)：「约100」不是数字",
        "第3行 年平均职工人数：「nan」不是数字",
        "第4行 用地面积(亩)：「abc」不是数字",
    ]


def test_bad_flags_and_dates():
    found = problems([row(1, above_scale="maybe"), row(2, established_on="去年")])
    assert found == [
        "第2行 是否规上：「maybe」应为 是/否",
        "第3行 成立日期：「去年」不是日期（应为 YYYY-MM-DD）",
    ]


def test_a_column_the_scheme_names_must_exist():
    scheme = one_indicator_scheme(numerator="export_value")
    with pytest.raises(InvalidInput) as caught:
        evaluate(frame([row(1)]), scheme, skip_invalid=True)
    assert [str(p) for p in caught.value.problems] == [
        "第1行 export_value：缺少此列，方案的指标要用到"
    ]


def test_problems_of_one_row_come_in_column_order_and_all_rows_are_listed():
    found = problems([row(1, uscc="X", land_mu="0", tax="?"), row(2, land_mu=None)])
    assert [p.split("：")[0] for p in found] == [
        "第2行 统一社会信用代码", "第2行 用地面积(亩)", "第2行 实缴税金(万元)", "第3行 用地面积(亩)"
    ]


def test_skip_invalid_evaluates_the_rest_and_marks_invalid_rows():
    rows = [row(1, tax=100), row(2, land_mu="0"), row(3, tax=50)]
    evaluation = evaluate(frame(rows), one_indicator_scheme(), skip_invalid=True)
    result = by_uscc(evaluation.result)
    assert result[code(2)]["status"] == "invalid"
    assert result[code(2)]["reason"] == "用地面积(亩)：必须大于0"
    assert result[code(2)]["grade"] is None and result[code(2)]["total"] is None
    assert result[code(2)]["ratio_value"] is None
    assert [result[code(n)]["rank"] for n in (1, 3)] == [1, 2]
    assert evaluation.problems == [Problem(3, "land_mu", "必须大于0", "must be greater than 0")]


# --- typing -------------------------------------------------------------------------------------


def test_spellings_of_numbers_flags_and_dates_are_accepted():
    rows = [
        row(1, above_scale=" TRUE ", tax="1,234.5", land_mu=" 10 ", established_on="2021/3/1",
            major_violation="0"),
        row(2, above_scale="1", established_on="2021-03-01 00:00:00", land_acquired_on="44256"),
        row(3, above_scale="False", established_on=" 2021-3-1", major_violation="是"),
    ]
    typed, found = prepare(frame(rows), huangyan_2022())
    assert found == []
    assert typed["above_scale"].to_list() == [True, True, False]
    assert typed["tax"][0] == 1234.5 and typed["land_mu"][0] == 10
    assert typed["established_on"].to_list() == [date(2021, 3, 1)] * 3
    assert typed["land_acquired_on"][1] == date(2021, 3, 1)  # Excel serial day 44256
    assert typed["major_violation"].to_list() == [False, False, True]


def test_typed_input_gives_the_same_result_as_text():
    rows = [row(n, tax=100 + 7 * n, land_mu=5 + n, emission_eq=None if n == 3 else 0.1 * n + 0.1) for n in range(8)]
    text = frame(rows)
    typed, _ = prepare(text, huangyan_2022())
    from_typed = evaluate(typed.drop("_invalid"), huangyan_2022()).result
    assert from_typed.equals(evaluate(text, huangyan_2022()).result)


def test_input_without_row_numbers_counts_from_line_two():
    rows = frame([row(1), row(2, land_mu=0)]).drop("_row")
    with pytest.raises(InvalidInput) as caught:
        evaluate(rows, huangyan_2022())
    assert caught.value.problems[0].row == 3


# --- summary ------------------------------------------------------------------------------------


def test_summary_per_region_counts_grades_and_sums_land_and_tax_of_evaluated_rows():
    rows = [row(n, region="甲镇", tax=100 - n, land_mu=10) for n in range(5)] + [
        row(10, region="乙镇", tax=30, land_mu=5),
        row(11, region="乙镇", established_on="2022-03-03", tax=500),
        row(12, region="乙镇", above_scale="否", land_mu=1),
    ]
    text = frame(rows)
    summary = summarise(evaluate(text, one_indicator_scheme()).result, text)
    assert summary["region"].to_list() == ["乙镇", "甲镇"]
    second = summary.row(1, named=True)
    # Six evaluated above-scale rows in all: share cuts 1, 4 and 6.
    assert [second[key] for key in ("enterprises", "evaluated", "A", "B", "C")] == [5, 5, 1, 3, 1]
    assert second["tax_per_mu"] == pytest.approx(sum(100 - n for n in range(5)) / 50)
    first = summary.row(0, named=True)
    assert (first["enterprises"], first["evaluated"], first["T"], first["out_of_scope"]) == (3, 1, 1, 1)
    assert (first["land_mu"], first["tax"], first["tax_per_mu"]) == (5, 30, 6)


def test_public_coercions_type_cells_as_prepare_does():
    from mujun.engine.evaluation import coercion

    cells = pl.DataFrame({"value": [" 1,234.5 ", "", None, "abc", "inf"]})
    number = coercion("number", "value")
    typed = cells.select(number.typed, number.unparsed.alias("bad"))
    assert typed["value"].to_list() == [1234.5, None, None, None, None]
    assert typed["bad"].to_list() == [False, False, False, True, True]
    flags = pl.DataFrame({"value": ["是", "FALSE", "x"]}).select(coercion("boolean", "value").typed)
    assert flags["value"].to_list() == [True, False, None]
    dates = pl.DataFrame({"value": [" 2021/3/1", "44256"]}).select(coercion("date", "value").typed)
    assert dates["value"].to_list() == [date(2021, 3, 1), date(2021, 3, 1)]
