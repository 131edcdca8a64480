"""标准地 acceptance (达产复核, DB33/T 2172): when a parcel's initial operating period ends, each contract
indicator's commitment against the actual value, passed or failed, and the contract's breach measure with
its amount for each miss. Polars in, Polars out; no Django.

A miss is :func:`mujun.engine.land.misses`, the rule the five-wei category 投而未达标 applies, so an acceptance
and the parcel's findings agree. The contract's terms are columns of the parcel (money in 万元):

- ``recovery_below_share``: an investment, output or tax commitment missed by more than this share's
  complement (actual below share × committed) → 收回土地 (recovery; its price is the contract's, no amount);
- investment intensity missed → 补缴土地差价: ``price_difference_per_point`` × missed percentage points
  (without that term, the deposit as below);
- tax per mu missed → 补缴税收差额: the shortfall per mu × the parcel's area;
- output per mu, energy or emissions per unit missed → 扣留履约保证金: ``contract_deposit`` × the missed
  share (at most 1), the indicators in order, all of them together keeping at most the whole deposit.

A missing term gives the measure without an amount (null). An indicator without a commitment is no contract
indicator; one without an actual value leaves the acceptance incomplete unless another indicator failed.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from mujun.engine.land import CONTRACT_INDICATORS, misses, months_after

INDICATOR_LABELS = {
    "investment_intensity": "投资强度(万元/亩)",
    "output_per_mu": "亩均产值(万元)",
    "tax_per_mu": "亩均税收(万元)",
    "energy_per_value_added": "单位增加值能耗(吨标准煤/万元)",
    "emissions_per_value_added": "单位增加值排放(吨当量/万元)",
}
MEASURES = {
    "recovery": "收回土地",
    "price_difference": "补缴土地差价",
    "tax_shortfall": "补缴税收差额",
    "deposit": "扣留履约保证金",
}
TERM_COLUMNS = {
    "area_mu": pl.Float64,
    "contract_deposit": pl.Float64,
    "price_difference_per_point": pl.Float64,
    "recovery_below_share": pl.Float64,
}
INDICATOR_COLUMNS = ["code", "indicator", "committed", "actual", "passed", "shortfall", "measure", "amount"]


@dataclass(frozen=True)
class Acceptance:
    """``indicators``: one row per parcel and contract indicator (:data:`INDICATOR_COLUMNS`);
    ``parcels``: code, result (passed / failed / incomplete), breach_amount, recovery_proposed, failed (the
    failed indicators, in order)."""

    indicators: pl.DataFrame
    parcels: pl.DataFrame


def due_on(months: int | tuple[pl.Expr, set[int]] = 36) -> pl.Expr:
    """The end of the initial operating period: commissioning plus the months (a constant, or a column with
    its few distinct values), the date from which 投而未达标 applies."""
    return months_after(pl.col("commissioned_on"), months)


def _with_columns(parcels: pl.DataFrame) -> pl.DataFrame:
    needed = {**TERM_COLUMNS, **{c: pl.Float64 for spec in CONTRACT_INDICATORS.values() for c in (spec.committed, spec.actual)}}
    return parcels.with_columns(pl.lit(None, dtype).alias(name) for name, dtype in needed.items() if name not in parcels.columns)


def indicator_rows(parcels: pl.DataFrame) -> pl.DataFrame:
    """Step 1: one row per parcel and committed indicator, with the miss by the five-wei rule and the share
    missed (0 to 1)."""
    frame = _with_columns(parcels).lazy()
    parts = []
    for order, (name, spec) in enumerate(CONTRACT_INDICATORS.items()):
        committed, actual = pl.col(spec.committed), pl.col(spec.actual)
        gap = (actual - committed) if spec.lower_is_better else (committed - actual)
        parts.append(
            frame.filter(committed.is_not_null()).select(
                "code", *TERM_COLUMNS,
                pl.lit(order).alias("order"),
                pl.lit(name).alias("indicator"),
                committed.alias("committed"),
                actual.alias("actual"),
                misses(name).alias("missed"),
                pl.lit(spec.lower_is_better).alias("lower_is_better"),
                pl.when(committed > 0).then(gap / committed).otherwise(1.0).clip(0.0, 1.0).alias("share_missed"),
            )  # fmt: skip
        )
    return pl.concat(pl.collect_all(parts), how="vertical").sort("code", "order")


def breach(rows: pl.DataFrame) -> pl.DataFrame:
    """Step 2: each miss's measure and amount under the contract's terms (see the module's doc)."""
    missed = pl.col("missed").fill_null(False)
    recovery = (
        missed
        & ~pl.col("lower_is_better")
        & (pl.col("actual") < pl.col("recovery_below_share") * pl.col("committed")).fill_null(False)
    )
    measure = (
        pl.when(~missed).then(pl.lit(None, pl.String))
        .when(recovery).then(pl.lit("recovery"))
        .when(pl.col("indicator") == "tax_per_mu").then(pl.lit("tax_shortfall"))
        .when((pl.col("indicator") == "investment_intensity") & pl.col("price_difference_per_point").is_not_null())
        .then(pl.lit("price_difference"))
        .otherwise(pl.lit("deposit"))
    )  # fmt: skip
    deposit_wanted = pl.when(pl.col("measure") == "deposit").then(pl.col("share_missed") * pl.col("contract_deposit"))
    kept_before = deposit_wanted.fill_null(0).cum_sum().over("code") - deposit_wanted.fill_null(0)
    amount = (
        pl.when(pl.col("measure") == "price_difference")
        .then(pl.col("share_missed") * 100 * pl.col("price_difference_per_point"))
        .when(pl.col("measure") == "tax_shortfall")
        .then((pl.col("committed") - pl.col("actual")) * pl.col("area_mu"))
        .when(pl.col("measure") == "deposit")
        .then(pl.min_horizontal(deposit_wanted, (pl.col("contract_deposit") - kept_before).clip(lower_bound=0)))
    )  # fmt: skip
    return rows.with_columns(measure.alias("measure")).with_columns(amount.alias("amount"))


def judge(rows: pl.DataFrame) -> pl.DataFrame:
    """Step 3: the indicators as stored (passed: null where the actual value is missing)."""
    return rows.select(
        "code", "indicator", "committed", "actual", (~pl.col("missed")).alias("passed"),
        pl.when(pl.col("missed")).then(pl.col("share_missed")).otherwise(0.0).alias("shortfall"), "measure", "amount",
    )  # fmt: skip


def summarise(indicators: pl.DataFrame) -> pl.DataFrame:
    """Step 4: per parcel, the overall result, the total amount, whether recovery is proposed."""
    failed = pl.col("passed") == False  # noqa: E712  (a null, no actual value, is not a failure)
    return indicators.group_by("code", maintain_order=True).agg(
        pl.when(failed.any()).then(pl.lit("failed"))
        .when(pl.col("passed").is_null().any()).then(pl.lit("incomplete"))
        .otherwise(pl.lit("passed")).alias("result"),
        pl.col("amount").sum().alias("breach_amount"),
        (pl.col("measure") == "recovery").any().alias("recovery_proposed"),
        pl.col("indicator").filter(failed).alias("failed"),
    )  # fmt: skip


def accept(parcels: pl.DataFrame) -> Acceptance:
    """The acceptance of every parcel of ``parcels`` with at least one commitment: columns ``code``, the
    committed and actual columns of :data:`mujun.engine.land.CONTRACT_INDICATORS` and the contract's terms
    (missing columns count as blank)."""
    indicators = judge(breach(indicator_rows(parcels)))
    return Acceptance(indicators, summarise(indicators))


def indicator_json(indicators: pl.DataFrame) -> pl.DataFrame:
    """``code, indicator, json``: each indicator's row as JSON text, as the acceptance record stores it."""
    fields = [c for c in INDICATOR_COLUMNS if c not in ("code", "indicator")]
    return indicators.select("code", "indicator", pl.struct(*fields).struct.json_encode().alias("json"))
