"""Puts the engine's demo data (mujun.engine.demo) into the database: used by ``mujun demo`` and by the
web benchmarks (bench/bench_web.py). Rows go in with bulk_create, a batch at a time, each with its creation
row in the change history (bulk too): a record's first change then shows what it held before."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from mujun.core.apps_registry import app_module, domain_configs
from mujun.core.history import bulk_create
from mujun.engine.demo import REGIONS
from mujun.engine.scheme import parse_scheme, preset_toml, scheme_to_toml
from mujun.enterprises.models import Enterprise, EnterpriseYear
from mujun.evaluation.models import Run, Scheme
from mujun.evaluation.services import execute_run
from mujun.regions.models import Region

DEMO_PASSWORD = "mujun2026"
CITY_CODE = "330500"
# county code -> user name of its operator
COUNTY_OPERATORS = {
    "330502": "wuxing",
    "330503": "nanxun",
    "330521": "deqing",
    "330522": "changxing",
    "330523": "anji",
}
# The city's schemes: the preset they follow, their year, name, and the years evaluated under them.
DEMO_SCHEMES = [
    ("huangyan-2021", 2022, "湖州市2022年度工业企业亩均效益综合评价办法", (2022,)),
    ("huangyan-2022", 2024, "湖州市2023—2024年度工业企业亩均效益综合评价办法", (2023, 2024)),
]
BATCH_SIZE = 5_000

_YEAR_FIELDS = [f.name for f in EnterpriseYear._meta.concrete_fields if f.name not in ("id", "enterprise")]


def has_demo_data() -> bool:
    """Whether the database already holds a city tree or enterprises (demo or real: never mix them)."""
    return Region.objects.filter(code=CITY_CODE).exists() or Enterprise.objects.exists()


def load_regions() -> dict[str, Region]:
    """The region tree, parents before children, each checked by the tree's rules (Region.clean) as the
    web form checks it; returns code -> Region."""
    regions: dict[str, Region] = {}
    for row in REGIONS:
        region = Region.objects.filter(code=row["code"]).first()
        if region is None:
            region = Region(code=row["code"], name=row["name"], level=row["level"], parent=regions.get(row["parent_code"]))
            region.full_clean()
            region.save()
        regions[row["code"]] = region
    return regions


def load_users(regions: dict[str, Region], password: str = DEMO_PASSWORD) -> list:
    """admin (city administrator), one operator per county, and ``leader`` (a viewer)."""
    User = get_user_model()
    users = [
        User.objects.create_superuser("admin", password=password, role=User.Role.CITY_ADMIN, region=regions[CITY_CODE])
    ]
    for county_code, username in COUNTY_OPERATORS.items():
        users.append(
            User.objects.create_user(
                username, password=password, role=User.Role.COUNTY_OPERATOR, region=regions[county_code]
            )
        )
    users.append(User.objects.create_user("leader", password=password, role=User.Role.VIEWER))
    return users


def load_enterprises(
    frame: pl.DataFrame, regions: dict[str, Region], batch_size: int = BATCH_SIZE, user=None
) -> int:
    """Enterprises (placed in their town, with their latest figures) and every enterprise-year row of
    ``frame`` (the generator's format), created in the history by ``user``. Returns the number of
    enterprise-year rows written."""
    latest = frame.sort("year").unique("uscc", keep="last").sort("uscc")
    town_ids = {code: region.pk for code, region in regions.items()}
    firms = latest.select(
        "uscc",
        "name",
        pl.col("town_code").replace_strict(town_ids, return_dtype=pl.Int64).alias("region_id"),
        "industry_code",
        "above_scale",
        "land_mu",
        "established_on",
    )
    for chunk in firms.iter_slices(batch_size):
        bulk_create(Enterprise, [Enterprise(**row) for row in chunk.iter_rows(named=True)], user=user)

    ids = pl.DataFrame(
        list(Enterprise.objects.values_list("uscc", "pk")),
        schema={"uscc": pl.Utf8, "enterprise_id": pl.Int64},
        orient="row",
    )
    years = frame.join(ids, on="uscc", how="inner").select("enterprise_id", *_YEAR_FIELDS)
    for chunk in years.iter_slices(batch_size):
        bulk_create(EnterpriseYear, [EnterpriseYear(**row) for row in chunk.iter_rows(named=True)], user=user)
    return years.height


def scheme_text(preset: str, year: int, name: str) -> str:
    """A preset's rules under the city's own name and year."""
    return scheme_to_toml(dataclasses.replace(parse_scheme(preset_toml(preset)), name=name, year=year))


def run_name(region: Region, year: int) -> str:
    return f"{region.name}{year}年度工业企业亩均效益综合评价"


def evaluate_and_publish(scheme: Scheme, region: Region, year: int, user=None) -> Run:
    """Create a run, execute it here and now, and publish it when it succeeded."""
    run = Run.objects.create(
        name=run_name(region, year), scheme=scheme, year=year, region=region, created_by=user, started_by=user
    )
    execute_run(run)
    if run.status == Run.Status.DONE:
        run.status, run.published_at = Run.Status.PUBLISHED, timezone.now()
        run.save()
    return run


def load_demo(
    n_above: int = 4000, n_below: int = 3000, *, password: str = DEMO_PASSWORD, log=lambda message: None
) -> list[Run]:
    """Everything ``mujun demo`` puts in an empty database; returns the city's runs."""
    from mujun.engine.demo import generate_enterprises

    years = tuple(sorted({year for *_, run_years in DEMO_SCHEMES for year in run_years}))
    with transaction.atomic():
        regions = load_regions()
        users = load_users(regions, password)
        log(gettext("regions: %(regions)d, users: %(users)d") % {"regions": len(regions), "users": len(users)})
        frame = generate_enterprises(n_above=n_above, n_below=n_below, years=years)
        rows = load_enterprises(frame, regions, user=users[0])
        log(
            gettext("enterprises: %(enterprises)d, enterprise years: %(years)d")
            % {"enterprises": n_above + n_below, "years": rows}
        )
        city, admin = regions[CITY_CODE], users[0]
        schemes = [
            (
                Scheme.objects.create(
                    name=name, year=year, region=city, preset=preset, toml=scheme_text(preset, year, name)
                ),
                run_years,
            )
            for preset, year, name, run_years in DEMO_SCHEMES
        ]
    runs = []
    for scheme, run_years in schemes:
        for year in run_years:
            run = evaluate_and_publish(scheme, city, year, admin)
            log(f"{run.name}: {run.get_status_display()} {run.message}".rstrip())
            runs.append(run)
    context = DemoContext(regions=regions, users=users, city=city, admin=admin, years=years, log=log)
    for config in domain_configs():
        if module := app_module(config, "demo"):
            with transaction.atomic():
                module.load(context)
    return runs


@dataclass
class DemoContext:
    """What an app's ``demo.load`` gets: the demo city as loaded so far (see core.apps_registry)."""

    regions: dict[str, Region]  # by official code
    users: list
    city: Region
    admin: object
    years: tuple[int, ...]
    log: Callable[[str], None]
    seed: int = 20261121
