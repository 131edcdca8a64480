"""The policy simulator: two schemes on one input (mujun/engine/compare.py) and ``mujun compare``."""

import dataclasses

import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mujun.engine import compare_batch
from mujun.engine.compare import (
    GRADE_CATEGORIES, RELIEF, SURCHARGE, compare, with_standard_amounts, workbook_sheets,
)  # fmt: skip
from mujun.engine.evaluation import InvalidInput
from mujun.engine.io import write_table
from mujun.engine.scheme import parse_scheme, preset_toml
from mujun.engine.tests.factories import code, frame, huangyan_2022, row

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def threshold_scheme(a: int, b: int, c: int, d_surcharge: float = 0.3) -> str:
    """规下 firms scored on tax per mu against 1 (weight 10): a firm's total is ten times its tax per mu."""
    return f"""
name = "门槛{a}"
year = 2022
[[groups]]
id = "below"
label = "规下企业"
above_scale = false
grading = {{ method = "threshold", A = {a}, B = {b}, C = {c} }}
  [[groups.indicators]]
  id = "tax_per_mu"
  numerator = "tax"
  denominator = "land_mu"
  weight = 10
  benchmark = 1
[policies.A]
land_use_tax_reduction = 1.0
[policies.D]
electricity_surcharge_yuan_per_kwh = {d_surcharge}
"""


def five_firms() -> pl.DataFrame:
    # Totals 105, 95, 85, 65, 50 (tax per mu × 10 on 10 mu).
    taxes = [105, 95, 85, 65, 50]
    rows = [
        row(n, above_scale="否", tax=tax, land_mu=10, electricity_10k_kwh=100, land_use_tax=2, region=region)
        for n, (tax, region) in enumerate(zip(taxes, ["甲", "甲", "乙", "乙", "乙"], strict=True))
    ]
    return frame(rows)


def test_a_lower_cut_off_lifts_the_firms_between_and_money_follows_the_grades():
    first = parse_scheme(threshold_scheme(100, 80, 60))
    second = parse_scheme(threshold_scheme(90, 70, 55, d_surcharge=0.5))
    result = compare(five_firms(), first, second)
    assert result.rows.get_column("grade_first").to_list() == ["A", "B", "B", "C", "D"]
    assert result.rows.get_column("grade_second").to_list() == ["A", "A", "B", "C", "D"]
    assert result.counts() == {"enterprises": 5, "changed": 1, "up": 1, "down": 0, "other": 0}
    changed = result.changed()
    assert changed.get_column("uscc").to_list() == [code(1)]
    transitions = {(f, s): n for f, s, n in result.transitions.iter_rows()}
    assert transitions[("B", "A")] == 1 and transitions[("B", "B")] == 1 and transitions[("A", "A")] == 1
    money = {r["policy"]: r for r in result.money().iter_rows(named=True)}
    # D: 0.3 元/kWh × 100 万kWh × 10,000 under the first, 0.5 under the second; A: the land-use tax waived.
    assert money["electricity_surcharge_yuan"]["yuan_first"] == pytest.approx(300_000)
    assert money["electricity_surcharge_yuan"]["yuan_second"] == pytest.approx(500_000)
    assert money["electricity_surcharge_yuan"]["difference"] == pytest.approx(200_000)
    assert money["land_use_tax_relief_yuan"]["yuan_first"] == pytest.approx(20_000)
    assert money["land_use_tax_relief_yuan"]["yuan_second"] == pytest.approx(40_000)
    assert money["land_use_tax_relief_yuan"]["kind"] == RELIEF
    regions = {r["region"]: r for r in result.by_region().iter_rows(named=True)}
    assert regions["甲"]["up"] == 1 and regions["乙"]["up"] == 0
    assert regions["乙"]["surcharge_second"] == pytest.approx(500_000)
    assert regions["甲"]["relief_second"] == pytest.approx(40_000)


def test_standard_amounts_only_where_the_scheme_counts_none_and_the_input_has_the_figure():
    scheme = huangyan_2022()
    added = {a.id for a in with_standard_amounts(scheme, ["electricity_10k_kwh", "water_t"]).amounts}
    assert added == {"electricity_surcharge_yuan", "water_surcharge_yuan", "sewage_surcharge_yuan"}
    assert with_standard_amounts(scheme, []).amounts == ()


def test_both_schemes_count_exemptions_from_the_same_day():
    young = frame([row(1, established_on="2021-06-01"), *(row(n) for n in range(2, 6))])
    older = dataclasses.replace(huangyan_2022(), year=2025)
    result = compare(young, huangyan_2022(), older)
    assert result.rows.get_column("grade_first")[0] == "T" == result.rows.get_column("grade_second")[0]


# --- properties over generated inputs -------------------------------------------------------------

firm = st.fixed_dictionaries(
    {
        "above_scale": st.booleans(),
        "land_mu": st.integers(min_value=1, max_value=200).map(float),
        "tax": st.integers(min_value=-20, max_value=5000).map(float),
        "value_added": st.integers(min_value=1, max_value=50_000).map(float),
        "revenue": st.integers(min_value=100, max_value=90_000).map(float),
        "energy_tce": st.integers(min_value=1, max_value=9000).map(float),
        "emission_eq": st.none() | st.integers(min_value=1, max_value=900).map(float),
        "rd_expense": st.integers(min_value=0, max_value=3000).map(float),
        "employees": st.integers(min_value=1, max_value=3000).map(float),
        "electricity_10k_kwh": st.integers(min_value=1, max_value=900).map(float),
        "water_t": st.integers(min_value=0, max_value=90_000).map(float),
        "land_use_tax": st.integers(min_value=0, max_value=50).map(float),
        "region": st.sampled_from(["甲", "乙", "丙"]),
    }
)


def typed(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows).with_columns(pl.Series("uscc", [code(n) for n in range(len(rows))]))


def reweighted(scheme, factors: list[float]):
    """``scheme`` with each group's indicator weights multiplied by the factors in turn."""
    groups = []
    for group in scheme.groups:
        indicators = tuple(
            dataclasses.replace(ind, weight=ind.weight * factors[i % len(factors)])
            for i, ind in enumerate(group.indicators)
        )
        groups.append(dataclasses.replace(group, indicators=indicators))
    return dataclasses.replace(scheme, groups=tuple(groups), name="调整权重")


@FAST
@given(st.lists(firm, min_size=1, max_size=40), st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0]), min_size=1, max_size=6))
def test_matrix_counts_everyone_and_money_adds_up(rows, factors):
    first = huangyan_2022()
    result = compare(typed(rows), first, reweighted(first, factors))
    matrix = result.transition_matrix()
    assert matrix.get_column("total").sum() == len(rows) == result.transitions.get_column("enterprises").sum()
    assert matrix.columns == ["grade_first", *GRADE_CATEGORIES, "total"]
    counts = result.counts()
    assert counts["changed"] == counts["up"] + counts["down"] + counts["other"] == result.changed().height
    same = result.transitions.filter(pl.col("grade_first") == pl.col("grade_second"))
    diagonal = same.get_column("enterprises").sum()
    assert diagonal + counts["changed"] == len(rows)
    money = result.money()
    for side, evaluation in (("first", result.first), ("second", result.second)):
        for amount in money.iter_rows(named=True):
            paid = evaluation.result.get_column(amount["policy"]).fill_null(0).sum()
            assert amount[f"yuan_{side}"] == pytest.approx(paid)
        for kind in (SURCHARGE, RELIEF):
            total = money.filter(pl.col("kind") == kind).get_column(f"yuan_{side}").sum()
            for breakdown in (result.by_region(), result.by_group()):
                assert breakdown.get_column(f"{kind}_{side}").sum() == pytest.approx(total)
                assert breakdown.get_column("enterprises").sum() == len(rows)


@FAST
@given(st.lists(firm, min_size=1, max_size=40))
def test_identical_schemes_give_the_diagonal(rows):
    scheme = huangyan_2022()
    result = compare(typed(rows), scheme, scheme)
    off_diagonal = result.transitions.filter(pl.col("grade_first") != pl.col("grade_second"))
    assert off_diagonal.get_column("enterprises").sum() == 0
    assert result.changed().is_empty()
    assert (result.money().get_column("difference") == 0).all()


# --- the command ----------------------------------------------------------------------------------


@pytest.fixture
def input_csv(tmp_path):
    path = tmp_path / "企业.csv"
    write_table(frame([row(n, tax=100 + 7 * n, land_mu=10 + n % 7) for n in range(30)]).drop("_row"), path)
    return path


def test_command_writes_the_five_sheets(input_csv, tmp_path, capsys):
    stricter = tmp_path / "stricter.toml"
    stricter.write_text(
        preset_toml("huangyan-2022").replace(
            "A = 0.20, B = 0.40, C = 0.35, D = 0.05", "A = 0.10, B = 0.30, C = 0.40, D = 0.20"
        ),
        encoding="utf-8",
    )
    output = tmp_path / "对比.xlsx"
    arguments = [str(input_csv), "--scheme", "huangyan-2022", "--scheme", str(stricter), "--output", str(output)]
    status = compare_batch.main(arguments)
    assert status == 0, capsys.readouterr().err
    book = openpyxl.load_workbook(output, read_only=True)
    assert book.sheetnames == ["汇总", "按区域", "按分组", "等级变化企业", "政策金额"]
    summary = list(book["汇总"].iter_rows(values_only=True))
    assert summary[1] == ("方案一等级", "方案二：A", "方案二：B", "方案二：C", "方案二：D", "方案二：T", "方案二：未定级", "合计")
    assert sum(row[-1] for row in summary[2:8]) == 30
    changed = list(book["等级变化企业"].iter_rows(values_only=True))
    assert "等级（方案一）" in changed[0] and len(changed) > 1
    assert "30 rows" in capsys.readouterr().out


def test_command_needs_two_schemes_and_valid_input(input_csv, tmp_path, capsys):
    output = tmp_path / "out.xlsx"
    assert compare_batch.main([str(input_csv), "--scheme", "huangyan-2022", "--output", str(output)]) == 2
    assert "两个方案" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    write_table(frame([row(1), row(2, land_mu="0")]).drop("_row"), bad)
    arguments = [str(bad), "--scheme", "huangyan-2022", "--scheme", "huangyan-2021", "--output", str(output)]
    assert compare_batch.main(arguments) == 2
    assert "第3行" in capsys.readouterr().err and not output.exists()


def test_invalid_input_raises_as_evaluate_does():
    with pytest.raises(InvalidInput):
        compare(frame([row(1, land_mu="0")]), huangyan_2022(), huangyan_2022())


def test_workbook_sheets_have_chinese_headers():
    first, second = parse_scheme(threshold_scheme(100, 80, 60)), parse_scheme(threshold_scheme(90, 70, 55))
    result = compare(five_firms(), first, second)
    sheets, titles, notes = workbook_sheets(result)
    assert list(sheets["政策金额"].columns)[:3] == ["政策", "名称", "类别"]
    assert "门槛100" in titles["汇总"] and "上升1家" in notes["汇总"][0]
