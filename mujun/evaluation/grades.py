"""Which evaluation results count where.

Outside its own run page only a published run counts: the enterprise, project, parcel and map pages, the
land classification and the API show the latest *published* grade of each year. A run posted for public
notice (公示中) is seen by everybody signed in, but its grades do not count yet. An unposted run (a draft) is
seen only by its author and by city administrators, and every page and file of it refuses anybody else. Every other app asks this module; none filters runs or results by status itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from mujun.evaluation.models import Result, Run

# --------------------------------------------------------------------------------------------------
# Drafts: who sees a run


def visible_runs(user, queryset: QuerySet[Run] | None = None) -> QuerySet[Run]:
    """The runs ``user`` may see: the published and the posted ones, plus the drafts they created or
    started; a city administrator sees every run."""
    queryset = Run.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if user.is_city_admin:
        return queryset
    return queryset.filter(
        Q(status__in=(Run.Status.PUBLISHED, Run.Status.POSTED)) | Q(created_by=user) | Q(started_by=user)
    )


def can_see_run(user, run: Run) -> bool:
    if run.is_locked:  # published, or posted for public notice
        return user.is_authenticated
    return user.is_authenticated and (user.is_city_admin or user.pk in (run.created_by_id, run.started_by_id))


def require_visible_run(user, run: Run) -> None:
    """Refuse (403) a draft's pages and files to anybody but its author and city administrators."""
    if not can_see_run(user, run):
        raise PermissionDenied(
            _(
                "This evaluation run is not published yet: only the user who ran it and city administrators "
                "may see it or download its lists."
            )
        )


# --------------------------------------------------------------------------------------------------
# Published grades: what counts outside the run page


def _published_results(enterprise_ids: Iterable[int] | None = None) -> QuerySet[Result]:
    """Published results, each enterprise's newest year first and, within a year, the latest published run
    first: the first row of an (enterprise, year) is the one that counts."""
    queryset = Result.objects.filter(run__status=Run.Status.PUBLISHED)
    if enterprise_ids is not None:
        queryset = queryset.filter(enterprise_id__in=list(enterprise_ids))
    return queryset.order_by(
        "enterprise_id",
        "-run__year",
        F("run__published_at").desc(nulls_last=True),
        "-run__created_at",
        "-run_id",
    )


@dataclass(frozen=True)
class PublishedGrade:
    """An enterprise's grade of one year, from the latest published run of that year that includes it."""

    year: int
    grade: str  # "" when the run did not grade the enterprise (out of scope, invalid data)
    result: Result

    @property
    def run(self) -> Run:
        return self.result.run

    @property
    def url(self) -> str:
        """The enterprise's own result in that run."""
        return reverse("evaluation:result_detail", args=[self.result.run_id, self.result.enterprise_id])


def published_grades(enterprise_ids: Iterable[int]) -> dict[int, list[PublishedGrade]]:
    """``{enterprise id: [PublishedGrade, …]}``, newest year first, one per year; enterprises without a
    published result are left out."""
    grades: dict[int, list[PublishedGrade]] = {}
    for result in _published_results(enterprise_ids).select_related("run"):
        years = grades.setdefault(result.enterprise_id, [])
        if not years or years[-1].year != result.run.year:
            years.append(PublishedGrade(result.run.year, result.grade, result))
    return grades


def latest_published_grades() -> dict[int, str]:
    """Every enterprise's grade in its newest published year (enterprises not graded that year are left
    out), read without model instances: for the land classification of all parcels."""
    latest: dict[int, str] = {}
    seen: set[int] = set()
    for enterprise_id, grade in _published_results().values_list("enterprise_id", "grade").iterator(5000):
        if enterprise_id not in seen:
            seen.add(enterprise_id)
            if grade:
                latest[enterprise_id] = grade
    return latest


def _run_priority(runs: QuerySet[Run]) -> pl.DataFrame:
    """``run_id, year, priority``: within a year, the latest published run first (the rule of
    ``published_grades``)."""
    rows = runs.order_by("year", F("published_at").desc(nulls_last=True), "-created_at", "-pk").values_list("pk", "year")
    return pl.DataFrame(list(rows), schema={"run_id": pl.Int64, "year": pl.Int64}, orient="row").with_row_index(
        "priority"
    )


def _results_by_priority(runs: QuerySet[Run], columns: dict[str, pl.DataType]) -> pl.DataFrame:
    """``columns`` of the results of ``runs``, one row per (enterprise, year): the one of the run that counts.
    Read without a sort in the database or model instances."""
    priority = _run_priority(runs)
    results = Result.objects.filter(run_id__in=priority["run_id"].to_list()).values_list(
        "enterprise_id", "run_id", *columns
    )
    frame = pl.DataFrame(
        list(results.order_by().iterator(20_000)),
        schema={"enterprise_id": pl.Int64, "run_id": pl.Int64, **columns},
        orient="row",
    )
    return (
        frame.join(priority, on="run_id")
        .sort("enterprise_id", "priority")
        .unique(["enterprise_id", "year"], keep="first", maintain_order=True)
    )


def published_grade_table(region_id: int, before_year: int) -> pl.DataFrame:
    """``enterprise_id, year, grade``: each enterprise's grade of every year before ``before_year`` in the
    published runs of the region ``region_id`` itself, one per (enterprise, year) by the same rule as
    ``published_grades`` (the latest published run of the year counts). Read in two queries, without model
    instances: a run's input takes the history of all its enterprises at once."""
    runs = Run.objects.filter(status=Run.Status.PUBLISHED, region_id=region_id, year__lt=before_year)
    return _results_by_priority(runs, {"grade": pl.Utf8}).select("enterprise_id", "year", "grade")


def posted_results(enterprise_id: int) -> QuerySet[Result]:
    """The enterprise's results in runs posted for public notice (公示中): shown as such, never counted."""
    return (
        Result.objects.filter(enterprise_id=enterprise_id, run__status=Run.Status.POSTED)
        .select_related("run")
        .order_by("-run__year", "-run__posted_at")
    )


def published_year_grades(year: int) -> dict[int, str]:
    """``{enterprise id: grade}`` of one year, each enterprise's grade in the latest published run of that
    year that includes it (as ``published_grades``), ungraded results left out: for the low-efficiency list."""
    grades: dict[int, str] = {}
    rows = _published_results().filter(run__year=year).values_list("enterprise_id", "grade")
    for enterprise_id, grade in rows.iterator(5000):
        if enterprise_id not in grades:
            grades[enterprise_id] = grade
    return {pk: grade for pk, grade in grades.items() if grade}


def published_years() -> list[int]:
    """The years with a published run, oldest first."""
    years = Run.objects.filter(status=Run.Status.PUBLISHED).values_list("year", flat=True).distinct()
    return sorted(set(years))


def published_result_table(years: Iterable[int]) -> pl.DataFrame:
    """``enterprise_id, year, region_id, grade, total``: each enterprise's result of each of ``years`` in the
    latest published run of that year that includes it (the rule of ``published_grades``), kept only where
    that run evaluated the enterprise (not exempt, out of scope or invalid)."""
    runs = Run.objects.filter(status=Run.Status.PUBLISHED, year__in=list(years))
    columns = {"region_id": pl.Int64, "status": pl.Utf8, "grade": pl.Utf8, "total": pl.Float64}
    return (
        _results_by_priority(runs, columns)
        .filter(pl.col("status") == Result.Status.EVALUATED)
        .select("enterprise_id", "year", "region_id", "grade", "total")
    )
