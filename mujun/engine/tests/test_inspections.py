"""Scoring of inspection rounds: worked examples and properties that hold for any scores (hypothesis)."""

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mujun.engine.inspections import county_scores, judge_totals, project_scores, rank_projects, scoreboard

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CRITERIA = pl.DataFrame({"criterion": [1, 2], "weight": [3.0, 1.0]})


def totals_frame(totals: dict[int, list[float]]) -> pl.DataFrame:
    """project -> judges' totals, judges numbered from 1."""
    rows = [(project, judge, total) for project, values in totals.items() for judge, total in enumerate(values, 1)]
    return pl.DataFrame(rows, schema={"project": pl.Int64, "judge": pl.Int64, "total": pl.Float64}, orient="row")


def score_of(totals: list[float]) -> float:
    return project_scores(totals_frame({1: totals}))["score"][0]


def test_judge_total_is_the_weighted_mean_of_criteria():
    scores = pl.DataFrame({"project": [1, 1], "judge": [7, 7], "criterion": [1, 2], "value": [80.0, 60.0]})
    assert judge_totals(scores, CRITERIA)["total"].to_list() == [75.0]  # (3×80 + 60) / 4


def test_plain_mean_below_five_judges_trimmed_mean_from_five():
    assert score_of([90, 70, 80, 60]) == 75.0
    assert score_of([100, 90, 80, 70, 0]) == 80.0  # 100 and 0 dropped
    board = project_scores(totals_frame({1: [100, 90, 80, 70, 0]}))
    assert board.row(0, named=True) | {} == {
        "project": 1, "judges": 5, "score": 80.0, "lowest": 0.0, "highest": 100.0, "trimmed": True, "spread": 100.0,
    }


def test_ties_share_a_rank_and_unscored_projects_have_none():
    scores = pl.DataFrame(
        {"project": [1, 2, 3], "judge": [1, 1, 1], "criterion": [1, 1, 1], "value": [80.0, 90.0, 80.0]}
    )
    nominations = pl.DataFrame({"project": [1, 2, 3, 4], "county": [10, 10, 20, 20]})
    _totals, projects, counties = scoreboard(scores, CRITERIA, nominations)
    assert dict(projects.select("project", "rank").iter_rows()) == {2: 1, 1: 2, 3: 2, 4: None}
    assert counties.rows() == [(10, 2, 85.0, 1), (20, 1, 80.0, 2)]


totals_lists = st.lists(st.integers(0, 100).map(float), min_size=1, max_size=9)


@FAST
@given(totals=totals_lists, data=st.data())
def test_order_of_judges_does_not_change_the_score(totals, data):
    shuffled = data.draw(st.permutations(totals))
    assert score_of(shuffled) == score_of(totals)


@FAST
@given(
    values=st.lists(st.integers(0, 100), min_size=5, max_size=9),
    data=st.data(),
)
def test_with_five_judges_an_extreme_judge_moving_further_out_does_not_move_the_score(values, data):
    totals = sorted(float(v) for v in values)
    before = score_of(totals)
    raised = totals[:-1] + [totals[-1] + data.draw(st.integers(0, 50))]
    lowered = [totals[0] - data.draw(st.integers(0, 50))] + totals[1:]
    assert score_of(raised) == before
    assert score_of(lowered) == before


@FAST
@given(
    scores=st.dictionaries(
        st.integers(1, 30), st.tuples(st.integers(1, 4), st.floats(0, 100, allow_nan=False)), min_size=1
    )
)
def test_county_score_lies_within_its_projects_scores_and_ties_share_a_rank(scores):
    projects = pl.DataFrame(
        [(p, county, score) for p, (county, score) in scores.items()],
        schema={"project": pl.Int64, "county": pl.Int64, "score": pl.Float64},
        orient="row",
    )
    counties = county_scores(projects)
    bounds = projects.group_by("county").agg(low=pl.col("score").min(), high=pl.col("score").max())
    checked = counties.join(bounds, on="county")
    assert checked.filter((pl.col("score") < pl.col("low").round(4) - 1e-9) | (pl.col("score") > pl.col("high").round(4) + 1e-9)).height == 0
    for frame in (counties, rank_projects(projects)):
        by_score = frame.group_by("score").agg(pl.col("rank").n_unique())
        assert by_score["rank"].max() == 1  # equal scores, equal rank
        better = frame.filter(pl.col("rank") == 1)["score"].min()
        assert better == frame["score"].max()


def test_empty_round_gives_empty_scoreboard():
    empty = pl.DataFrame(schema={"project": pl.Int64, "judge": pl.Int64, "criterion": pl.Int64, "value": pl.Float64})
    _totals, projects, counties = scoreboard(empty, CRITERIA, pl.DataFrame({"project": [1], "county": [1]}))
    assert projects["score"].to_list() == [None]
    assert counties.height == 0


@pytest.mark.parametrize("judges", [5, 7])
def test_trimmed_mean_drops_exactly_one_of_each_extreme(judges):
    totals = [50.0] * (judges - 2) + [50.0, 100.0]  # the low 50 is an extreme too
    assert score_of(totals) == 50.0
