"""Fixtures of the evaluation tests: a small scheme whose outcome is easy to follow, and enterprises with
figures in two counties (one of them partly in a town)."""

import datetime as dt
import random

import pytest

from mujun.engine.uscc import make_uscc

YEAR = 2024

SCHEME_TOML = """
name = "测试区2024年度亩均效益评价"
year = 2024

[scope]
below_scale_min_land_mu = 3
new_enterprise_years = 2
new_land_years = 3

[[groups]]
id = "above"
label = "规上企业"
above_scale = true
grading = { method = "share", A = 0.2, B = 0.4, C = 0.35, D = 0.05 }
force_d_on_major_violation = true

  [[groups.indicators]]
  id = "tax_per_mu"
  label = "亩均税收"
  numerator = "tax"
  denominator = "land_mu"
  weight = 60
  benchmark = "ratio_of_sums"
  cap = 3

  [[groups.indicators]]
  id = "va_per_mu"
  label = "亩均增加值"
  numerator = "value_added"
  denominator = "land_mu"
  weight = 40
  benchmark = 100
  missing = "group_mean_score"

[[groups]]
id = "below"
label = "规下企业"
above_scale = false
grading = { method = "threshold", A = 100, B = 80, C = 60 }

  [[groups.indicators]]
  id = "tax_per_mu"
  label = "亩均税收"
  numerator = "tax"
  denominator = "land_mu"
  weight = 100
  benchmark = 10

[policies.A]
land_use_tax_reduction = 1.0

[policies.D]
electricity_surcharge_yuan_per_kwh = 0.3
water_surcharge_yuan_per_t = 1.5
"""


@pytest.fixture
def scheme(db):
    from mujun.evaluation.models import Scheme

    return Scheme.objects.create(name="测试区2024年度亩均效益评价", year=YEAR, toml=SCHEME_TOML)


def _figures(rng: random.Random, above_scale: bool) -> dict:
    land = round(rng.uniform(5, 80), 2)
    return {
        "above_scale": above_scale,
        "land_mu": land,
        "tax": round(land * rng.uniform(2, 40), 2),
        "value_added": round(land * rng.uniform(30, 200), 2) if rng.random() > 0.1 else None,
        "revenue": round(rng.uniform(2500, 90000), 1) if above_scale else round(rng.uniform(100, 1900), 1),
        "energy_tce": round(rng.uniform(50, 5000), 1),
        "employees": rng.randint(10, 800),
        "electricity_10k_kwh": round(rng.uniform(10, 900), 1),
    }


@pytest.fixture
def make_enterprises(db):
    """``make_enterprises(region, count, above=…, first=…)``: enterprises with figures for YEAR."""
    from mujun.enterprises.models import Enterprise, EnterpriseYear

    def make(region, count, *, above=True, first=1, seed=None, **overrides):
        rng = random.Random(seed if seed is not None else first)
        enterprises = []
        for number in range(first, first + count):
            enterprise = Enterprise.objects.create(
                uscc=make_uscc(f"91{region.code[:6]}{number:09d}"),
                name=f"{region.name}测试企业{number:03d}",
                region=region,
                above_scale=above,
                established_on=dt.date(2010, 1, 1),
            )
            EnterpriseYear.objects.create(enterprise=enterprise, year=YEAR, **{**_figures(rng, above), **overrides})
            enterprises.append(enterprise)
        return enterprises

    return make


@pytest.fixture
def county_data(regions, make_enterprises):
    """吴兴区 (with its town 织里镇) and 南浔区: 20 + 6 规上, 4 规下 (one under the land minimum)."""
    made = {
        "wuxing": make_enterprises(regions["wuxing"], 12, first=1),
        "zhili": make_enterprises(regions["zhili"], 8, first=101),
        "nanxun": make_enterprises(regions["nanxun"], 6, first=201),
        "below": make_enterprises(regions["wuxing"], 3, above=False, first=301),
        "small": make_enterprises(regions["wuxing"], 1, above=False, first=401, land_mu=2.0),
    }
    return made


@pytest.fixture
def finished_run(city_admin, regions, scheme, county_data):
    """A city-wide run carried out by the immediate task backend."""
    from mujun.evaluation.models import Run
    from mujun.evaluation.services import start_run

    run = Run.objects.create(name="湖州市2024", scheme=scheme, year=YEAR, region=regions["city"], created_by=city_admin)
    start_run(run, city_admin)
    run.refresh_from_db()
    assert run.status == Run.Status.DONE, run.message
    return run


@pytest.fixture
def published_run(city_admin, finished_run):
    """The city-wide run, posted (a window already over, no objection) and published: what everybody signed
    in sees."""
    return publish_directly(finished_run, city_admin)


def publish_directly(run, user):
    """Post ``run`` with a window that ended yesterday and publish it (no objection was filed)."""
    import datetime as dt

    from django.utils import timezone

    from mujun.evaluation.services import publish_after_past_posting

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    return publish_after_past_posting(run, user, yesterday - dt.timedelta(days=6), yesterday)


def workbook_rows(response) -> list[tuple]:
    """The first sheet of a downloaded workbook, header row first, as openpyxl reads it."""
    from io import BytesIO

    import openpyxl

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    content = b"".join(response.streaming_content)
    return list(openpyxl.load_workbook(BytesIO(content), read_only=True).worksheets[0].iter_rows(values_only=True))
