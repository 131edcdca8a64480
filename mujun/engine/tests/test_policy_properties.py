"""Properties of escalating policies and policy amounts that hold for any input (hypothesis)."""

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mujun.engine.evaluation import evaluate
from mujun.engine.tests.factories import code, one_indicator_scheme

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Threshold grading with minimums nobody reaches (or everybody does): every evaluated row D (or A).
ALL_D = "{ method = \"threshold\", A = 1e12, B = 1e11, C = 1e10 }"
ALL_A = "{ method = \"threshold\", A = -1, B = -2, C = -3 }"

rate = st.floats(min_value=0, max_value=5, allow_nan=False)


@st.composite
def escalating_policies(draw) -> tuple[str, float, list[tuple[int, float]]]:
    """A D surcharge and escalations that raise it (or keep it) with more years running."""
    base = draw(rate)
    years = draw(st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=4, unique=True))
    steps, value = [], base
    for n in sorted(years):
        value += draw(st.floats(min_value=0, max_value=1, allow_nan=False))
        steps.append((n, value))
    text = f"[policies.D]\nelectricity_surcharge_yuan_per_kwh = {base!r}\n"
    for n, value in draw(st.permutations(steps)):  # declared in any order
        text += f'\n[[policies.escalate]]\ngrade = "D"\nconsecutive_years = {n}\n'
        text += f"electricity_surcharge_yuan_per_kwh = {value!r}\n"
    return text, base, steps


def rows(priors: list[int | None], electricity: list[float | None] | None = None) -> pl.DataFrame:
    n = len(priors)
    return pl.DataFrame(
        {
            "uscc": [code(i) for i in range(n)],
            "above_scale": [True] * n,
            "land_mu": [5.0] * n,
            "tax": [float(10 + i) for i in range(n)],
            "electricity_10k_kwh": electricity if electricity is not None else [100.0] * n,
            "prior_d_years": priors,
        },
        schema_overrides={"prior_d_years": pl.Int64, "electricity_10k_kwh": pl.Float64},
    )


@FAST
@given(escalating_policies(), st.lists(st.none() | st.integers(min_value=0, max_value=20), min_size=1, max_size=30))
def test_escalation_never_lowers_a_surcharge_as_d_years_grow(policies, priors):
    text, base, steps = policies
    result = evaluate(rows(priors), one_indicator_scheme(grading=ALL_D, policies=text)).result
    pairs = sorted(result.select("consecutive_d_years", "electricity_surcharge_yuan_per_kwh").rows())
    surcharges = [surcharge for _, surcharge in pairs]
    assert surcharges == sorted(surcharges)
    # The longest escalation that applies wins; none applies: the grade's own value.
    for years, surcharge in pairs:
        applicable = [value for n, value in steps if n <= years]
        assert surcharge == (applicable[-1] if applicable else base)


@FAST
@given(
    st.lists(
        st.tuples(st.none() | st.integers(min_value=0, max_value=9), st.none() | st.floats(0, 1e6, allow_nan=False)),
        min_size=1,
        max_size=30,
    ),
    rate,
    st.floats(min_value=0.001, max_value=1e5, allow_nan=False),
)
def test_amounts_equal_rate_times_quantity_times_factor(cases, surcharge, factor):
    priors, electricity = [p for p, _ in cases], [e for _, e in cases]
    policies = f"""
[policies.D]
electricity_surcharge_yuan_per_kwh = {surcharge!r}
[[policies.escalate]]
grade = "D"
consecutive_years = 3
electricity_surcharge_yuan_per_kwh = {surcharge + 0.1!r}
[[policies.amounts]]
id = "surcharge_yuan"
rate = "electricity_surcharge_yuan_per_kwh"
quantity = "electricity_10k_kwh"
factor = {factor!r}
"""
    result = evaluate(rows(priors, electricity), one_indicator_scheme(grading=ALL_D, policies=policies)).result
    for quantity, (rate_used, amount) in zip(
        electricity, result.select("electricity_surcharge_yuan_per_kwh", "surcharge_yuan").rows(), strict=True
    ):
        if quantity is None:
            assert amount is None
        else:
            assert amount == pytest.approx(rate_used * quantity * factor, rel=1e-12, abs=1e-12)
    # Graded A, nobody has the rate, so nobody owes anything.
    graded_a = evaluate(rows(priors, electricity), one_indicator_scheme(grading=ALL_A, policies=policies)).result
    assert graded_a["surcharge_yuan"].null_count() == len(cases)


@FAST
@given(st.lists(st.none() | st.integers(min_value=0, max_value=50), min_size=1, max_size=30), st.booleans())
def test_consecutive_d_years_counts_on_from_d_and_resets_otherwise(priors, graded_d):
    policies = (
        '[policies.D]\ncredit_restricted = true\n'
        '[[policies.escalate]]\ngrade = "D"\nconsecutive_years = 2\ncredit_restricted = true\n'
    )
    scheme = one_indicator_scheme(grading=ALL_D if graded_d else ALL_A, policies=policies)
    years = evaluate(rows(priors), scheme).result["consecutive_d_years"].to_list()
    assert years == [(prior or 0) + 1 if graded_d else 0 for prior in priors]
