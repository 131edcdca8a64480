"""State changes of core's records: the background imports (``ImportJob``), from upload to outcome."""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.module_loading import import_string

from mujun.core.imports import ImportFailed, Problem
from mujun.core.models import ImportJob

logger = logging.getLogger(__name__)

# Share of the bar each stage ends at: reading is quick, checking runs column by column, writing is one
# transaction whose progress no other connection can see until it commits.
STAGE_END = {ImportJob.Stage.READING: 10, ImportJob.Stage.CHECKING: 60, ImportJob.Stage.WRITING: 99}


def visible_imports(user, queryset=None):
    """An import is its user's; a city administrator sees every one."""
    queryset = ImportJob.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    return queryset if user.is_city_admin else queryset.filter(user=user)


def can_see_import(user, job: ImportJob) -> bool:
    return visible_imports(user).filter(pk=job.pk).exists()


def start_import(
    user, importer_class, options: dict, name: str, content: bytes, page: str = "", title: str = ""
) -> ImportJob:
    """Keep the upload and queue its import; the worker runs :func:`execute_import`. ``title`` names the job
    (default: the importer's title, or its model's name)."""
    from mujun.core.tasks import run_import

    job = ImportJob(
        importer=f"{importer_class.__module__}.{importer_class.__qualname__}",
        title=str(title or importer_class.title or importer_class.model._meta.verbose_name_plural)[:200],
        options=options,
        original_name=Path(name).name[:255],
        page=page,
        user=user,
    )
    job.file.save(f"import{Path(name).suffix.lower()}", ContentFile(content), save=False)
    job.save()
    run_import.enqueue(job.pk)
    return job


def _save(job: ImportJob, **values) -> None:
    # A plain UPDATE outside the import's transaction: a page polling the job sees it at once.
    for name, value in values.items():
        setattr(job, name, value)
    ImportJob.objects.filter(pk=job.pk).update(**values)


def report_progress(job: ImportJob, stage: str, done: float = 0.0, rows: int | None = None) -> None:
    """The job is at ``stage``, ``done`` (0–1) through it."""
    stages = list(STAGE_END)
    start = STAGE_END[stages[stages.index(stage) - 1]] if stages.index(stage) else 0
    values = {"stage": stage, "progress": int(start + (STAGE_END[stage] - start) * min(max(done, 0.0), 1.0))}
    if rows is not None:
        values["rows_total"] = rows
    _save(job, **values)


def execute_import(job: ImportJob) -> ImportJob:
    """Run the job's import: everything written in one transaction, or nothing and every problem kept."""
    _save(job, status=ImportJob.Status.RUNNING, stage=ImportJob.Stage.READING, progress=0)
    importer = import_string(job.importer)(job.user, **job.options)
    importer.on_progress = lambda stage, done=0.0, rows=None: report_progress(job, stage, done, rows)
    try:
        with job.file.open("rb") as upload:
            content = upload.read()
        result = importer.run(content, filename=job.original_name)
    except ImportFailed as failure:
        return _finish(job, ImportJob.Status.FAILED, problem_rows=_problem_rows(failure.problems))
    except Exception:
        logger.exception("import %s failed", job.pk)
        problem = Problem(1, "", "", "导入时发生内部错误，未写入任何数据", "an internal error stopped the import; nothing was written")
        _finish(job, ImportJob.Status.FAILED, problem_rows=[[problem.row, "", "", problem.zh, problem.en]])
        raise
    counts = {str(label): vars(counts) for label, counts in result.counts.items()}
    # Rows the import left out (a delivery's unknown credit codes) are kept as its problems: listed and downloadable.
    return _finish(job, ImportJob.Status.DONE, counts=counts, rows_total=result.rows, problem_rows=_problem_rows(result.skipped))


def _problem_rows(problems: list[Problem]) -> list[list]:
    return [[p.row, p.header, p.field, p.zh, p.en] for p in problems]


def _finish(job: ImportJob, status: str, **values) -> ImportJob:
    _save(job, status=status, stage=ImportJob.Stage.FINISHED, progress=100, finished_at=timezone.now(), **values)
    return job
