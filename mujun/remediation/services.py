"""The low-efficiency list of a year, remediation cases opened and closed, and the counties' overview.

``compute_listing`` reads the year's published grades (mujun.evaluation.grades: the latest published run of
the year counts, a draft never lists anybody) with the firms' figures of that year (EnterpriseYear: tax, land,
above designated size) and each county's rules, runs mujun.engine.low_efficiency and stores the list of the
year in one transaction, so the list stays as computed until it is computed again.
"""

from __future__ import annotations

import json
from datetime import date

import polars as pl
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mujun.core.deletion import DeletionRefused, delete_record
from mujun.core.imports import chunks
from mujun.core.scoping import require_edit
from mujun.engine import low_efficiency as engine
from mujun.enterprises.models import Enterprise, EnterpriseYear
from mujun.evaluation.grades import published_year_grades
from mujun.regions.models import Region, county_map
from mujun.remediation.models import Listing, RemediationCase, RemediationTarget, Thresholds

BATCH_SIZE = 2000
GRADED = ("A", "B", "C", "D")


def thresholds_frame() -> pl.DataFrame:
    """The stored rules as the engine reads them: the county's code, or null for the city's row."""
    names = engine.Thresholds.names()
    rows = [
        {"county": None if row["region_id"] is None else str(row["region_id"]), **{n: row[n] for n in names}}
        for row in Thresholds.objects.values("region_id", *names)
    ]
    return engine.thresholds_frame(rows)


def thresholds_for(county: Region | None) -> engine.Thresholds:
    """The rules that apply in ``county``: its own, else the city's, else the defaults."""
    stored = Thresholds.objects.filter(region=county).first() if county else None
    stored = stored or Thresholds.objects.filter(region=None).first()
    if stored is None:
        return engine.Thresholds()
    return engine.Thresholds(**{n: getattr(stored, n) for n in engine.Thresholds.names()})


def firms_frame(year: int) -> pl.DataFrame:
    """The firms graded A to D in the year's published evaluation (an exempt firm, class T, is not judged
    by its figures) with their figures of that year."""
    grades = {pk: grade for pk, grade in published_year_grades(year).items() if grade in GRADED}
    schema = {
        "enterprise_id": pl.Int64, "region_id": pl.Int64, "industry_code": pl.String, "above_scale": pl.Boolean,
        "land_mu": pl.Float64, "tax": pl.Float64,
    }  # fmt: skip
    rows = []
    for chunk in chunks(list(grades)):
        rows += EnterpriseYear.objects.filter(year=year, enterprise_id__in=chunk).values_list(
            "enterprise_id", "enterprise__region_id", "enterprise__industry_code", "above_scale", "land_mu", "tax"
        )
    counties = county_map()
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.with_columns(
        pl.col("region_id").replace_strict(counties, default=None, return_dtype=pl.Int64).cast(pl.String).alias("county"),
        pl.col("enterprise_id").replace_strict(grades, default="", return_dtype=pl.String).alias("grade"),
    )


@transaction.atomic
def compute_listing(year: int) -> int:
    """Store the low-efficiency list of ``year`` (replacing the one stored); the number of firms listed."""
    frame = firms_frame(year)
    listed = engine.list_firms(frame, thresholds_frame()).join(
        frame.select("enterprise_id", "region_id", "grade"), on="enterprise_id"
    )
    today = timezone.localdate()
    Listing.objects.filter(year=year).delete()
    Listing.objects.bulk_create(
        (
            Listing(
                year=year, enterprise_id=row["enterprise_id"], region_id=row["region_id"], grade=row["grade"],
                rules=row["rules"], figures={k: v for k, v in json.loads(row["figures"]).items() if v is not None},
                above_scale=row["above_scale"], land_mu=row["land_mu"], tax=row["tax"], tax_per_mu=row["tax_per_mu"],
                listed_on=today,
            )  # fmt: skip
            for row in listed.iter_rows(named=True)
        ),
        batch_size=BATCH_SIZE,
    )
    return listed.height


def listed_years() -> list[int]:
    return list(Listing.objects.order_by("-year").values_list("year", flat=True).distinct())


def left_ids(year: int, queryset=None) -> list[int]:
    """The enterprises listed the year before (among ``queryset``'s listings) and not in ``year``, by id."""
    queryset = Listing.objects.all() if queryset is None else queryset
    # Compared in the database: two years' listings are tens of thousands of rows in a large city.
    listed_again = Listing.objects.filter(year=year, enterprise_id=OuterRef("enterprise_id"))
    previous = queryset.filter(year=year - 1).exclude(Exists(listed_again))
    return list(previous.order_by("enterprise_id").values_list("enterprise_id", flat=True))  # one listing a firm and year


def left_the_list(year: int, queryset=None, gone: list[int] | None = None) -> list[dict]:
    """The firms listed the year before and not in ``year`` (those of ``gone`` only, when given: a page shows
    a few of them): last year's listing, this year's figures and whether a closed case remediated them."""
    queryset = Listing.objects.all() if queryset is None else queryset
    previous = queryset.filter(year=year - 1)
    gone = left_ids(year, queryset) if gone is None else gone
    figures = {
        pk: (tax, land, above)
        for pk, tax, land, above in EnterpriseYear.objects.filter(year=year, enterprise_id__in=gone).values_list(
            "enterprise_id", "tax", "land_mu", "above_scale"
        )
    }
    closed = dict(
        RemediationCase.objects.filter(enterprise_id__in=gone, status=RemediationCase.Status.CLOSED)
        .order_by("closed_on")
        .values_list("enterprise_id", "pk")
    )
    rows = []
    for listing in previous.filter(enterprise_id__in=gone).select_related("enterprise", "region"):
        tax, land, above = figures.get(listing.enterprise_id, (None, None, None))
        rows.append(
            {
                "listing": listing,
                "tax_per_mu": tax / land if tax is not None and land else None,
                "above_scale": above,
                "case_pk": closed.get(listing.enterprise_id),
            }
        )
    return rows


# --- remediation cases: opened from a listing, closed with the date and the land released --------------


def listing_fields(listing: Listing) -> dict:
    """What a case opened from ``listing`` takes from it: the firm, the year, the rules and the figures."""
    return {"enterprise": listing.enterprise, "year": listing.year, "rules": listing.rules, "figures": listing.figures}


def new_case(listing: Listing, **fields) -> RemediationCase:
    """An unsaved case opened from ``listing``, to be stored by :func:`open_case`."""
    return RemediationCase(**listing_fields(listing), **fields)


def open_case(case: RemediationCase, user) -> RemediationCase:
    """Stores a case made by :func:`new_case`; refused (``ValidationError``) while the firm has an open case."""
    require_edit(user, case)
    with transaction.atomic():
        # Locking the firm makes two requests opening a case for it take turns.
        Enterprise.objects.select_for_update().only("pk").get(pk=case.enterprise_id)
        case.status = RemediationCase.Status.OPEN
        case.full_clean()
        case.save()
    return case


def close_case(case: RemediationCase, closed_on: date | None, land_released_mu: float | None, user) -> RemediationCase:
    """Closes an open case on ``closed_on`` with the land released; refused (``ValidationError`` naming the
    fields) without them, or when the case is closed already."""
    require_edit(user, case)
    with transaction.atomic():
        locked = RemediationCase.objects.select_for_update().get(pk=case.pk)
        if locked.status != RemediationCase.Status.OPEN:
            raise ValidationError(_("The remediation case is closed."))
        locked.status, locked.closed_on, locked.land_released_mu = RemediationCase.Status.CLOSED, closed_on, land_released_mu
        locked.full_clean()
        locked.save()
    return locked


def delete_case(case: RemediationCase, user) -> None:
    """Deletes a case opened by mistake; a closed case counts against the county's target and stays."""
    require_edit(user, case)
    if case.status == RemediationCase.Status.CLOSED:
        raise DeletionRefused(_("A closed remediation case counts against the county's target and cannot be deleted."))
    delete_record(case)


# --- the overview: firms remediated and land released against the targets ------------------------------


def overview(year: int, listing_year: int | None = None) -> list[dict]:
    """Per county: firms on the list of ``listing_year`` (default: the newest list up to ``year``), open and
    overdue cases, cases closed in ``year`` against the target of firms, land released in ``year`` against
    the target of mu."""
    today = timezone.localdate()
    if listing_year is None:
        listing_year = next((listed for listed in listed_years() if listed <= year), None)
    counties = list(Region.objects.filter(level=Region.Level.COUNTY).order_by("code"))
    county_of = county_map()
    targets = {t.region_id: t for t in RemediationTarget.objects.filter(year=year)}
    figures = {county.pk: {"listed": 0, "open": 0, "overdue": 0, "closed": 0, "released": 0.0} for county in counties}
    for region_id, listed in Listing.objects.filter(year=listing_year).values("region_id").annotate(n=Count("pk")).values_list("region_id", "n"):
        if county_of.get(region_id) in figures:
            figures[county_of[region_id]]["listed"] += listed
    is_open, is_closed = Q(status=RemediationCase.Status.OPEN), Q(status=RemediationCase.Status.CLOSED)
    per_region = (
        RemediationCase.objects.filter(is_open | Q(closed_on__year=year))
        .values("enterprise__region_id")
        .annotate(
            open=Count("pk", filter=is_open), overdue=Count("pk", filter=is_open & Q(deadline__lt=today)),
            closed=Count("pk", filter=is_closed), released=Sum("land_released_mu", filter=is_closed),
        )
    )  # fmt: skip  # counted in the database: a few rows per town
    for region_id, opened, late, closed, released in per_region.values_list(
        "enterprise__region_id", "open", "overdue", "closed", "released"
    ):
        row = figures.get(county_of.get(region_id))
        if row is None:
            continue
        row["open"] += opened
        row["overdue"] += late
        row["closed"] += closed
        row["released"] += released or 0
    rows = []
    for county in counties:
        target = targets.get(county.pk)
        rows.append(
            {
                "county": county,
                "listing_year": listing_year,
                **figures[county.pk],
                "firms_target": target.firms_target if target else None,
                "land_target": target.land_target_mu if target else None,
            }
        )
    return rows


def home_figures(queryset) -> dict:
    """The home card's figures over ``queryset`` (the user's cases): open, overdue, closed this year and the
    land released, against the year's targets."""
    today = timezone.localdate()
    figures = queryset.aggregate(
        open=Count("pk", filter=Q(status=RemediationCase.Status.OPEN)),
        overdue=Count("pk", filter=Q(status=RemediationCase.Status.OPEN, deadline__lt=today)),
        closed=Count("pk", filter=Q(status=RemediationCase.Status.CLOSED, closed_on__year=today.year)),
        released=Sum("land_released_mu", filter=Q(status=RemediationCase.Status.CLOSED, closed_on__year=today.year)),
    )
    return {**figures, "year": today.year}
