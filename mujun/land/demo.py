"""Demo land for ``mujun demo``: about 8,000 parcels in industrial parks around each Huzhou county, every
five-wei category represented, held by the demo enterprises, with rough county boundaries, thresholds,
yearly targets and disposal cases at every step."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
from django.utils import timezone
from shapely.geometry import Polygon, mapping
from shapely.ops import unary_union

from mujun.core.history import bulk_create, record_links, write_history
from mujun.land.geometry import area_mu
from mujun.land.models import SQUARE_METRES_PER_MU, DisposalCase, DisposalProgress, LandTarget, Parcel, Thresholds
from mujun.land.services import classify_parcels, county_of_regions

# Rough centres of the counties (lon, lat) and the radius of their outline in degrees.
COUNTY_CENTRES = {
    "330502": (120.10, 30.87),
    "330503": (120.42, 30.87),
    "330521": (119.97, 30.54),
    "330522": (119.91, 31.03),
    "330523": (119.68, 30.64),
}
COUNTY_RADIUS = 0.14
PARCELS = 8000
METRES_PER_DEGREE = 111_320
# Yearly targets of the city (mu), shared among counties: Huzhou disposes of about 30,000 mu of
# inefficient land a year and guarantees 20,000 mu of construction land.
CITY_DISPOSAL_TARGET, CITY_SUPPLY_GUARANTEE = 30_000, 20_000
# How far each parcel has come: (share, stage) — the dates are drawn to match.
STAGE_SHARES = [(0.07, "approved"), (0.10, "supplied"), (0.08, "started"), (0.10, "completed"), (0.65, "commissioned")]
MEASURES = [m for m, _label in DisposalCase.Measure.choices]
UNITS = ["自然资源和规划局", "经济和信息化局", "开发区管委会", "乡镇（街道）", "投资促进中心"]


def county_outline(rng: np.random.Generator, lon: float, lat: float) -> Polygon:
    """An irregular twelve-sided outline around a county's centre."""
    angles = np.linspace(0, 2 * math.pi, 12, endpoint=False)
    radii = COUNTY_RADIUS * rng.uniform(0.75, 1.15, angles.size)
    return Polygon(zip(lon + radii * np.cos(angles) / math.cos(math.radians(lat)), lat + radii * np.sin(angles)))


def rectangle(lon: float, lat: float, width_m: float, height_m: float) -> dict:
    dlon = width_m / (METRES_PER_DEGREE * math.cos(math.radians(lat)))
    dlat = height_m / METRES_PER_DEGREE
    ring = [[lon, lat], [lon + dlon, lat], [lon + dlon, lat + dlat], [lon, lat + dlat], [lon, lat]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def _day(base: date, rng: np.random.Generator, low: int, high: int) -> date:
    return base + timedelta(days=int(rng.integers(low, high)))


def load(context) -> None:
    rng = np.random.default_rng(context.seed + 7)
    today = timezone.localdate()
    regions = context.regions
    counties = [regions[code] for code in COUNTY_CENTRES if code in regions]
    if not counties:
        return
    # County and city outlines, so the map shows them.
    outlines = {county.code: county_outline(rng, *COUNTY_CENTRES[county.code]) for county in counties}
    for county in counties:
        county.boundary = mapping(outlines[county.code])
    context.city.boundary = mapping(unary_union(list(outlines.values())).convex_hull)
    outlined = [*counties, context.city]
    type(context.city).objects.bulk_update(outlined, ["boundary"])
    write_history(type(context.city).objects.filter(pk__in=[r.pk for r in outlined]), "~", user=context.admin)

    from mujun.enterprises.models import Enterprise

    enterprises_by_county: dict[int, list[int]] = {}
    parent = {r.pk: r.parent_id for r in regions.values()}
    for pk, region_id in Enterprise.objects.values_list("pk", "region_id"):
        county_id = region_id if parent.get(region_id) == context.city.pk else parent.get(region_id)
        enterprises_by_county.setdefault(county_id, []).append(pk)

    stages = [stage for _share, stage in STAGE_SHARES]
    shares = np.array([share for share, _stage in STAGE_SHARES])
    parcels = []
    per_county = PARCELS // len(counties)
    for county in counties:
        lon0, lat0 = COUNTY_CENTRES[county.code]
        parks = [r for r in regions.values() if r.parent_id == county.pk] or [county]
        # More parcels in the parks than in the towns.
        weights = np.array([4.0 if park.level == "park" else 1.0 for park in parks])
        counts = rng.multinomial(per_county, weights / weights.sum())
        holders = enterprises_by_county.get(county.pk, [])
        for park_index, (park, count) in enumerate(zip(parks, counts, strict=True)):
            angle = 2 * math.pi * park_index / len(parks)
            park_lon = lon0 + 0.07 * math.cos(angle) / math.cos(math.radians(lat0)) + rng.uniform(-0.01, 0.01)
            park_lat = lat0 + 0.07 * math.sin(angle) + rng.uniform(-0.01, 0.01)
            row_width = 3000 if park.level == "park" else 1500  # metres of a row of parcels
            x = y = row_height = 0.0
            for n in range(count):
                mu = float(np.clip(rng.lognormal(math.log(28), 0.7), 5, 300))
                square_metres = mu * SQUARE_METRES_PER_MU
                aspect = rng.uniform(1.0, 2.0)
                width, height = math.sqrt(square_metres * aspect), math.sqrt(square_metres / aspect)
                if x + width > row_width:
                    x, y, row_height = 0.0, y + row_height + 30, 0.0
                lon = park_lon + x / (METRES_PER_DEGREE * math.cos(math.radians(park_lat)))
                lat = park_lat + y / METRES_PER_DEGREE
                boundary = rectangle(lon, lat, width, height)
                x, row_height = x + width + 20, max(row_height, height)
                stage = stages[rng.choice(len(stages), p=shares)]
                parcel = Parcel(
                    code=f"{park.code}-{n + 1:04d}",
                    name=f"{park.name}{n + 1}号地块",
                    region=park,
                    boundary=boundary,
                    land_use="industrial",
                )
                parcel.boundary_area_mu = area_mu(boundary)
                parcel.area_mu = round(parcel.boundary_area_mu, 2)
                _life(parcel, stage, rng, today)
                if stage != "approved" and holders:
                    parcel.holder_id = holders[int(rng.integers(len(holders)))]
                parcels.append(parcel)
    bulk_create(Parcel, parcels, user=context.admin)
    context.log(f"parcels: {len(parcels)}")

    for county in counties:
        share = 1 / len(counties)
        Thresholds.objects.create(region=county, idle_months=24 if county.code == "330523" else 12)
        LandTarget.objects.create(
            region=county,
            year=today.year,
            disposal_target_mu=round(CITY_DISPOSAL_TARGET * share),
            supply_target_mu=round(CITY_SUPPLY_GUARANTEE * share),
        )
    result = classify_parcels(today)
    context.log(f"five-wei findings: {result.findings.height}")
    _link_projects(rng)
    _cases(rng, today, context.admin)


def _life(parcel: Parcel, stage: str, rng: np.random.Generator, today: date) -> None:
    """Dates and figures that fit the stage, with a fair share falling short of a rule."""
    parcel.approved_on = _day(today, rng, -3650, -60)
    if stage == "approved":
        return
    parcel.supplied_on = min(_day(parcel.approved_on, rng, 30, 400), today)
    standard_land = parcel.supplied_on.year >= 2018
    parcel.agreed_start_on = _day(parcel.supplied_on, rng, 60, 180)
    parcel.agreed_completion_on = _day(parcel.agreed_start_on, rng, 360, 720)
    parcel.plot_ratio_required = float(rng.choice([1.2, 1.5, 2.0])) if standard_land else None
    if standard_land:
        parcel.committed_investment_intensity = float(rng.choice([250, 300, 350, 400]))
        parcel.committed_output_per_mu = float(rng.choice([300, 400, 500]))
        parcel.committed_tax_per_mu = float(rng.choice([20, 25, 30, 40]))
        parcel.committed_energy_per_value_added = float(rng.choice([0.3, 0.5, 0.6]))
    if stage == "supplied":
        return
    parcel.started_on = min(_day(parcel.agreed_start_on, rng, -30, 500), today)
    if parcel.started_on < parcel.supplied_on:
        parcel.started_on = parcel.supplied_on
    if stage == "started":
        parcel.developed_mu = round(parcel.area_mu * rng.uniform(0.05, 0.9), 2)
        parcel.actual_investment_intensity = round(rng.uniform(30, 300), 1)
        if rng.random() < 0.5:
            parcel.stopped_since = min(_day(parcel.started_on, rng, 30, 700), today)
        return
    parcel.completed_on = min(_day(parcel.started_on, rng, 300, 800), today)
    parcel.developed_mu = parcel.area_mu
    ratio = (parcel.plot_ratio_required or 1.0) * rng.uniform(0.85, 1.6)
    parcel.floor_area_m2 = round(parcel.area_mu * SQUARE_METRES_PER_MU * ratio)
    parcel.building_density = round(rng.uniform(0.3, 0.6), 2)
    if stage == "completed":
        return
    parcel.commissioned_on = min(_day(parcel.completed_on, rng, 30, 500), today)
    scale = rng.lognormal(0, 0.35)
    parcel.actual_investment_intensity = round((parcel.committed_investment_intensity or 300) * rng.uniform(0.7, 1.4), 1)
    parcel.actual_output_per_mu = round((parcel.committed_output_per_mu or 350) * scale, 1)
    parcel.actual_tax_per_mu = round((parcel.committed_tax_per_mu or 25) * scale * rng.uniform(0.8, 1.2), 1)
    parcel.actual_energy_per_value_added = round(rng.uniform(0.2, 0.8), 2)


def _link_projects(rng: np.random.Generator) -> None:
    """Link supplied parcels to the demo projects, when the projects app has loaded some."""
    if not hasattr(Parcel, "projects"):
        return
    through = Parcel.projects.through
    project_field = next(f.name for f in through._meta.concrete_fields if f.related_model not in (Parcel, None))
    projects = list(Parcel.projects.rel.related_model.objects.values_list("pk", "region_id")[:4000])
    # A project links only to parcels of its own county (the rule of mujun.projects.models.outside_county).
    counties = county_of_regions()
    pools: dict[int, list[int]] = {}
    for pk, region_id in Parcel.objects.exclude(started_on=None).order_by("pk").values_list("pk", "region_id"):
        pools.setdefault(counties[region_id], []).append(pk)
    pools = {county: [int(p) for p in rng.permutation(pks)] for county, pks in pools.items()}
    links = [(pools[counties[region_id]].pop(), project) for project, region_id in projects if pools.get(counties[region_id])]
    if not links:
        return
    through.objects.bulk_create(
        [through(**{"parcel_id": parcel, f"{project_field}_id": project}) for parcel, project in links],
        batch_size=2000,
        ignore_conflicts=True,
    )
    # The projects were created with these parcels: their history rows hold them.
    record_links(Parcel.projects.rel.related_model.history.filter(id__in=through.objects.values(f"{project_field}_id")))


def _cases(rng: np.random.Generator, today: date, admin) -> None:
    """Disposal cases for about a fifth of the inefficient parcels: some closed this year, some overdue."""
    from mujun.land.models import Finding

    findings = list(Finding.objects.filter(primary=True).select_related("parcel").order_by("pk"))
    first_per_parcel = list({f.parcel_id: f for f in reversed(findings)}.values())  # one case per parcel
    picked = [f for f in first_per_parcel if rng.random() < 0.2]
    measure_of = {
        "approved_not_supplied": "relet",
        "supplied_not_used": "urge_start",
        "used_not_exhausted": "secondary_development",
        "built_not_commissioned": "urge_start",
        "commissioned_below_standard": "merger",
    }
    cases = []
    for finding in picked:
        opened = _day(today, rng, -400, -10)
        case = DisposalCase(
            parcel=finding.parcel,
            category=finding.category,
            rule=finding.rule,
            figures=finding.figures,
            measure=measure_of[finding.category] if rng.random() < 0.7 else MEASURES[int(rng.integers(len(MEASURES)))],
            responsible_unit=UNITS[int(rng.integers(len(UNITS)))],
            opened_on=opened,
            deadline=_day(opened, rng, 90, 540),
        )
        if rng.random() < 0.4:
            case.status = DisposalCase.Status.CLOSED
            case.closed_on = min(_day(opened, rng, 30, 300), today)
            case.area_disposed_mu = round(finding.parcel.area_mu * rng.uniform(0.5, 1.0), 2)
        cases.append(case)
    bulk_create(DisposalCase, cases, user=admin)
    notes = [
        DisposalProgress(case=case, noted_on=min(_day(case.opened_on, rng, 7, 60), today), note="已约谈企业，制定处置方案", created_by=admin)
        for case in cases
    ]
    bulk_create(DisposalProgress, notes, user=admin)
