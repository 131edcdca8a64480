"""Properties of the evaluation that hold for any input (hypothesis)."""

import itertools
from random import Random

import polars as pl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mujun.engine.evaluation import evaluate, share_cuts
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
