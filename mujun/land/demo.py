"""Demo land for ``mujun demo``: the demo enterprises' parcels (mujun.engine.demo.generate_parcels: each
firm's land split over its parcels in its own town) laid out in rows in each town and park, every five-wei
category represented, the county outlines tiling the city, thresholds, yearly targets and disposal cases at
every step; each project stands on a parcel of its own enterprise."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import polars as pl
from django.utils import timezone
from shapely.geometry import mapping
from shapely.ops import unary_union

from mujun.core.history import bulk_create, record_links, write_history
from mujun.engine.demo import COUNTIES, COUNTY_SEATS, county_outlines, generate_parcels, link_projects
from mujun.engine.land import CONTRACT_INDICATORS
from mujun.land.geometry import area_mu
from mujun.land.models import SQUARE_METRES_PER_MU, DisposalCase, DisposalProgress, LandTarget, Parcel, Thresholds
from mujun.land.services import classify_parcels, close_case, idle_ledger, record_idle

# At most this many parcels, an enterprise's all or none (the enterprises' land gives about 8,700).
PARCELS = 12_000
# How far from its county's seat (degrees) a town's parcels lie.
TOWN_DISTANCE = 0.05
METRES_PER_DEGREE = 111_320
# Yearly targets of the city (mu), shared among counties: Huzhou disposes of about 30,000 mu of
# inefficient land a year and guarantees 20,000 mu of construction land.
CITY_DISPOSAL_TARGET, CITY_SUPPLY_GUARANTEE = 30_000, 20_000
# The measures a case may take whatever its finding; the idle-land statute's own go only with its stages.
STATUTORY = {"idle_fee", "extend", "swap", "replan"}
# A small demo city still lists this many idle parcels, unstarted more than this many days past the
# agreed start (the longest county rule is two years).
MIN_IDLE, IDLE_AFTER_DAYS = 3, 760
MEASURES = [m for m, _label in DisposalCase.Measure.choices if m not in STATUTORY]
UNITS = ["自然资源和规划局", "经济和信息化局", "开发区管委会", "乡镇（街道）", "投资促进中心"]


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
    counties = [regions[code] for code in COUNTY_SEATS if code in regions]
    if not counties:
        return
    # County and city outlines, so the map shows them.
    outlines = {code: outline for code, outline in county_outlines().items() if code in regions}
    for county in counties:
        county.boundary = mapping(outlines[county.code])
    context.city.boundary = mapping(unary_union(list(outlines.values())).convex_hull)
    outlined = [*counties, context.city]
    type(context.city).objects.bulk_update(outlined, ["boundary"])
    write_history(type(context.city).objects.filter(pk__in=[r.pk for r in outlined]), "~", user=context.admin)

    from mujun.enterprises.models import Enterprise

    firms = pl.DataFrame(
        list(Enterprise.objects.values_list("pk", "uscc", "region__code", "land_mu", "established_on")),
        schema={"pk": pl.Int64, "uscc": pl.String, "town_code": pl.String, "land_mu": pl.Float64, "established_on": pl.Date},
        orient="row",
    )
    planned = generate_parcels(firms, last_year=max(context.years), seed=context.seed + 7)
    holders = planned["holder_uscc"].drop_nulls()
    kept = holders.unique(maintain_order=True).head(max(PARCELS - (planned.height - holders.len()), 0))
    planned = planned.filter(pl.col("holder_uscc").is_null() | pl.col("holder_uscc").is_in(kept.implode()))
    holder_pk = dict(zip(firms["uscc"], firms["pk"], strict=True))

    parcels = []
    for county in counties:
        lon0, lat0 = COUNTY_SEATS[county.code]
        towns = [r for r in regions.values() if r.parent_id == county.pk] or [county]
        for town_index, town in enumerate(towns):
            angle = 2 * math.pi * town_index / len(towns)
            park_lon = lon0 + TOWN_DISTANCE * math.cos(angle) / math.cos(math.radians(lat0)) + rng.uniform(-0.01, 0.01)
            park_lat = lat0 + TOWN_DISTANCE * math.sin(angle) + rng.uniform(-0.01, 0.01)
            row_width = 3000 if town.level == "park" else 1500  # metres of a row of parcels
            x = y = row_height = 0.0
            for row in planned.filter(pl.col("town_code") == town.code).iter_rows(named=True):
                square_metres = row["area_mu"] * SQUARE_METRES_PER_MU
                aspect = rng.uniform(1.0, 2.0)
                width, height = math.sqrt(square_metres * aspect), math.sqrt(square_metres / aspect)
                if x + width > row_width:
                    x, y, row_height = 0.0, y + row_height + 30, 0.0
                lon = park_lon + x / (METRES_PER_DEGREE * math.cos(math.radians(park_lat)))
                lat = park_lat + y / METRES_PER_DEGREE
                boundary = rectangle(lon, lat, width, height)
                x, row_height = x + width + 20, max(row_height, height)
                number = int(row["code"].rsplit("-", 1)[1])
                parcel = Parcel(
                    code=row["code"],
                    name=f"{town.name}{number}号地块",
                    region=town,
                    boundary=boundary,
                    land_use="industrial",
                    area_mu=row["area_mu"],
                    holder_id=holder_pk.get(row["holder_uscc"]),
                )
                parcel.boundary_area_mu = area_mu(boundary)
                _life(parcel, row["stage"], rng, today)
                parcels.append(parcel)
    _enough_idle(parcels, rng, today)
    _prices(parcels, np.random.default_rng(context.seed + 13))
    bulk_create(Parcel, parcels, user=context.admin)
    context.log(f"parcels: {len(parcels)}")

    # The city's targets shared by the counties' weight in its industry.
    weights = {code: weight for code, _name, weight, _prefixes in COUNTIES}
    for county in counties:
        share = weights[county.code] / sum(weights[c.code] for c in counties)
        Thresholds.objects.create(region=county, idle_months=24 if county.code == "330523" else 12)
        LandTarget.objects.create(
            region=county,
            year=today.year,
            disposal_target_mu=round(CITY_DISPOSAL_TARGET * share, -2),
            supply_target_mu=round(CITY_SUPPLY_GUARANTEE * share, -2),
        )
    result = classify_parcels(today)
    context.log(f"five-wei findings: {result.findings.height}")
    _link_projects()
    _acceptances(np.random.default_rng(context.seed + 19), today, context.admin)
    _idle(np.random.default_rng(context.seed + 17), today, context.admin)
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


def _enough_idle(parcels: list[Parcel], rng: np.random.Generator, today: date) -> None:
    """Even a small demo city shows several idle parcels: parcels not yet completed are taken back to
    supplied-not-started, their dates moved a year and more past the agreed start, until ``MIN_IDLE`` are."""
    late = today - timedelta(days=IDLE_AFTER_DAYS)
    unstarted = [p for p in parcels if p.supplied_on is not None and p.started_on is None]
    idle = sum(p.agreed_start_on < late for p in unstarted)
    building = [p for p in parcels if p.started_on is not None and p.completed_on is None]
    for parcel in [p for p in unstarted if p.agreed_start_on >= late] + building:
        if idle >= MIN_IDLE:
            return
        shift = parcel.agreed_start_on - late + timedelta(days=int(rng.integers(0, 365)))
        for name in ("approved_on", "supplied_on", "agreed_start_on", "agreed_completion_on"):
            setattr(parcel, name, getattr(parcel, name) - shift)
        parcel.started_on = parcel.stopped_since = parcel.developed_mu = parcel.actual_investment_intensity = None
        idle += 1


def _prices(parcels: list[Parcel], rng: np.random.Generator) -> None:
    """Transfer prices of the supplied parcels: Huzhou industrial land sells for about 20-60 万元 a mu."""
    per_mu = rng.uniform(20, 60, len(parcels))
    for parcel, price in zip(parcels, per_mu, strict=True):
        if parcel.supplied_on is not None:
            parcel.land_price = round(parcel.area_mu * float(price), 1)


# Delays the land bureau finds the government's fault (闲置土地处置办法 art. 8).
GOVERNMENT_REASONS = [
    "规划调整，原约定用途无法实施",
    "征地拆迁未完成，未按约定交付土地",
    "配套道路及管网未按期建成",
]


def _idle(rng: np.random.Generator, today: date, admin) -> None:
    """Investigations of idle parcels through the service, as the land bureau records them: a few found the
    government's fault, notices served and answered on parcels at each stage, one reply overdue."""
    idle = idle_ledger().filter(pl.col("idle_since").is_not_null())
    parcels = {p.pk: p for p in Parcel.objects.filter(pk__in=idle["id"].to_list())}
    order = rng.permutation(idle.height)
    rows = [idle.row(int(i), named=True) for i in order]
    by_stage = {stage: [r for r in rows if r["stage"] == stage] for stage in ("fee_due", "recovery_due")}

    def serve(row: dict, *, cause: str = "enterprise", reason: str = "", reply: bool = True) -> None:
        notice = min(row["idle_since"] + timedelta(days=int(rng.integers(15, 90))), today)
        answered = notice + timedelta(days=int(rng.integers(5, 29)))
        record_idle(
            parcels[row["id"]], admin, cause=cause, reason=reason, notice_on=notice,
            reply_on=answered if reply and answered <= today else None,
        )  # fmt: skip

    for row, reason in zip(by_stage["recovery_due"][:1] + by_stage["fee_due"][:2], GOVERNMENT_REASONS, strict=False):
        serve(row, cause="government", reason=reason)
    for row in by_stage["fee_due"][2:8] + by_stage["recovery_due"][1:6]:
        serve(row)
    # One notice served more than 30 days ago and not answered.
    late = next((r for r in by_stage["fee_due"][8:] + by_stage["recovery_due"][6:] if r["idle_since"] <= today - timedelta(days=45)), None)
    if late is not None:
        record_idle(parcels[late["id"]], admin, cause="enterprise", reason="", notice_on=today - timedelta(days=40), reply_on=None)


def _link_projects() -> None:
    """Stand each demo project on a parcel of its own enterprise (so in its county), when the projects app
    has loaded some."""
    if not hasattr(Parcel, "projects"):
        return
    through = Parcel.projects.through
    project_model = Parcel.projects.rel.related_model
    project_field = next(f.name for f in through._meta.concrete_fields if f.related_model is project_model)
    projects = pl.DataFrame(
        list(project_model.objects.values_list("pk", "enterprise__uscc")),
        schema={"project_id": pl.Int64, "enterprise_uscc": pl.String},
        orient="row",
    )
    parcels = pl.DataFrame(
        list(Parcel.objects.exclude(holder=None).values_list("pk", "holder__uscc")),
        schema={"parcel_id": pl.Int64, "holder_uscc": pl.String},
        orient="row",
    )
    links = link_projects(projects, parcels)
    if links.is_empty():
        return
    through.objects.bulk_create(
        [through(**{"parcel_id": parcel, f"{project_field}_id": project}) for parcel, project in links.iter_rows()],
        batch_size=2000,
    )
    # The projects were created with these parcels: their history rows hold them.
    record_links(project_model.history.filter(id__in=links["project_id"].to_list()))


def _cases(rng: np.random.Generator, today: date, admin) -> None:
    """Disposal cases for about a fifth of the inefficient parcels: some closed this year, some overdue."""
    from mujun.land.models import Finding

    findings = list(Finding.objects.filter(primary=True).select_related("parcel").order_by("pk"))
    # An idle parcel's case takes the measure the idle-land statute proposes for it today.
    statutory = dict(idle_ledger().filter(pl.col("measure").is_not_null()).select("id", "measure").iter_rows())
    first_per_parcel = list({f.parcel_id: f for f in reversed(findings)}.values())  # one case per parcel
    picked = [f for f in first_per_parcel if rng.random() < 0.2]
    measure_of = {
        "approved_not_supplied": "relet",
        "supplied_not_used": "urge_start",
        "used_not_exhausted": "secondary_development",
        "built_not_commissioned": "urge_start",
        "commissioned_below_standard": "merger",
    }
    cases, closing = [], []
    for finding in picked:
        opened = _day(today, rng, -400, -10)
        case = DisposalCase(
            parcel=finding.parcel,
            category=finding.category,
            rule=finding.rule,
            figures=finding.figures,
            measure=statutory.get(finding.parcel_id, measure_of[finding.category])
            if rng.random() < 0.7
            else MEASURES[int(rng.integers(len(MEASURES)))],
            responsible_unit=UNITS[int(rng.integers(len(UNITS)))],
            opened_on=opened,
            deadline=_day(opened, rng, 90, 540),
        )
        if rng.random() < 0.4:
            closing.append((case, min(_day(opened, rng, 30, 300), today), round(finding.parcel.area_mu * rng.uniform(0.5, 1.0), 2)))
        cases.append(case)
    bulk_create(DisposalCase, cases, user=admin)
    for case, closed_on, area_disposed_mu in closing:
        close_case(case, closed_on, area_disposed_mu, admin)
    notes = [
        DisposalProgress(case=case, noted_on=min(_day(case.opened_on, rng, 7, 60), today), note="已约谈企业，制定处置方案", created_by=admin)
        for case in cases
    ]
    bulk_create(DisposalProgress, notes, user=admin)


# The share of the parcels due for acceptance left unchecked, for the list's "due" block.
UNCHECKED_SHARE = 0.15
INDICATOR_COLUMNS = {name: (spec.committed, spec.lower_is_better) for name, spec in CONTRACT_INDICATORS.items()}


def _acceptances(rng: np.random.Generator, today: date, admin) -> None:
    """标准地 contract terms on the parcels with commitments, and the acceptance of most parcels whose initial
    operating period has ended, through the service. A due parcel's commitments are set against its holder's
    published figures so that the result agrees with the grade: an A or B firm passes, a C firm misses an
    indicator or two, a D firm misses most, some by more than half (recovery proposed)."""
    from mujun.land import services

    standard = list(services.standard_land().only("id", "area_mu", "land_price"))
    for parcel in standard:
        parcel.committed_emissions_per_value_added = float(rng.choice([0.0002, 0.0003, 0.0005]))  # t eq. per 万元
        parcel.contract_deposit = round(parcel.area_mu * float(rng.choice([3, 5, 8])), 1)  # 万元 a mu
        # One percentage point of missed investment costs 1 % of the land price (or of 40 万元 a mu).
        parcel.price_difference_per_point = round((parcel.land_price or parcel.area_mu * 40) / 100, 2)
        parcel.recovery_below_share = 0.5
    terms = ["committed_emissions_per_value_added", "contract_deposit", "price_difference_per_point", "recovery_below_share"]
    Parcel.objects.bulk_update(standard, terms, batch_size=500)

    due = services.acceptance_due().filter(pl.col("due_on") <= today)
    frame = services.parcels_frame(Parcel.objects.filter(pk__in=due["id"].to_list()).exclude(holder=None))
    if frame.is_empty():
        write_history(Parcel.objects.filter(pk__in=[p.pk for p in standard]), "~", user=admin)
        return
    # The parcels to check now: their commitments are set against the figures below. The rest keep theirs, which
    # their five-wei findings already compare with the actual values recorded on them.
    checked = frame.filter(pl.Series(rng.random(frame.height) >= UNCHECKED_SHARE))
    actual = services.actual_values(checked.join(due.select("id", "due_on"), on="id"), today)
    parcels = {p.pk: p for p in Parcel.objects.filter(pk__in=actual["id"].to_list())}
    for row in actual.iter_rows(named=True):
        grade, parcel = row["holder_grade"], parcels[row["id"]]
        if grade not in ("A", "B", "C", "D", "T"):  # T: a new firm exempt from grading, built as agreed
            continue
        missed = {"A": 0, "B": 0, "T": 0, "C": int(rng.integers(1, 3)), "D": int(rng.integers(3, 6))}[grade]
        names = [n for n in INDICATOR_COLUMNS if (row[CONTRACT_INDICATORS[n].actual] or 0) > 0]
        for name in set(INDICATOR_COLUMNS) - set(names):  # no such figure (or a tax refund): no such clause
            setattr(parcel, INDICATOR_COLUMNS[name][0], None)
        failing = set(rng.permutation(names)[:missed].tolist())
        for name in names:
            column, lower_is_better = INDICATOR_COLUMNS[name]
            value = row[CONTRACT_INDICATORS[name].actual]
            factor = rng.uniform(1.1, 2.4) if name in failing else rng.uniform(0.7, 0.95)
            setattr(parcel, column, float(f"{value / factor if lower_is_better else value * factor:.3g}"))
    committed = [spec.committed for spec in CONTRACT_INDICATORS.values()]
    Parcel.objects.bulk_update(list(parcels.values()), committed, batch_size=500)
    write_history(Parcel.objects.filter(pk__in=[p.pk for p in standard]), "~", user=admin)

    made = services.accept_parcels(Parcel.objects.filter(pk__in=list(parcels)), admin, today)
    for acceptance in made:
        if acceptance.outcome != "failed" or rng.random() < 0.5:
            continue
        decision = "enforced" if rng.random() < 0.8 else "recheck"
        decided_on = min(acceptance.checked_on + timedelta(days=int(rng.integers(0, 5))), today)
        note = "已按出让合同扣留履约保证金并通知补缴" if decision == "enforced" else "企业承诺整改，一年后复核"
        services.decide_acceptance(acceptance, decision, decided_on, note, admin)
