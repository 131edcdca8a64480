"""Properties of the evaluation that hold for any input (hypothesis)."""

import itertools
import json
from random import Random

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mujun.engine.evaluation import InvalidInput, evaluate, share_cuts
from mujun.engine.scheme import SchemeError, parse_scheme
from mujun.engine.tests.factories import code, huangyan_2022, one_indicator_scheme

SCHEME = huangyan_2022()
GRADE_ORDER = {"A": 0, "B": 1, "C": 2, "D": 3}
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

figure = st.floats(min_value=0.1, max_value=1e5, allow_nan=False)
enterprise = st.fixed_dictionaries(
    {
        "above_scale": st.booleans(),
        "land_mu": st.floats(min_value=3, max_value=500),
        "tax": st.floats(min_value=-50, max_value=1e4),
        "value_added": figure,
        "revenue": figure,
        "energy_tce": figure,
        "emission_eq": st.none() | figure,
        "rd_expense": figure,
        "employees": st.integers(min_value=1, max_value=5000).map(float),
        "electricity_10k_kwh": figure,
    }
)


def typed_frame(rows: list[dict]) -> pl.DataFrame:
    data = pl.DataFrame(rows, schema={key: pl.Boolean if key == "above_scale" else pl.Float64 for key in rows[0]})
    return data.with_columns(pl.Series("uscc", [code(n) for n in range(len(rows))]))


@FAST
@given(st.lists(enterprise, min_size=1, max_size=40), st.data())
def test_more_tax_never_lowers_a_score_or_a_grade(rows, data):
    index = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
    extra = data.draw(st.floats(min_value=0.01, max_value=1e4))
    before = evaluate(typed_frame(rows), SCHEME).result.row(index, named=True)
    richer = [dict(r) for r in rows]
    richer[index]["tax"] += extra
    after = evaluate(typed_frame(richer), SCHEME).result.row(index, named=True)
    assert after["total"] >= before["total"]
    assert after["rank"] <= before["rank"]
    assert GRADE_ORDER[after["grade"]] <= GRADE_ORDER[before["grade"]]


@FAST
@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=200, unique=True))
def test_grade_counts_follow_the_round_rule_when_there_are_no_ties(taxes):
    # Whole numbers: distinct taxes give distinct totals (tiny floats could round to equal totals).
    scheme = one_indicator_scheme()
    frame = pl.DataFrame(
        {"uscc": [code(n) for n in range(len(taxes))], "above_scale": [True] * len(taxes),
         "land_mu": [1.0] * len(taxes), "tax": [float(tax) for tax in taxes]}
    )
    grades = evaluate(frame, scheme).result["grade"].to_list()
    cut_a, cut_b, cut_c = share_cuts(len(taxes), scheme.groups[0])
    assert [grades.count(g) for g in "ABCD"] == [cut_a, cut_b - cut_a, cut_c - cut_b, len(taxes) - cut_c]


@FAST
@given(st.lists(st.sampled_from([10.0, 20.0, 30.0, 40.0, 55.5]), min_size=1, max_size=60))
def test_tied_totals_share_rank_and_grade(taxes):
    frame = pl.DataFrame(
        {"uscc": [code(n) for n in range(len(taxes))], "above_scale": [True] * len(taxes),
         "land_mu": [2.0] * len(taxes), "tax": taxes}
    )
    result = evaluate(frame, one_indicator_scheme()).result
    per_total = result.group_by("total").agg(pl.col("rank").n_unique(), pl.col("grade").n_unique())
    assert per_total["rank"].max() == 1 and per_total["grade"].max() == 1
    # Ranks are 1 + the number of strictly better rows.
    for total, rank in result.select("total", "rank").iter_rows():
        assert rank == 1 + sum(other > total for other in result["total"])


def _twins_and_one_below() -> list[dict]:
    """Two equal 规上 enterprises behind a 规下 one: the streaming engine cut these rows into a morsel of two
    and one of one, and `value / benchmark` came out 1 ulp apart in the two (1490.0662251655626 and
    …629 for R&D 4.5 / 0.0302 × 10), so the twins were ranked 1 and 2 and graded B and C by row order."""
    figures = {
        "land_mu": 3.0, "tax": 0.0, "value_added": 1.0, "revenue": 1.0, "energy_tce": 1.0, "emission_eq": None,
        "employees": 1.0, "electricity_10k_kwh": 1.0,
    }
    return [
        {"above_scale": False, **figures, "rd_expense": 1.0},
        {"above_scale": True, **figures, "rd_expense": 4.5},
        {"above_scale": True, **figures, "rd_expense": 4.5},
    ]


@FAST
@given(st.lists(enterprise, min_size=1, max_size=40), st.randoms(use_true_random=False))
@example(rows=_twins_and_one_below(), random=Random(0))  # shuffles to [0, 2, 1]: the twins swap places
def test_row_order_does_not_change_any_enterprises_result(rows, random):
    frame = typed_frame(rows)
    order = list(range(len(rows)))
    random.shuffle(order)
    straight = evaluate(frame, SCHEME).result.sort("uscc")
    shuffled = evaluate(frame[order], SCHEME).result
    assert shuffled["uscc"].to_list() == [code(n) for n in order]  # output keeps the input order
    shuffled = shuffled.sort("uscc")
    floats = [name for name, dtype in straight.schema.items() if dtype == pl.Float64]
    assert shuffled.drop(floats).equals(straight.drop(floats))
    # A group mean may be summed in another order: equal up to the last bits.
    for name in floats:
        for a, b in zip(shuffled[name], straight[name], strict=True):
            assert (a is None and b is None) or abs(a - b) <= 1e-12 * max(1.0, abs(b))


def test_equal_enterprises_tie_exactly_in_every_row_order():
    # Ties are on exact totals (spec step 6): equal figures must give bit-equal scores wherever a row falls.
    rows = _twins_and_one_below()
    for order in itertools.permutations(range(len(rows))):
        result = evaluate(typed_frame(rows)[list(order)], SCHEME).result.filter(pl.col("group") == "above")
        assert result["rd_ratio_score"].n_unique() == 1 and result["total"].n_unique() == 1, order
        assert result["rank"].to_list() == [1, 1] and result["grade"].to_list() == ["B", "B"], order


# --- groups by any rule and adjustments (issue 10) ---------------------------------------------------------

GROUPED = parse_scheme(
    """
name = "grouped"
year = 2022
[scope]
below_scale_min_land_mu = 0

[[adjustments]]
id = "safety"
column = "safety_accident"
points = -5

[[groups]]
id = "textile"
grading = { method = "share", A = 0.2, B = 0.4, C = 0.35, D = 0.05 }
  [groups.select]
  industry_prefixes = ["17", "18"]
  [[groups.indicators]]
  id = "tax_per_mu"
  numerator = "tax"
  denominator = "land_mu"
  weight = 60
  benchmark = "ratio_of_sums"
  [[groups.indicators]]
  id = "value_added_per_energy"
  numerator = "value_added"
  denominator = "energy_tce"
  weight = 40
  benchmark = "mean"
  missing = "group_mean_score"
  [[groups.adjustments]]
  id = "water"
  column = "water_t"
  points = -3
  min = 500

[[groups]]
id = "chemical"
grading = { method = "share", A = 0.3, B = 0.3, C = 0.3, D = 0.1 }
  [groups.select]
  industry_prefixes = ["26"]
  [[groups.indicators]]
  id = "tax_per_mu"
  numerator = "tax"
  denominator = "land_mu"
  weight = 100
  benchmark = "median"
"""
)

grouped_enterprise = st.fixed_dictionaries(
    {
        "industry_code": st.sampled_from(["1711", "C1810", "2614", "2641"]),
        "land_mu": st.floats(min_value=0.5, max_value=500),
        "tax": st.floats(min_value=-50, max_value=1e4),
        "value_added": figure,
        "energy_tce": st.none() | figure,
        "water_t": st.none() | st.floats(min_value=0, max_value=2000),
        "safety_accident": st.booleans(),
    }
)


def grouped_frame(rows: list[dict], first_code: int = 0) -> pl.DataFrame:
    schema = {
        "industry_code": pl.String, "land_mu": pl.Float64, "tax": pl.Float64, "value_added": pl.Float64,
        "energy_tce": pl.Float64, "water_t": pl.Float64, "safety_accident": pl.Boolean,
    }  # fmt: skip
    data = pl.DataFrame(rows, schema=schema)
    return data.with_columns(
        pl.Series("uscc", [code(first_code + n) for n in range(len(rows))], dtype=pl.String), above_scale=pl.lit(True)
    )


def _textile(row: dict) -> bool:
    return row["industry_code"].lstrip("C").startswith(("17", "18"))


@FAST
@given(st.lists(grouped_enterprise, min_size=1, max_size=30), st.lists(grouped_enterprise, max_size=30))
def test_a_groups_grades_depend_only_on_its_own_members(rows, others):
    own = [r for r in rows if _textile(r)]
    strangers = [r for r in others if not _textile(r)]
    if not own:
        return
    alone = evaluate(grouped_frame(own), GROUPED).result

    def among(strangers: list[dict]) -> pl.DataFrame:
        """The textile rows' results with the other group's rows before and after them."""
        half = len(strangers) // 2
        mixed = pl.concat(
            [grouped_frame(strangers[:half], 1000), grouped_frame(own), grouped_frame(strangers[half:], 2000)]
        )
        return evaluate(mixed, GROUPED).result.filter(pl.col("uscc").is_in(alone["uscc"].implode()))

    changed = [{**r, "tax": r["tax"] * 3 + 7, "land_mu": r["land_mu"] / 2} for r in strangers]
    for result in (among(strangers), among(changed)):
        _assert_same_results(result, alone)


def _assert_same_results(result: pl.DataFrame, expected: pl.DataFrame) -> None:
    """Equal groups, statuses, ranks and grades; equal figures up to the last bits (a computed benchmark sums
    the group's figures in an order that depends on where its rows sit, as in the row-order property)."""
    floats = [name for name, dtype in expected.schema.items() if dtype == pl.Float64]
    assert result.drop(floats).equals(expected.drop(floats))
    for name in floats:
        for a, b in zip(result[name], expected[name], strict=True):
            assert a == b or (a is None and b is None) or (a != a and b != b) or abs(a - b) <= 1e-12 * max(1.0, abs(b))


@FAST
@given(st.lists(grouped_enterprise, min_size=1, max_size=40), st.data())
def test_more_penalty_never_raises_a_grade(rows, data):
    index = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
    lighter = [{**r} for r in rows]
    heavier = [{**r} for r in rows]
    lighter[index]["safety_accident"] = False
    heavier[index]["safety_accident"] = True
    if data.draw(st.booleans()):  # and, for a textile firm, more water over the line
        lighter[index]["water_t"] = 0.0
        heavier[index]["water_t"] = 1000.0
    before = evaluate(grouped_frame(lighter), GROUPED).result.row(index, named=True)
    after = evaluate(grouped_frame(heavier), GROUPED).result.row(index, named=True)
    assert after["total"] <= before["total"]  # less by the points, unless they vanish beside a huge total
    assert after["rank"] >= before["rank"]
    assert GRADE_ORDER[after["grade"]] >= GRADE_ORDER[before["grade"]]


CONDITIONS = {
    "above_scale": st.booleans(),
    "industry_prefixes": st.lists(st.sampled_from(["1", "17", "18", "26", "261", "52"]), min_size=1, max_size=2),
    "sector": st.sampled_from(["industry", "service"]),
    "land_mu_min": st.sampled_from([0, 3, 5]),
    "land_mu_max": st.sampled_from([3, 10]),
    "regions": st.lists(st.sampled_from(["吴兴区", "南浔区"]), min_size=1, max_size=2, unique=True),
    "tenant": st.booleans(),
}
selection = st.fixed_dictionaries({}, optional=CONDITIONS)
any_enterprise = st.fixed_dictionaries(
    {
        "above_scale": st.booleans(),
        "industry_code": st.sampled_from(["1711", "C1810", "2614", "5211", "0111", "4411"]),
        "land_mu": st.sampled_from([1.0, 3.0, 4.0, 5.0, 12.0]),
        "region": st.sampled_from(["吴兴区", "南浔区", "德清县"]),
        "tenant": st.booleans(),
        "tax": st.floats(min_value=0, max_value=1000),
    }
)


def _selects(conditions: dict, row: dict) -> bool:
    """The selection written out in Python: every condition given holds."""
    digits = row["industry_code"].lstrip("C")
    checks = {
        "above_scale": lambda value: row["above_scale"] == value,
        "industry_prefixes": lambda value: any(digits.startswith(prefix) for prefix in value),
        "sector": lambda value: (6 <= int(digits[:2]) <= 46) == (value == "industry"),
        "land_mu_min": lambda value: row["land_mu"] >= value,
        "land_mu_max": lambda value: row["land_mu"] < value,
        "regions": lambda value: row["region"] in value,
        "tenant": lambda value: row["tenant"] == value,
    }
    return all(checks[key](value) for key, value in conditions.items())


def _toml(value) -> str:
    return json.dumps(value, ensure_ascii=False) if not isinstance(value, bool) else str(value).lower()


@FAST
@given(st.lists(selection, min_size=2, max_size=3), st.lists(any_enterprise, min_size=1, max_size=30))
def test_overlapping_groups_are_always_refused(selections, rows):
    groups = "".join(
        f"""
[[groups]]
id = "g{n}"
grading = {{ method = "threshold", A = 90, B = 60, C = 30 }}
  [groups.select]
{"".join(f"  {key} = {_toml(value)}{chr(10)}" for key, value in conditions.items())}
  [[groups.indicators]]
  id = "tax_per_mu"
  numerator = "tax"
  denominator = "land_mu"
  weight = 100
  benchmark = 10
"""
        for n, conditions in enumerate(selections)
    )
    try:
        scheme = parse_scheme(f'name = "p"\nyear = 2022\n[scope]\nbelow_scale_min_land_mu = 0\n{groups}')
    except SchemeError as error:
        assert any("select the same enterprises" in message or "land_mu_min" in message for message in error.messages("en"))
        return
    frame = pl.DataFrame(rows).with_columns(pl.Series("uscc", [code(n) for n in range(len(rows))]))
    matched = [[n for n, conditions in enumerate(selections) if _selects(conditions, r)] for r in rows]
    if any(len(m) > 1 for m in matched):
        with pytest.raises(InvalidInput) as caught:
            evaluate(frame, scheme)
        assert {p.row - 2 for p in caught.value.problems} == {i for i, m in enumerate(matched) if len(m) > 1}
    result = evaluate(frame, scheme, skip_invalid=True).result
    for m, (group, status) in zip(matched, result.select("group", "status").iter_rows(), strict=True):
        if len(m) > 1:
            assert status == "invalid" and group is None
        elif len(m) == 1:
            assert group == f"g{m[0]}" and status == "evaluated"
        else:
            assert group is None and status == "out_of_scope"
