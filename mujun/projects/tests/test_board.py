"""The board counted in the database gives the engine's figures (mujun.engine.projects.board)."""

from datetime import date, timedelta

import polars as pl

from mujun.engine import projects as engine
from mujun.projects import board, frames
from mujun.projects.models import Project

TODAY = date(2024, 6, 15)


def _projects(regions):
    """Projects covering each colour, stalled and not, big and small, with and without land-to-start days."""
    day = TODAY
    made = [
        # late: construction planned before today, still landed
        dict(stage="landed", actual_landed=day - timedelta(days=100), planned_construction=day - timedelta(days=1)),
        # due within AMBER_DAYS, and one just after it
        dict(stage="signed", planned_landed=day + timedelta(days=engine.AMBER_DAYS)),
        dict(stage="signed", planned_landed=day + timedelta(days=engine.AMBER_DAYS + 1)),
        # no planned date for the next stage
        dict(stage="planned"),
        # life cycle complete: green whatever the plan says
        dict(stage="above_scale", actual_landed=day - timedelta(days=900), actual_construction=day - timedelta(days=860)),
        # stalled: under construction for months, no investment since
        dict(stage="construction", actual_landed=day - timedelta(days=400), actual_construction=day - timedelta(days=300),
             last_progress_month=date(2024, 1, 1), planned_completed=day + timedelta(days=200)),  # fmt: skip
        # under construction with recent investment: not stalled
        dict(stage="construction", actual_landed=day - timedelta(days=400), actual_construction=day - timedelta(days=351),
             last_progress_month=date(2024, 5, 1)),  # fmt: skip
        # started recently without reports: not stalled yet
        dict(stage="construction", actual_landed=day - timedelta(days=60), actual_construction=day - timedelta(days=20)),
    ]
    investments = [5_000, engine.BIG, engine.HUGE, 250_000]
    for index, fields in enumerate(made):
        region = regions.zhili if index % 3 else regions.lianshi
        Project.objects.create(code=f"T{index:03d}", name=f"项目{index}", region=region,
                               total_investment=investments[index % 4], **fields)  # fmt: skip


def test_the_board_counted_in_the_database_equals_the_engine(regions):
    _projects(regions)
    counties = frames.county_names()
    summary, total = board.summary(Project.objects.all(), TODAY, counties, "合计")
    per_project = engine.board(frames.project_frame(Project.objects.all()), TODAY).with_columns(
        pl.col("region_id").replace_strict(counties, default=None, return_dtype=pl.Utf8).alias("county")
    )
    expected = engine.board_summary(per_project)
    columns = expected.columns
    assert summary.select(columns).to_dicts() == expected.to_dicts()
    expected_total = engine.board_summary(per_project.with_columns(pl.lit("合计").alias("county")))
    assert total.select(columns).to_dicts() == expected_total.to_dicts()
    assert total["rag_red"][0] == 1 and total["rag_amber"][0] == 1 and total["rag_none"][0] == 3  # the planned one and two under construction without a plan
    assert total["stalled"][0] == 1 and total["over_100m"][0] == 6 and total["over_1bn"][0] == 4


def test_flagged_projects_are_the_late_and_the_stalled_earliest_due_first(regions):
    _projects(regions)
    flagged = board.read_flagged(board.flagged(Project.objects.all(), TODAY), TODAY)
    assert [(p.code, p.rag, p.stalled) for p in flagged] == [("T000", "red", False), ("T005", "green", True)]
    per_project = engine.board(frames.project_frame(Project.objects.all()), TODAY)
    late_or_stalled = per_project.filter((pl.col("rag") == "red") | pl.col("stalled"))
    assert sorted(p.pk for p in flagged) == sorted(late_or_stalled["id"].to_list())


def test_an_empty_region_has_an_empty_board(regions):
    summary, total = board.summary(Project.objects.none(), TODAY, frames.county_names(), "合计")
    assert summary.height == 0 and total.height == 0


def _late_projects(regions, count: int) -> None:
    """``count`` projects landed long ago whose construction was due yesterday (late), and one on schedule."""
    yesterday = date.today() - timedelta(days=1)
    Project.objects.bulk_create(
        [
            Project(code=f"L{index:03d}", name=f"迟滞项目{index}", region=regions.zhili, stage="landed", total_investment=1000,
                    actual_landed=yesterday - timedelta(days=200), planned_construction=yesterday)  # fmt: skip
            for index in range(count)
        ]
    )
    Project.objects.create(code="G001", name="按期项目", region=regions.zhili, stage="signed", total_investment=1000,
                           planned_landed=date.today() + timedelta(days=365))  # fmt: skip


def test_the_board_lists_every_late_project_a_page_at_a_time(client_as, viewer, regions):
    _late_projects(regions, 60)
    client = client_as(viewer)
    first = client.get("/projects/board/")
    second = client.get("/projects/board/", {"page": 2})
    shown = [row["project"].code for row in first.context["flagged"] + second.context["flagged"]]
    assert len(first.context["flagged"]) == 50
    assert sorted(shown) == [f"L{index:03d}" for index in range(60)]
    assert b"page=2" in first.content


def test_the_project_list_filters_by_the_boards_lateness(client_as, viewer, regions):
    _late_projects(regions, 3)
    client = client_as(viewer)
    late = client.get("/projects/", {"lateness": "red"})
    assert sorted(p.code for p in late.context["filter"].qs) == ["L000", "L001", "L002"]
    on_schedule = client.get("/projects/", {"lateness": "green"})
    assert [p.code for p in on_schedule.context["filter"].qs] == ["G001"]
