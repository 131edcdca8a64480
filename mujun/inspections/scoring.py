"""Inspection rounds against the database: the scoreboard out.

The arithmetic is the engine's (mujun.engine.inspections); this module reads the round's scores into Polars
frames and turns the engine's frames into rows for pages and workbooks. Scores in, and opening and closing a
round, are mujun.inspections.services.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from django.contrib.auth import get_user_model
from django.db.models import FloatField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from mujun.core.charts import chart_html
from mujun.core.frames import read_frame
from mujun.engine import inspections as engine
from mujun.inspections.models import CountyResult, Criterion, Nomination, Round, Score
from mujun.regions.models import Region

# -- the scoreboard ----------------------------------------------------------------------------------


# A score's columns as read (its decimal value cast to a float in the query) → as the engine names them.
SCORE_COLUMNS = {"nomination_id": "project", "judge_id": "judge", "criterion_id": "criterion", "value_as_float": "value"}


def scores_frame(rounds, model=Score) -> pl.DataFrame:
    """Every score of ``rounds`` (a nomination is in one round: nominations_frame tells which). ``model`` and
    the other frames' are the migrations' historical models there."""
    scores = model.objects.filter(nomination__round__in=rounds).annotate(value_as_float=Cast("value", FloatField()))
    frame = read_frame(scores, {**dict.fromkeys(SCORE_COLUMNS, pl.Int64), "value_as_float": pl.Float64})
    return frame.rename(SCORE_COLUMNS)


def criteria_frame(rounds, model=Criterion) -> pl.DataFrame:
    rows = model.objects.filter(round__in=rounds).values_list("pk", "weight")
    return pl.DataFrame(
        [(pk, float(w)) for pk, w in rows], schema={"criterion": pl.Int64, "weight": pl.Float64}, orient="row"
    )


def nominations_frame(rounds, model=Nomination) -> pl.DataFrame:
    rows = model.objects.filter(round__in=rounds).values_list("round_id", "pk", "region_id")
    return pl.DataFrame(list(rows), schema={"round": pl.Int64, "project": pl.Int64, "county": pl.Int64}, orient="row")


@dataclass
class Scoreboard:
    round: Round
    projects: list[dict]  # rank, nomination, county, score, judges, lowest, highest, spread, trimmed, totals
    counties: list[dict]  # rank, county, score, projects
    judges: list  # users, in column order of ``projects[i]["totals"]``
    judge_rows: list[dict]  # judge, projects, mean total, mean deviation from the project scores


def scoreboard(round_: Round) -> Scoreboard:
    totals, projects, counties = engine.scoreboard(
        scores_frame([round_]), criteria_frame([round_]), nominations_frame([round_]).drop("round")
    )
    nominations = {n.pk: n for n in round_.nominations.select_related("region", "project")}
    judges = list(get_user_model().objects.filter(pk__in=totals["judge"].unique().to_list()).order_by("username"))
    by_project: dict[int, dict[int, float]] = {}
    for project, judge, total in totals.iter_rows():
        by_project.setdefault(project, {})[judge] = total
    project_rows = [
        {
            **row,
            "nomination": nominations[row["project"]],
            "county": nominations[row["project"]].region,
            "totals": [by_project.get(row["project"], {}).get(j.pk) for j in judges],
        }
        for row in projects.iter_rows(named=True)
    ]
    regions = Region.objects.in_bulk(counties["county"].to_list())
    county_rows = [{**row, "county": regions[row["county"]]} for row in counties.iter_rows(named=True)]
    deviation = (
        totals.join(projects.select("project", "score"), on="project")
        .group_by("judge")
        .agg(
            projects=pl.len(),
            mean=pl.col("total").mean().round(2),
            deviation=(pl.col("total") - pl.col("score")).mean().round(2),
        )
    )
    by_judge = {row["judge"]: row for row in deviation.iter_rows(named=True)}
    judge_rows = [{**by_judge[j.pk], "judge": j} for j in judges]
    return Scoreboard(round_, project_rows, county_rows, judges, judge_rows)


def scoreboard_sheets(board: Scoreboard) -> dict[str, pl.DataFrame]:
    """The scoreboard as workbook sheets (Chinese headers, as published)."""
    judge_names = [j.get_full_name() or j.username for j in board.judges]
    projects = pl.DataFrame(
        [
            [row["rank"], row["county"].name, row["nomination"].project_name, row["score"], row["judges"],
             row["lowest"], row["highest"], row["spread"], "是" if row["trimmed"] else "否", *row["totals"]]
            for row in board.projects
        ],
        schema={"名次": pl.Int64, "县区": pl.Utf8, "项目": pl.Utf8, "得分": pl.Float64, "评委数": pl.Int64,
                "最低分": pl.Float64, "最高分": pl.Float64, "极差": pl.Float64, "去掉最高最低分": pl.Utf8,
                **{f"评委：{name}": pl.Float64 for name in judge_names}},
        orient="row",
    )  # fmt: skip
    counties = pl.DataFrame(
        [[row["rank"], row["county"].name, row["score"], row["projects"]] for row in board.counties],
        schema={"名次": pl.Int64, "县区": pl.Utf8, "得分": pl.Float64, "项目数": pl.Int64},
        orient="row",
    )
    judges = pl.DataFrame(
        [[name, row["projects"], row["mean"], row["deviation"]] for name, row in zip(judge_names, board.judge_rows)],
        schema={"评委": pl.Utf8, "评分项目数": pl.Int64, "平均分": pl.Float64, "与项目得分的平均偏差": pl.Float64},
        orient="row",
    )
    return {"县区排名": counties, "项目排名": projects, "评委": judges}


def county_results(rounds, score=Score, criterion=Criterion, nomination=Nomination) -> pl.DataFrame:
    """Each of ``rounds``' ranked counties as its scoreboard gives them: round, county, projects, score, rank.
    What a round stores when it closes (``CountyResult``)."""
    return engine.rounds_compared(
        scores_frame(rounds, score), criteria_frame(rounds, criterion), nominations_frame(rounds, nomination)
    )


def comparison(limit: int = 8) -> tuple[list[Round], list, str]:
    """County scores and ranks over the latest closed rounds, as each stored them at its close: (rounds
    oldest first, [(county, [row or None per round])], a plotly chart fragment)."""

    rounds = list(Round.objects.filter(status=Round.Status.CLOSED).order_by("-year", "-quarter")[:limit])[::-1]
    if not rounds:
        return [], {}, ""
    table: dict = {}
    for row in CountyResult.objects.filter(round__in=rounds).values("round", "region", "projects", "score", "rank"):
        table.setdefault(row.pop("region"), {})[row.pop("round")] = row
    regions = Region.objects.in_bulk(list(table))
    named = {regions[pk]: rows for pk, rows in sorted(table.items(), key=lambda item: regions[item[0]].code)}
    labels = [r.period for r in rounds]
    rank = _("rank %(rank)s") % {"rank": "%{customdata}"}  # plotly fills in the rank
    lines = [
        {
            "type": "scatter",
            "name": county.name,
            "x": labels,
            "y": [rows.get(r.pk, {}).get("score") for r in rounds],
            "mode": "lines+markers",
            "customdata": [rows.get(r.pk, {}).get("rank") for r in rounds],
            "hovertemplate": f"%{{x}}: %{{y:.2f}} ({rank})<extra>{county.name}</extra>",
        }
        for county, rows in named.items()
    ]
    chart = chart_html(
        {
            "data": lines,
            "layout": {
                "title": {"text": _("County scores by round")}, "xaxis": {"title": {"text": _("round")}},
                "yaxis": {"title": {"text": _("score")}}, "margin": {"l": 40, "r": 20, "t": 50, "b": 40}, "height": 380,
            },
        }
    )  # fmt: skip
    cells = [(county, [rows.get(r.pk) for r in rounds]) for county, rows in named.items()]
    return rounds, cells, chart
