"""The per-firm explainer (mujun/engine/explain.py): the increase it gives, applied, lifts the grade, and 1 %
less does not; where it says no single figure can, none can."""

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mujun.engine.evaluation import evaluate
from mujun.engine.explain import (
    CAPPED, FORCED_D, GRADE_EMPTY, NO_BENCHMARK, NO_DENOMINATOR, NOT_EVALUATED, TOP_GRADE, ZERO_WEIGHT, explain,
    hold_benchmarks,
)  # fmt: skip
from mujun.engine.scheme import GRADES, parse_scheme
from mujun.engine.tests.factories import code, frame, row

PROPERTIES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NUMERATORS = ("tax", "value_added", "rd_expense")
DENOMINATORS = ("land_mu", "employees", "energy_tce", "emission_eq")
HUGE = 1e12


def reaches(grade, wanted) -> bool:
    return grade in GRADES and GRADES.index(grade) <= GRADES.index(wanted)


@st.composite
def indicator(draw, number: int) -> str:
    benchmark = draw(st.sampled_from(['"ratio_of_sums"', '"mean"', '"median"']) | st.integers(1, 200).map(str))
    cap = draw(st.none() | st.sampled_from(["1.2", "2", "3"]))
    return f"""
  [[groups.indicators]]
  id = "i{number}"
  numerator = "{draw(st.sampled_from(NUMERATORS))}"
  denominator = "{draw(st.sampled_from(DENOMINATORS))}"
  weight = {draw(st.sampled_from([0, 5, 10, 20, 30]))}
  benchmark = {benchmark}
  missing = "{draw(st.sampled_from(["zero", "zero", "group_mean_score"]))}"
  {f"cap = {cap}" if cap else ""}
"""


@st.composite
def grading(draw) -> str:
    if draw(st.booleans()):
        return '{ method = "share", A = 0.2, B = 0.4, C = 0.35, D = 0.05 }'
    c = draw(st.integers(5, 60))
    b = c + draw(st.integers(5, 40))
    a = b + draw(st.integers(5, 40))
    return f'{{ method = "threshold", A = {a}, B = {b}, C = {c} }}'


@st.composite
def schemes(draw):
    indicators = "".join(draw(indicator(n)) for n in range(draw(st.integers(1, 3))))
    return parse_scheme(
        f"""
name = "生成方案"
year = 2022
[[groups]]
id = "above"
above_scale = true
grading = {draw(grading())}
force_d_on_major_violation = true
{indicators}
"""
    )


figure = st.integers(min_value=0, max_value=5000).map(float)
firm = st.fixed_dictionaries(
    {
        "land_mu": st.integers(min_value=1, max_value=200).map(float),
        "tax": st.integers(min_value=-20, max_value=5000).map(float),
        "value_added": figure,
        "rd_expense": figure,
        "employees": st.integers(min_value=0, max_value=3000).map(float),
        "energy_tce": figure,
        "emission_eq": st.none() | figure,
        "major_violation": st.booleans().map(lambda violated: violated and False),
    }
)


def typed(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows).with_columns(
        pl.Series("uscc", [code(n) for n in range(len(rows))]), pl.lit(True).alias("above_scale")
    )


def raised(data: pl.DataFrame, position: int, column: str, value: float) -> pl.DataFrame:
    at = pl.int_range(pl.len()) == position
    return data.with_columns(pl.when(at).then(value).otherwise(pl.col(column)).alias(column))


@PROPERTIES
@given(st.lists(firm, min_size=1, max_size=25), schemes(), st.data())
def test_the_increase_lifts_the_grade_and_one_percent_less_does_not(rows, scheme, data):
    inputs = typed(rows)
    position = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
    explanation = explain(inputs, scheme, position)
    baseline = evaluate(inputs, scheme)
    held = hold_benchmarks(scheme, baseline.benchmarks)
    assert explanation.grade == baseline.result.get_column("grade")[position]
    if explanation.reason is not None:
        assert explanation.lifts == []
        return
    wanted = explanation.next_grade
    assert wanted == GRADES[GRADES.index(explanation.grade) - 1]
    for lift in explanation.lifts:
        start = lift.current or 0.0
        if lift.increase is None and lift.reason == NO_BENCHMARK:
            # A computed benchmark left unusable (every figure 0): held as it is, no score can count.
            assert isinstance(next(i for i in scheme.groups[0].indicators if i.numerator == lift.column).benchmark, str)
            continue
        if lift.increase is None:
            assert lift.reason in (CAPPED, ZERO_WEIGHT, NO_DENOMINATOR)
            far = evaluate(raised(inputs, position, lift.column, start + HUGE), held).result
            assert not reaches(far.get_column("grade")[position], wanted), lift
            continue
        assert lift.increase > 0
        lifted = evaluate(raised(inputs, position, lift.column, start + lift.increase), held).result
        assert reaches(lifted.get_column("grade")[position], wanted), lift
        short = evaluate(raised(inputs, position, lift.column, start + 0.99 * lift.increase), held).result
        assert not reaches(short.get_column("grade")[position], wanted), lift


def huangyan_like(grading: str, tax_cap: str = "") -> str:
    return f"""
name = "测试"
year = 2022
[[groups]]
id = "above"
above_scale = true
grading = {grading}
force_d_on_major_violation = true
  [[groups.indicators]]
  id = "tax_per_mu"
  numerator = "tax"
  denominator = "land_mu"
  weight = 60
  benchmark = 10
  {tax_cap}
  [[groups.indicators]]
  id = "va_per_mu"
  numerator = "value_added"
  denominator = "land_mu"
  weight = 40
  benchmark = 100
  cap = 1.5
[policies.C]
electricity_surcharge_yuan_per_kwh = 0.05
[policies.B]
land_use_tax_reduction = 0.5
"""


def test_threshold_grading_needs_the_minimum_total_exactly():
    scheme = parse_scheme(huangyan_like('{ method = "threshold", A = 100, B = 80, C = 60 }'))
    # tax per mu 5 → 30 points, value added per mu 100 → 40 points: 70, grade C; B needs 80.
    data = frame([row(1, tax=50, land_mu=10, value_added=1000, electricity_10k_kwh=100, land_use_tax=3)])
    explanation = explain(data, scheme, 0)
    assert (explanation.grade, explanation.next_grade, explanation.target) == ("C", "B", 80.0)
    tax, value_added = explanation.lifts
    # 10 more points of tax per mu: 10/60 × 10 × 10 mu = 16.67 万元; value added: the cap allows 20 more points
    # (40 × 1.5 = 60), and 10 of them need 250 万元 more.
    assert (tax.column, tax.increase) == ("tax", pytest.approx(50 / 3))
    assert (value_added.column, value_added.increase) == ("value_added", pytest.approx(250))
    costs = {effect.key: effect for effect in explanation.policies}
    # C pays 0.05 元/kWh on 100 万kWh; B pays none and keeps half its 3 万元 land-use tax.
    electricity, relief = costs["electricity_surcharge_yuan"], costs["land_use_tax_relief_yuan"]
    assert (electricity.current, electricity.next, electricity.cost) == pytest.approx((50_000, 0, 50_000))
    assert (relief.current, relief.next, relief.cost) == pytest.approx((0, 15_000, 15_000))


def test_a_capped_figure_says_it_cannot_and_the_others_can():
    scheme = parse_scheme(huangyan_like('{ method = "threshold", A = 100, B = 95, C = 60 }'))
    data = frame([row(1, tax=50, land_mu=10, value_added=1000)])
    tax, value_added = explain(data, scheme, 0).lifts
    assert value_added.increase is None and value_added.reason == CAPPED  # 30 + 60 at most: below 95
    assert tax.increase == pytest.approx(25 / 60 * 100)  # 70 now: 25 points from tax per mu against 10 on 10 mu


def test_share_grading_cut_off_is_the_last_firm_of_the_next_grade():
    scheme = parse_scheme(huangyan_like('{ method = "share", A = 0.2, B = 0.4, C = 0.35, D = 0.05 }'))
    # Ten firms, value added per mu 100 each (40 points), taxes per mu 1..10 → totals 46, 52, …, 100.
    data = frame([row(n, tax=10 * n, land_mu=10, value_added=1000) for n in range(1, 11)])
    result = evaluate(data, scheme).result
    # B ends at rank round(10 × 0.6) = 6: a C firm must reach the total of the last B firm.
    firm_c = result.with_row_index().filter(pl.col("grade") == "C").sort("total").row(0, named=True)
    explanation = explain(data, scheme, firm_c["index"])
    assert explanation.next_grade == "B"
    assert explanation.target == pytest.approx(result.filter(pl.col("grade") == "B").get_column("total").min()) == 70
    tax, _value_added = explanation.lifts
    assert tax.increase == pytest.approx((70 - firm_c["total"]) / 60 * 10 * 10)


def test_no_lift_for_the_best_grade_a_forced_d_the_ungraded_or_an_empty_grade():
    scheme = parse_scheme(huangyan_like('{ method = "share", A = 0.2, B = 0.4, C = 0.35, D = 0.05 }'))
    firms = [row(n, tax=10 * n, land_mu=10, value_added=1000) for n in range(1, 11)]
    data = frame([*firms, row(11, major_violation="是")])
    best = evaluate(data, scheme).result.with_row_index().filter(pl.col("grade") == "A").row(0, named=True)["index"]
    assert explain(data, scheme, best).reason == TOP_GRADE
    assert explain(data, scheme, 10).reason == FORCED_D
    exempt = frame([row(1, established_on="2022-06-01"), row(2)])
    assert explain(exempt, scheme, 0).reason == NOT_EVALUATED
    two = frame([row(1), row(2, tax=1)])  # two firms: round(2 × 0.2) = 0 places in A, so the better one is B
    better = explain(two, scheme, 0)
    assert (better.grade, better.next_grade, better.reason) == ("B", "A", GRADE_EMPTY)


def test_a_landlord_is_lifted_on_its_whole_site():
    """Under merge_tenants the landlord divides its tenants' tax and land too: its own tax must rise by as much
    as the whole site's needs, found from the re-evaluation, not from its own row."""
    scheme = parse_scheme(
        """
name = "合并租赁"
year = 2022
[scope]
merge_tenants = true
[[groups]]
id = "above"
above_scale = true
grading = { method = "threshold", A = 100, B = 80, C = 60 }
  [[groups.indicators]]
  id = "tax_per_mu"
  numerator = "tax"
  denominator = "land_mu"
  weight = 100
  benchmark = 10
"""
    )
    landlord = code(1)
    tenant = row(2, above_scale="否", tax=50, land_mu=10, tenant="是", landlord_uscc=landlord)
    data = frame([row(1, tax=50, land_mu=10), tenant])
    explanation = explain(data, scheme, 0)
    assert (explanation.grade, explanation.next_grade) == ("D", "C")  # 100 万元 on 20 亩: 50 points
    (tax,) = explanation.lifts
    assert tax.increase == pytest.approx(20)  # the site needs 6 per mu: 120 on 20 亩 (its own row alone: 10)
    for factor, lifted in ((1.0, True), (0.99, False)):
        new_tax = pl.lit(str(50 + factor * tax.increase))
        at_landlord = pl.col("uscc") == landlord
        changed = data.with_columns(pl.when(at_landlord).then(new_tax).otherwise(pl.col("tax")).alias("tax"))
        assert (evaluate(changed, scheme).result.get_column("grade")[0] == "C") is lifted
