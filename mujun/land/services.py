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
from django.db.models import Count, Q, Sum, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from mujun.core.deletion import DeletionRefused, delete_record
from mujun.core.frames import read_frame
from mujun.core.kept import history_version, kept
from mujun.core.history import UPDATE_BATCH_SIZE, bulk_create, write_history_of
from mujun.core.scoping import require_edit
from mujun.core.rules import rule_errors
from mujun.engine import idle_land
from mujun.engine import land as engine
from mujun.engine import acceptance as acceptance_engine
from mujun.evaluation.grades import latest_published_grades
from mujun.evaluation.grades import published_grades
from mujun.land.models import DisposalCase, Finding, IdleStage, LandTarget, Parcel, Thresholds
from mujun.land.models import Acceptance
from mujun.enterprises.models import Enterprise
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
    return read_frame(queryset, schema)


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
    year against the supply guarantee. Kept in the cache for the day until a case, a parcel, a target or a
    region changes: the case list shows it on each request, and on SQLite a parcel's region is read past
    its boundary (thousands of cases: 40 ms in the demo city ×10)."""
    today = timezone.localdate()
    version = (today.isoformat(), *history_version(DisposalCase, Parcel, LandTarget, Region))
    return kept(f"land:overview:{year}", version, lambda: _overview(year, today))


def _overview(year: int, today: date) -> list[dict]:
    counties = list(Region.objects.filter(level=Region.Level.COUNTY).order_by("code"))
    county_ids = county_of_regions()
    targets = {t.region_id: t for t in LandTarget.objects.filter(year=year)}
    disposed, open_cases, overdue, supplied = {}, {}, {}, {}
    is_open = Q(status=DisposalCase.Status.OPEN)
    per_region = (
        DisposalCase.objects.filter(is_open | Q(closed_on__year=year))
        .values("parcel__region_id")
        .annotate(
            area=Sum("area_disposed_mu", filter=Q(status=DisposalCase.Status.CLOSED)),
            open=Count("pk", filter=is_open),
            overdue=Count("pk", filter=is_open & Q(deadline__lt=today)),
        )
    )  # counted in the database: a county's thousands of cases are a few rows per town
    for region_id, area, opened, late in per_region.values_list("parcel__region_id", "area", "open", "overdue"):
        county = county_ids.get(region_id)
        disposed[county] = disposed.get(county, 0) + (area or 0)
        open_cases[county] = open_cases.get(county, 0) + opened
        overdue[county] = overdue.get(county, 0) + late
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


# --- the idle-land clock (闲置土地处置办法) ------------------------------------------------------------

# What the ledger shows of a parcel beside its clock.
IDLE_FACTS = {
    "id": pl.Int64, "name": pl.String, "region__name": pl.String, "holder__name": pl.String,
    "idle_cause_reason": pl.String,
}  # fmt: skip


def computed_idle_clock(queryset=None, as_of: date | None = None) -> pl.DataFrame:
    """The idle-land clock (mujun.engine.idle_land) of the supplied parcels of ``queryset`` (all by default) as
    of a date (today by default), under each county's five-wei thresholds, with the facts the ledger shows."""
    as_of = as_of or timezone.localdate()
    queryset = (Parcel.objects.all() if queryset is None else queryset).exclude(supplied_on=None)
    facts = read_frame(queryset, IDLE_FACTS).rename({"region__name": "region_name", "holder__name": "holder_name"})
    recorded = {name: dtype for name, dtype in idle_land.CLOCK_COLUMNS.items() if name != "land_price"}
    frame = parcels_frame(queryset).join(read_frame(queryset, {"id": pl.Int64, **recorded}), on="id")
    counties = county_of_regions()
    frame = frame.with_columns(
        pl.col("region_id").replace_strict(counties, default=None).cast(pl.String).alias("region")
    )
    clock = idle_land.clock(frame, as_of, by_region=county_thresholds())
    shown = frame.select("id", "code", "area_mu", *idle_land.CLOCK_COLUMNS).join(facts, on="id")
    return shown.join(clock, on="code").sort("idle_since", "overdue_since", "code", nulls_last=True)


def idle_ledger(queryset=None, as_of: date | None = None) -> pl.DataFrame:
    """The clock (:func:`computed_idle_clock`) of the parcels that are behind — every stage but not idle — among
    ``queryset`` (all by default). The whole city's is computed once per day and per change of what it reads and
    kept in the cache: it reads every supplied parcel (87,000 in the demo city ×10: two seconds), which the
    ledger cannot afford per request."""
    as_of = as_of or timezone.localdate()
    # What the clock reads: parcels, thresholds, regions (counties, names) and enterprises (holders' names).
    version = (as_of.isoformat(), *history_version(Parcel, Thresholds, Region, Enterprise))
    ledger = kept("land:idle-ledger", version, lambda: computed_idle_clock(None, as_of).filter(pl.col("stage") != IdleStage.NOT_IDLE))
    if queryset is None or not queryset.query.has_filters():  # every parcel: no need to read 87,000 ids
        return ledger
    return ledger.join(read_frame(queryset, {"id": pl.Int64}), on="id", how="semi")


def parcel_idle_clock(parcel: Parcel, as_of: date | None = None) -> dict | None:
    """One parcel's clock as a dict, or None for a parcel not supplied."""
    rows = computed_idle_clock(Parcel.objects.filter(pk=parcel.pk), as_of).to_dicts()  # its stored values now
    return rows[0] if rows else None


def proposed_measure(finding: Finding) -> str | None:
    """The measure the statute proposes for a case opened from an idle finding (fee, recovery, or the
    government route), else None."""
    if finding.category != "supplied_not_used":
        return None
    clock = parcel_idle_clock(finding.parcel)
    return clock["measure"] if clock else None


def record_idle(parcel: Parcel, user, *, cause: str, reason: str, notice_on: date | None, reply_on: date | None) -> Parcel:
    """Records the land bureau's investigation of an idle parcel: the cause (and why), the day the notice was
    served and the day the reply came. Refused (``ValidationError`` naming the fields) for a notice before the
    parcel became idle or on a parcel not idle, a reply before the notice or without one, a date after today,
    or a government cause without its reason."""
    require_edit(user, parcel)
    today = timezone.localdate()
    with transaction.atomic():
        locked = Parcel.objects.select_for_update().get(pk=parcel.pk)
        locked.idle_cause, locked.idle_cause_reason = cause or "", (reason or "").strip()
        locked.idle_notice_on, locked.idle_reply_on = notice_on, reply_on
        clock = parcel_idle_clock(locked, today)
        idle_since = clock["idle_since"] if clock else None
        errors = rule_errors(locked, idle_land.RECORD_RULES, idle_since=idle_since, today=today)
        if errors:
            raise ValidationError(errors)
        locked.full_clean()
        locked._history_user = user
        locked.save()
    return locked


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


# --- 标准地 acceptance (达产复核, DB33/T 2172) ------------------------------------------------------------

# The enterprise-year figures an acceptance reads, and the parcel's actual value each gives (numerator, divisor).
ACTUAL_FIGURES = {
    "actual_output_per_mu": ("revenue", "land_mu"),
    "actual_tax_per_mu": ("tax", "land_mu"),
    "actual_energy_per_value_added": ("energy_tce", "value_added"),
    "actual_emissions_per_value_added": ("emission_eq", "value_added"),
}
ACTUAL_COLUMNS = ["actual_investment_intensity", *ACTUAL_FIGURES]


def standard_land(queryset=None):
    """Parcels with at least one 标准地 commitment."""
    queryset = Parcel.objects.all() if queryset is None else queryset
    committed = Q()
    for spec in engine.CONTRACT_INDICATORS.values():
        committed |= Q(**{f"{spec.committed}__isnull": False})
    return queryset.filter(committed)


def acceptance_due(queryset=None) -> pl.DataFrame:
    """``id, code, region_id, holder_id, commissioned_on, due_on`` of the commissioned 标准地 parcels of ``queryset`` (all, kept in the cache until a
    parcel, a threshold or a region changes: the acceptance list reads it on each request): commissioning plus
    the county's initial operating period (the five-wei thresholds), the day 投而未达标 starts to apply."""
    if queryset is None:
        return kept("land:acceptance-due", history_version(Parcel, Thresholds, Region), lambda: _acceptance_due(Parcel.objects.all()))
    return _acceptance_due(queryset)


def _acceptance_due(queryset) -> pl.DataFrame:
    queryset = standard_land(queryset).exclude(commissioned_on=None)
    columns = {"id": pl.Int64, "code": pl.String, "region_id": pl.Int64, "holder_id": pl.Int64, "commissioned_on": pl.Date}
    frame = read_frame(queryset, columns)
    months_of = {int(county): t.operating_period_months for county, t in county_thresholds().items()}
    default = engine.Thresholds().operating_period_months
    counties = county_of_regions()
    frame = frame.with_columns(
        pl.col("region_id").replace_strict(counties, default=None).replace_strict(months_of, default=default)
        .cast(pl.Int64).alias("months")
    )  # fmt: skip
    months = (pl.col("months"), {default, *months_of.values()})
    return frame.select("id", "code", "region_id", "holder_id", "commissioned_on", acceptance_engine.due_on(months).alias("due_on"))


def settled_parcel_ids() -> pl.Series:
    """Parcels whose acceptance is pending or decided for good (a "re-check later" makes the parcel due again)."""
    settled = Acceptance.objects.exclude(decision=Acceptance.Decision.RECHECK)
    return read_frame(settled, {"parcel_id": pl.Int64})["parcel_id"]


def due_frame(as_of: date | None = None, queryset=None) -> pl.DataFrame:
    """The held parcels of ``queryset`` (all by default) whose initial operating period has ended by ``as_of``
    (today) without an acceptance, as :func:`acceptance_due`'s rows: counted and picked from without a query
    over thousands of ids. All parcels' are kept in the cache for the day, until a parcel, a threshold, a
    region or an acceptance changes: the acceptance list reads them on each request."""
    as_of = as_of or timezone.localdate()
    if queryset is None:
        version = (as_of.isoformat(), *history_version(Parcel, Thresholds, Region, Acceptance))
        return kept("land:due", version, lambda: _due_frame(as_of, None))
    return _due_frame(as_of, queryset)


def _due_frame(as_of: date, queryset) -> pl.DataFrame:
    due = acceptance_due(queryset).filter((pl.col("due_on") <= as_of) & pl.col("holder_id").is_not_null())
    return due.filter(~pl.col("id").is_in(settled_parcel_ids().implode()))


def figures_years(holders_due: list[tuple[int, date]]) -> dict[tuple[int, date], tuple[int, str]]:
    """For each (holder, due date): the published evaluation year used and its grade — the year the period
    ends if the holder's figures of that year are published, else the latest published year."""
    holder_ids = {holder for holder, _due in holders_due}
    grades = {}
    ids = sorted(holder_ids)
    for start in range(0, len(ids), 500):
        grades.update(published_grades(ids[start : start + 500]))
    chosen = {}
    for holder, due in holders_due:
        years = grades.get(holder)
        if not years:
            continue
        pick = next((g for g in years if g.year == due.year), years[0])
        chosen[(holder, due)] = (pick.year, pick.grade)
    return chosen


def invested_intensity(parcel_ids: list[int]) -> dict[int, float]:
    """Each parcel's fixed-asset investment from the projects standing on it (a project on several parcels
    shared by their area), per mu; parcels with no such investment are left out."""
    if not hasattr(Parcel, "projects"):
        return {}
    through = Parcel.projects.through
    project = next(f.name for f in through._meta.concrete_fields if f.is_relation and f.related_model is not Parcel)
    project_ids = through.objects.filter(parcel_id__in=parcel_ids).values(f"{project}_id")
    links = pl.DataFrame(
        list(through.objects.filter(**{f"{project}_id__in": project_ids}).values_list(
            "parcel_id", f"{project}_id", f"{project}__fixed_asset_investment", "parcel__area_mu"
        )),
        schema={"parcel_id": pl.Int64, "project_id": pl.Int64, "fai": pl.Float64, "area_mu": pl.Float64}, orient="row",
    )  # fmt: skip
    shared = links.drop_nulls("fai").with_columns(
        (pl.col("fai") * pl.col("area_mu") / pl.col("area_mu").sum().over("project_id")).alias("share")
    )
    per_parcel = shared.group_by("parcel_id").agg(pl.col("share").sum(), pl.col("area_mu").first())
    return {pk: share / area for pk, share, area in per_parcel.iter_rows() if area}


def actual_values(parcels: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """``parcels`` (id, holder_id, due_on, the parcel's columns) with the actual values of the acceptance:
    the holder's published evaluation year's figures and its projects' investment; ``figures_year`` and
    ``holder_grade`` say which year was read."""
    from mujun.enterprises.models import EnterpriseYear

    chosen = figures_years(list(zip(parcels["holder_id"].to_list(), parcels["due_on"].to_list(), strict=True)))
    picks = pl.DataFrame(
        [(holder, due, year, grade) for (holder, due), (year, grade) in chosen.items()],
        schema={"holder_id": pl.Int64, "due_on": pl.Date, "figures_year": pl.Int64, "holder_grade": pl.String},
        orient="row",
    )
    names = sorted({name for pair in ACTUAL_FIGURES.values() for name in pair})
    years = EnterpriseYear.objects.filter(
        enterprise_id__in=picks["holder_id"].unique().to_list(), year__in=picks["figures_year"].unique().to_list()
    ).values_list("enterprise_id", "year", *names)
    figures = pl.DataFrame(
        list(years), schema={"holder_id": pl.Int64, "figures_year": pl.Int64, **{n: pl.Float64 for n in names}},
        orient="row",
    )  # fmt: skip
    invested = invested_intensity(parcels["id"].to_list())
    frame = parcels.join(picks, on=["holder_id", "due_on"], how="left").join(
        figures, on=["holder_id", "figures_year"], how="left"
    )
    # Without published figures, the value recorded on the parcel stands.
    ratios = [
        pl.when(pl.col(divisor) > 0).then(pl.col(numerator) / pl.col(divisor)).fill_null(pl.col(name)).alias(name)
        for name, (numerator, divisor) in ACTUAL_FIGURES.items()
    ]
    investment = pl.col("id").replace_strict(invested, default=None, return_dtype=pl.Float64)
    return frame.with_columns(
        *ratios, investment.fill_null(pl.col("actual_investment_intensity")).alias("actual_investment_intensity")
    )


def accept_parcels(queryset, user, as_of: date | None = None) -> list[Acceptance]:
    """The acceptance of every parcel of ``queryset`` whose operating period has ended by ``as_of`` (today): a
    new record, or the pending one checked again. Each parcel's actual values are written on it and its
    five-wei findings classified again, so 投而未达标 and the acceptance agree."""
    as_of = as_of or timezone.localdate()
    return _accept(acceptance_due(queryset).filter(pl.col("due_on") <= as_of), user, as_of)


def _accept(due: pl.DataFrame, user, as_of: date) -> list[Acceptance]:
    """:func:`accept_parcels` of the parcels of ``due`` (:func:`acceptance_due`'s rows, due by ``as_of``)."""
    frame = parcels_frame(Parcel.objects.filter(pk__in=due["id"].to_list()).exclude(holder=None))
    if frame.is_empty():
        return []
    frame = actual_values(frame.join(due.select("id", "due_on"), on="id"), as_of)
    outcome = acceptance_engine.accept(frame)
    indicators: dict[str, dict] = {}
    for code, name, text in acceptance_engine.indicator_json(outcome.indicators).iter_rows():
        indicators.setdefault(code, {})[name] = json.loads(text)
    summary = {row["code"]: row for row in outcome.parcels.iter_rows(named=True)}
    rows = {row["code"]: row for row in frame.iter_rows(named=True)}
    with transaction.atomic():
        pending = {a.parcel_id: a for a in Acceptance.objects.select_for_update().filter(
            parcel_id__in=frame["id"].to_list(), decision=Acceptance.Decision.PENDING)}  # fmt: skip
        made, changed = [], []
        for code, outline in summary.items():
            row = rows[code]
            record = pending.get(row["id"]) or Acceptance(parcel_id=row["id"])
            record.holder_id, record.due_on, record.checked_on = row["holder_id"], row["due_on"], as_of
            record.figures_year, record.holder_grade = row["figures_year"], row["holder_grade"] or ""
            record.indicators, record.outcome = indicators[code], outline["result"]
            record.breach_amount = round(outline["breach_amount"] or 0.0, 2)
            record.recovery_proposed = outline["recovery_proposed"]
            (changed if record.pk else made).append(record)
        bulk_create(Acceptance, made, user=user)
        fields_changed = ["holder", "due_on", "checked_on", "figures_year", "holder_grade", "indicators", "outcome",
                          "breach_amount", "recovery_proposed"]  # fmt: skip
        Acceptance.objects.bulk_update(changed, fields_changed, batch_size=UPDATE_BATCH_SIZE)
        write_history_of(Acceptance, [a.pk for a in changed], "~", user=user)
        parcels = list(Parcel.objects.filter(pk__in=frame["id"].to_list()).only("id", "code", *ACTUAL_COLUMNS))
        for parcel in parcels:  # unrounded, so the findings compare the very figures the acceptance did
            for name in ACTUAL_COLUMNS:
                setattr(parcel, name, rows[parcel.code][name])
        Parcel.objects.bulk_update(parcels, ACTUAL_COLUMNS, batch_size=UPDATE_BATCH_SIZE)
        write_history_of(Parcel, [p.pk for p in parcels], "~", user=user)
        classify_parcels(as_of, Parcel.objects.filter(pk__in=[p.pk for p in parcels]))
    return made + changed


def accept_parcel(parcel: Parcel, user, as_of: date | None = None) -> Acceptance:
    """One parcel's acceptance, from its page: refused (``ValidationError``) for a parcel with no commitment,
    no holder, not due yet, or accepted and decided."""
    require_edit(user, parcel)
    as_of = as_of or timezone.localdate()
    if not standard_land(Parcel.objects.filter(pk=parcel.pk)).exists():
        raise ValidationError(_("Parcel %(parcel)s has no standard-land commitment to check.") % {"parcel": parcel})
    if parcel.holder_id is None:
        raise ValidationError(_("Parcel %(parcel)s has no holder to check.") % {"parcel": parcel})
    due = acceptance_due(Parcel.objects.filter(pk=parcel.pk))
    if due.is_empty():
        raise ValidationError(_("Parcel %(parcel)s is not commissioned: nothing to check yet.") % {"parcel": parcel})
    due_on = due["due_on"][0]
    if due_on > as_of:
        raise ValidationError(
            _("The initial operating period of parcel %(parcel)s ends on %(date)s: not due yet.")
            % {"parcel": parcel, "date": due_on.isoformat()}
        )
    decided = parcel.acceptances.exclude(decision__in=[Acceptance.Decision.PENDING, Acceptance.Decision.RECHECK])
    if decided.exists():
        raise ValidationError(_("Parcel %(parcel)s is accepted and decided.") % {"parcel": parcel})
    (record,) = _accept(due, user, as_of)
    return record


def accept_due_parcels(user, as_of: date | None = None) -> list[Acceptance]:
    """Every parcel due by ``as_of`` (today) and not yet accepted, at once (the city administrator's button, the
    ``accept_due_parcels`` command)."""
    as_of = as_of or timezone.localdate()
    return _accept(due_frame(as_of), user, as_of)


def decide_acceptance(acceptance: Acceptance, decision: str, decided_on: date | None, note: str, user) -> Acceptance:
    """Records the decision on a pending acceptance: breach measures enforced, re-check later, or waived;
    refused (``ValidationError`` naming the field) without its date, or once decided."""
    require_edit(user, acceptance)
    with transaction.atomic():
        locked = Acceptance.objects.select_for_update().get(pk=acceptance.pk)
        if locked.decision != Acceptance.Decision.PENDING:
            raise ValidationError(_("The acceptance is decided."))
        if decision == Acceptance.Decision.PENDING:
            raise ValidationError({"decision": _("Choose a decision.")})
        locked.decision, locked.decided_on, locked.decision_note = decision, decided_on, note
        locked.full_clean()
        locked.save()
    return locked
