"""Evaluation runs against the database.

``build_input`` reads the stored figures of a region's enterprises into the engine's input table,
``execute_run`` evaluates them and writes the results in bulk, ``reproduce_run`` evaluates a run's stored
snapshot again and compares, and ``results_frame`` and the export frames turn stored results back into
tables for Excel. The computation itself is the engine's (mujun.engine); this module only moves data.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, models, transaction
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from mujun.core.deletion import DeletionRefused
from mujun.engine import evaluation as engine
from mujun.engine.io import INPUT_COLUMNS
from mujun.engine.scheme import Scheme, parse_scheme, required_columns
from mujun.enterprises.models import EnterpriseYear
from mujun.evaluation.models import Result, Run
from mujun.evaluation.tasks import evaluate_run
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
}
_YEAR_FIELDS = {f.name: f for f in EnterpriseYear._meta.concrete_fields}
_POLARS_TYPES = {
    models.FloatField: pl.Float64,
    models.BooleanField: pl.Boolean,
    models.DateField: pl.Date,
}
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
    return {*_input_sources(), "region"}


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
    return frame.select(*ID_COLUMNS, *INPUT_COLUMNS)


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
                    )
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
    )
    return RunOutput(rows=rows, indicators=indicators, evaluation=evaluation)


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


# The columns a run writes, in the order of the rows ``_result_rows`` builds.
_RESULT_COLUMNS = [
    "run_id", "enterprise_id", "region_id", "group", "status", "reason", "total", "rank", "unranked", "grade",
    "indicators", "policies",
]  # fmt: skip


def _result_rows(run: Run, output: RunOutput, policies: dict) -> pl.DataFrame:
    """The Result rows as the database stores them: JSON fields as text, ``unranked`` derived."""
    encoded_policies = {grade: json.dumps(values) for grade, values in policies.items()}
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
        pl.col("grade").replace_strict(encoded_policies, default="{}", return_dtype=pl.Utf8).alias("policies"),
    )


def _write_results(run: Run, output: RunOutput, policies: dict) -> None:
    """Insert the results in batches (progress after each): PostgreSQL with COPY, others with one prepared
    INSERT over all rows. Model instances are not needed for rows written once and never edited, and building
    them was 85 % of a run's time."""
    rows = _result_rows(run, output, policies)
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


def start_run(run: Run, user) -> None:
    """Queue the run's evaluation for ``user``; the worker (or, in tests, the immediate backend) carries it
    out, and its changes to the run are recorded as the user's."""
    Run.objects.filter(pk=run.pk).update(status=Run.Status.PENDING, progress=0, started_by=user)
    evaluate_run.enqueue(run.pk)
    run.refresh_from_db()


def publish_run(run: Run, user) -> Run:
    """A city administrator publishes a finished run: from then on it is frozen and counts as the city's
    record. The history names ``user`` and the time; ``published_at`` keeps the time on the run.

    Refused: ``PermissionDenied`` for anybody else, ``ValidationError`` unless the run is done."""
    if user is None or not user.is_city_admin:
        raise PermissionDenied(gettext("Only a city administrator publishes runs."))
    with transaction.atomic():
        # Locked, so that a re-run or a second publication cannot slip in between the check and the save.
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.status != Run.Status.DONE:
            raise ValidationError(gettext("Only a finished run can be published."))
        locked.status, locked.published_at = Run.Status.PUBLISHED, timezone.now()
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
        _save_snapshot(run, frame)
        _set_progress(run, PROGRESS_INPUT)

        output = evaluate_snapshot(frame, scheme)
        _set_progress(run, PROGRESS_EVALUATED)

        run.results.all().delete()
        _write_results(run, output, scheme.policies)
        run.summary = build_summary(output, scheme, frame)
        run.status, run.progress, run.finished_at = Run.Status.DONE, 100, timezone.now()
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
        run.status, run.finished_at = Run.Status.FAILED, timezone.now()
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
}


def results_frame(run: Run, queryset=None) -> pl.DataFrame:
    """Stored results as a table in the engine's output layout (a value and a score column for each
    indicator of all groups, then the policy columns), read in one query without model instances."""
    queryset = run.results.all() if queryset is None else queryset
    rows = (
        # The JSON as text: Polars decodes it for all rows at once, faster than Django row by row.
        queryset.annotate(indicators_json=Cast("indicators", models.TextField()))
        .order_by("group", models.F("rank").asc(nulls_last=True), "enterprise__uscc")
        .values_list(*(lookup for lookup, _ in _RESULT_LOOKUPS.values()))
    )
    frame = pl.DataFrame(list(rows), schema={c: t for c, (_, t) in _RESULT_LOOKUPS.items()}, orient="row")

    groups = run.summary.get("groups", {}).values()
    indicator_ids = list(dict.fromkeys(ind["id"] for group in groups for ind in group["indicators"]))
    pair = pl.Struct({"value": pl.Float64, "score": pl.Float64})
    decoded = pl.col("indicators_json").str.json_decode(pl.Struct({i: pair for i in indicator_ids}))
    return (
        frame.with_columns(decoded.alias("_indicators") if indicator_ids else pl.lit(None).alias("_indicators"))
        .select(
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
        )
        .with_columns(policy_columns(run.summary.get("policies", {})))
    )


def policy_columns(policies: dict[str, dict]) -> list[pl.Expr]:
    """One column per policy key, carrying the value of the row's grade (null for other grades)."""
    keys = list(dict.fromkeys(key for values in policies.values() for key in values))
    columns = []
    for key in keys:
        values = {grade: v[key] for grade, v in policies.items() if key in v}
        # The scheme gives a key one type in every grade: a number, text or a flag.
        sample = next(iter(values.values()))
        dtype = pl.Boolean if isinstance(sample, bool) else pl.Float64 if isinstance(sample, int | float) else pl.Utf8
        columns.append(pl.col("grade").replace_strict(values, default=None, return_dtype=dtype).alias(key))
    return columns


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


def results_export_frame(run: Run, queryset=None) -> pl.DataFrame:
    return display_frame(run, results_frame(run, queryset))


# The policies' names on pages and list file names, in the user's language (the workbook's column headers
# are the engine's Chinese POLICY_HEADERS, file content). A key the platform does not know shows as itself.
POLICY_NAMES = {
    "land_use_tax_reduction": gettext_lazy("Land-use tax reduction (share)"),
    "electricity_surcharge_yuan_per_kwh": gettext_lazy("Electricity surcharge (yuan/kWh)"),
    "water_surcharge_yuan_per_t": gettext_lazy("Water surcharge (yuan/t)"),
    "sewage_surcharge_yuan_per_t": gettext_lazy("Sewage charge surcharge (yuan/t)"),
    "credit_restricted": gettext_lazy("No new credit"),
    "energy_quota_restricted": gettext_lazy("No new energy quota"),
}


def policy_name(key: str) -> str:
    return str(POLICY_NAMES.get(key, key))


def policy_list_filename(run: Run, grade: str, key: str | None) -> str:
    if key is None:
        return gettext("%(run)s - grade %(grade)s list.xlsx") % {"run": run.name, "grade": grade}
    policy = re.sub(r"\s*[(（].*$", "", policy_name(key))  # the unit's "/" has no place in a file name
    names = {"run": run.name, "grade": grade, "policy": policy}
    return gettext("%(run)s - grade %(grade)s %(policy)s list.xlsx") % names


@dataclass
class PolicyList:
    grade: str
    key: str | None  # None: every policy of the grade
    value: object
    count: int

    @property
    def name(self) -> str:
        return policy_name(self.key) if self.key else ""


def policy_lists(run: Run) -> list[PolicyList]:
    """The differentiated-policy lists of a run: per grade all its policies, and each policy on its own
    (e.g. the D-class electricity surcharge list for the power company)."""
    counts = run.summary.get("grades", {})
    lists = []
    for grade, values in run.summary.get("policies", {}).items():
        lists.append(PolicyList(grade, None, None, counts.get(grade, 0)))
        # A zero surcharge or a false restriction asks nothing of anybody: no list for it.
        lists += [
            PolicyList(grade, key, value, counts.get(grade, 0))
            for key, value in values.items()
            if value not in (0, False, "")
        ]
    return lists


def policy_export_frame(run: Run, grade: str, key: str | None = None) -> pl.DataFrame:
    """The enterprises of one grade with that grade's policies (or only ``key``); KeyError when the
    scheme has no such list."""
    policies = run.summary.get("policies", {})
    if grade not in policies or (key is not None and key not in policies[grade]):
        raise KeyError(grade if key is None else f"{grade}/{key}")
    frame = results_frame(run, run.results.filter(grade=grade))
    keys = [key] if key else list(policies[grade])
    why = [d_reason(run).alias(D_REASON_HEADER)] if grade == "D" else []
    frame = frame.select("uscc", "name", "region", "group", "total", "rank", "grade", *why, *keys)
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
