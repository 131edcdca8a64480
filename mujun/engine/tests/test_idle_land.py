"""The statutory idle-land clock: the statute's dates on examples, and its properties for any parcel (hypothesis):
it agrees with the five-wei idle rule, its stages only move forward as days pass, the fee is a fifth of the price."""

from datetime import date, timedelta

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mujun.engine import idle_land, land
from mujun.engine.rules import broken_rules

AS_OF = date(2025, 12, 31)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SCHEMA = {
    "code": pl.String, "area_mu": pl.Float64, "developed_mu": pl.Float64, "land_price": pl.Float64,
    "idle_cause": pl.String, **{n: pl.Date for n in land.DATE_COLUMNS}, "idle_notice_on": pl.Date,
    "idle_reply_on": pl.Date,
}  # fmt: skip


def parcels(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame([{"area_mu": 10.0, "land_price": 300.0, **row} for row in rows], schema=SCHEMA)


def clock_of(frame: pl.DataFrame, as_of: date = AS_OF, **kwargs) -> dict[str, dict]:
    return {row["code"]: row for row in idle_land.clock(frame, as_of, **kwargs).iter_rows(named=True)}


def test_the_statute_on_examples():
    supplied = date(2021, 1, 1)
    clock = clock_of(
        parcels(
            {"code": "on-time", "supplied_on": supplied, "agreed_start_on": date(2026, 3, 1)},
            {"code": "late", "supplied_on": supplied, "agreed_start_on": date(2025, 6, 1)},
            {"code": "fee", "supplied_on": supplied, "agreed_start_on": date(2024, 6, 1),
             "idle_notice_on": date(2025, 7, 1)},
            {"code": "recover", "supplied_on": supplied, "agreed_start_on": date(2023, 6, 1),
             "idle_notice_on": date(2024, 7, 1), "idle_reply_on": date(2024, 7, 20)},
            {"code": "government", "supplied_on": supplied, "agreed_start_on": date(2023, 6, 1),
             "idle_cause": "government"},
            {"code": "no-agreed-start", "supplied_on": date(2024, 3, 1)},
            {"code": "just-supplied", "supplied_on": date(2025, 3, 1)},
            {"code": "stopped", "supplied_on": supplied, "agreed_start_on": date(2021, 6, 1),
             "started_on": date(2021, 6, 1), "stopped_since": date(2024, 9, 1), "developed_mu": 2.0},
            {"code": "started", "supplied_on": supplied, "agreed_start_on": date(2021, 6, 1),
             "started_on": date(2021, 6, 1)},
        )
    )  # fmt: skip
    assert {code: row["stage"] for code, row in clock.items()} == {
        "on-time": "not_idle",
        "late": "overdue",
        "fee": "fee_due",
        "recover": "recovery_due",
        "government": "government",
        "no-agreed-start": "fee_due",
        "just-supplied": "not_idle",
        "stopped": "fee_due",
        "started": "not_idle",
    }
    # Idle a year after the agreed start (supply, with none agreed; the stop, once started); recovered a year later.
    assert clock["fee"]["idle_since"] == date(2025, 6, 1) and clock["fee"]["recovery_due_on"] == date(2026, 6, 1)
    assert clock["no-agreed-start"]["idle_since"] == date(2025, 3, 1)
    assert clock["stopped"]["idle_since"] == date(2025, 9, 1) and clock["stopped"]["idle_rule"] == "stopped_underdeveloped"
    assert clock["late"]["overdue_since"] == date(2025, 6, 1) and clock["late"]["idle_since"] is None
    # The fee: 20 % of the land price, due from the first idle year on, never on the government route.
    assert clock["fee"]["fee"] == 60.0 and clock["recover"]["fee"] == 60.0
    assert clock["government"]["fee"] is None and clock["late"]["fee"] is None
    assert clock["government"]["recovery_due_on"] is None
    # The notice is answered within 30 days; an unanswered one past that is overdue.
    assert clock["fee"]["reply_deadline"] == date(2025, 7, 31) and clock["fee"]["reply_overdue"]
    assert not clock["recover"]["reply_overdue"]
    assert {code: row["measure"] for code, row in clock.items() if row["measure"]} == {
        "late": "urge_start", "fee": "idle_fee", "recover": "recover", "government": "extend",
        "no-agreed-start": "idle_fee", "stopped": "idle_fee",
    }  # fmt: skip


def test_a_county_waiting_longer_moves_the_idle_day():
    frame = parcels({"code": "p", "supplied_on": date(2020, 1, 1), "agreed_start_on": date(2024, 6, 1)})
    frame = frame.with_columns(pl.lit("c").alias("region"))
    longer = {"c": land.Thresholds(idle_months=24)}
    assert clock_of(frame)["p"]["stage"] == "fee_due"
    assert clock_of(frame, by_region=longer)["p"]["stage"] == "overdue"
    later = clock_of(frame, date(2026, 7, 1), by_region=longer)["p"]
    assert later["idle_since"] == date(2026, 6, 1) and later["recovery_due_on"] == date(2027, 6, 1)


def test_what_the_land_bureau_records_is_checked():
    def errors(**values):
        record = {"idle_since": date(2025, 6, 1), "today": AS_OF, **values}
        return broken_rules(idle_land.RECORD_RULES, record, "en")

    assert errors(idle_notice_on=date(2025, 7, 1), idle_reply_on=date(2025, 7, 20)) == {}
    assert "idle_notice_on" in errors(idle_notice_on=date(2025, 5, 1))
    assert "idle_notice_on" in errors(idle_notice_on=date(2026, 2, 1))
    assert "not idle" in errors(idle_since=None, idle_notice_on=date(2025, 7, 1))["idle_notice_on"]
    assert "idle_reply_on" in errors(idle_notice_on=date(2025, 7, 1), idle_reply_on=date(2025, 6, 20))
    assert "idle_reply_on" in errors(idle_reply_on=date(2025, 7, 20))
    assert "idle_cause_reason" in errors(idle_cause="government", idle_cause_reason="  ")
    assert errors(idle_cause="government", idle_cause_reason="规划调整") == {}


# Facts up to the clock's day: a date after it has not happened yet, so a later day could undo it.
days = st.integers(min_value=-1500, max_value=0)
optional_days = st.none() | days
parcel = st.fixed_dictionaries(
    {
        "supply": days,
        "agreed": optional_days,
        "started": optional_days,
        "stopped": optional_days,
        "developed": st.none() | st.floats(0, 10),
        "price": st.none() | st.floats(0, 10_000),
        "government": st.booleans(),
    }
)


def frame_of(rows: list[dict]) -> pl.DataFrame:
    def day(offset):
        return None if offset is None else AS_OF + timedelta(days=offset)

    records = []
    for i, r in enumerate(rows):
        supplied = day(r["supply"])
        agreed = day(None if r["agreed"] is None else max(r["agreed"], r["supply"]))
        started = day(None if r["started"] is None else max(r["started"], r["supply"]))
        stopped = day(None if r["stopped"] is None or started is None else max(r["stopped"], r["started"], r["supply"]))
        records.append({
            "code": f"p{i}", "supplied_on": supplied, "agreed_start_on": agreed, "started_on": started,
            "stopped_since": stopped, "developed_mu": r["developed"], "land_price": r["price"],
            "idle_cause": "government" if r["government"] else None,
        })  # fmt: skip
    return pl.DataFrame(records, schema={**SCHEMA, "area_mu": pl.Float64}).with_columns(pl.lit(10.0).alias("area_mu"))


@FAST
@given(st.lists(parcel, min_size=1, max_size=12))
def test_the_idle_day_is_the_five_wei_idle_finding(rows):
    frame = frame_of(rows)
    clock = idle_land.clock(frame, AS_OF)
    idle = land.classify(frame, AS_OF).findings.filter(pl.col("category") == "supplied_not_used")
    earliest = dict(idle.group_by("code").agg(pl.col("since").min()).iter_rows())
    assert dict(clock.filter(pl.col("idle_since").is_not_null()).select("code", "idle_since").iter_rows()) == earliest
    assert clock["code"].to_list() == frame["code"].to_list()


@FAST
@given(st.lists(parcel, min_size=1, max_size=12), st.integers(0, 800))
def test_stages_only_move_forward(rows, later):
    frame = frame_of(rows)
    order = {stage: i for i, stage in enumerate(idle_land.STAGES)}
    before = idle_land.clock(frame, AS_OF)
    after = idle_land.clock(frame, AS_OF + timedelta(days=later))
    for a, b in zip(before["stage"], after["stage"], strict=True):
        assert order[a] <= order[b]


@FAST
@given(st.lists(parcel, min_size=1, max_size=12))
def test_the_fee_is_a_fifth_of_the_price_once_idle(rows):
    for row in idle_land.clock(frame_of(rows), AS_OF).join(frame_of(rows).select("code", "land_price"), on="code").iter_rows(named=True):
        if row["stage"] in ("fee_due", "recovery_due") and row["land_price"] is not None:
            assert abs(row["fee"] - 0.2 * row["land_price"]) < 1e-9
        else:
            assert row["fee"] is None
        if row["idle_since"] is not None:
            assert row["overdue_since"] is not None and row["overdue_since"] <= row["idle_since"]
            assert (row["recovery_due_on"] is None) == (row["stage"] == "government")
            assert row["recovery_due_on"] is None or row["recovery_due_on"] > row["idle_since"]
