"""Classification of stored parcels, disposal cases opened and closed, the land overview figures and the
parcels' GeoJSON.

``classify_parcels`` reads the parcels into Polars, adds each holder's latest published evaluation grade and each
county's thresholds, runs the engine (mujun.engine.land) and writes stage, primary category and findings
back in bulk.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import date

import polars as pl
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from mujun.core.deletion import DeletionRefused, delete_record
from mujun.core.history import UPDATE_BATCH_SIZE
from mujun.core.scoping import require_edit
from mujun.engine import land as engine
from mujun.evaluation.grades import latest_published_grades
from mujun.land.models import DisposalCase, Finding, LandTarget, Parcel, Thresholds
from mujun.regions.models import Region, county_map

BATCH_SIZE = 2000
PARCEL_FIELDS = ["id", "code", "region_id", "holder_id", *engine.DATE_COLUMNS, *engine.NUMBER_COLUMNS]


def county_of_regions() -> dict[int, int]:
    """Every region's county (a city maps to itself): the unit whose thresholds apply."""
    return {pk: county if county is not None else pk for pk, county in county_map().items()}


def county_thresholds() -> dict[str, engine.Thresholds]:
    """The thresholds each county set, keyed as ``classify`` expects (the county id as text)."""
    names = engine.Thresholds.names()
    return {
        str(row["region_id"]): engine.Thresholds(**{n: row[n] for n in names})
        for row in Thresholds.objects.values("region_id", *names)
    }


def thresholds_for(region: Region) -> engine.Thresholds:
    county = region.county() or region
    stored = Thresholds.objects.filter(region=county).first()
    if stored is None:
        return engine.Thresholds()
    return engine.Thresholds(**{f.name: getattr(stored, f.name) for f in fields(engine.Thresholds)})


def parcels_frame(queryset=None) -> pl.DataFrame:
    queryset = Parcel.objects.all() if queryset is None else queryset
    schema = {
        "id": pl.Int64, "code": pl.String, "region_id": pl.Int64, "holder_id": pl.Int64,
        **{n: pl.Date for n in engine.DATE_COLUMNS}, **{n: pl.Float64 for n in engine.NUMBER_COLUMNS},
    }  # fmt: skip
    return pl.DataFrame(list(queryset.values_list(*PARCEL_FIELDS)), schema=schema, orient="row")


def classify_parcels(as_of: date | None = None, queryset=None) -> engine.Classification:
    """Classify the parcels (all by default) as of a date and store the outcome."""
    as_of = as_of or timezone.localdate()
    frame = parcels_frame(queryset)
    counties = county_of_regions()
    grades = latest_published_grades()  # a draft run never classifies land
    frame = frame.with_columns(
        pl.col("region_id").replace_strict(counties, default=None).cast(pl.String).alias("region"),
        pl.col("holder_id").replace_strict(grades, default=None, return_dtype=pl.String).alias("holder_grade"),
    )
    result = engine.classify(frame, as_of, by_region=county_thresholds())
    ids = dict(frame.select("code", "id").iter_rows())
    outcome = {code: (stage, category, since) for code, stage, category, since in result.parcels.iter_rows()}
    with transaction.atomic():
        parcels = list(Parcel.objects.filter(pk__in=list(ids.values())).only("id", "code"))
        for parcel in parcels:
            parcel.stage, category, parcel.category_since = outcome[parcel.code]
            parcel.category = category or ""
        Parcel.objects.bulk_update(parcels, ["stage", "category", "category_since"], batch_size=UPDATE_BATCH_SIZE)
        Finding.objects.filter(parcel_id__in=list(ids.values())).delete()
        Finding.objects.bulk_create(
            (
                Finding(
                    parcel_id=ids[code], category=category, rule=rule, since=since, figures=json.loads(figures),
                    as_of=as_of, primary=primary,
                )
                for code, category, rule, since, _held, figures, primary in result.findings.iter_rows()
            ),
            batch_size=BATCH_SIZE,
        )  # fmt: skip
    return result


# --- disposal cases: opened from a finding, closed with the date and the area disposed ------------------


def finding_fields(finding: Finding) -> dict:
    """What a case opened from ``finding`` takes from it: its parcel, category, rule and figures."""
    return {"parcel": finding.parcel, "category": finding.category, "rule": finding.rule, "figures": finding.figures}


def new_case(finding: Finding, **fields) -> DisposalCase:
    """An unsaved case opened from ``finding``, to be stored by :func:`open_case`."""
    return DisposalCase(**finding_fields(finding), **fields)


def open_case(case: DisposalCase, user) -> DisposalCase:
    """Stores a case made by :func:`new_case`; refused (``ValidationError``) while the parcel has an open case."""
    require_edit(user, case.parcel)
    with transaction.atomic():
        # Locking the parcel makes two requests opening a case from one finding take turns.
        Parcel.objects.select_for_update().only("pk").get(pk=case.parcel_id)
        case.status = DisposalCase.Status.OPEN
        case.full_clean()
        case.save()
    return case


def close_case(case: DisposalCase, closed_on: date | None, area_disposed_mu: float | None, user) -> DisposalCase:
    """Closes an open case on ``closed_on`` with the area disposed; refused (``ValidationError`` naming the
    fields) without them, or when the case is already closed."""
    require_edit(user, case)
    with transaction.atomic():
        locked = DisposalCase.objects.select_for_update().get(pk=case.pk)
        if locked.status != DisposalCase.Status.OPEN:
            raise ValidationError(_("The case is closed."))
        locked.status, locked.closed_on, locked.area_disposed_mu = DisposalCase.Status.CLOSED, closed_on, area_disposed_mu
        locked.full_clean()
        locked.save()
    return locked


def delete_case(case: DisposalCase, user) -> None:
    """Deletes a case opened by mistake; a closed case counts against the county's target and stays."""
    require_edit(user, case)
    if case.status == DisposalCase.Status.CLOSED:
        raise DeletionRefused(_("A closed case counts against the county's target and cannot be deleted."))
    delete_record(case)


# --- the overview: disposal against target, supply against guarantee ----------------------------------


def overview(year: int) -> list[dict]:
    """Per county: open and overdue cases, mu disposed this year against its target, mu supplied this
    year against the supply guarantee."""
    today = timezone.localdate()
    counties = list(Region.objects.filter(level=Region.Level.COUNTY).order_by("code"))
    county_ids = county_of_regions()
    targets = {t.region_id: t for t in LandTarget.objects.filter(year=year)}
    disposed, open_cases, overdue, supplied = {}, {}, {}, {}
    for region_id, area, status, deadline in DisposalCase.objects.filter(
        Q(status=DisposalCase.Status.OPEN) | Q(closed_on__year=year)
    ).values_list("parcel__region_id", "area_disposed_mu", "status", "deadline"):
        county = county_ids.get(region_id)
        if status == DisposalCase.Status.CLOSED:
            disposed[county] = disposed.get(county, 0) + (area or 0)
        else:
            open_cases[county] = open_cases.get(county, 0) + 1
            if deadline < today:
                overdue[county] = overdue.get(county, 0) + 1
    for region_id, area in (
        Parcel.objects.filter(supplied_on__year=year).values("region_id").annotate(a=Sum("area_mu")).values_list("region_id", "a")
    ):
        county = county_ids.get(region_id)
        supplied[county] = supplied.get(county, 0) + (area or 0)
    rows = []
    for county in counties:
        target = targets.get(county.pk)
        rows.append(
            {
                "county": county,
                "open": open_cases.get(county.pk, 0),
                "overdue": overdue.get(county.pk, 0),
                "disposed": disposed.get(county.pk, 0.0),
                "disposal_target": target.disposal_target_mu if target else None,
                "supplied": supplied.get(county.pk, 0.0),
                "supply_target": target.supply_target_mu if target else None,
            }
        )
    return rows


# --- GeoJSON ------------------------------------------------------------------------------------------


def parcels_geojson(queryset) -> str:
    """A FeatureCollection (as JSON text) of the parcels with a boundary: id, code, category, stage — short
    keys, since a county's 20,000 parcels must travel and draw quickly; the detail comes on click. The
    stored boundaries are passed through as the database's text, not decoded and encoded again."""
    rows = (
        queryset.exclude(boundary=None)
        .annotate(boundary_text=Cast("boundary", TextField()))
        .values_list("pk", "code", "category", "stage", "boundary_text")
    )
    features = ",".join(
        f'{{"type":"Feature","geometry":{boundary},"properties":'
        f'{{"id":{pk},"code":{json.dumps(code, ensure_ascii=False)},"c":"{category}","s":"{stage}"}}}}'
        for pk, code, category, stage, boundary in rows.iterator(chunk_size=5000)
    )
    return f'{{"type":"FeatureCollection","features":[{features}]}}'


def regions_geojson(regions) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": r.boundary, "properties": {"id": r.pk, "name": r.name}}
            for r in regions
            if r.boundary
        ],
    }
