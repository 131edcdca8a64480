"""The per-firm explainer (issue 12 item 5): what would lift one enterprise to the next grade, and what its
grade costs it.

For each raw figure an indicator of the enterprise's group divides (tax, value added, R&D expense …), the
smallest increase that alone lifts the enterprise to the next better grade, with everything else held:
the other enterprises' figures, the run's benchmarks (a computed benchmark is held at the value it had)
and so the grade cut-off. The cut-off is the next grade's minimum total under ``threshold`` grading; under
``share`` grading it is the total of the enterprise that would be the last of the next grade, since the
enterprise must pass all but that many of the others (ties share the better rank). A figure may drive
several indicators (value added drives four of Huangyan's): they rise together, as they would.

The increase is solved from the scores' formula (piecewise linear in the figure: weight × value /
benchmark, clipped at 0 and at the cap) and then checked by evaluating the input again with the figure
raised; where the check falls short (a coupling the formula leaves out: a tenant's figures merged into
its landlord's, group-mean scores of enterprises missing the value) the increase is solved again from the
re-evaluated state. Where no increase can do it the figure carries the reason: its indicators' scores are
capped below the cut-off, their weight is zero, the denominator is missing, or the enterprise's grade is
forced (a major violation) or already the best.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from mujun.engine.compare import RELIEF, amount_kind, with_standard_amounts
from mujun.engine.evaluation import EVALUATED, Evaluation, evaluate, prepare, share_cuts
from mujun.engine.policies import policy_columns
from mujun.engine.scheme import GRADES, Group, Indicator, Scheme

# Why no increase is given (for the enterprise as a whole, or for one figure); the pages word them.
NOT_EVALUATED = "not_evaluated"  # exempt, out of scope or invalid: no grade to lift
TOP_GRADE = "top_grade"  # already A
FORCED_D = "forced_d"  # a major violation forces D whatever the score
GRADE_EMPTY = "grade_empty"  # the next grade's share rounds to no place in a group this small
ZERO_WEIGHT = "zero_weight"  # every indicator of the figure weighs 0
NO_DENOMINATOR = "no_denominator"  # the indicators' denominators are missing or not positive
NO_BENCHMARK = "no_benchmark"  # no usable benchmark: every value scores as missing
CAPPED = "capped"  # the caps stop the total below the cut-off
NO_EFFECT = "no_effect"  # the correction coefficient is 0: scores do not count
NOT_FOUND = "not_found"  # the re-evaluation never confirmed a lift (should not happen)

REFINEMENTS = 8  # re-evaluations per figure at most


@dataclass(frozen=True)
class Lift:
    """One raw figure: the indicators it drives, its current value, and the increase that lifts the grade
    (None with ``reason`` where none can)."""

    column: str
    indicators: tuple[str, ...]
    labels: tuple[str, ...]
    current: float | None
    increase: float | None
    reason: str | None = None

    @property
    def needed(self) -> float | None:
        return None if self.increase is None else (self.current or 0.0) + self.increase

    @property
    def relative(self) -> float | None:
        """The increase as a share of the current figure (None when the figure is not positive)."""
        if self.increase is None or not self.current or self.current <= 0:
            return None
        return self.increase / self.current


@dataclass(frozen=True)
class PolicyEffect:
    """A policy's value for the enterprise at its grade and at the next; for money (``amount``), the yuan
    and ``cost``: what the current grade costs it against the next (positive: it pays more or keeps less)."""

    key: str
    label: str
    amount: bool
    current: float | str | bool | None
    next: float | str | bool | None
    cost: float | None = None


@dataclass
class Explanation:
    position: int
    uscc: str | None
    group: str | None
    status: str
    grade: str | None
    next_grade: str | None
    total: float | None
    target: float | None  # the total the next grade needs
    reason: str | None = None
    lifts: list[Lift] = field(default_factory=list)
    policies: list[PolicyEffect] = field(default_factory=list)


def hold_benchmarks(scheme: Scheme, benchmarks: dict[str, dict[str, float | None]]) -> Scheme:
    """The scheme with each computed benchmark (ratio_of_sums, mean, median) replaced by the value it had in
    ``benchmarks`` (an Evaluation's): the same grades for the same input, but raising one enterprise's
    figure no longer moves the benchmark."""

    def held(group: Group) -> Group:
        indicators = tuple(
            dataclasses.replace(ind, benchmark=value)
            if isinstance(ind.benchmark, str) and (value := benchmarks.get(group.id, {}).get(ind.id)) is not None
            else ind
            for ind in group.indicators
        )
        return dataclasses.replace(group, indicators=indicators)

    return dataclasses.replace(scheme, groups=tuple(held(group) for group in scheme.groups))


def _better(grade: str) -> str | None:
    position = GRADES.index(grade)
    return GRADES[position - 1] if position > 0 else None


def _reaches(grade: str | None, wanted: str) -> bool:
    return grade in GRADES and GRADES.index(grade) <= GRADES.index(wanted)


def _target(result: pl.DataFrame, position: int, group: Group, wanted: str) -> float | None:
    """The total that gives ``wanted``, the others held; None when the grade has no place in the group."""
    grading = group.grading
    if grading.method == "threshold":
        return float(getattr(grading, wanted))
    members = result.with_row_index("_position").filter(pl.col("group") == group.id, pl.col("status") == EVALUATED)
    others = members.filter(pl.col("_position") != position).get_column("total").sort(descending=True)
    places = share_cuts(members.height, group)[GRADES.index(wanted)]
    if places == 0:
        return None
    return float(others[places - 1])


@dataclass(frozen=True)
class _Part:
    """One indicator the figure drives, for the enterprise: score = weight × clip((base + Δ) / scale, 0, cap),
    ``base`` the numerator the indicator divides now (the figure, or its landlord's whole site's)."""

    weight: float
    scale: float  # denominator × benchmark
    cap: float | None
    score: float  # its score now
    base: float


def _total_after(increase: float, parts: list[_Part], coefficient: float, total: float) -> float:
    change = 0.0
    for part in parts:
        ratio = max((part.base + increase) / part.scale, 0.0)
        if part.cap is not None:
            ratio = min(ratio, part.cap)
        change += part.weight * ratio - part.score
    return total + coefficient * change


def _solve(parts: list[_Part], coefficient: float, total: float, target: float) -> float | None:
    """The least Δ ≥ 0 with total(Δ) ≥ target, or None when total(Δ) stays below it for every Δ. total(Δ)
    is non-decreasing and linear between the points where a score leaves 0 or reaches its cap."""

    def at(increase: float) -> float:
        return _total_after(increase, parts, coefficient, total)

    kinks = {-part.base for part in parts}  # where a score leaves 0 …
    kinks |= {part.cap * part.scale - part.base for part in parts if part.cap is not None}  # … and reaches its cap
    points = sorted({0.0} | {point for point in kinks if point > 0})
    if at(0.0) >= target:
        return 0.0
    for low, high in zip(points, points[1:]):
        if at(high) >= target:
            return low + (target - at(low)) * (high - low) / (at(high) - at(low))
    last = points[-1]
    slope = coefficient * sum(part.weight / part.scale for part in parts if part.cap is None)
    if slope <= 0:
        return None
    return last + (target - at(last)) / slope


def _with_figure(frame: pl.DataFrame, position: int, column: str, value: float) -> pl.DataFrame:
    """``frame`` with one cell replaced, in the column's own type (a file's text stays text)."""
    text = frame.schema[column] == pl.String
    new = pl.lit(repr(value)) if text else pl.lit(value, pl.Float64)
    old = pl.col(column) if text else pl.col(column).cast(pl.Float64)
    return frame.with_columns(pl.when(pl.int_range(pl.len()) == position).then(new).otherwise(old).alias(column))


def _figure(row: dict, column: str) -> float | None:
    value = row.get(column)
    return None if value is None or not math.isfinite(value) else float(value)


def _driven(group: Group, column: str) -> list[Indicator]:
    return [ind for ind in group.indicators if ind.numerator == column]


def _divisions(group: Group, column: str, typed_row: dict) -> dict[str, tuple[float, float | None]]:
    """Per indicator ``column`` drives: the numerator and denominator it divides, from the enterprise's row."""
    numerator = _figure(typed_row, column) or 0.0
    return {
        ind.id: (numerator, 1.0 if ind.denominator is None else _figure(typed_row, ind.denominator))
        for ind in _driven(group, column)
    }


def _calibrated(
    divisions: dict[str, tuple[float, float | None]], before: dict, after: dict, increase: float
) -> dict[str, tuple[float, float | None]]:
    """The numerator and denominator each indicator really divides, read from its values before and after the
    figure rose by ``increase``: they differ from the row's own where a tenant's figures are merged into its
    landlord's (the landlord divides its whole site's)."""
    calibrated = dict(divisions)
    for indicator_id in divisions:
        old, new = before.get(f"{indicator_id}_value"), after.get(f"{indicator_id}_value")
        if old is not None and new is not None and new != old and increase > 0:
            denominator = increase / (new - old)
            calibrated[indicator_id] = (old * denominator, denominator)
    return calibrated


def _parts(
    group: Group, column: str, divisions: dict[str, tuple[float, float | None]], result_row: dict, increase: float
) -> tuple[list[_Part], str | None]:
    """The indicators of ``group`` that ``column`` raises, for the enterprise after ``increase``; or the reason
    none counts."""
    reasons, parts = [], []
    for ind in _driven(group, column):
        numerator, denominator = divisions[ind.id]
        if denominator is None or denominator <= 0:
            reasons.append(NO_DENOMINATOR)
        elif isinstance(ind.benchmark, str):
            reasons.append(NO_BENCHMARK)  # a computed benchmark left unusable (None) by the evaluation
        elif ind.weight <= 0:
            reasons.append(ZERO_WEIGHT)
        else:
            score = result_row.get(f"{ind.id}_score") or 0.0
            parts.append(_Part(ind.weight, denominator * ind.benchmark, ind.cap, score, numerator + increase))
    return parts, (None if parts else (reasons[0] if reasons else ZERO_WEIGHT))


def _lift(
    frame: pl.DataFrame, scheme: Scheme, group: Group, position: int, column: str, baseline: Evaluation,
    typed_row: dict, wanted: str, skip_invalid: bool, as_of: date | None,
) -> tuple[float | None, str | None]:  # fmt: skip
    """The least increase of ``column`` that lifts the enterprise to ``wanted``, confirmed by re-evaluation."""
    start = _figure(typed_row, column) or 0.0
    coefficient = _figure(typed_row, "coefficient")
    coefficient = 1.0 if coefficient is None else coefficient
    divisions = _divisions(group, column, typed_row)
    before = state = baseline.result.row(position, named=True)
    result = baseline.result
    increase = 0.0
    for _ in range(REFINEMENTS):
        parts, reason = _parts(group, column, divisions, state, increase)
        if reason:
            return None, reason
        if coefficient <= 0:
            return None, NO_EFFECT
        target = _target(result, position, group, wanted)
        if target is None:
            return None, GRADE_EMPTY
        step = _solve(parts, coefficient, state["total"], target)
        if step is None:
            return None, CAPPED
        # At the cut-off exactly, rounding may leave the total a hair short: then the next round adds a hair.
        increase += max(step, 4 * math.ulp(start + increase + step))
        result = evaluate(_with_figure(frame, position, column, start + increase), scheme,
                          skip_invalid=skip_invalid, as_of=as_of).result  # fmt: skip
        state = result.row(position, named=True)
        if _reaches(state["grade"], wanted):
            return increase, None
        divisions = _calibrated(divisions, before, state, increase)
    return None, NOT_FOUND


def _policy_values(scheme: Scheme, typed: pl.DataFrame, grade: str | None) -> dict:
    columns = policy_columns(scheme, pl.lit(grade, pl.String)) if grade is not None else []
    return typed.select(columns).row(0, named=True) if columns else {}


def _policy_effects(scheme: Scheme, typed: pl.DataFrame, grade: str, wanted: str | None) -> list[PolicyEffect]:
    now, then = _policy_values(scheme, typed, grade), _policy_values(scheme, typed, wanted)
    effects = [
        PolicyEffect(key, key, False, now.get(key), then.get(key) if wanted else None) for key in scheme.policy_keys()
    ]
    for amount in scheme.amounts:
        current, better = now.get(amount.id) or 0.0, (then.get(amount.id) or 0.0) if wanted else None
        cost = None
        if better is not None:
            # A surcharge costs what it exceeds the next grade's; a relief costs what it falls short of it.
            cost = (better - current) if amount_kind(amount) == RELIEF else (current - better)
        effects.append(PolicyEffect(amount.id, amount.label, True, current, better, cost))
    return effects


def explain(
    frame: pl.DataFrame,
    scheme: Scheme,
    position: int,
    *,
    skip_invalid: bool = True,
    as_of: date | None = None,
) -> Explanation:
    """Explain the grade of the enterprise in row ``position`` (0-based) of ``frame`` under ``scheme``."""
    scheme = with_standard_amounts(scheme, frame.columns)
    baseline = evaluate(frame, scheme, skip_invalid=skip_invalid, as_of=as_of)
    held = hold_benchmarks(scheme, baseline.benchmarks)
    row = baseline.result.row(position, named=True)
    grade = row["grade"] if row["status"] == EVALUATED else None
    typed, _problems = prepare(frame.slice(position, 1), scheme)
    typed_row = typed.row(0, named=True)
    group = next((g for g in held.groups if g.id == row["group"]), None)
    wanted = _better(grade) if grade in GRADES else None
    explanation = Explanation(
        position, row["uscc"], row["group"], row["status"], row["grade"], wanted, row["total"], None,
        policies=_policy_effects(scheme, typed, row["grade"], wanted) if grade else [],
    )  # fmt: skip
    if grade is None or group is None:
        explanation.reason = NOT_EVALUATED
    elif wanted is None:
        explanation.reason = TOP_GRADE
    elif grade == "D" and row["reason"] and group.force_d_on_major_violation:
        explanation.reason = FORCED_D  # an evaluated row carries a reason only when its D is forced
    if explanation.reason:
        return explanation
    explanation.target = _target(baseline.result, position, group, wanted)
    if explanation.target is None:
        explanation.reason = GRADE_EMPTY
        return explanation
    labels = {ind.id: ind.label for ind in group.indicators}
    for column in dict.fromkeys(ind.numerator for ind in group.indicators):
        driven = tuple(ind.id for ind in group.indicators if ind.numerator == column)
        increase, reason = _lift(frame, held, group, position, column, baseline, typed_row, wanted, skip_invalid, as_of)
        explanation.lifts.append(
            Lift(column, driven, tuple(labels[i] for i in driven), _figure(typed_row, column), increase, reason)
        )
    return explanation
