from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from mujun.engine import projects as engine

START = date(2023, 1, 1)


@st.composite
def project_frames(draw):
    """Projects with stages reached in order at non-decreasing dates, and reports of some months."""
    n = draw(st.integers(1, 25))
    rows = []
    for pid in range(1, n + 1):
        reached = draw(st.integers(0, len(engine.DATED_STAGES)))
        gaps = draw(st.lists(st.integers(0, 200), min_size=reached, max_size=reached))
        day, row = START, {"id": pid, "code": f"P{pid:03d}", "total_investment": float(draw(st.integers(1, 200_000)))}
        for index, stage in enumerate(engine.DATED_STAGES):
            if index < reached:
                day = day + timedelta(days=gaps[index])
                row[f"actual_{stage}"] = day
            else:
                row[f"actual_{stage}"] = None
            row[f"planned_{stage}"] = START + timedelta(days=60 * (index + 1))
        row["stage"] = engine.STAGE_ORDER[reached]
        rows.append(row)
    projects = pl.DataFrame(rows, schema_overrides={f"actual_{s}": pl.Date for s in engine.DATED_STAGES})
    months = [date(2023, m, 1) for m in range(1, 13)] + [date(2024, m, 1) for m in range(1, 13)]
    reports = [
        {"project_id": pid, "month": m, "invested_month": 10.0, "invested_to_date": 10.0 * (i + 1)}
        for pid in range(1, n + 1)
        for i, m in enumerate(months)
        if draw(st.booleans())
    ]
    schema = {"project_id": pl.Int64, "month": pl.Date, "invested_month": pl.Float64, "invested_to_date": pl.Float64}
    return projects, pl.DataFrame(reports, schema=schema)


months = st.dates(min_value=date(2023, 1, 1), max_value=date(2025, 6, 30)).map(lambda d: d.replace(day=1))


@settings(max_examples=60, deadline=None)
@given(project_frames(), months)
def test_four_lists_are_disjoint_and_hold_every_project_under_construction_or_beyond(frames, month):
    projects, reports = frames
    lists = engine.four_lists(projects, reports, month)
    ids = [set(frame["id"].to_list()) for frame in lists.values()]
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            assert not a & b
    end = engine.month_end(month)
    started = set(projects.filter(pl.col("actual_construction") <= end)["id"].to_list())
    assert set().union(*ids) == started
    for frame in lists.values():
        assert (frame["reached_on"] <= end).all()


@settings(max_examples=40, deadline=None)
@given(project_frames(), months, months)
def test_a_project_never_moves_back_to_an_earlier_list(frames, first, second):
    projects, reports = frames
    first, second = sorted([first, second])
    order = list(engine.FOUR_LISTS)

    def positions(month):
        return {pid: order.index(name) for name, f in engine.four_lists(projects, reports, month).items() for pid in f["id"]}

    earlier, later = positions(first), positions(second)
    for pid, position in earlier.items():
        assert later[pid] >= position


@settings(max_examples=40, deadline=None)
@given(project_frames(), months)
def test_missing_reports_are_reporting_projects_without_a_report_of_the_month(frames, month):
    projects, reports = frames
    missing = engine.missing_reports(projects, reports, month)
    reported = set(reports.filter(pl.col("month") == month)["project_id"].to_list())
    assert not set(missing["id"].to_list()) & reported
    lists = engine.four_lists(projects, reports, month)
    reporting = set(lists["construction"]["id"].to_list()) | set(lists["completed"]["id"].to_list())
    assert set(missing["id"].to_list()) == reporting - reported


def test_month_figures_come_from_the_month_and_the_latest_report():
    projects = pl.DataFrame(
        {"id": [1], "code": ["P1"], "stage": ["construction"], "total_investment": [500.0],
         **{f"actual_{s}": [date(2024, 1, 10) if s in ("signed", "landed", "construction") else None]
            for s in engine.DATED_STAGES}},
        schema_overrides={f"actual_{s}": pl.Date for s in engine.DATED_STAGES},
    )  # fmt: skip
    reports = pl.DataFrame(
        {"project_id": [1, 1], "month": [date(2024, 2, 1), date(2024, 3, 1)], "invested_month": [40.0, 60.0],
         "invested_to_date": [40.0, 100.0]}
    )  # fmt: skip
    march = engine.four_lists(projects, reports, date(2024, 3, 1))["construction"]
    assert march.select("invested_month", "invested_to_date").row(0) == (60.0, 100.0)
    april = engine.four_lists(projects, reports, date(2024, 4, 1))["construction"]
    assert april.select("invested_month", "invested_to_date").row(0) == (None, 100.0)
    assert engine.four_lists(projects, reports, date(2023, 12, 1))["construction"].height == 0


def _board_frame(**columns):
    base = {"id": [1], "stage": ["landed"], "total_investment": [20_000.0], "last_progress_month": [None]}
    for stage in engine.DATED_STAGES:
        base[f"planned_{stage}"] = [None]
        base[f"actual_{stage}"] = [None]
    base.update({k: [v] for k, v in columns.items()})
    return pl.DataFrame(base, schema_overrides={c: pl.Date for c in base if c.startswith(("planned_", "actual_", "last_"))})


def test_board_colours_by_the_next_stage_planned_date():
    today = date(2024, 6, 15)
    late = engine.board(_board_frame(planned_construction=date(2024, 6, 1)), today)
    soon = engine.board(_board_frame(planned_construction=date(2024, 7, 1)), today)
    later = engine.board(_board_frame(planned_construction=date(2024, 9, 1)), today)
    unplanned = engine.board(_board_frame(), today)
    done = engine.board(_board_frame(stage="above_scale"), today)
    assert [f["rag"][0] for f in (late, soon, later, unplanned, done)] == ["red", "amber", "green", "none", "green"]


def test_board_land_to_start_days_and_stalled():
    today = date(2024, 6, 15)
    frame = _board_frame(stage="construction", actual_landed=date(2024, 1, 1), actual_construction=date(2024, 2, 20),
                         last_progress_month=date(2024, 1, 1))  # fmt: skip
    row = engine.board(frame, today).row(0, named=True)
    assert row["land_to_start_days"] == 50
    assert row["stalled"]
    recent = engine.board(frame.with_columns(pl.lit(date(2024, 5, 1)).alias("last_progress_month")), today)
    assert not recent["stalled"][0]
    summary = engine.board_summary(engine.board(frame, today).with_columns(pl.lit("吴兴区").alias("county")))
    assert summary.row(0, named=True)["over_100m"] == 1
    assert summary.row(0, named=True)["over_1bn"] == 0


@settings(max_examples=40, deadline=None)
@given(project_frames(), st.sampled_from([2023, 2024]))
def test_portfolio_totals_add_up(frames, year):
    projects, reports = frames
    projects = projects.with_columns(
        pl.lit(year).alias("plan_year"), (pl.col("total_investment") / 4).alias("annual_plan"),
        (pl.col("id") % 3).cast(pl.Utf8).alias("field"),
    )  # fmt: skip
    table = engine.portfolio(projects, reports, year, "field")
    assert table["plan"].sum() == projects["annual_plan"].sum()
    completed = reports.filter(pl.col("month").dt.year() == year)["invested_month"].sum()
    assert abs(table["completed"].sum() - completed) < 1e-6
    by_month = engine.portfolio_by_month(projects, reports, year)
    assert abs(by_month["cumulative"][-1] - completed) < 1e-6


def test_totals_row():
    frame = pl.DataFrame({"label": ["a", "b"], "money": [1.5, 2.5], "other": [1, 2]})
    totals = engine.with_totals(frame, "label", "合计", ["money"])
    assert totals.row(-1) == ("合计", 4.0, None)
