"""Projects on the wall: start rates against the province's targets, and the key project lists."""

from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from mujun.engine import projects as engine

YEAR = 2026
COUNTIES = ["吴兴区", "南浔区", "德清县"]


def targets(margin: float = 10.0) -> pl.DataFrame:
    return pl.DataFrame([{"county": c, **engine.DEFAULT_START_TARGETS, "red_margin": margin} for c in COUNTIES])


@st.composite
def new_projects(draw):
    rows = []
    for county in COUNTIES:
        for _ in range(draw(st.integers(0, 12))):
            started = draw(st.none() | st.dates(date(YEAR - 1, 6, 1), date(YEAR, 12, 31)))
            rows.append({"county": county, "is_new": draw(st.booleans()), "plan_year": draw(st.sampled_from([YEAR, YEAR - 1])),
                         "actual_construction": started})  # fmt: skip
    schema = {"county": pl.Utf8, "is_new": pl.Boolean, "plan_year": pl.Int64, "actual_construction": pl.Date}
    return pl.DataFrame(rows, schema=schema)


@settings(max_examples=80, deadline=None)
@given(new_projects(), st.dates(date(YEAR, 1, 1), date(YEAR + 1, 3, 1)), st.floats(0, 50))
def test_rates_count_only_the_years_new_projects_and_never_fall(projects, today, margin):
    rates = engine.start_rates(projects, targets(margin), YEAR, today)
    mine = projects.filter(pl.col("is_new") & (pl.col("plan_year") == YEAR))
    assert rates["new"].sum() == mine.height
    for row in rates.iter_rows(named=True):
        counts = [row[f"started_{key}"] for key, _m, _d in engine.START_DEADLINES]
        assert counts == sorted(counts)  # started by a later deadline includes the earlier ones
        assert 0 <= row["rate_now"] <= 100
        due = engine.due_deadline(YEAR, min(today, date(YEAR, 12, 31)))
        if due is None:
            assert row["flag"] == "none"
        else:
            behind = engine.DEFAULT_START_TARGETS[due] - row["rate_now"]
            expected = "red" if behind > margin else "yellow" if behind > 0 else "green"
            assert row["flag"] == expected


def test_flags_at_the_end_of_the_second_quarter():
    started_by = {"吴兴区": 7, "南浔区": 5, "德清县": 3}  # of 10 new projects each: 70 %, 50 %, 30 % against 60 %
    rows = [
        {"county": county, "is_new": True, "plan_year": YEAR,
         "actual_construction": date(YEAR, 2, 1) + timedelta(days=i) if i < n else None}
        for county, n in started_by.items() for i in range(10)
    ]  # fmt: skip
    rates = engine.start_rates(pl.DataFrame(rows), targets(), YEAR, date(YEAR, 7, 15))
    by_county = {row["county"]: row for row in rates.iter_rows(named=True)}
    assert {c: by_county[c]["flag"] for c in COUNTIES} == {"吴兴区": "green", "南浔区": "yellow", "德清县": "red"}
    assert by_county["吴兴区"]["deadline"] == "q2" and by_county["吴兴区"]["target_due"] == 60.0
    assert by_county["德清县"]["rate_q1"] == 30.0


def test_no_flag_before_the_first_deadline():
    rows = [{"county": "吴兴区", "is_new": True, "plan_year": YEAR, "actual_construction": None}]
    rates = engine.start_rates(pl.DataFrame(rows, schema_overrides={"actual_construction": pl.Date}), targets(), YEAR, date(YEAR, 3, 31))
    assert rates["flag"].to_list() == ["none"] and rates["rate_now"].to_list() == [0.0]


@given(st.lists(st.floats(-50, 150), min_size=4, max_size=4), st.floats(-20, 120))
def test_targets_outside_0_to_100_or_falling_are_refused(values, margin):
    record = dict(zip(engine.TARGET_COLUMNS, values, strict=True)) | {"red_margin": margin}
    broken = {rule.field for rule in engine.START_TARGET_RULES if rule.broken_by(record)}
    keys = list(engine.TARGET_COLUMNS)
    expected = {k for k, v in zip(keys, values) if not 0 <= v <= 100}
    expected |= {later for earlier, later in zip(keys, keys[1:]) if record[later] < record[earlier]}
    expected |= {"red_margin"} if not 0 <= margin <= 100 else set()
    assert broken == expected


def _dated(stage_index: int, start: date) -> dict:
    return {f"actual_{s}": start + timedelta(days=30 * i) if i < stage_index else None for i, s in enumerate(engine.DATED_STAGES)}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, len(engine.DATED_STAGES)), st.integers(1, 200_000), st.booleans()), max_size=25),
    st.lists(st.integers(1, 100_000), max_size=10),
    st.dates(date(YEAR, 1, 1), date(YEAR + 2, 12, 1)),
)
def test_key_lists_follow_their_thresholds(projects, leads, month):
    project_rows = [
        {"id": i, "code": f"P{i}", "name": f"项目{i}", "enterprise__name": "", "region_id": 1, "total_investment": float(total),
         "key_county": key, **_dated(reached, date(YEAR, 1, 1))}
        for i, (reached, total, key) in enumerate(projects)
    ]  # fmt: skip
    schema = {"id": pl.Int64, "code": pl.Utf8, "name": pl.Utf8, "enterprise__name": pl.Utf8, "region_id": pl.Int64,
              "total_investment": pl.Float64, "key_county": pl.Boolean, **{f"actual_{s}": pl.Date for s in engine.DATED_STAGES}}
    lead_rows = [{"id": i, "name": f"线索{i}", "investor": "某集团", "region_id": 1, "planned_investment": float(v)} for i, v in enumerate(leads)]
    lists = engine.key_lists(
        pl.DataFrame(project_rows, schema=schema),
        pl.DataFrame(lead_rows, schema={"id": pl.Int64, "name": pl.Utf8, "investor": pl.Utf8, "region_id": pl.Int64, "planned_investment": pl.Float64}),
        engine.DEFAULT_LIST_THRESHOLDS, month,
    )  # fmt: skip
    assert set(lists) == set(engine.KEY_LISTS)
    assert lists["talks"].height == sum(v >= 30_000 for v in leads)
    assert (lists["signed"]["total_investment"] >= 10_000).all()
    assert set(lists["signed"]["stage_at"]) <= {"signed", "landed"}
    assert set(lists["construction"]["stage_at"]) <= {"construction"}
    assert set(lists["producing"]["stage_at"]) <= {"commissioned", "capacity"}
    end = engine.month_end(month)
    for frame in lists.values():
        assert frame.columns == engine.KEY_LIST_COLUMNS
        assert frame.filter(pl.col("reached_on") > end).is_empty()
    # The lists of stages are disjoint: a project stands in the one of the stage it had reached.
    staged = [set(lists[k]["id"]) for k in ("signed", "construction", "producing")]
    assert not (staged[0] & staged[1] or staged[1] & staged[2] or staged[0] & staged[2])
