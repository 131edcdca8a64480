"""Demo data: the city's schemes and a published city-wide run for every demo year, evaluated and
published through the evaluation's services as the city administrator."""

import dataclasses

from django.utils.translation import gettext

from mujun.engine.scheme import parse_scheme, preset_toml, scheme_to_toml
from mujun.evaluation.models import Run, Scheme
from mujun.evaluation.services import execute_run, publish_run

# The city's schemes: the preset they follow, their year, name, and the years evaluated under them.
DEMO_SCHEMES = [
    ("huangyan-2021", 2022, "湖州市2022年度工业企业亩均效益综合评价办法", (2022,)),
    ("huangyan-2022", 2024, "湖州市2023—2024年度工业企业亩均效益综合评价办法", (2023, 2024)),
]


def load(context) -> None:
    for preset, year, name, run_years in DEMO_SCHEMES:
        scheme = Scheme.objects.create(
            name=name, year=year, region=context.city, preset=preset, toml=scheme_text(preset, year, name)
        )
        for run_year in run_years:
            run = evaluate_and_publish(scheme, context.city, run_year, context.admin)
            context.log(f"{run.name}: {run.get_status_display()} {run.message}".rstrip())
            if run.status != Run.Status.PUBLISHED:
                context.problems.append(
                    gettext("Run %(run)s did not finish: %(message)s") % {"run": run, "message": run.message}
                )


def scheme_text(preset: str, year: int, name: str) -> str:
    """A preset's rules under the city's own name and year."""
    return scheme_to_toml(dataclasses.replace(parse_scheme(preset_toml(preset)), name=name, year=year))


def run_name(region, year: int) -> str:
    return f"{region.name}{year}年度工业企业亩均效益综合评价"


def evaluate_and_publish(scheme: Scheme, region, year: int, user) -> Run:
    """Create a run, execute it here and now, and publish it as ``user`` (a city administrator) when it succeeded."""
    run = Run.objects.create(
        name=run_name(region, year), scheme=scheme, year=year, region=region, created_by=user, started_by=user
    )
    execute_run(run)
    if run.status == Run.Status.DONE:
        publish_run(run, user)
    return run
