"""Plausible years, written once (mujun.core.validators): every year field refuses year 0 and 32000 on
the web form, in the API and in the imports (issue 8: an indicator value of year 32000 was stored)."""

import pytest
from django.apps import apps
from django.db import models

from mujun.core.validators import FIRST_YEAR, LAST_YEAR, FirstYearValidator, LastYearValidator
from mujun.indicators.models import Indicator, IndicatorValue
from mujun.projects.models import Project


def year_fields():
    for model in apps.get_models():
        if not model.__module__.startswith("mujun.") or model.__name__.startswith("Historical"):
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.IntegerField) and (field.name == "year" or field.name.endswith("_year")):
                yield field


def test_every_year_field_carries_the_bounds():
    fields = list(year_fields())
    assert {f"{f.model.__name__}.{f.name}" for f in fields} >= {
        "EnterpriseYear.year", "IndicatorValue.year", "Project.plan_year", "Run.year", "Scheme.year",
    }  # fmt: skip
    lacking = [
        f"{field.model.__name__}.{field.name}"
        for field in fields
        if not all(
            any(isinstance(v, bound) for v in field.validators) for bound in (FirstYearValidator, LastYearValidator)
        )
    ]
    assert not lacking


@pytest.mark.parametrize("year", [0, FIRST_YEAR - 1, LAST_YEAR + 1, 32000])
def test_the_api_refuses_an_indicator_value_of_an_implausible_year(regions, city_admin, client_as, year):
    indicator = Indicator.objects.create(code="fdi", name="实际使用外资", unit="亿美元")
    response = client_as(city_admin).post(
        "/api/indicator-values/",
        {"indicator": indicator.pk, "region": regions.wuxing.pk, "year": year, "month": 3, "value": "1.5"},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["year"]
    assert not IndicatorValue.objects.exists()


def test_the_project_form_refuses_plan_year_0(regions, city_admin, client_as):
    response = client_as(city_admin).post(
        "/projects/add/", {"code": "P-1", "name": "新项目", "region": regions.wuxing.pk, "plan_year": "0"}
    )
    assert response.status_code == 200  # the form again, with the problem
    assert "年度不得早于1990年" in response.content.decode()
    assert not Project.objects.exists()
