"""Scoring of a quarterly inspection round (互看互学互比): pure Polars, no Django.

A judge gives each visited project a value per criterion of the round's rubric; the judge's total for the
project is the weighted mean of those values (so it stays on the rubric's scale). A project's score is the
mean of its judges' totals, dropping the single highest and the single lowest where five or more judges
scored it; a county's score is the mean of its projects' scores. Ranks go from 1 (best) and equal scores
share a rank (1, 2, 2, 4).

Every aggregate sorts its values before adding them up, so the order in which judges' rows arrive never
changes a result, not even in the last binary digit.
"""

from __future__ import annotations

import polars as pl

TRIM_FROM = 5  # judges from which the highest and lowest totals are dropped
DECIMALS = 4  # scores are published to two decimals; ranks compare these rounded values

TOTALS_SCHEMA = {"project": pl.Int64, "judge": pl.Int64, "total": pl.Float64}


def judge_totals(scores: pl.DataFrame, criteria: pl.DataFrame) -> pl.DataFrame:
    """Each judge's weighted total per project.

    ``scores``: project, judge, criterion, value; ``criteria``: criterion, weight (> 0).
    Returns project, judge, total — the weighted mean over the criteria the judge scored.
    """
    if scores.height == 0:
        return pl.DataFrame(schema=TOTALS_SCHEMA)
    weighted = scores.join(criteria.select("criterion", "weight"), on="criterion", how="inner").with_columns(
        product=pl.col("value").cast(pl.Float64) * pl.col("weight").cast(pl.Float64)
    )
    return (
        weighted.group_by("project", "judge")
        .agg(total=pl.col("product").sort().sum() / pl.col("weight").cast(pl.Float64).sort().sum())
        .select(pl.col("project").cast(pl.Int64), pl.col("judge").cast(pl.Int64), pl.col("total").round(DECIMALS))
        .sort("project", "judge")
    )


def project_scores(totals: pl.DataFrame) -> pl.DataFrame:
    """Per project: judges, score (trimmed mean from five judges), lowest, highest and spread of totals,
    and whether the extremes were dropped."""
    ordered = pl.col("total").sort()
    count = pl.len()
    trimmed = ordered.slice(1, count - 2)
    return (
        totals.group_by("project")
        .agg(
            judges=count.cast(pl.Int64),
            score=pl.when(count >= TRIM_FROM).then(trimmed.sum() / (count - 2)).otherwise(ordered.sum() / count),
            lowest=pl.col("total").min(),
            highest=pl.col("total").max(),
            trimmed=count >= TRIM_FROM,
        )
        .with_columns(pl.col("score").round(DECIMALS), spread=(pl.col("highest") - pl.col("lowest")).round(DECIMALS))
        .sort("project")
    )


def rank_descending(column: str) -> pl.Expr:
    """Rank 1 for the highest value; equal values share the best rank of their group (1, 2, 2, 4)."""
    return pl.col(column).rank(method="min", descending=True).cast(pl.Int64)


def rank_projects(projects: pl.DataFrame) -> pl.DataFrame:
    """``projects`` (project, county, score …) with ``rank`` by score; ties share a rank."""
    return projects.with_columns(rank=rank_descending("score")).sort("rank", "project")


def county_scores(projects: pl.DataFrame, per: tuple[str, ...] = ()) -> pl.DataFrame:
    """Per county: projects scored, score (mean of its projects' scores), rank; ties share a rank. With
    ``per`` columns (``("round",)``), per county within each of their values, ranked within it."""
    scored = projects.filter(pl.col("score").is_not_null())
    rank = rank_descending("score")
    return (
        scored.group_by(*per, "county")
        .agg(projects=pl.len().cast(pl.Int64), score=pl.col("score").sort().sum() / pl.len())
        .with_columns(pl.col("score").round(DECIMALS))
        .with_columns(rank=rank.over(list(per)) if per else rank)
        .sort(*per, "rank", "county")
    )


def nominated_scores(totals: pl.DataFrame, nominations: pl.DataFrame) -> pl.DataFrame:
    """Every nominated project (``nominations``: project, county and any other columns) with its score
    from the judges' ``totals``; projects nobody scored keep a null score."""
    return nominations.with_columns(pl.col("project").cast(pl.Int64), pl.col("county").cast(pl.Int64)).join(
        project_scores(totals), on="project", how="left"
    )


def scoreboard(
    scores: pl.DataFrame, criteria: pl.DataFrame, nominations: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The whole scoreboard of a round.

    ``nominations``: project, county (every nominated project, scored or not).
    Returns (judge totals, ranked projects with their county, ranked counties). Projects nobody scored
    keep a null score and no rank.
    """
    totals = judge_totals(scores, criteria)
    projects = nominated_scores(totals, nominations.select("project", "county"))
    return totals, rank_projects(projects), county_scores(projects)


def rounds_compared(scores: pl.DataFrame, criteria: pl.DataFrame, nominations: pl.DataFrame) -> pl.DataFrame:
    """Each round's ranked counties, as each round's own :func:`scoreboard` gives them, for several rounds at
    once: ``nominations`` has round, project and county (a project, that is a nomination, is in one round);
    ``scores`` and ``criteria`` as for :func:`scoreboard`, of every round. Returns round, county, projects,
    score, rank."""
    projects = nominated_scores(judge_totals(scores, criteria), nominations.select("round", "project", "county"))
    return county_scores(projects, per=("round",))
