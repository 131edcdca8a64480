"""Evaluation runs against the database.

``build_input`` reads the stored figures of a region's enterprises into the engine's input table,
``execute_run`` evaluates them and writes the results in bulk, ``reproduce_run`` evaluates a run's stored
snapshot again and compares, and ``results_frame`` and the export frames turn stored results back into
tables for Excel. The computation itself is the engine's (mujun.engine); this module only moves data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import logging
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, models, transaction
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from mujun.collection.services import add_figure_sources, open_collection_problem
from mujun.core.clock import local_now, local_today
from mujun.core.deletion import DeletionRefused
from mujun.core.history import UPDATE_BATCH_SIZE
from mujun.core.scoping import can_edit_record
from mujun.engine import evaluation as engine
from mujun.engine.io import INPUT_COLUMNS
from mujun.engine.robustness import Settings, robustness, run_grade_probability
from mujun.engine.policies import CONSECUTIVE_D_YEARS, PRIOR_D_YEARS, policy_columns, tracks_d_years
from mujun.engine.scheme import Scheme, parse_scheme, required_columns
from mujun.enterprises.models import EnterpriseYear
from mujun.evaluation.grades import published_grade_table
from mujun.evaluation.models import Objection, Result, RobustnessAnalysis, RobustnessResult, Run
from mujun.evaluation.tasks import analyse_robustness, evaluate_run
from mujun.regions.models import Region, county_map

logger = logging.getLogger("mujun.evaluation")

BATCH_SIZE = 5_000
# Progress (%) reached after each stage; writing the results fills the rest.
PROGRESS_INPUT, PROGRESS_EVALUATED = 10, 30

# Where each input column comes from: the enterprise record or its figures for the year.
_ENTERPRISE_SOURCES = {
    "uscc": "enterprise__uscc",
    "name": "enterprise__name",
    "established_on": "enterprise__established_on",
    "industry_code": "enterprise__industry_code",
}
_YEAR_FIELDS = {f.name: f for f in EnterpriseYear._meta.concrete_fields}
_POLARS_TYPES = {
    models.FloatField: pl.Float64,
    models.BooleanField: pl.Boolean,
    models.DateField: pl.Date,
    models.CharField: pl.Utf8,
}
# Input columns a run derives rather than reads from the stored figures (not in the database as such).
_DERIVED_COLUMNS = {"prior_d_years": pl.Int64}
# Columns the engine reads next to the input columns: not part of the spec's table, kept in the snapshot
# so a reproduction needs no database.
ID_COLUMNS = {"enterprise_id": pl.Int64, "region_id": pl.Int64}


def _input_sources() -> dict[str, tuple[str, pl.DataType]]:
    """Input column -> (ORM lookup, Polars type) for every input column the platform stores."""
    sources: dict[str, tuple[str, pl.DataType]] = {}
    for column in INPUT_COLUMNS:
        if column in _ENTERPRISE_SOURCES:
            lookup = _ENTERPRISE_SOURCES[column]
            dtype = pl.Date if column == "established_on" else pl.Utf8
        elif column == "region":
            continue  # the county's name, filled in from the region tree
        elif column in _YEAR_FIELDS:
            lookup = column
            dtype = _POLARS_TYPES.get(type(_YEAR_FIELDS[column]), pl.Float64)
        else:
            continue
        sources[column] = (lookup, dtype)
    return sources


def stored_columns() -> set[str]:
    """The input columns a run built from the database provides; a scheme may name only these."""
    return {*_input_sources(), "region", *_DERIVED_COLUMNS}


def unstored_columns(scheme: Scheme) -> list[str]:
    return sorted(required_columns(scheme) - stored_columns())


class RunError(Exception):
    """A run cannot proceed; the message is shown to the user as is (in the language active when the run ran)."""


# --------------------------------------------------------------------------------------------------
# Input


def _counties(region_ids: Iterable[int]) -> dict[int, Region]:
    """Region id -> the county it belongs to (or itself when it sits above county level)."""
    regions = {r.pk: r for r in Region.objects.only("pk", "name", "level", "parent_id")}
    counties = county_map()
    return {pk: regions[counties[pk]] if counties[pk] is not None else regions[pk] for pk in region_ids}


def build_input(region: Region, year: int) -> pl.DataFrame:
    """The evaluation input for every active enterprise of ``region`` (and the regions under it) for ``year``.

    Columns: the spec's input columns (``region`` is the enterprise's county name), typed, plus
    ``enterprise_id`` and ``region_id`` (the county's id). Rows in enterprise id order so that equal data
    gives an equal table.
    """
    region_ids = region.descendant_ids()
    sources = _input_sources()
    lookups = ["enterprise_id", "enterprise__region_id", *(lookup for lookup, _ in sources.values())]
    queryset = (
        # Deactivated enterprises are left out of new runs (and stay in the runs that had them).
        EnterpriseYear.objects.filter(year=year, enterprise__region_id__in=region_ids, enterprise__active=True)
        .order_by("enterprise_id")
        .values_list(*lookups)
    )
    schema = {"enterprise_id": pl.Int64, "own_region_id": pl.Int64, **{c: t for c, (_, t) in sources.items()}}
    # values_list applies Django's converters (dates, booleans) the same way on SQLite and PostgreSQL;
    # Polars builds the columns in one go from the row tuples.
    frame = pl.DataFrame(list(queryset), schema=schema, orient="row")

    counties = _counties(region_ids)
    county_ids = {pk: county.pk for pk, county in counties.items()}
    county_names = {pk: county.name for pk, county in counties.items()}
    frame = frame.with_columns(
        region=pl.col("own_region_id").replace_strict(county_names, return_dtype=pl.Utf8),
        region_id=pl.col("own_region_id").replace_strict(county_ids, return_dtype=pl.Int64),
    )
    frame = frame.join(prior_d_years(region, year), on="enterprise_id", how="left", maintain_order="left")
    return frame.with_columns(pl.col(PRIOR_D_YEARS).fill_null(0)).select(*ID_COLUMNS, *INPUT_COLUMNS)


def prior_d_years(region: Region, year: int) -> pl.DataFrame:
    """``enterprise_id, prior_d_years``: the years running up to ``year - 1`` each enterprise was graded D in
    the published runs of ``region`` (a year without a published grade breaks the run); enterprises with
    none are left out."""
    history = published_grade_table(region.pk, year).filter(pl.col("grade") == "D")
    # One row per D year, nearest first: the run goes on while the n-th nearest D year is n years back.
    return (
        history.with_columns(back=year - pl.col("year"))
        .sort("enterprise_id", "back")
        .with_columns(nth=pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("enterprise_id"))
        .group_by("enterprise_id")
        .agg((pl.col("back") == pl.col("nth")).sum().cast(pl.Int64).alias(PRIOR_D_YEARS))
        .filter(pl.col(PRIOR_D_YEARS) > 0)
    )


def engine_input(frame: pl.DataFrame) -> pl.DataFrame:
    """The snapshot as the engine reads it: the spec's columns (the engine numbers the rows as a file would)."""
    return frame.select(list(INPUT_COLUMNS))


def scheme_for_run(scheme_text: str, year: int) -> Scheme:
    """The scheme as the run applies it: the run's year decides the exemptions."""
    scheme = parse_scheme(scheme_text)
    return dataclasses.replace(scheme, year=year) if scheme.year != year else scheme


# --------------------------------------------------------------------------------------------------
# Results


@dataclass
class RunOutput:
    """The engine's outcome, shaped as Result rows (one per input row, input order)."""

    rows: pl.DataFrame  # enterprise_id, region_id, group, status, reason, total, rank, grade
    indicators: list[dict]  # per row {indicator id: {"value": …, "score": …}} of the row's group
    evaluation: engine.Evaluation


def _finite(column: str) -> pl.Expr:
    """JSON and PostgreSQL jsonb have no NaN or infinity: those become null."""
    return pl.when(pl.col(column).is_finite()).then(pl.col(column)).otherwise(None)


def evaluate_snapshot(frame: pl.DataFrame, scheme: Scheme) -> RunOutput:
    evaluation = engine.evaluate(engine_input(frame), scheme, skip_invalid=True)
    result = pl.concat([frame.select(*ID_COLUMNS), evaluation.result], how="horizontal").with_row_index("_pos")

    indicators: list[dict] = [{} for _ in range(result.height)]
    for group in scheme.groups:
        members = result.filter(pl.col("group") == group.id)
        if members.is_empty() or not group.indicators:
            continue
        values = (
            members.select(
                pl.struct(
                    *(
                        pl.struct(
                            _finite(f"{ind.id}_value").cast(pl.Float64).alias("value"),
                            _finite(f"{ind.id}_score").cast(pl.Float64).alias("score"),
                        ).alias(ind.id)
                        for ind in group.indicators
                    ),
                    # Penalty and bonus items next to the indicators: the result page shows what moved the total.
                    *(
                        pl.struct(pl.col(adjustment.output_column).cast(pl.Float64).alias("points")).alias(adjustment.id)
                        for adjustment in scheme.group_adjustments(group)
                    ),
                )
            )
            .to_series()
            .to_list()
        )
        for position, value in zip(members["_pos"].to_list(), values, strict=True):
            indicators[position] = value

    rows = result.select(
        pl.col("enterprise_id"),
        pl.col("region_id"),
        pl.col("group").cast(pl.Utf8).fill_null(""),
        pl.col("status").cast(pl.Utf8),
        pl.col("reason").cast(pl.Utf8).fill_null("").str.slice(0, 255),
        _finite("total").cast(pl.Float64),
        pl.col("rank").cast(pl.Int64),
        pl.col("grade").cast(pl.Utf8).fill_null(""),
        _row_policies(evaluation.result, scheme),
        (pl.col(CONSECUTIVE_D_YEARS) if tracks_d_years(scheme) else pl.lit(None))
        .cast(pl.Int64)
        .alias(CONSECUTIVE_D_YEARS),
    )
    return RunOutput(rows=rows, indicators=indicators, evaluation=evaluation)


def regraded_policies(
    run: Run, enterprise_id: int, grade: str, frame: pl.DataFrame | None = None
) -> tuple[dict, int | None]:
    """A result's policy values (with its amounts) and consecutive D years when review regrades it to
    ``grade``: the scheme as run applied to the enterprise's row of ``frame``, by default the run's snapshot."""
    scheme = scheme_for_run(run.scheme_toml, run.year)
    row = (load_snapshot(run) if frame is None else frame).filter(pl.col("enterprise_id") == enterprise_id)
    typed, _problems = engine.prepare(engine_input(row), scheme)
    applied = typed.select(policy_columns(scheme, pl.lit(grade or None, pl.Utf8)))
    years = applied[CONSECUTIVE_D_YEARS][0] if tracks_d_years(scheme) else None
    return json.loads(_row_policies(applied, scheme)[0]), years


def _row_policies(result: pl.DataFrame, scheme: Scheme) -> pl.Series:
    """Each row's policy values and amounts as JSON text (Result.policies), leaving out what its grade lacks."""
    keys = [*scheme.policy_keys(), *(amount.id for amount in scheme.amounts)]
    if not keys:
        return pl.Series("policies", ["{}"] * result.height, dtype=pl.Utf8)
    values = result.select(
        pl.struct(_finite(key) if result.schema[key] == pl.Float64 else pl.col(key) for key in keys)
    ).to_series()
    encoded = [json.dumps({k: v for k, v in row.items() if v is not None}) for row in values.to_list()]
    return pl.Series("policies", encoded, dtype=pl.Utf8)


class RunDeleted(Exception):
    """The run was deleted while it was being evaluated: its task stops."""


def _set_progress(run: Run, progress: int) -> None:
    # A plain UPDATE: progress is not audited and a poll must see it at once.
    if not Run.objects.filter(pk=run.pk).update(progress=progress):
        raise RunDeleted(run.pk)
    run.progress = progress


def _save(run: Run, *fields: str) -> None:
    """Store the run's ``fields`` as changed by the user who started it (the worker has no request).

    Only an UPDATE of the named fields: a plain ``save()`` would insert a run deleted meanwhile again."""
    run._history_user = run.started_by
    try:
        run.save(update_fields=fields)
    except DatabaseError:
        # "Save with update_fields did not affect any rows": the run is gone.
        if not Run.objects.filter(pk=run.pk).exists():
            raise RunDeleted(run.pk) from None
        raise


# A result's review fields: set on posting and review, never by a (re)computation.
REVIEW_COLUMNS = ("posted_grade", "changed_on_review", "review_note")
# The columns a run writes, in the order of the rows ``_result_rows`` builds.
_RESULT_COLUMNS = [
    "run_id", "enterprise_id", "region_id", "group", "status", "reason", "total", "rank", "unranked", "grade",
    "indicators", "policies", "consecutive_d_years", *REVIEW_COLUMNS,
]  # fmt: skip


def _result_rows(run: Run, output: RunOutput) -> pl.DataFrame:
    """The Result rows as the database stores them: JSON fields as text, ``unranked`` derived."""
    return output.rows.select(
        pl.lit(run.pk, dtype=pl.Int64).alias("run_id"),
        "enterprise_id",
        "region_id",
        "group",
        "status",
        "reason",
        "total",
        "rank",
        (pl.col("rank").is_null() | pl.col("total").is_null()).alias("unranked"),
        "grade",
        pl.Series("indicators", [json.dumps(values) for values in output.indicators], dtype=pl.Utf8),
        "policies",
        "consecutive_d_years",
        # Not posted, not reviewed yet (the database has no defaults for the raw insert).
        pl.lit("").alias("posted_grade"),
        pl.lit(False).alias("changed_on_review"),
        pl.lit("").alias("review_note"),
    )


def _write_results(run: Run, output: RunOutput) -> None:
    """Insert the results in batches (progress after each): PostgreSQL with COPY, others with one prepared
    INSERT over all rows. Model instances are not needed for rows written once and never edited, and building
    them was 85 % of a run's time."""
    rows = _result_rows(run, output)
    table = connection.ops.quote_name(Result._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in _RESULT_COLUMNS)
    total = rows.height
    placeholders = ", ".join(["%s"] * len(_RESULT_COLUMNS))
    for start in range(0, total, BATCH_SIZE):
        batch = rows.slice(start, BATCH_SIZE)
        # One transaction per batch: progress stays visible to the page polling it.
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # CSV from Polars: nulls are empty fields, empty strings are quoted ("") as COPY expects.
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
                    copy.write(batch.write_csv(include_header=False, quote_style="non_numeric", null_value=""))
            else:
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", batch.rows())
        written = min(start + BATCH_SIZE, total)
        _set_progress(run, PROGRESS_EVALUATED + (99 - PROGRESS_EVALUATED) * written // total)


def _json_number(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def build_summary(run_output: RunOutput, scheme: Scheme, frame: pl.DataFrame) -> dict:
    """What the run page, the enterprise page and the exports need without reading every result."""
    rows = run_output.rows
    evaluation = run_output.evaluation
    graded = rows.filter(pl.col("grade") != "")
    per_group: dict[str, dict[str, int]] = {}
    for group, grade, count in graded.group_by("group", "grade").len().sort("group", "grade").iter_rows():
        per_group.setdefault(group, {})[grade] = count
    evaluated = dict(rows.filter(pl.col("status") == Result.Status.EVALUATED).group_by("group").len().iter_rows())
    groups = {}
    for group in scheme.groups:
        benchmarks = evaluation.benchmarks.get(group.id, {})
        groups[group.id] = {
            "label": group.label or group.id,
            "above_scale": group.above_scale,
            "grading": {"method": group.grading.method, **_grading_limits(group.grading)},
            "force_d_on_major_violation": group.force_d_on_major_violation,
            "evaluated": evaluated.get(group.id, 0),
            "grades": per_group.get(group.id, {}),
            "indicators": [
                {
                    "id": ind.id,
                    "label": ind.label or ind.id,
                    "weight": ind.weight,
                    "benchmark": _json_number(benchmarks.get(ind.id)),
                    "benchmark_rule": ind.benchmark,
                    "cap": ind.cap,
                    "missing": ind.missing,
                }
                for ind in group.indicators
            ],
            "adjustments": [
                {"id": adjustment.id, "label": adjustment.label, "points": adjustment.points}
                for adjustment in scheme.group_adjustments(group)
            ],
        }

    names = dict(frame.select("region_id", "region").unique("region_id").iter_rows())
    sizes = dict(rows.group_by("region_id").len().iter_rows())
    regions = {pk: {"id": pk, "name": names.get(pk), "enterprises": n, "grades": {}} for pk, n in sizes.items()}
    for region_id, grade, count in graded.group_by("region_id", "grade").len().sort("grade").iter_rows():
        regions[region_id]["grades"][grade] = count

    try:
        region_table = engine.summarise(evaluation.result, engine_input(frame)).to_dicts()
    except Exception:  # the summary table is informative only; the run's results do not depend on it
        logger.exception("region summary failed for run")
        region_table = []

    return {
        "enterprises": rows.height,
        "statuses": dict(rows.group_by("status").len().sort("status").iter_rows()),
        "grades": dict(graded.group_by("grade").len().sort("grade").iter_rows()),
        "groups": groups,
        "regions": sorted(regions.values(), key=lambda r: r["name"] or ""),
        "region_table": [{k: _json_number(v) for k, v in row.items()} for row in region_table],
        "policies": {grade: dict(values) for grade, values in scheme.policies.items()},
        "escalations": [dataclasses.asdict(escalation) for escalation in scheme.escalations],
        "amounts": [dataclasses.asdict(amount) for amount in scheme.amounts],
        "problems": [str(p) for p in evaluation.problems[:100]],
        "problem_count": len(evaluation.problems),
    }


def _grading_limits(grading) -> dict:
    return {
        grade: getattr(grading, grade) for grade in ("A", "B", "C", "D") if getattr(grading, grade, None) is not None
    }


# --------------------------------------------------------------------------------------------------
# Running


def _save_snapshot(run: Run, frame: pl.DataFrame) -> None:
    if run.input_snapshot:
        run.input_snapshot.delete(save=False)
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    run.input_snapshot.save(f"run-{run.pk}-{run.year}.parquet", ContentFile(buffer.getvalue()), save=False)


def load_snapshot(run: Run) -> pl.DataFrame:
    with run.input_snapshot.open("rb") as handle:
        return pl.read_parquet(handle)


def require_collections_closed(region: Region, year: int) -> None:
    """A run starts from closed data collections only: ``ValidationError`` while a collection of the year
    covering the region (of it, inside it or above it) is open (mujun.collection)."""
    if problem := open_collection_problem(region, year):
        raise ValidationError(problem)


def start_run(run: Run, user) -> None:
    """Queue the run's evaluation for ``user``; the worker (or, in tests, the immediate backend) carries it
    out, and its changes to the run are recorded as the user's."""
    require_collections_closed(run.region, run.year)
    # A posted or published run changes only through the review of objections (recompute_run), then never.
    queued = (
        Run.objects.filter(pk=run.pk)
        .exclude(status__in=(Run.Status.POSTED, Run.Status.PUBLISHED))
        .update(status=Run.Status.PENDING, progress=0, started_by=user)
    )
    if not queued:
        raise ValidationError(
            gettext("Run %(run)s is posted for public notice or published: it is not evaluated again.") % {"run": run}
        )
    evaluate_run.enqueue(run.pk)
    run.refresh_from_db()


def publish_run(run: Run, user) -> Run:
    """A city administrator publishes a posted run once its posting window has ended and every objection is
    decided: from then on it is frozen and counts as the city's record (results are posted before they count).
    The history names ``user`` and the time; ``published_at`` keeps the time on the run.

    Refused: ``PermissionDenied`` for anybody else, ``ValidationError`` (saying why) unless the run is posted,
    its window is over and no objection awaits review."""
    if user is None or not user.is_city_admin:
        raise PermissionDenied(gettext("Only a city administrator publishes runs."))
    with transaction.atomic():
        # Locked, so that a re-run, an objection or a second publication cannot slip in between check and save.
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.status != Run.Status.POSTED:
            raise ValidationError(
                gettext("Only a run posted for public notice can be published: post its results first.")
                if locked.status == Run.Status.DONE
                else gettext("Only a finished run posted for public notice can be published.")
            )
        today = local_today()
        if today <= locked.posting_ends_on:
            raise ValidationError(
                gettext(
                    "The posting runs from %(start)s to %(end)s: the run can be published from %(next)s, once "
                    "the window has ended."
                )
                % {
                    "start": locked.posting_starts_on,
                    "end": locked.posting_ends_on,
                    "next": locked.posting_ends_on + dt.timedelta(days=1),
                }
            )
        pending = locked.objections.filter(decision=Objection.Decision.PENDING).count()
        if pending:
            raise ValidationError(
                ngettext(
                    "%(count)d objection awaits review: decide it before publishing.",
                    "%(count)d objections await review: decide them before publishing.",
                    pending,
                )
                % {"count": pending}
            )
        locked.status, locked.published_at = Run.Status.PUBLISHED, local_now()
        locked._history_user = user
        locked.save(update_fields=["status", "published_at"])
    run.refresh_from_db()
    return run


def delete_run(run: Run) -> None:
    """Delete a run with its results and input snapshot. A published run never changes, and a run queued or
    being evaluated is refused too (its worker would write into it): ``DeletionRefused``."""
    with transaction.atomic():
        # Locked, so that the worker cannot start on it between the check and the delete.
        locked = Run.objects.select_for_update().filter(pk=run.pk).first()
        if locked is None:
            return
        if locked.status == Run.Status.PUBLISHED:
            raise DeletionRefused(gettext("Run %(run)s is published and cannot be deleted.") % {"run": locked})
        if locked.status == Run.Status.POSTED:
            raise DeletionRefused(
                gettext("Run %(run)s is posted for public notice and cannot be deleted.") % {"run": locked}
            )
        if locked.status in (Run.Status.PENDING, Run.Status.RUNNING):
            raise DeletionRefused(
                gettext("Run %(run)s is being evaluated and cannot be deleted; wait until it has finished.")
                % {"run": locked}
            )
        snapshot = locked.input_snapshot
        locked.delete()
    if snapshot:
        snapshot.delete(save=False)


def execute_run(run: Run) -> Run:
    """Evaluate the run's region and year under its scheme and store everything; never raises.

    A run deleted meanwhile stays deleted: the evaluation stops at its next step and leaves nothing behind."""
    try:
        _execute(run)
    except RunDeleted:
        logger.info("evaluation run %s was deleted while being evaluated; stopped", run.pk)
        if run.input_snapshot:
            run.input_snapshot.delete(save=False)
    return run


def _execute(run: Run) -> None:
    started = time.monotonic()
    run.status, run.progress, run.message, run.finished_at = Run.Status.RUNNING, 0, "", None
    _save(run, "status", "progress", "message", "finished_at")
    try:
        scheme_text = run.scheme.toml
        scheme = scheme_for_run(scheme_text, run.year)
        missing = unstored_columns(scheme)
        if missing:
            raise RunError(
                gettext("the scheme names columns the platform does not store: %(missing)s")
                % {"missing": ', '.join(missing)}
            )
        frame = build_input(run.region, run.year)
        if frame.is_empty():
            raise RunError(
                gettext("no enterprise figures stored for %(region)s in %(year)s")
                % {"region": run.region, "year": run.year}
            )
        run.scheme_toml = scheme_text
        # Each collected figure's source (department, delivery, time) goes into the snapshot next to it.
        frame = add_figure_sources(frame, run.region, run.year)
        _save_snapshot(run, frame)
        _set_progress(run, PROGRESS_INPUT)

        output = evaluate_snapshot(frame, scheme)
        _set_progress(run, PROGRESS_EVALUATED)

        # A robustness analysis is of the grades it was made for: it goes with them.
        run.robustness_analyses.all().delete()
        run.results.all().delete()
        _write_results(run, output)
        run.summary = build_summary(output, scheme, frame)
        run.status, run.progress, run.finished_at = Run.Status.DONE, 100, local_now()
        problem_count = run.summary["problem_count"]
        run.message = (
            gettext("%(problem_count)s rows with invalid data, marked invalid") % {"problem_count": problem_count}
            if problem_count
            else ""
        )
        _save(run, "scheme_toml", "input_snapshot", "summary", "status", "progress", "finished_at", "message")
        logger.info("evaluation run %s: %d enterprises in %.1f s", run.pk, frame.height, time.monotonic() - started)
    except RunDeleted:
        raise
    except Exception as exc:  # the run records why it failed; the worker keeps going
        logger.exception("evaluation run %s failed", run.pk)
        Result.objects.filter(run=run).delete()
        run.status, run.finished_at = Run.Status.FAILED, local_now()
        if isinstance(exc, RunError):
            run.message = str(exc)
        elif isinstance(exc, engine.InvalidInput):
            run.message = "\n".join(str(p) for p in exc.problems[:50])
        else:
            problems = getattr(exc, "problems", None)
            run.message = "\n".join(str(p) for p in problems) if problems else f"{type(exc).__name__}: {exc}"
        _save(run, "status", "finished_at", "message")


# --------------------------------------------------------------------------------------------------
# Reproduction


@dataclass
class Reproduction:
    identical: bool
    compared: int
    differing: int
    examples: list[str]


_COMPARED_FIELDS = ["enterprise_id", "group", "status", "reason", "total", "rank", "grade"]


def reproduce_run(run: Run) -> Reproduction:
    """Evaluate the run's stored snapshot with its stored scheme text and compare with its results."""
    frame = load_snapshot(run)
    output = evaluate_snapshot(frame, scheme_for_run(run.scheme_toml, run.year))
    fresh = {
        row[0]: (*row, indicators)
        for row, indicators in zip(output.rows.select(_COMPARED_FIELDS).rows(), output.indicators, strict=True)
    }
    grade_at = _COMPARED_FIELDS.index("grade")
    for pk, grade in review_regrades(run).items():  # a reasoned regrade is part of the record, not a difference
        if pk in fresh:
            fresh[pk] = (*fresh[pk][:grade_at], grade, *fresh[pk][grade_at + 1 :])
    stored = {row[0]: row for row in run.results.order_by().values_list(*_COMPARED_FIELDS, "indicators").iterator(5000)}
    differing = sorted(pk for pk in fresh.keys() | stored.keys() if fresh.get(pk) != stored.get(pk))
    examples = []
    for pk in differing[:10]:
        before, after = stored.get(pk), fresh.get(pk)
        examples.append(
            f"enterprise {pk}: stored {before[1:7] if before else None} → now {after[1:7] if after else None}"
        )
    return Reproduction(identical=not differing, compared=len(fresh), differing=len(differing), examples=examples)


# --------------------------------------------------------------------------------------------------
# Export


_RESULT_LOOKUPS = {
    "uscc": ("enterprise__uscc", pl.Utf8),
    "name": ("enterprise__name", pl.Utf8),
    "region": ("region__name", pl.Utf8),
    "group": ("group", pl.Utf8),
    "status": ("status", pl.Utf8),
    "reason": ("reason", pl.Utf8),
    "total": ("total", pl.Float64),
    "rank": ("rank", pl.Int64),
    "grade": ("grade", pl.Utf8),
    "indicators_json": ("indicators_json", pl.Utf8),
    "policies_json": ("policies_json", pl.Utf8),
    "enterprise_id": ("enterprise_id", pl.Int64),
    CONSECUTIVE_D_YEARS: (CONSECUTIVE_D_YEARS, pl.Int64),
}


def stored_policy_columns(run: Run) -> dict[str, pl.DataType]:
    """The run's policy output columns (as the engine's output orders them) and their types, from its summary:
    consecutive D years when the scheme escalates or counts money, each policy key, each amount."""
    summary = run.summary or {}
    policies, amounts = summary.get("policies", {}), summary.get("amounts", [])
    columns: dict[str, pl.DataType] = {}
    if amounts or summary.get("escalations"):
        columns[CONSECUTIVE_D_YEARS] = pl.Int64
    for values in policies.values():
        for key, value in values.items():
            # The scheme gives a key one type in every grade: a number, text or a flag.
            kind = pl.Boolean if isinstance(value, bool) else pl.Float64 if isinstance(value, int | float) else pl.Utf8
            columns.setdefault(key, kind)
    columns.update({amount["id"]: pl.Float64 for amount in amounts})
    return columns


def stored_results(run: Run, queryset=None) -> pl.DataFrame:
    """Stored results read in one query without model instances, the indicators and policies JSON decoded
    (``_indicators`` struct, policy columns), in the order of the results page."""
    queryset = run.results.all() if queryset is None else queryset
    rows = (
        # The JSON as text: Polars decodes it for all rows at once, faster than Django row by row.
        queryset.annotate(
            indicators_json=Cast("indicators", models.TextField()), policies_json=Cast("policies", models.TextField())
        )
        .order_by("group", models.F("rank").asc(nulls_last=True), "enterprise__uscc")
        .values_list(*(lookup for lookup, _ in _RESULT_LOOKUPS.values()))
    )
    frame = pl.DataFrame(list(rows), schema={c: t for c, (_, t) in _RESULT_LOOKUPS.items()}, orient="row")

    groups = run.summary.get("groups", {}).values()
    indicator_ids = list(dict.fromkeys(ind["id"] for group in groups for ind in group["indicators"]))
    pair = pl.Struct({"value": pl.Float64, "score": pl.Float64})
    decoded = pl.col("indicators_json").str.json_decode(pl.Struct({i: pair for i in indicator_ids}))
    policy_types = {k: t for k, t in stored_policy_columns(run).items() if k != CONSECUTIVE_D_YEARS}
    policies = pl.col("policies_json").str.json_decode(pl.Struct(policy_types))
    return frame.with_columns(
        decoded.alias("_indicators") if indicator_ids else pl.lit(None).alias("_indicators"),
        *(policies.struct.field(key).alias(key) for key in policy_types),
    )


def results_frame(run: Run, queryset=None) -> pl.DataFrame:
    """Stored results as a table in the engine's output layout (a value and a score column for each
    indicator of all groups, then the policy columns), read in one query without model instances."""
    groups = run.summary.get("groups", {}).values()
    indicator_ids = list(dict.fromkeys(ind["id"] for group in groups for ind in group["indicators"]))
    return stored_results(run, queryset).select(
        "uscc",
        "name",
        "region",
        "group",
        "status",
        "reason",
        *(
            pl.col("_indicators").struct.field(indicator).struct.field(part).alias(f"{indicator}_{part}")
            for indicator in indicator_ids
            for part in ("value", "score")
        ),
        "total",
        "rank",
        "grade",
        *stored_policy_columns(run),
    )


# Status values as the county's report words them (file content, like the engine's Chinese headers).
STATUS_LABELS = {"evaluated": "参评", "exempt": "暂不评价(T类)", "out_of_scope": "不在评价范围", "invalid": "数据无效"}


def display_frame(run: Run, frame: pl.DataFrame) -> pl.DataFrame:
    """The table as a report shows it: numbers rounded, group and status spelled out, Chinese headers."""
    headers = engine.result_headers(parse_scheme(run.scheme_toml))
    group_labels = {gid: g["label"] for gid, g in run.summary.get("groups", {}).items()}
    rounded = []
    for column in frame.columns:
        if column.endswith("_value"):
            rounded.append(pl.col(column).round(4))
        elif column.endswith("_score") or column == "total":
            rounded.append(pl.col(column).round(2))
    frame = frame.with_columns(
        *rounded,
        *([pl.col("group").replace(group_labels)] if "group" in frame.columns else []),
        *([pl.col("status").replace(STATUS_LABELS)] if "status" in frame.columns else []),
    ).with_columns(pl.col(pl.Boolean).replace_strict({True: "是", False: "否"}, default=None, return_dtype=pl.Utf8))
    return frame.rename({column: headers.get(column, column) for column in frame.columns})


def summary_export_frame(run: Run) -> pl.DataFrame:
    """The run's per-region summary (the engine's), with its Chinese headers."""
    table = pl.DataFrame(run.summary.get("region_table", []))
    return table.rename({c: engine.SUMMARY_HEADERS.get(c, c) for c in table.columns})


# A posted or published run's export also says what the review did (file content, in Chinese).
REVIEW_HEADERS = {"posted_grade": "公示等级", "changed_on_review": "复核调整", "review_note": "复核说明"}


def results_export_frame(run: Run, queryset=None) -> pl.DataFrame:
    frame = results_frame(run, queryset)
    if run.is_locked:
        review = pl.DataFrame(
            list(run.results.values_list("enterprise__uscc", *REVIEW_HEADERS)),
            schema={"uscc": pl.Utf8, "posted_grade": pl.Utf8, "changed_on_review": pl.Boolean, "review_note": pl.Utf8},
            orient="row",
        ).rename(REVIEW_HEADERS)
        frame = frame.join(review, on="uscc", how="left", maintain_order="left")
    return display_frame(run, frame)


# The policies' names on pages and list file names, in the user's language (the workbook's column headers
# are the engine's Chinese POLICY_HEADERS, file content). A key the platform does not know shows as itself.
POLICY_NAMES = {
    "land_use_tax_reduction": gettext_lazy("Land-use tax reduction (share)"),
    "electricity_surcharge_yuan_per_kwh": gettext_lazy("Electricity surcharge (yuan/kWh)"),
    "water_surcharge_yuan_per_t": gettext_lazy("Water surcharge (yuan/t)"),
    "sewage_surcharge_yuan_per_t": gettext_lazy("Sewage charge surcharge (yuan/t)"),
    "credit_restricted": gettext_lazy("No new credit"),
    "energy_quota_restricted": gettext_lazy("No new energy quota"),
    "energy_quota_reduction": gettext_lazy("Energy quota cut (share)"),
}


def policy_name(key: str) -> str:
    return str(POLICY_NAMES.get(key, key))


def policy_list_filename(run: Run, grade: str, key: str | None) -> str:
    if key is None:
        return gettext("%(run)s - grade %(grade)s list.xlsx") % {"run": run.name, "grade": grade}
    policy = re.sub(r"\s*[(（].*$", "", policy_name(key))  # the unit's "/" has no place in a file name
    names = {"run": run.name, "grade": grade, "policy": policy}
    return gettext("%(run)s - grade %(grade)s %(policy)s list.xlsx") % names


def policy_export_frame(run: Run, grade: str, key: str | None = None) -> pl.DataFrame:
    """The enterprises of one grade with that grade's policies (or only ``key``); KeyError when the
    scheme has no such list."""
    policies = run.summary.get("policies", {})
    if grade not in policies or (key is not None and key not in policies[grade]):
        raise KeyError(grade if key is None else f"{grade}/{key}")
    frame = results_frame(run, run.results.filter(grade=grade))
    keys = [key] if key else list(policies[grade])
    # With each policy the money it involves, and how long the firm has been D where the scheme counts it.
    keys += [amount["id"] for amount in run.summary.get("amounts", []) if amount["rate"] in keys]
    years = [CONSECUTIVE_D_YEARS] if CONSECUTIVE_D_YEARS in frame.columns else []
    why = [d_reason(run).alias(D_REASON_HEADER)] if grade == "D" else []
    frame = frame.select("uscc", "name", "region", "group", "total", "rank", "grade", *why, *years, *keys)
    return display_frame(run, frame)


# Why a firm is on the D list, as the list words it (file content, like STATUS_LABELS).
D_REASON_HEADER = "定为D档原因"
D_REASON_FORCED = "重大违法违规，直接定为D档"
D_REASON_BY_METHOD = {"share": "综合评价排名靠后，定为D档", "threshold": "综合评价得分低于C档分数线，定为D档"}


def d_reason(run: Run) -> pl.Expr:
    """A D row's reason: forced by a major violation, or ranked (scored) into D by its group's grading.

    The engine records a forced D in the row's ``reason`` (an evaluated row has no other reason)."""
    methods = {gid: g.get("grading", {}).get("method") for gid, g in run.summary.get("groups", {}).items()}
    ranked = {gid: D_REASON_BY_METHOD.get(method, D_REASON_BY_METHOD["share"]) for gid, method in methods.items()}
    return (
        pl.when(pl.col("reason").fill_null("") != "")
        .then(pl.lit(D_REASON_FORCED))
        .otherwise(pl.col("group").replace_strict(ranked, default=D_REASON_BY_METHOD["share"], return_dtype=pl.Utf8))
    )


# --------------------------------------------------------------------------------------------------
# Posting (公示), objections (异议), review (复核): the stages between a finished run and its publication.
# A finished run is posted for public notice with a window; inside it the enterprise's town, or the county
# operator on the enterprise's behalf, objects; a city administrator decides each objection (uphold, correct
# the figures and recompute, or regrade with a reason); after the window, with nothing left undecided, the run
# is published. The grade as posted stays on each result, so a published grade shows where review changed it.


def can_post(user, run: Run) -> bool:
    """Who posts a finished run: a city administrator, or the operator of the run's county."""
    return user.is_authenticated and can_edit_record(user, run) and run.status == Run.Status.DONE


def post_run(run: Run, user, starts_on: dt.date, ends_on: dt.date) -> Run:
    """Post a finished run's results for public notice from ``starts_on`` to ``ends_on`` (local dates, both
    included). Each result keeps its grade as posted. Dates in the past record a posting held earlier.

    Refused: ``PermissionDenied`` for whom may not edit the run, ``ValidationError`` unless the run is
    finished (done) and the window is sound."""
    if user is None or not can_edit_record(user, run):
        raise PermissionDenied(gettext("You may not post this run's results."))
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.status != Run.Status.DONE:
            raise ValidationError(
                gettext("Only a finished run that is not posted yet can be posted for public notice.")
            )
        if starts_on is None or ends_on is None:
            raise ValidationError(gettext("A posting needs a start date and an end date."))
        locked.posting_starts_on, locked.posting_ends_on = starts_on, ends_on
        locked.clean()
        locked.status, locked.posted_at = Run.Status.POSTED, local_now()
        locked._history_user = user
        locked.save(update_fields=["status", "posting_starts_on", "posting_ends_on", "posted_at"])
        locked.results.update(posted_grade=models.F("grade"), changed_on_review=False, review_note="")
    run.refresh_from_db()
    return run


def publish_after_past_posting(run: Run, user, starts_on: dt.date, ends_on: dt.date) -> Run:
    """Record a posting held earlier (its window over, no objection filed) and publish: for results of past
    years entered afterwards, as the demo's earlier years are."""
    if ends_on >= local_today():
        raise ValidationError(gettext("The posting has not ended yet: post the run and publish it after the window."))
    post_run(run, user, starts_on, ends_on)
    return publish_run(run, user)


def objection_filed_as(user, result: Result) -> str:
    """How ``user`` files an objection to ``result``: as the enterprise's town (their region is the
    enterprise's town or park), or as the county operator on the enterprise's behalf (their region holds
    it). ``PermissionDenied`` for anybody else."""
    region = result.enterprise.region
    if (
        user is not None
        and user.is_authenticated
        and user.role == user.Role.COUNTY_OPERATOR
        and user.region_id is not None
        and user.region_id in region.ancestor_ids(include_self=True)
    ):
        town = user.region.level in (Region.Level.TOWN, Region.Level.PARK)
        return Objection.FiledAs.TOWN if town else Objection.FiledAs.COUNTY
    raise PermissionDenied(
        gettext(
            "Only the enterprise's town, or the operator of its county on its behalf, files an objection to its grade."
        )
    )


def can_object(user, result: Result) -> bool:
    try:
        objection_filed_as(user, result)
    except PermissionDenied:
        return False
    return result.run.posting_open_on(local_today())


def file_objection(result: Result, user, reason: str, evidence=None) -> Objection:
    """File an objection to a posted result, within the posting window (local dates, both ends included).
    ``evidence``: an uploaded file (jpg, png or pdf), optional.

    Refused: ``PermissionDenied`` for anybody but the enterprise's town or county operator;
    ``ValidationError`` outside the window, without a reason, or while an objection to the same result awaits
    review."""
    filed_as = objection_filed_as(user, result)
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=result.run_id)
        objection = Objection(
            run=run, result=result, filed_by=user, filed_as=filed_as, reason=(reason or "").strip(),
            filed_at=local_now(), evidence=evidence or None,
            evidence_name=Path(evidence.name).name[:255] if evidence else "",
        )  # fmt: skip
        objection.full_clean()
        if run.objections.filter(result=result, decision=Objection.Decision.PENDING).exists():
            raise ValidationError(gettext("An objection to this enterprise's grade already awaits review."))
        objection._history_user = user
        objection.save()
    return objection


@dataclass(frozen=True)
class GradeChange:
    """An enterprise whose grade a recompute changed."""

    enterprise_id: int
    name: str
    uscc: str
    before: str
    after: str
    posted: str
    total_before: float | None
    total_after: float | None


def decide_objection(objection: Objection, user, decision: str, reason: str, grade: str = "") -> Objection:
    """A city administrator decides an objection, with a written reason:

    - ``upheld``: the grade stands;
    - ``corrected``: the enterprise's figures were corrected (through the enterprises' forms or API) and the
      run is recomputed (``recompute_run``): every enterprise whose grade changes is recorded;
    - ``regraded``: the result takes ``grade``.

    The objection keeps the grade before and after, who and when, in its history. Refused:
    ``PermissionDenied`` for anybody else, ``ValidationError`` when already decided, when the run is no longer
    posted, without a reason (a regrade without one above all) or without a grade to regrade to."""
    if user is None or not user.is_city_admin:
        raise PermissionDenied(gettext("Only a city administrator decides objections."))
    if decision not in Objection.Decision.values or decision == Objection.Decision.PENDING:
        raise ValidationError({"decision": gettext("Choose a decision: uphold, correct the data, or regrade.")})
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=objection.run_id)
        locked = Objection.objects.select_for_update().select_related("result").get(pk=objection.pk)
        if run.status != Run.Status.POSTED:
            raise ValidationError(gettext("Objections are decided only while the run is posted for public notice."))
        if not locked.is_pending:
            raise ValidationError(gettext("This objection has already been decided."))
        result = locked.result
        locked.decision, locked.decision_reason = decision, (reason or "").strip()
        locked.grade_before = result.grade
        locked.grade_after = grade if decision == Objection.Decision.REGRADED else result.grade
        locked.full_clean()
        if decision == Objection.Decision.REGRADED and grade == result.grade:
            message = gettext("The grade is %(grade)s already: uphold it instead.") % {"grade": grade}
            raise ValidationError({"grade_after": message})
        locked.decided_by, locked.decided_at = user, local_now()
        if decision == Objection.Decision.REGRADED:
            _regrade(run, result, grade, locked.decision_reason)
        elif decision == Objection.Decision.CORRECTED:
            recompute_run(run, user, note=locked.decision_reason, objection=locked)
            result.refresh_from_db()
            locked.grade_after = result.grade
        locked._history_user = user
        locked.save()
    objection.refresh_from_db()
    return objection


def _policies_for(run: Run, result: Result, grade: str, frame: pl.DataFrame | None = None) -> None:
    """Set a result's policy values, amounts and consecutive D years for ``grade`` (a regrade changes them with
    the grade); ``frame``: the run's input when it is being recomputed, else its snapshot."""
    result.policies, result.consecutive_d_years = regraded_policies(run, result.enterprise_id, grade, frame)


def _regrade(run: Run, result: Result, grade: str, note: str) -> None:
    result.grade, result.review_note = grade, note
    result.changed_on_review = grade != result.posted_grade
    _policies_for(run, result, grade)
    result.save(update_fields=["grade", "review_note", "changed_on_review", "policies", "consecutive_d_years"])
    _refresh_grade_counts(run)
    run.save(update_fields=["summary"])


def _refresh_grade_counts(run: Run) -> None:
    """The summary's grade counts (whole run, per group, per region) recounted from the stored results."""
    summary = run.summary or {}
    rows = list(run.results.exclude(grade="").order_by().values_list("group", "region__name", "region_id", "grade"))
    totals: dict[str, int] = {}
    per_group: dict[str, dict[str, int]] = {}
    per_region: dict[int, dict[str, int]] = {}
    per_region_name: dict[str, dict[str, int]] = {}
    for group, region_name, region_id, grade in rows:
        totals[grade] = totals.get(grade, 0) + 1
        for counts in (per_group.setdefault(group, {}), per_region.setdefault(region_id, {}),
                       per_region_name.setdefault(region_name, {})):  # fmt: skip
            counts[grade] = counts.get(grade, 0) + 1
    summary["grades"] = dict(sorted(totals.items()))
    for group_id, group in summary.get("groups", {}).items():
        group["grades"] = dict(sorted(per_group.get(group_id, {}).items()))
    for region in summary.get("regions", []):
        region["grades"] = dict(sorted(per_region.get(region["id"], {}).items()))
    for row in summary.get("region_table", []):
        counts = per_region_name.get(row.get("region"), {})
        for grade in Result.GRADES:
            if grade in row:
                row[grade] = counts.get(grade, 0)
    run.summary = summary


def _decode_result_value(column: str, value):
    return json.loads(value) if column in ("indicators", "policies") and isinstance(value, str) else value


def review_regrades(run: Run) -> dict[int, str]:
    """Enterprise id -> the grade a reasoned regrade on review gave it (the latest decision counts)."""
    return dict(
        run.objections.filter(decision=Objection.Decision.REGRADED)
        .order_by("decided_at", "pk")
        .values_list("result__enterprise_id", "grade_after")
    )


def recompute_run(run: Run, user, note: str = "", objection: Objection | None = None) -> list[GradeChange]:
    """Evaluate a posted run again from the enterprises' stored figures (corrected on review), under the
    scheme as run, and update its results in place: objections stay attached, each result keeps its grade as
    posted, and a grade given by a regrade stands. Returns (and records in the run's summary, newest last)
    the enterprises whose grade changed."""
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.status != Run.Status.POSTED:
            raise ValidationError(gettext("Only a run posted for public notice is recomputed on review."))
        scheme = scheme_for_run(locked.scheme_toml or locked.scheme.toml, locked.year)
        frame = build_input(locked.region, locked.year)
        output = evaluate_snapshot(frame, scheme)
        rows = _result_rows(locked, output)
        columns = [c for c in rows.columns if c not in ("run_id", "enterprise_id", *REVIEW_COLUMNS)]
        existing = {r.enterprise_id: r for r in locked.results.select_related("enterprise")}
        regraded = review_regrades(locked)
        changes, updated, created = [], [], []
        for row in rows.iter_rows(named=True):
            result = existing.pop(row["enterprise_id"], None)
            if result is None:  # an enterprise added since the posting: not posted, so no grade as posted
                created.append(Result(run=locked, enterprise_id=row["enterprise_id"],
                                      **{c: _decode_result_value(c, row[c]) for c in columns}))  # fmt: skip
                continue
            before, total_before = result.grade, result.total
            stored = [getattr(result, column) for column in (*columns, "changed_on_review", "review_note")]
            for column in columns:
                setattr(result, column, _decode_result_value(column, row[column]))
            if result.enterprise_id in regraded:  # a reasoned regrade is the review's word: it stands
                result.grade = regraded[result.enterprise_id]
                _policies_for(locked, result, result.grade, frame)
            result.changed_on_review = result.grade != result.posted_grade
            if objection is not None and result.pk == objection.result_id:
                result.review_note = note
            elif result.grade != before:  # moved by the others' corrected figures (a share grading)
                result.review_note = gettext("Grade changed when the run was recomputed with corrected figures.")
            if stored != [getattr(result, column) for column in (*columns, "changed_on_review", "review_note")]:
                updated.append(result)  # only what changed: a correction moves one firm and the ranks around it
            if result.grade != before:
                enterprise = result.enterprise
                changes.append(GradeChange(enterprise.pk, enterprise.name, enterprise.uscc, before, result.grade,
                                           result.posted_grade, total_before, result.total))  # fmt: skip
        Result.objects.bulk_update(updated, [*columns, "changed_on_review", "review_note"], batch_size=UPDATE_BATCH_SIZE)
        Result.objects.bulk_create(created, batch_size=1000)
        # Enterprises gone since the posting (deactivated): their results go unless an objection holds them.
        Result.objects.filter(pk__in=[r.pk for r in existing.values()], objections__isnull=True).delete()

        history = list((locked.summary or {}).get("review_recomputes", []))
        locked.summary = build_summary(output, scheme, frame)
        _refresh_grade_counts(locked)
        history.append({
            "at": timezone.localtime(local_now()).strftime("%Y-%m-%d %H:%M"),
            "by": str(user) if user else "",
            "note": note,
            "changes": [dataclasses.asdict(change) for change in changes],
        })  # fmt: skip
        locked.summary["review_recomputes"] = history
        _save_snapshot(locked, add_figure_sources(frame, locked.region, locked.year))
        locked._history_user = user
        locked.save(update_fields=["summary", "input_snapshot"])
    run.refresh_from_db()
    return changes


def review_changes(run: Run):
    """The results whose grade differs from the grade as posted: what the review changed."""
    return run.results.filter(changed_on_review=True).select_related("enterprise", "region").order_by(
        "group", "unranked", "rank", "id"
    )


# The notice (公示) as the county prints it: a title row, the list (name, credit code, grade), then the window
# and how to object. File content, in Chinese like the engine's headers.
POSTING_HEADERS = {"name": "企业名称", "uscc": "统一社会信用代码", "grade": "评价等级"}


def posting_title(run: Run) -> str:
    return f"{run.region.name}{run.year}年度工业企业亩均效益综合评价结果公示"


def posting_frame(run: Run) -> pl.DataFrame:
    """The posted list: every graded enterprise's name, credit code and grade as posted, best grade first."""
    rows = (
        run.results.exclude(posted_grade="")
        .order_by("posted_grade", "group", "unranked", "rank", "enterprise__uscc")
        .values_list("enterprise__name", "enterprise__uscc", "posted_grade")
    )
    return pl.DataFrame(list(rows), schema={"name": pl.Utf8, "uscc": pl.Utf8, "grade": pl.Utf8}, orient="row")


def posting_notes(run: Run) -> list[str]:
    start, end = run.posting_starts_on, run.posting_ends_on
    return [
        f"公示期：{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"
        f"（共{(end - start).days + 1}天）。",
        "公示期内，企业对评价结果有异议的，可通过所在镇（街道）或县（区）经信部门提出书面异议，"
        "并提供相关证明材料；逾期提出的不予受理。",
    ]


NOTICE_SHEET = "公示名单"


def posting_notice(run: Run) -> tuple[dict[str, pl.DataFrame], dict[str, str], dict[str, list[str]]]:
    """The notice workbook's sheets, title and notes (``mujun.core.exports.xlsx_response``'s arguments)."""
    frame = posting_frame(run).rename(POSTING_HEADERS)
    return {NOTICE_SHEET: frame}, {NOTICE_SHEET: posting_title(run)}, {NOTICE_SHEET: posting_notes(run)}


# --------------------------------------------------------------------------------------------------
# Grade robustness


def can_analyse_robustness(user, run: Run) -> bool:
    """Whether ``user`` may start a robustness analysis of ``run``: its editors, while it has results and is
    not yet posted for public notice (the analysis is there to review grades before they are posted)."""
    return can_edit_record(user, run) and run.status == Run.Status.DONE and bool(run.input_snapshot)


def start_robustness(run: Run, user, **settings) -> RobustnessAnalysis:
    """Queue a robustness analysis of ``run`` with ``settings`` (the analysis's draws, spreads, seed and
    threshold) for ``user``; the worker (in tests, the immediate backend) carries it out."""
    if not can_edit_record(user, run):
        raise PermissionDenied(gettext("You cannot analyse this run."))
    if not can_analyse_robustness(user, run):
        raise ValidationError(
            gettext("Grade robustness is analysed for a finished run before it is posted for public notice.")
        )
    analysis = RobustnessAnalysis(run=run, created_by=user, **settings)
    analysis.full_clean()
    analysis.save()
    analyse_robustness.enqueue(analysis.pk)
    analysis.refresh_from_db()
    return analysis


ROBUSTNESS_BATCH = 5000


def execute_robustness(analysis: RobustnessAnalysis) -> RobustnessAnalysis:
    """Carry out the analysis on the run's snapshot and scheme as run, and store its results; never raises:
    a failure is recorded on the analysis."""
    analysis.status, analysis.message = RobustnessAnalysis.Status.RUNNING, ""
    analysis.save(update_fields=["status", "message"])
    run = analysis.run
    try:
        frame = load_snapshot(run)
        pipeline = engine.Pipeline.run(engine_input(frame), scheme_for_run(run.scheme_toml, run.year), skip_invalid=True)
        settings = Settings(analysis.draws, analysis.weight_spread, analysis.benchmark_spread, analysis.seed)
        outcome = robustness(pipeline, settings)
        graded = pl.concat([frame.select("enterprise_id"), outcome.result], how="horizontal").filter(
            pl.col("p_A").is_not_null()
        ).with_columns(run_grade_probability().alias("p_grade"))
        result_ids = dict(run.results.values_list("enterprise_id", "pk"))
        rows = [
            RobustnessResult(
                analysis=analysis, result_id=result_ids[enterprise_id], p_a=p_a, p_b=p_b, p_c=p_c, p_d=p_d,
                p_grade=p_grade, rank_low=rank_low, rank_high=rank_high,
            )  # fmt: skip
            for enterprise_id, p_a, p_b, p_c, p_d, rank_low, rank_high, p_grade in graded.select(
                "enterprise_id", "p_A", "p_B", "p_C", "p_D", "rank_low", "rank_high", "p_grade"
            ).iter_rows()
        ]
        with transaction.atomic():
            analysis.results.all().delete()
            RobustnessResult.objects.bulk_create(rows, batch_size=ROBUSTNESS_BATCH)
        analysis.graded, analysis.stable = outcome.graded, outcome.stable
        analysis.fragile = int((graded["p_grade"] < analysis.threshold).sum())
        analysis.status, analysis.finished_at = RobustnessAnalysis.Status.DONE, local_now()
        analysis.save(update_fields=["graded", "stable", "fragile", "status", "finished_at"])
    except Exception as exc:  # the analysis records why it failed; the worker keeps going
        logger.exception("robustness analysis %s failed", analysis.pk)
        analysis.status, analysis.finished_at = RobustnessAnalysis.Status.FAILED, local_now()
        analysis.message = f"{type(exc).__name__}: {exc}"
        analysis.save(update_fields=["status", "finished_at", "message"])
    return analysis
