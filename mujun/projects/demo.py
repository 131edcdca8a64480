"""Demo data: about 600 projects in every stage across the counties (mujun.engine.demo.generate_projects:
each built by a demo enterprise in its town and industry), two years of monthly reports, about 100
provincial major projects with their element needs, and investment-attraction teams and leads."""

import random
from datetime import date, timedelta

import numpy as np
import polars as pl
from django.utils import timezone

from mujun.core.history import bulk_create
from mujun.engine.demo import PRODUCTS, generate_projects, investor_names, manufacturing_project_name, person_names
from mujun.engine.projects import DATED_STAGES, DEFAULT_RED_MARGIN, DEFAULT_START_TARGETS, REPORTING_STAGES, due_deadline
from mujun.projects.models import ElementNeed, Lead, Level, ListThresholds, MonthlyReport, Project, StartTarget, Team
from mujun.projects.services import approve_reports, create_with_reached_stages, refresh_progress

PROJECTS = 600
PROVINCIAL = 100
CHAINS = ["新能源汽车及零部件", "生物医药", "半导体及光电", "绿色家居", "高端装备", "新材料", "数字经济", "现代纺织"]
# Where a county's investment-attraction teams are posted.
TEAM_POSTS = ["上海", "深圳", "杭州"]
# Days between consecutive stages, roughly.
GAPS = {"landed": 60, "construction": 45, "completed": 420, "commissioned": 60, "capacity": 240, "above_scale": 180}


def _month_starts(first: date, last: date):
    month = first.replace(day=1)
    while month <= last:
        yield month
        month = (month + timedelta(days=32)).replace(day=1)


KEY_COUNTY_FROM = 20_000.0  # 万元: the demo's key county investment projects are its county projects from 2亿
# What each county's start rate is made to be against its target, in turn: a spread of the wall's flags.
START_OUTCOMES = ("green", "yellow", "red", "green", "yellow")
# A county's own start-rate targets (a county may be set stricter than the province's defaults).
STRICTER = {"q1": 35.0, "q2": 65.0, "q3": 90.0, "october": 100.0}


def _start_targets(counties, today: date, admin) -> dict[int, dict[str, float]]:
    """The province's targets for last year and this, and a stricter one of this year's for the second county;
    returns each county's targets in force this year."""
    city = {**DEFAULT_START_TARGETS, "red_margin": DEFAULT_RED_MARGIN}
    records = [StartTarget(year=year, **city) for year in (today.year - 1, today.year)]
    own = {counties[1].pk: {**STRICTER, "red_margin": DEFAULT_RED_MARGIN}} if len(counties) > 1 else {}
    records += [StartTarget(year=today.year, region_id=pk, **figures) for pk, figures in own.items()]
    bulk_create(StartTarget, records, user=admin)
    return {county.pk: own.get(county.pk, city) for county in counties}


def _flag(rate: float, target: float, margin: float) -> str:
    return "red" if target - rate > margin else "yellow" if rate < target else "green"


def _spread_starts(projects: list[Project], counties, targets: dict[int, dict[str, float]], today: date) -> None:
    """Marks as new this year's projects of each county some that started this year and some not yet started, in
    the proportion that gives the county its flag of START_OUTCOMES (mujun.engine.projects.start_rates), the
    starts spread over the year."""
    due = due_deadline(today.year, today)
    county_of = {county.code: county.pk for county in counties}
    for project in projects:
        project.is_new = False
    for index, county in enumerate(counties):
        mine = [p for p in projects if county_of.get(p.region.code[:6]) == county.pk]
        started = [p for p in mine if p.actual_construction and p.actual_construction.year == today.year]
        waiting = [p for p in mine if p.actual_construction is None][:30]
        target, margin = (targets[county.pk][due], targets[county.pk]["red_margin"]) if due else (0.0, 0.0)
        wanted = START_OUTCOMES[index % len(START_OUTCOMES)]
        # The most projects giving the wanted flag, closest to the middle of its band.
        middle = {"green": target, "yellow": target - margin / 2, "red": target - margin * 2}[wanted]
        choices = [
            (n_started, n_waiting) for n_started in range(len(started) + 1) for n_waiting in range(len(waiting) + 1)
            if n_started + n_waiting and _flag(100 * n_started / (n_started + n_waiting), target, margin) == wanted
        ]  # fmt: skip
        if not choices:
            continue
        n_started, n_waiting = min(
            choices, key=lambda c: (abs(100 * c[0] / (c[0] + c[1]) - max(middle, 0)) // 5, -(c[0] + c[1]))
        )
        for project in started[:n_started] + waiting[:n_waiting]:
            project.is_new = True
        _spread_over_the_year(started[:n_started], today)


def _spread_over_the_year(started: list[Project], today: date) -> None:
    """Moves every date of these projects, all started this year, so that their starts spread evenly from January
    to ``today`` (the generated starts all fall in the last months), no actual date moved past ``today``."""
    first = date(today.year, 1, 10)
    if today <= first:
        return
    span = (today - first).days
    for position, project in enumerate(sorted(started, key=lambda p: p.actual_construction)):
        dated = [f"{kind}_{stage}" for stage in DATED_STAGES for kind in ("actual", "planned")]
        latest = max(getattr(project, name) for name in dated if name.startswith("actual_") and getattr(project, name))
        wanted = first + timedelta(days=int(span * (position + 0.5) / len(started)))
        shift = min(wanted - project.actual_construction, today - latest)
        for name in dated:
            if getattr(project, name) is not None:
                setattr(project, name, getattr(project, name) + shift)


def load(context) -> None:
    from mujun.enterprises.models import Enterprise

    rng = random.Random(context.seed + 3)
    today = timezone.localdate()
    counties = [r for r in context.regions.values() if r.level == "county"]
    if not counties:
        return
    firms = pl.DataFrame(
        list(Enterprise.objects.values_list("pk", "uscc", "name", "region__code", "industry_code", "above_scale")),
        schema={"pk": pl.Int64, "uscc": pl.String, "name": pl.String, "town_code": pl.String,
                "industry_code": pl.String, "above_scale": pl.Boolean},
        orient="row",
    )  # fmt: skip
    plan = generate_projects(firms, PROJECTS, PROVINCIAL, seed=context.seed + 3)
    enterprise_pk = dict(zip(firms["uscc"], firms["pk"], strict=True))
    regions = {region.code: region for region in context.regions.values()}

    projects = []
    for index, row in enumerate(plan.iter_rows(named=True)):
        region = regions.get(row["town_code"]) or counties[index % len(counties)]
        county_code = row["town_code"][:6]
        reached = row["stage_index"]
        provincial = row["provincial"]
        total = round(rng.lognormvariate(10.2 if provincial else 9.0, 0.8), 0)
        signed_on = today - timedelta(days=rng.randint(30, 120) + sum(GAPS[s] for s in DATED_STAGES[1:reached]))
        fields = {"planned_signed": signed_on, "actual_signed": signed_on if reached >= 1 else None}
        planned = actual = signed_on
        for position, stage in enumerate(DATED_STAGES[1:], start=2):
            planned = planned + timedelta(days=GAPS[stage])
            actual = actual + timedelta(days=int(GAPS[stage] * rng.uniform(0.6, 1.4)))
            fields[f"planned_{stage}"] = planned
            fields[f"actual_{stage}"] = min(actual, today) if reached >= position else None
        projects.append(
            Project(
                code=f"XM{county_code[-2:]}{2023 + index % 3}{index:04d}",
                name=row["name"],
                enterprise_id=enterprise_pk.get(row["enterprise_uscc"]),
                region=region,
                industry_code=row["industry_code"],
                chain_tags=rng.choice(CHAINS),
                total_investment=total,
                fixed_asset_investment=round(total * rng.uniform(0.6, 0.9), 0),
                foreign_capital_usd=round(total * rng.uniform(0.05, 0.2) / 7, 0) if rng.random() < 0.15 else None,
                is_new=rng.random() < 0.35,  # drawn to keep the draws after it; set again by _spread_starts
                key_county=not provincial and total >= KEY_COUNTY_FROM,
                level=Level.PROVINCIAL if provincial else rng.choice([Level.MUNICIPAL, Level.COUNTY, Level.COUNTY]),
                field=row["field"],
                batch=f"{today.year}年第一批" if provincial else "",
                plan_year=today.year,
                annual_plan=round(total * rng.uniform(0.2, 0.4), 0),
                **fields,
            )
        )
    targets = _start_targets(counties, today, context.admin)
    _spread_starts(projects, counties, targets, today)
    bulk_create(ListThresholds, [ListThresholds()], user=context.admin)
    # Each project is at the last stage it has a date for: the services record how it got there.
    create_with_reached_stages(projects, context.admin)
    projects = list(Project.objects.order_by("pk"))

    # Two years of monthly reports while a project was investing; a few recent months left unreported.
    first_month = date(today.year - 1, 1, 1)
    last_month = today.replace(day=1) - timedelta(days=1)
    reports = []
    for project in projects:
        if project.actual_construction is None:
            continue
        stop = project.actual_commissioned or last_month
        to_date = 0.0
        skip_recent = rng.random() < 0.12
        for month in _month_starts(max(project.actual_construction, first_month), min(stop, last_month)):
            if skip_recent and month >= (last_month - timedelta(days=62)).replace(day=1):
                continue
            invested = 0.0 if rng.random() < 0.08 else round(project.total_investment * rng.uniform(0.01, 0.06), 1)
            to_date += invested
            reports.append(
                MonthlyReport(
                    project=project, month=month, invested_month=invested, invested_to_date=round(to_date, 1),
                    submitted_by=context.admin, notes="按计划推进" if invested else "暂停施工，等待设备",
                )  # fmt: skip
            )
    bulk_create(MonthlyReport, reports, user=context.admin)
    # The city has reviewed every month before the last one.
    approve_reports(MonthlyReport.objects.filter(month__lt=last_month.replace(day=1)), context.admin)

    refresh_progress([p.pk for p in projects if p.stage in REPORTING_STAGES or p.actual_construction])

    needs = []
    for project in projects[:PROVINCIAL]:
        for element, scale in ((ElementNeed.Element.LAND, 0.004), (ElementNeed.Element.FUNDS, 0.3),
                               (ElementNeed.Element.ENERGY, 0.05), (ElementNeed.Element.ENVIRONMENT, 0.001)):  # fmt: skip
            needed = round(project.total_investment * scale * rng.uniform(0.5, 1.5), 1)
            needs.append(ElementNeed(project=project, element=element, needed=needed, granted=round(needed * rng.uniform(0.3, 1.0), 1)))
        if rng.random() < 0.1:
            needs.append(ElementNeed(project=project, element=ElementNeed.Element.SEA, needed=12.0, granted=8.0))
    bulk_create(ElementNeed, needs, user=context.admin)

    leaders = iter(person_names(len(counties) * len(TEAM_POSTS), seed=context.seed + 13))
    teams = bulk_create(
        Team,
        [Team(name=f"{county.name}驻{post}招商组", region=county, leader=next(leaders)) for county in counties for post in TEAM_POSTS],
        user=context.admin,
    )
    signed = [p for p in projects if p.stage != "planned"]
    industries = sorted(set(firms["industry_code"].drop_nulls()) & set(PRODUCTS)) or list(PRODUCTS)
    leads = []
    lead_rng = np.random.default_rng(context.seed + 19)
    lead_industries = [str(code) for code in lead_rng.choice(industries, size=180)]
    investors = investor_names(lead_industries, seed=context.seed + 17)
    for index in range(180):
        team = rng.choice(teams)
        status = rng.choices(list(Lead.Status), weights=[5, 4, 2, 3, 1])[0]
        project = signed.pop() if status == Lead.Status.PROJECT and signed else None
        if project:  # the lead became this project: found by a team of its county, under its name
            team = next((t for t in teams if t.region.code == project.region.code[:6]), team)
        name = project.name if project else manufacturing_project_name(lead_industries[index], "", lead_rng)
        leads.append(
            Lead(
                name=name, investor=investors[index],
                region=team.region, team=team, chain_tags=rng.choice(CHAINS),
                planned_investment=round(rng.lognormvariate(9.3, 0.9), 0),
                foreign_capital_usd=round(rng.uniform(500, 5000), 0) if rng.random() < 0.2 else None,
                status=status if project or status != Lead.Status.PROJECT else Lead.Status.SIGNED,
                signed_on=today - timedelta(days=rng.randint(10, 500)) if status in (Lead.Status.SIGNED, Lead.Status.PROJECT) else None,
                project=project,
            )  # fmt: skip
        )
    bulk_create(Lead, leads, user=context.admin)
    context.log(f"投资项目: {len(projects)} 个项目, {len(reports)} 份月报, {len(leads)} 条招商线索")
