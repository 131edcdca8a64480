"""The statutory idle-land clock (闲置土地处置办法, 2012) of supplied parcels, as of a date. Polars; no Django.

A parcel is idle by the five-wei rule of :mod:`mujun.engine.land` (供而未用: not started a year after the
agreed start, or with none agreed after supply; or started with under 1/3 developed or under 25 % of the
committed investment made and stopped for a year); that rule is not written again here: the day it became
idle is the ``since`` of its finding. Run once more with the waiting periods set to zero, the same rule
gives the day the parcel fell behind (the agreed start passed, development stopped): the clock's start
(with no agreed start, the day it became idle).

From the day it became idle the statute counts (art. 14): the idle-land fee, 20 % of the land price, is
due (未动工开发满一年); a year later (满两年) the land is taken back without compensation. Where the
land bureau finds the delay the government's fault (art. 8) neither applies: the parcel takes the
government route instead (extension, swap or re-planning). The investigation notice is answered within
30 days (art. 6).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date

import polars as pl

from mujun.engine import land
from mujun.engine.rules import Rule, not_before

FEE_SHARE = 0.2  # of the land price (art. 14 (1))
REPLY_DAYS = 30  # to answer the investigation notice (art. 6)
RECOVERY_AFTER_MONTHS = 12  # a second year idle: taken back (art. 14 (2))

ENTERPRISE, GOVERNMENT = "enterprise", "government"
# The stages in the order a parcel goes through them as days pass; the government route replaces the last two.
STAGES = ["not_idle", "overdue", "fee_due", "recovery_due", "government"]
STAGE_LABELS = {
    "not_idle": "未闲置",
    "overdue": "逾期未满闲置期限",
    "fee_due": "闲置满一年：征缴土地闲置费",
    "recovery_due": "闲置满两年：无偿收回",
    "government": "政府原因：延期、置换或调整规划",
}
# The disposal measure the statute proposes at each stage (mujun.land.models.DisposalCase.Measure values).
MEASURES = {"overdue": "urge_start", "fee_due": "idle_fee", "recovery_due": "recover", "government": "extend"}

# The clock's input beyond the five-wei columns: the land price and what the land bureau recorded.
CLOCK_COLUMNS = {
    "land_price": pl.Float64,
    "idle_cause": pl.String,
    "idle_notice_on": pl.Date,
    "idle_reply_on": pl.Date,
}
# The clock, one row per parcel (``code`` and these).
CLOCK_SCHEMA = {
    "code": pl.String,
    "overdue_since": pl.Date,
    "idle_since": pl.Date,
    "idle_rule": pl.String,
    "idle_days": pl.Int64,
    "recovery_due_on": pl.Date,
    "stage": pl.String,
    "fee": pl.Float64,
    "reply_deadline": pl.Date,
    "reply_overdue": pl.Boolean,
    "measure": pl.String,
}

# What the land bureau records, checked when it is recorded; ``idle_since`` and ``today`` come from the clock.
RECORD_RULES: list[Rule] = [
    Rule(
        "idle_notice_on", {"idle_notice_on": pl.Date, "idle_since": pl.Date},
        pl.col("idle_notice_on").is_not_null() & pl.col("idle_since").is_null(),
        "地块未认定闲置，不能送达闲置土地调查通知书", "the parcel is not idle: no investigation notice can be served",
    ),
    Rule(
        "idle_notice_on", {"idle_notice_on": pl.Date, "idle_since": pl.Date},
        pl.col("idle_notice_on") < pl.col("idle_since"),
        "不能早于地块成为闲置土地的日期", "must not be before the day the parcel became idle",
    ),
    Rule(
        "idle_notice_on", {"idle_notice_on": pl.Date, "today": pl.Date}, pl.col("idle_notice_on") > pl.col("today"),
        "不能晚于今天", "must not be after today",
    ),
    Rule(
        "idle_reply_on", {"idle_notice_on": pl.Date, "idle_reply_on": pl.Date},
        pl.col("idle_reply_on").is_not_null() & pl.col("idle_notice_on").is_null(),
        "未送达调查通知书，不能登记答复", "no reply without a notice served",
    ),
    not_before("idle_notice_on", "idle_reply_on", "调查通知书送达日期", "the day the notice was served"),
    Rule(
        "idle_reply_on", {"idle_reply_on": pl.Date, "today": pl.Date}, pl.col("idle_reply_on") > pl.col("today"),
        "不能晚于今天", "must not be after today",
    ),
    Rule(
        "idle_cause_reason", {"idle_cause": pl.String, "idle_cause_reason": pl.String},
        (pl.col("idle_cause") == GOVERNMENT) & (pl.col("idle_cause_reason").fill_null("").str.strip_chars() == ""),
        "认定为政府原因的，须写明原因", "a government cause needs its reason",
    ),
]  # fmt: skip


def _idle_findings(classification: land.Classification, name: str) -> pl.DataFrame:
    """Per parcel, the earliest 供而未用 finding: its since (as ``name``) and rule."""
    idle = classification.findings.filter(pl.col("category") == "supplied_not_used")
    return idle.sort("since").group_by("code", maintain_order=True).agg(
        pl.col("since").first().alias(name), pl.col("rule").first().alias(f"{name}_rule")
    )


def clock(
    parcels: pl.DataFrame,
    as_of: date,
    thresholds: land.Thresholds = land.Thresholds(),
    by_region: Mapping[str, land.Thresholds] | None = None,
) -> pl.DataFrame:
    """The idle-land clock of every parcel as of ``as_of`` (columns :data:`CLOCK_SCHEMA`), in the input's order.
    ``parcels`` has the five-wei input of :func:`mujun.engine.land.classify` and :data:`CLOCK_COLUMNS`."""
    needed = {**CLOCK_COLUMNS, "agreed_start_on": pl.Date}
    frame = parcels.with_columns(pl.lit(None, dtype).alias(name) for name, dtype in needed.items() if name not in parcels.columns)

    def no_wait(t: land.Thresholds) -> land.Thresholds:
        return replace(t, idle_months=0, stopped_months=0)

    idle = _idle_findings(land.classify(frame, as_of, thresholds, by_region), "idle_since")
    behind = _idle_findings(
        land.classify(frame, as_of, no_wait(thresholds), {k: no_wait(t) for k, t in (by_region or {}).items()}),
        "overdue_since",
    )
    day = pl.lit(as_of, pl.Date)
    notice = pl.when(pl.col("idle_notice_on") <= day).then(pl.col("idle_notice_on"))
    reply = pl.when(pl.col("idle_reply_on") <= day).then(pl.col("idle_reply_on"))
    government = pl.col("idle_cause").eq_missing(GOVERNMENT)
    second_year = pl.col("idle_since").dt.offset_by(f"{RECOVERY_AFTER_MONTHS}mo")
    recovery_due_on = pl.when(~government).then(second_year)  # the government route takes no recovery
    stage = (
        pl.when(pl.col("overdue_since").is_null()).then(pl.lit("not_idle"))
        .when(pl.col("idle_since").is_null()).then(pl.lit("overdue"))
        .when(government).then(pl.lit("government"))
        .when(second_year <= day).then(pl.lit("recovery_due"))
        .otherwise(pl.lit("fee_due"))
    )  # fmt: skip
    reply_deadline = notice + pl.duration(days=REPLY_DAYS)
    result = (
        frame.lazy()
        .select("code", "agreed_start_on", *CLOCK_COLUMNS)
        .join(idle.lazy(), on="code", how="left", maintain_order="left")
        .join(behind.lazy(), on="code", how="left", maintain_order="left")
        # With no agreed start nothing is overdue before the year after supply: the parcel is idle at once.
        .with_columns(
            pl.when(pl.col("agreed_start_on").is_null() & (pl.col("overdue_since_rule") == "idle_not_started"))
            .then(pl.col("idle_since"))
            .otherwise(pl.col("overdue_since"))
            .alias("overdue_since")
        )
        .with_columns(
            pl.col("idle_since_rule").alias("idle_rule"),
            (day - pl.col("idle_since")).dt.total_days().alias("idle_days"),
            recovery_due_on.alias("recovery_due_on"),
            stage.alias("stage"),
            reply_deadline.alias("reply_deadline"),
            (notice.is_not_null() & reply.is_null() & (reply_deadline < day)).alias("reply_overdue"),
        )
        .with_columns(
            pl.when(pl.col("stage").is_in(["fee_due", "recovery_due"]))
            .then(pl.col("land_price") * FEE_SHARE)
            .alias("fee"),
            pl.col("stage").replace_strict(MEASURES, default=None).alias("measure"),
        )
        .select([pl.col(name).cast(dtype) for name, dtype in CLOCK_SCHEMA.items()])
    )
    return result.collect()
