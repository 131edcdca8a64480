"""One test per domain rule: the same bad record through the web form, the API and the import gets the same
refusal, naming the same field with the same message.

Each rule lives once (an engine expression or the model's ``clean()``); this table is the proof that every
channel reaches it. Where a service writes the record (a monthly report, a case's closing), the "form" is the
page that calls the service. A channel a model does not have is left out (regions, leads, rounds and closings
have no import; leads, rounds, element needs and service problems are not written over the API).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import polars as pl
import pytest
from django import forms as django_forms
from django.contrib.messages import constants, get_messages
from django.db import models
from django.utils import translation

from mujun.core.imports import ImportFailed
from mujun.engine.io import write_table
from mujun.engine.uscc import uscc_problem
from mujun.land.geometry import area_mu, area_problem

LANGUAGE = "zh-hans"
YEAR_TOO_EARLY = "年度不得早于1990年"  # mujun.core.validators, on every year field
# About 110 m by 100 m in Huzhou: some 16 mu.
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[120.1, 30.8], [120.1011, 30.8], [120.1011, 30.8009], [120.1, 30.8009], [120.1, 30.8]]],
}


@dataclass(frozen=True)
class Domain:
    """How a model's record reaches each channel. ``valid`` builds a record that passes every rule, in model
    terms (related records as objects); ``to_import`` turns a record into an import row (column -> text)."""

    form: Callable  # (world, record) -> (form class, keyword arguments)
    valid: Callable[[dict], dict]
    api: str | Callable[[dict], str] | None = None  # the endpoint, or (world) -> it
    importer: Callable | None = None  # () -> importer class
    import_options: dict = field(default_factory=dict)
    to_import: Callable[[dict], dict] | None = None
    page: Callable[[dict], str] | None = None  # (world) -> the page whose form goes through a service


@dataclass(frozen=True)
class Case:
    rule: str
    domain: str
    bad: Callable[[dict], dict]  # (world) -> the changes that break the rule
    field: str
    message: Callable[[dict], str]  # (world) -> the refusal, in the user's language
    import_field: str | None = None  # where the import names it (its column)


def _code(obj) -> str:
    return getattr(obj, "code", None) or getattr(obj, "uscc", None) or str(obj)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, models.Model):
        return _code(value)
    if isinstance(value, list):
        return "、".join(_code(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def _import_row(record: dict, rename: dict | None = None) -> dict:
    return {(rename or {}).get(name, name): _text(value) for name, value in record.items()}


def _project_import(record: dict) -> dict:
    return _import_row({**record, "level": "县级"})


def _enterprise_year_import(record: dict) -> dict:
    firm = record["enterprise"]
    row = {"uscc": firm.uscc, "name": firm.name, "region": firm.region, **record}
    row.pop("enterprise")
    return _import_row(row)


def _indicator_import(record: dict) -> dict:
    row = dict(record)
    row["period"] = f"{row.pop('year')}-{row.pop('month'):02d}"
    return _import_row(row)


def _user(world):
    return {"user": world["admin"]}


def _importer(path: str):
    module, name = path.rsplit(".", 1)
    return lambda: getattr(__import__(module, fromlist=[name]), name)


def _form(path: str, instance: Callable | None = None, scoped: bool = True):
    def make(world, record):
        module, name = path.rsplit(".", 1)
        form_class = getattr(__import__(module, fromlist=[name]), name)
        kwargs = _user(world) if scoped else {}
        if instance is not None:
            kwargs["instance"] = instance(world, record)
        return form_class, kwargs

    return make


def _new_year(world, record):
    from mujun.enterprises.models import EnterpriseYear

    return EnterpriseYear(enterprise=record["enterprise"])  # the page's enterprise, not a field of the form


def _new_need(world, record):
    from mujun.projects.models import ElementNeed

    return ElementNeed(project=world["project"])


DOMAINS = {
    "project": Domain(
        form=_form("mujun.projects.forms.ProjectForm"),
        valid=lambda w: {"code": "P-1", "name": "新项目", "region": w["wuxing"], "enterprise": w["firm"],
                         "total_investment": 100.0, "level": "county", "is_new": True},  # fmt: skip
        api="/api/projects/",
        importer=_importer("mujun.projects.imports.ProjectImporter"),
        to_import=_project_import,
    ),
    "enterprise": Domain(
        form=_form("mujun.enterprises.forms.EnterpriseForm"),
        valid=lambda w: {"uscc": w["uscc"](9), "name": "新企业", "region": w["wuxing"], "above_scale": False,
                         "land_mu": 5.0},  # fmt: skip
        api="/api/enterprises/",
        importer=_importer("mujun.enterprises.imports.EnterpriseImporter"),
        import_options={"year": 2024},
        to_import=_import_row,
    ),
    "enterprise_year": Domain(
        form=_form("mujun.enterprises.forms.EnterpriseYearForm", instance=_new_year),
        valid=lambda w: {"enterprise": w["firm"], "year": 2024, "above_scale": False, "land_mu": 5.0,
                         "coefficient": 1.0, "bonus": 0.0},  # fmt: skip
        api="/api/enterprise-years/",
        importer=_importer("mujun.enterprises.imports.EnterpriseImporter"),
        to_import=_enterprise_year_import,
    ),
    "parcel": Domain(
        form=_form("mujun.land.forms.ParcelForm"),
        valid=lambda w: {"code": "WX-9", "region": w["wuxing"], "area_mu": 10.0},
        api="/api/parcels/",
        importer=_importer("mujun.land.imports.ParcelImporter"),
        to_import=_import_row,
    ),
    "indicator_value": Domain(
        form=_form("mujun.indicators.forms.IndicatorValueForm"),
        valid=lambda w: {"indicator": w["quarterly"], "region": w["wuxing"], "year": 2024, "month": 6, "value": 1.5},
        api="/api/indicator-values/",
        importer=_importer("mujun.indicators.imports.IndicatorValueImporter"),
        to_import=_indicator_import,
    ),
    "report": Domain(
        form=_form("mujun.projects.forms.MonthlyReportForm", scoped=False),
        page=lambda w: f"/projects/{w['project'].pk}/reports/add/",
        valid=lambda w: {"project": w["project"], "month": date(2024, 7, 1), "invested_month": 5.0,
                         "invested_to_date": 305.0},  # fmt: skip
        api="/api/project-reports/",
        importer=_importer("mujun.projects.imports.MonthlyReportImporter"),
        to_import=_import_row,
    ),
    "case_closing": Domain(
        form=_form("mujun.land.forms.CloseCaseForm", scoped=False),
        page=lambda w: f"/land/cases/{w['case'].pk}/close/",
        valid=lambda w: {"closed_on": date(2025, 3, 1), "area_disposed_mu": 4.0},
        api=lambda w: f"/api/disposal-cases/{w['case'].pk}/close/",
    ),
    # Opening a case from a finding: the page is the second finding's, on the parcel whose case is open.
    "case_opening": Domain(
        form=_form("mujun.land.forms.DisposalCaseForm", scoped=False),
        page=lambda w: f"/land/findings/{w['second_finding'].pk}/open-case/",
        valid=lambda w: {"finding": w["other_finding"], "measure": "relet", "responsible_unit": "吴兴区自然资源分局",
                         "deadline": date(2025, 12, 31)},  # fmt: skip
        api="/api/disposal-cases/",
    ),
    "region": Domain(
        form=_form("mujun.regions.forms.RegionForm"),
        valid=lambda w: {"code": "330502200", "name": "八里店镇", "level": "town", "parent": w["wuxing"]},
        api="/api/regions/",
    ),
    "round": Domain(
        form=_form("mujun.inspections.forms.RoundForm"),
        valid=lambda w: {"name": "2025年第一季度", "year": 2025, "quarter": 1, "score_min": 0, "score_max": 100},
    ),
    "lead": Domain(
        form=_form("mujun.projects.forms.LeadForm"),
        valid=lambda w: {"name": "新材料线索", "region": w["wuxing"], "status": "lead"},
    ),
    "element_need": Domain(
        form=_form("mujun.projects.forms.ElementNeedForm", instance=_new_need),
        valid=lambda w: {"element": "land", "needed": 10.0, "granted": 0.0},
    ),
    "service_problem": Domain(
        form=_form("mujun.services.forms.ProblemForm"),
        valid=lambda w: {"enterprise": w["firm"], "category": "land", "title": "用地指标不足"},
    ),
}

CASES = [
    # Projects: figures, the planned dates' order, the county of what a project links to.
    Case("total investment above 0", "project", lambda w: {"total_investment": 0.0}, "total_investment",
         lambda w: "必须大于0"),
    Case("fixed-asset investment not negative", "project", lambda w: {"fixed_asset_investment": -1.0},
         "fixed_asset_investment", lambda w: "不能为负数"),
    Case("foreign capital not negative", "project", lambda w: {"foreign_capital_usd": -1.0}, "foreign_capital_usd",
         lambda w: "不能为负数"),
    Case("annual plan not negative", "project", lambda w: {"annual_plan": -1.0}, "annual_plan",
         lambda w: "不能为负数"),
    Case("planned dates in order", "project",
         lambda w: {"planned_signed": date(2024, 5, 1), "planned_construction": date(2024, 1, 1)},
         "planned_construction", lambda w: "不能早于前一阶段的计划日期"),
    Case("planned dates in order across a blank", "project",
         lambda w: {"planned_signed": date(2024, 5, 1), "planned_landed": None,
                    "planned_construction": date(2024, 1, 1)},
         "planned_construction", lambda w: "不能早于前一阶段的计划日期"),
    Case("plan year in the platform's years", "project", lambda w: {"plan_year": 1985}, "plan_year",
         lambda w: YEAR_TOO_EARLY),
    Case("enterprise in the project's county", "project", lambda w: {"enterprise": w["other_firm"]}, "enterprise",
         lambda w: "南浔企业不在项目所在县区。"),
    Case("parcels in the project's county", "project", lambda w: {"parcels": [w["other_parcel"]]}, "parcels",
         lambda w: "不在项目所在县区：NX-1。"),
    # Monthly reports (a service writes them from the page and the API).
    Case("investment in the month not negative", "report", lambda w: {"invested_month": -1.0}, "invested_month",
         lambda w: "不能为负数"),
    Case("investment to date not negative", "report", lambda w: {"invested_to_date": -1.0}, "invested_to_date",
         lambda w: "不能为负数"),
    Case("no report of a month to come", "report", lambda w: {"month": date(2099, 1, 1)}, "month",
         lambda w: "不能填报未来的月份"),
    Case("one report a month", "report", lambda w: {"month": date(2024, 5, 1)}, "month",
         lambda w: "项目“已有项目”2024-05已填报月报。"),
    Case("investment to date not below the previous report's", "report", lambda w: {"invested_to_date": 200.0},
         "invested_to_date", lambda w: "累计完成投资200.0小于上月累计300.0。"),
    # Enterprises and their yearly figures.
    Case("enterprise land above 0", "enterprise", lambda w: {"land_mu": 0.0}, "land_mu", lambda w: "必须大于0"),
    Case("credit code check character", "enterprise", lambda w: {"uscc": w["uscc"](9)[:17] + "X"}, "uscc",
         lambda w: uscc_problem(w["uscc"](9)[:17] + "X").zh),
    Case("year's land above 0", "enterprise_year", lambda w: {"land_mu": -2.0}, "land_mu", lambda w: "必须大于0"),
    Case("figures' year in the platform's years", "enterprise_year", lambda w: {"year": 1985}, "year",
         lambda w: YEAR_TOO_EARLY),
    Case("no new year for a deactivated enterprise", "enterprise_year", lambda w: {"enterprise": w["closed_firm"]},
         "__all__", lambda w: "企业“停业企业”已停用，不能录入新的数据。", import_field="uscc"),
    # Parcels.
    Case("parcel area above 0", "parcel", lambda w: {"area_mu": 0.0}, "area_mu", lambda w: "必须大于0"),
    Case("parcel dates in order", "parcel",
         lambda w: {"approved_on": date(2024, 5, 1), "supplied_on": date(2024, 1, 1)}, "supplied_on",
         lambda w: "不能早于批准日期"),
    Case("parcel start before completion", "parcel",
         lambda w: {"started_on": date(2024, 5, 1), "completed_on": date(2024, 1, 1)}, "completed_on",
         lambda w: "不能早于实际开工日期"),
    Case("parcel area agrees with its boundary", "parcel", lambda w: {"area_mu": 10.0, "boundary": SQUARE}, "area_mu",
         lambda w: area_problem(10.0, area_mu(SQUARE))),
    # Indicator values: a quarter is stored at its last month.
    Case("quarterly indicator at a quarter's end", "indicator_value", lambda w: {"month": 5}, "month",
         lambda w: "季度指标的月份应为3、6、9或12", import_field="period"),
    Case("indicator value's year in the platform's years", "indicator_value", lambda w: {"year": 1985}, "year",
         lambda w: YEAR_TOO_EARLY, import_field="period"),
    # Closing a disposal case (a service closes it from the page and the API).
    Case("case closed after it opened", "case_closing", lambda w: {"closed_on": date(2024, 12, 31)}, "closed_on",
         lambda w: "不能早于立案日期。"),
    Case("area disposed not negative", "case_closing", lambda w: {"area_disposed_mu": -1.0}, "area_disposed_mu",
         lambda w: "不能为负数"),
    Case("area disposed within the parcel's", "case_closing", lambda w: {"area_disposed_mu": 11.0},
         "area_disposed_mu", lambda w: "不能超过地块面积。"),
    # Opening a disposal case: one open case per parcel, whichever of its findings opens it.
    Case("one open case per parcel", "case_opening", lambda w: {"finding": w["second_finding"]}, "__all__",
         lambda w: f"该地块已有处置中的任务：{w['case']}。",),
    # The region tree.
    Case("region code digits only", "region", lambda w: {"code": "33050220X"}, "code",
         lambda w: "只能由数字组成（0-9）。"),
    Case("county code of 6 digits", "region", lambda w: {"code": "3305099", "level": "county", "parent": w["city"]},
         "code", lambda w: "市和县(市、区)的区划代码须为6位数字。"),
    Case("region name without control characters", "region", lambda w: {"name": "八里\n店镇"}, "name",
         lambda w: "不得包含换行符、制表符等控制字符。"),
    # Inspection rounds, leads, element needs, service problems.
    Case("round's year in the platform's years", "round", lambda w: {"year": 1985}, "year", lambda w: YEAR_TOO_EARLY),
    Case("round's highest score above its lowest", "round", lambda w: {"score_min": 90, "score_max": 80}, "score_max",
         lambda w: "最高分必须大于最低分"),
    Case("signed lead has its date", "lead", lambda w: {"status": "signed"}, "signed_on",
         lambda w: "已签约的线索须填写签约日期。"),
    Case("lead become project names it", "lead", lambda w: {"status": "project", "signed_on": date(2024, 1, 1)},
         "project", lambda w: "请选择线索转化的项目。"),
    Case("element needed not negative", "element_need", lambda w: {"needed": -1.0}, "needed", lambda w: "不能为负数"),
    Case("element granted not negative", "element_need", lambda w: {"granted": -1.0}, "granted",
         lambda w: "不能为负数"),
    Case("problem's plan of its own enterprise", "service_problem", lambda w: {"plan": w["other_plan"]}, "plan",
         lambda w: "服务方案属于另一家企业。"),
]  # fmt: skip


@pytest.fixture
def world(regions, city_admin, make_enterprise, uscc):
    from mujun.indicators.models import Indicator
    from mujun.land.models import DisposalCase, Finding, Parcel
    from mujun.land.services import new_case, open_case
    from mujun.projects.models import MonthlyReport, Project
    from mujun.services.models import ServicePlan

    firm = make_enterprise(1, name="吴兴企业")
    other_firm = make_enterprise(2, region=regions.nanxun, name="南浔企业")
    project = Project.objects.create(code="P-0", name="已有项目", region=regions.wuxing, total_investment=10)
    MonthlyReport.objects.create(project=project, month=date(2024, 5, 1), invested_month=300, invested_to_date=300)
    parcel = Parcel.objects.create(code="WX-1", region=regions.wuxing, area_mu=10)
    finding = Finding.objects.create(
        parcel=parcel, category="supplied_not_used", rule="idle", as_of=date(2025, 1, 1), primary=True
    )
    case = open_case(
        new_case(finding, measure=DisposalCase.Measure.choices[0][0], responsible_unit="吴兴区自然资源分局",
                 deadline=date(2025, 12, 31), opened_on=date(2025, 1, 1)),
        city_admin,
    )  # fmt: skip
    other_parcel = Parcel.objects.create(code="NX-1", region=regions.nanxun, area_mu=10)
    return {
        "admin": city_admin,
        "case": case,
        # Another finding on the parcel whose case is open, and one on a parcel without a case.
        "second_finding": Finding.objects.create(
            parcel=parcel, category="commissioned_below_standard", rule="low_output", as_of=date(2025, 1, 1)
        ),
        "other_finding": Finding.objects.create(
            parcel=other_parcel, category="supplied_not_used", rule="idle", as_of=date(2025, 1, 1), primary=True
        ),
        "uscc": uscc,
        "city": regions.city,
        "wuxing": regions.wuxing,
        "firm": firm,
        "other_firm": other_firm,
        "closed_firm": make_enterprise(3, name="停业企业", active=False),
        "other_parcel": other_parcel,
        "quarterly": Indicator.objects.create(code="fdi", name="实际使用外资", frequency="quarterly"),
        "project": project,
        "other_plan": ServicePlan.objects.create(enterprise=other_firm, title="南浔企业服务方案"),
    }


def _form_value(form_field, value):
    if isinstance(value, list):
        return [_form_value(form_field, v) for v in value]
    if isinstance(value, models.Model):
        return value.pk if isinstance(form_field, django_forms.ModelChoiceField) else _code(value)
    if value is None:
        return ""
    if isinstance(value, dict):
        return json.dumps(value)
    return value.isoformat() if isinstance(value, date) else value


def _json_value(value):
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, models.Model):
        return value.pk
    return value.isoformat() if isinstance(value, date) else value


def refusal_by_form(case: Case, world: dict, record: dict, client) -> list[str]:
    domain = DOMAINS[case.domain]
    form_class, kwargs = domain.form(world, record)
    fields = form_class.base_fields
    data = {name: _form_value(fields.get(name), value) for name, value in record.items() if name in fields}
    data = {name: value for name, value in data.items() if value is not False}  # an unticked box sends nothing
    if domain.page is not None:
        response = client.post(domain.page(world), data, HTTP_ACCEPT_LANGUAGE=LANGUAGE)
        if response.status_code == 302:  # back to the record's page, the refusal shown as "label: message"
            label = f"{fields[case.field].label}: "
            shown = [str(m) for m in get_messages(response.wsgi_request) if m.level == constants.ERROR]
            assert shown, f"{case.rule}: the page took the record"
            return [part.removeprefix(label) for m in shown for part in m.split("; ") if part.startswith(label)]
        assert response.status_code == 200, f"{case.rule}: the page answered {response.status_code}"
        form = response.context["form"]
    else:
        form = form_class(data=data, **kwargs)
        assert not form.is_valid(), f"{case.rule}: the form took the record"
    return [str(m) for m in form.errors.get(case.field, [])] or [f"other fields: {form.errors.as_data()}"]


def refusal_by_api(case: Case, world: dict, record: dict, client) -> list[str]:
    data = {name: _json_value(value) for name, value in record.items()}
    api = DOMAINS[case.domain].api
    url = api(world) if callable(api) else api
    response = client.post(url, data, content_type="application/json", HTTP_ACCEPT_LANGUAGE=LANGUAGE)
    assert response.status_code == 400, f"{case.rule}: the API answered {response.status_code}"
    return response.json().get(case.field, [f"other fields: {response.json()}"])


def refusal_by_import(case: Case, world: dict, record: dict) -> list[str]:
    domain = DOMAINS[case.domain]
    row = domain.to_import(record)
    buffer = io.BytesIO()
    write_table(pl.DataFrame([row], schema={name: pl.String for name in row}), buffer, format="csv")
    with pytest.raises(ImportFailed) as failed:
        importer = domain.importer()(world["admin"], **domain.import_options)
        importer.run(io.BytesIO(buffer.getvalue()), filename="rows.csv")
    where = case.import_field or case.field
    found = [p for p in failed.value.problems if p.field == where]
    return [p.message() for p in found] or [str(failed.value)]


CHANNELS = ["form", "api", "import"]


def _params():
    for case in CASES:
        domain = DOMAINS[case.domain]
        for channel in CHANNELS:
            if channel == "api" and domain.api is None or channel == "import" and domain.importer is None:
                continue
            yield pytest.param(case, channel, id=f"{case.domain}-{case.rule.replace(' ', '_')}-{channel}")


@pytest.mark.parametrize(("case", "channel"), list(_params()))
def test_the_same_bad_record_gets_the_same_refusal_everywhere(case, channel, world, client_as):
    record = {**DOMAINS[case.domain].valid(world), **case.bad(world)}
    with translation.override(LANGUAGE):
        if channel == "form":
            messages = refusal_by_form(case, world, record, client_as(world["admin"]))
        elif channel == "api":
            messages = refusal_by_api(case, world, record, client_as(world["admin"]))
        else:
            messages = refusal_by_import(case, world, record)
    assert case.message(world) in messages


@pytest.mark.parametrize("domain", [name for name, d in DOMAINS.items()])
def test_the_valid_record_passes_the_form(domain, world):
    """The table's valid records are valid: each case's refusal comes from its one bad value."""
    record = DOMAINS[domain].valid(world)
    form_class, kwargs = DOMAINS[domain].form(world, record)
    fields = form_class.base_fields
    data = {name: _form_value(fields.get(name), value) for name, value in record.items() if name in fields}
    data = {name: value for name, value in data.items() if value is not False}
    form = form_class(data=data, **kwargs)
    with translation.override(LANGUAGE):
        assert form.is_valid(), form.errors.as_data()
