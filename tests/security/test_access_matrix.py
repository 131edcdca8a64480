"""The role × domain × action × scope × channel matrix: every page of the URL conf and every operation of the
API router, for every role, on a record of the operator's own county, of another county or of the city, is
answered as tests/security/access.py declares: allowed, or refused (403, or 404 for a record the role may not
even see; the log-in page or 401 for nobody signed in).

The demo city (small) is loaded once for the module; each cell runs in a savepoint that is rolled back, so a
deletion or a closing in one cell is not seen by the next. A write is sent empty (a form or serializer with
nothing in it): a role allowed gets past the permission and is told what is missing (or the step is done); a
role refused gets 403 before anything is read. An API creation is sent as a copy of the scope's record with
its unique fields changed: allowed is 201, refused is 403 and nothing written.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.parsers import JSONParser

from mujun.core.api_urls import router
from mujun.engine.uscc import make_uscc
from mujun.projects.tests.conftest import PDF, png_bytes
from tests.security.access import (
    ADMIN, ANONYMOUS, API, CITY, HANDLER, JUDGE, NONE, OPERATOR, OTHER, OWN, READ, ROLES,
    SUPPLIER, VIEWER, WEB, WEB_OUTSIDE,
)  # fmt: skip

USERNAMES = {ADMIN: "admin", OPERATOR: "wuxing", VIEWER: "leader", JUDGE: "judge1", HANDLER: "handler_fgw",
             SUPPLIER: "data_tax"}  # fmt: skip
OWN_COUNTY = "330502"  # 吴兴区, the operator's
REFUSED = (403, 404)


# ------------------------------------------------------------------------------------------------ the city
def _in_county(queryset, path: str, county, own: bool):
    """Records of ``queryset`` whose region (at ``path``) lies in ``county`` (own) or in another county."""
    from mujun.regions.models import Region

    inside = county.descendant_ids()
    counties_and_below = Region.objects.exclude(level=Region.Level.CITY).values("pk")
    if own:
        return queryset.filter(**{f"{path}__in": inside})
    return queryset.exclude(**{f"{path}__in": inside}).filter(**{f"{path}__in": counties_and_below})


def _pair(queryset, path: str, county):
    return {OWN: _in_county(queryset, path, county, True).first(), OTHER: _in_county(queryset, path, county, False).first()}


def build_records(county, users) -> dict[str, dict[str, dict]]:
    """record key -> scope -> URL keyword arguments, over the demo city plus the few records it lacks."""
    from mujun.collection.models import Collection, Conflict, Supplier, Upload
    from mujun.enterprises.models import Enterprise, EnterpriseYear
    from mujun.core.models import ImportJob
    from mujun.evaluation.models import Objection, ProvincialAverage, Result, RobustnessAnalysis, Run, Scheme
    from mujun.indicators.models import HorseRaceRound, HorseRaceScheme, Indicator, IndicatorValue
    from mujun.inspections.models import Criterion, Nomination, Round
    from mujun.land import services as land_services
    from mujun.land.models import DisposalCase, DisposalProgress, Finding, LandTarget, Parcel, Thresholds
    from mujun.projects.models import ElementNeed, Evidence, Lead, MonthlyReport, Project, StartTarget, Team
    from mujun.regions.models import Region
    from mujun.services.models import Department, Problem, ServicePlan

    admin = users[ADMIN]
    city = Region.objects.get(level=Region.Level.CITY)
    other_county = Region.objects.filter(level=Region.Level.COUNTY).exclude(pk=county.pk).first()
    run = Run.objects.filter(region=city, status=Run.Status.PUBLISHED).latest("year")

    # What the demo city holds only for the city, or not at all: a collection per county, an open case of
    # each scope with its progress, a file of each project's stage, objections' evidence, a draft round.
    collections = {CITY: Collection.objects.filter(region=city).first()}
    for scope, region in ((OWN, county), (OTHER, other_county)):
        collections[scope] = Collection.objects.create(region=region, year=2023)
    cases, progress = {}, {}
    for scope in (OWN, OTHER):
        case = _in_county(DisposalCase.objects.filter(status="open"), "parcel__region", county, scope == OWN).first()
        if case is None:
            finding = _in_county(Finding.objects.filter(parcel__disposal_cases__isnull=True), "parcel__region", county, scope == OWN).first()
            case = land_services.open_case(DisposalCase(**land_services.finding_fields(finding), measure="recover",
                                                             responsible_unit="自然资源局", deadline=date(2030, 1, 1)), admin)
        progress[scope] = DisposalProgress.objects.create(case=case, note="推进中",
                                                          evidence=ContentFile(PDF, name="progress.pdf"))
        cases[scope] = case
    from mujun.land.models import Acceptance

    acceptances = {}  # a pending 标准地 acceptance of each scope (the small city may have none due)
    for scope in (OWN, OTHER):
        acceptance = _in_county(Acceptance.objects.filter(decision="pending"), "parcel__region", county, scope == OWN).first()
        if acceptance is None:
            parcel = _in_county(Parcel.objects.order_by("pk"), "region", county, scope == OWN).first()
            acceptance = Acceptance.objects.create(parcel=parcel, holder=parcel.holder, due_on=date(2024, 1, 1),
                                                   checked_on=date(2024, 2, 1), outcome="failed")
        acceptances[scope] = acceptance
    projects = _pair(Project.objects.order_by("pk"), "region", county)
    for project in projects.values():
        Evidence.objects.create(project=project, stage=project.stage, kind=Evidence.Kind.PHOTO, original_name="site.png",
                                file=ContentFile(png_bytes(), name="site.png"), size=1,
                                thumbnail=ContentFile(png_bytes(), name="thumb.png"))  # fmt: skip
    objections = _pair(Objection.objects.filter(run=run), "result__enterprise__region", county)
    for objection in objections.values():
        objection.evidence.save("evidence.pdf", ContentFile(PDF), save=True)
    jobs = {scope: ImportJob.objects.create(importer="mujun.enterprises.imports.EnterpriseImporter", title="导入",
                                            original_name="企业.csv", file=ContentFile(b"x", name="x.csv"),
                                            user=users[OPERATOR] if scope == OWN else admin)
            for scope in (OWN, OTHER)}  # fmt: skip
    robustness = RobustnessAnalysis.objects.create(run=run, created_by=admin)
    draft_round = Round.objects.create(name="草稿轮次", year=2027, quarter=1)
    department = Department.objects.filter(handlers=users[HANDLER]).first()
    own_supplier = Supplier.objects.filter(members=users[SUPPLIER]).first()

    def kwargs(obj, **extra):
        assert obj is not None, "the test city lacks a record"
        return {"pk": obj.pk, **extra}

    pick = {
        "region": _pair(Region.objects.filter(level__in=("town", "park")), "pk", county),
        "enterprise": _pair(Enterprise.objects.order_by("pk"), "region", county),
        "enterpriseyear": _pair(EnterpriseYear.objects.order_by("pk"), "enterprise__region", county),
        "collection": collections,
        "import_job": jobs,
        "conflict": _pair(Conflict.objects.order_by("pk"), "enterprise__region", county),
        "upload": {OWN: Upload.objects.filter(supplier=own_supplier).exclude(file="").first(),
                   OTHER: Upload.objects.exclude(supplier=own_supplier).exclude(file="").first()},
        "supplier": {CITY: Supplier.objects.filter(region=city).first()},
        "scheme": {CITY: Scheme.objects.filter(region=city).first()},
        "run": {CITY: run},
        "provincialaverage": {CITY: ProvincialAverage.objects.first()},
        "objection": objections,
        "project": projects,
        "elementneed": _pair(ElementNeed.objects.order_by("pk"), "project__region", county),
        "report": _pair(MonthlyReport.objects.order_by("pk"), "project__region", county),
        "evidence": {scope: Evidence.objects.filter(project=project).first() for scope, project in projects.items()},
        "lead": _pair(Lead.objects.order_by("pk"), "region", county),
        "team": _pair(Team.objects.order_by("pk"), "region", county),
        "start_target": {CITY: StartTarget.objects.filter(region=None).first()},
        "parcel": _pair(Parcel.objects.order_by("pk"), "region", county),
        "finding": _pair(Finding.objects.filter(parcel__disposal_cases__isnull=True), "parcel__region", county),
        "case": cases,
        "acceptance": acceptances,
        "thresholds": _pair(Thresholds.objects.order_by("pk"), "region", county),
        "target": _pair(LandTarget.objects.order_by("pk"), "region", county),
        "round": {CITY: Round.objects.filter(status="open").first()},
        "draft_round": {CITY: draft_round},
        "criterion": {CITY: Criterion.objects.first()},
        "nomination": _pair(Nomination.objects.filter(round__status="open"), "region", county),
        "indicator": {CITY: Indicator.objects.first()},
        "indicatorvalue": _pair(IndicatorValue.objects.order_by("pk"), "region", county),
        "horse_race_scheme": {CITY: HorseRaceScheme.objects.first()},
        "horse_race_round": {CITY: HorseRaceRound.objects.first()},
        # A handler's own problems are their department's; the other's are another department's.
        "problem": {OWN: _in_county(Problem.objects.filter(department=department), "enterprise__region", county, True).first(),
                    OTHER: _in_county(Problem.objects.exclude(department=department).exclude(department=None),
                                      "enterprise__region", county, False).first()},
        "plan": _pair(ServicePlan.objects.order_by("pk"), "enterprise__region", county),
        "department": {CITY: Department.objects.filter(region=city).first()},
    }  # fmt: skip
    records = {key: {scope: kwargs(obj) for scope, obj in objs.items()} for key, objs in pick.items()}
    records["enterprise_parent"] = {s: {"enterprise_pk": k["pk"]} for s, k in records["enterprise"].items()}
    records["project_parent"] = {s: {"project_pk": k["pk"]} for s, k in records["project"].items()}
    records["draft_round"] = {CITY: {"round_pk": draft_round.pk}}
    results = {scope: _in_county(Result.objects.filter(run=run).order_by("pk"), "enterprise__region", county, scope == OWN)
               .first() for scope in (OWN, OTHER)}  # fmt: skip
    # The page names a result by its run and enterprise, the API by the result's own key.
    records["result"] = {scope: {"pk": run.pk, "enterprise_pk": result.enterprise_id} for scope, result in results.items()}
    records["result_api"] = {scope: {"pk": result.pk} for scope, result in results.items()}
    records["objection"] = {s: {"pk": run.pk, "objection_pk": o.pk} for s, o in objections.items()}
    # The page of a department's figures entered by hand names the department; a resolved edit its enterprise.
    department = {"supplier": own_supplier.pk}
    records["collection_entry"] = {CITY: {"pk": collections[CITY].pk, "_query": department, "_data": department}}
    records["collection_edit"] = {s: {"pk": collections[CITY].pk, "_data": {"enterprise": k["pk"]}}
                                  for s, k in records["enterprise"].items()}
    records["closed_round"] = {CITY: {"pk": Round.objects.filter(status="closed").first().pk}}
    draft_run = Run.objects.create(scheme=run.scheme, region=city, year=run.year, name="草稿", created_by=admin,
                                   status=Run.Status.DONE)  # fmt: skip
    records["draft_run"] = {CITY: {"pk": draft_run.pk}}
    records["robustness"] = {CITY: {"pk": run.pk, "analysis_pk": robustness.pk}}
    records["run_grade"] = {CITY: {"pk": run.pk, "grade": "D"}}
    records["run_recipient"] = {CITY: {"pk": run.pk, "recipient": "power"}}
    records["progress"] = {s: {"case_pk": p.case_id, "pk": p.pk} for s, p in progress.items()}
    # The API names an objection by its own id.
    records["objection_api"] = {s: {"pk": o.pk} for s, o in objections.items()}
    records.update(_remediation_records(county, admin))
    return records


def _remediation_records(county, admin) -> dict[str, dict[str, dict]]:
    """A listed firm, an open remediation case with its evidence, rules and a target of each scope: the small
    city may list nobody in a county, so what is missing is made here."""
    from mujun.enterprises.models import Enterprise
    from mujun.regions.models import Region
    from mujun.remediation import services as remediation
    from mujun.remediation.models import Listing, RemediationCase, RemediationProgress, RemediationTarget, Thresholds

    records: dict[str, dict[str, dict]] = {key: {} for key in ("listing", "remediation_case", "remediation_progress",
                                                                "lowfirm_rules", "remediation_target")}  # fmt: skip
    for scope in (OWN, OTHER):
        own = scope == OWN
        firm = _in_county(Enterprise.objects.filter(remediation_cases__isnull=True).order_by("pk"), "region", county, own).first()
        listing = Listing.objects.create(year=2001, enterprise=firm, region=firm.region, rules=["above_scale_tax"],
                                         figures={"land_mu": 20.0}, land_mu=20.0, tax=10.0, tax_per_mu=0.5)
        case = _in_county(RemediationCase.objects.filter(status="open"), "enterprise__region", county, own).first()
        if case is None:
            case = remediation.open_case(remediation.new_case(listing, measure="upgrade", responsible_unit="经信局",
                                                              deadline=date(2030, 1, 1)), admin)  # fmt: skip
        note = RemediationProgress.objects.create(case=case, note="推进中", evidence=ContentFile(PDF, name="progress.pdf"))
        region = county if own else Region.objects.filter(level=Region.Level.COUNTY).exclude(pk=county.pk).first()
        rules = Thresholds.objects.get_or_create(region=region)[0]
        target = RemediationTarget.objects.get_or_create(region=region, year=2001)[0]
        records["listing"][scope] = {"pk": listing.pk}
        records["remediation_case"][scope] = {"pk": case.pk}
        records["remediation_progress"][scope] = {"case_pk": case.pk, "pk": note.pk}
        records["lowfirm_rules"][scope] = {"pk": rules.pk}
        records["remediation_target"][scope] = {"pk": target.pk}
    return records


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo city, loaded once for the module inside a transaction rolled back at its end."""
    from mujun.core.management.commands._demo_data import load_demo
    from mujun.core.models import User
    from mujun.land import demo as land_demo
    from mujun.projects import demo as projects_demo
    from mujun.regions.models import Region

    media = tmp_path_factory.mktemp("media")
    test_settings = override_settings(
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        MEDIA_ROOT=media,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    with django_db_blocker.unblock(), test_settings, pytest.MonkeyPatch.context() as patch:
        patch.setattr(land_demo, "PARCELS", 60)
        patch.setattr(projects_demo, "PROJECTS", 30)
        patch.setattr(projects_demo, "PROVINCIAL", 3)
        with transaction.atomic():
            load_demo(12, 6)
            users = {role: User.objects.get(username=name) for role, name in USERNAMES.items()}
            county = Region.objects.get(code=OWN_COUNTY)
            records = build_records(county, users)
            clients = {role: Client() for role in ROLES}  # signed in once: their sessions live as long as the city
            for role, user in users.items():
                clients[role].force_login(user)
            yield {"users": users, "records": records, "clients": clients, "media": media}
            transaction.set_rollback(True)


@pytest.fixture
def clients(city, db, settings):
    """The city's signed-in clients, each cell on the city's files."""
    settings.MEDIA_ROOT = city["media"]
    return city["clients"]


# ------------------------------------------------------------------------------------------------ web pages
def web_patterns(resolver=None, prefix="", namespace=""):
    """(name, name to reverse, route) of every named page of the URL conf, the admin's and the API's left out."""
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith(("admin/", "api/")):
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from web_patterns(entry, route, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield entry.name, namespace + entry.name, route


def test_every_page_has_a_declared_rule():
    names = [name for name, _qualified, _route in web_patterns()]
    assert len(names) == len(set(names)), "page names the rules cannot tell apart"
    assert sorted(set(names) - set(WEB) - set(WEB_OUTSIDE)) == [], "pages without a rule in tests/security/access.py"
    assert sorted(set(WEB) - set(names)) == [], "rules for pages that do not exist"


QUALIFIED = {name: qualified for name, qualified, _route in web_patterns()}


def web_cells():
    for name, rule in WEB.items():
        for scope in rule.scopes:
            yield pytest.param(name, scope, id=f"web-{rule.domain}-{rule.action}-{name}-{scope}")


def web_url(city, name: str, scope: str) -> str:
    from django.urls import reverse

    rule = WEB[name]
    kwargs = {k: v for k, v in city["records"][rule.record][scope].items() if not k.startswith("_")} if rule.record else None
    return reverse(QUALIFIED[name], kwargs=kwargs)


def web_extras(city, name: str, scope: str) -> dict:
    """The query (``_query``) and the form (``_data``) a page needs to find its record."""
    rule = WEB[name]
    return city["records"][rule.record][scope] if rule.record else {}


@pytest.mark.parametrize(("name", "scope"), list(web_cells()))
def test_web(city, clients, name, scope):
    """One page and scope, every role (a cell each): the wrong answers are listed together."""
    rule = WEB[name]
    url = web_url(city, name, scope)
    methods = ["get"] if rule.action == READ else ["get", "post"]
    extras = web_extras(city, name, scope)
    wrong = []
    for role in ROLES:
        with transaction.atomic():  # what one role deletes or closes, the next still finds
            for method in methods:
                response = getattr(clients[role], method)(url, extras.get("_query" if method == "get" else "_data", {}))
                status = response.status_code
                if status == 405:
                    continue  # a step taken by POST only, a page read by GET only
                if role == ANONYMOUS:
                    right = status == 302 and response["Location"].startswith("/accounts/login/")
                elif rule.policy(role, scope):
                    right = status not in REFUSED and status < 500
                else:
                    right = status in REFUSED
                if not right:
                    wrong.append(f"{method.upper()} {url} as {role}: {status}")
            transaction.set_rollback(True)
    assert wrong == []


# ------------------------------------------------------------------------------------------------ the API
STANDARD = {"list": ("get", False), "retrieve": ("get", True), "create": ("post", False), "update": ("put", True),
            "partial_update": ("patch", True), "destroy": ("delete", True)}  # fmt: skip


def viewset_actions(viewset) -> dict[str, tuple[str, bool, str]]:
    """action -> (HTTP method, on one record, URL suffix) for every operation the viewset offers."""
    actions = {name: (method, detail, "") for name, (method, detail) in STANDARD.items() if hasattr(viewset, name)}
    for extra in viewset.get_extra_actions():
        method = next(iter(extra.mapping))
        actions[extra.__name__] = (method, extra.detail, extra.url_path)
    return actions


def test_every_api_operation_has_a_declared_rule():
    registered = {basename: set(viewset_actions(viewset)) for _prefix, viewset, basename in router.registry}
    declared = {basename: set(endpoint.actions) for basename, endpoint in API.items()}
    assert registered == declared


PREFIXES = {basename: prefix for prefix, _viewset, basename in router.registry}
VIEWSETS = {basename: viewset for _prefix, viewset, basename in router.registry}


def fresh_uscc(data):
    return {**data, "uscc": make_uscc("91330500MA9999999")}


# A copy of a record that may be created beside it: its unique fields changed. Endpoints not named here are
# sent an empty creation (their creation is a step with rules of its own: a delivery, a case, an objection).
COPIES = {
    "region": lambda data: {**data, "code": data["code"][:-3] + "999", "name": data["name"] + "二"},
    "enterprise": fresh_uscc,
    "enterpriseyear": lambda data: {**data, "year": 2001},
    "supplier": lambda data: {**data, "name": data["name"] + "二"},
    "project": lambda data: {**data, "code": data["code"] + "-2", "parcels": []},
    "parcel": lambda data: {**data, "code": data["code"] + "-2"},
    "indicatorvalue": lambda data: {**data, "year": 2001},
    "indicator": lambda data: {**data, "code": data["code"] + "_2"},
}


def api_cells():
    for basename, endpoint in API.items():
        for action, (kind, _policy) in endpoint.actions.items():
            method, detail, _suffix = viewset_actions(VIEWSETS[basename])[action]
            scopes = endpoint.scopes if detail or (action == "create" and basename in COPIES) else (NONE,)
            for scope in scopes:
                yield pytest.param(basename, action, scope, id=f"api-{endpoint.domain}-{kind}-{basename}.{action}-{scope}")


def api_record(city, basename: str, scope: str) -> dict:
    record = API[basename].record
    return city["records"][f"{record}_api" if f"{record}_api" in city["records"] else record][scope]


@pytest.mark.parametrize(("basename", "action", "scope"), list(api_cells()))
def test_api(city, clients, basename, action, scope):
    """One operation and scope, every role (a cell each): the wrong answers are listed together."""
    wrong = [answer for role in ROLES if (answer := api_cell(city, clients, basename, action, scope, role))]
    assert wrong == []


def api_cell(city, clients, basename, action, scope, role) -> str | None:
    """The answer, when it is not the declared one; None when it is. Each in a savepoint of its own."""
    with transaction.atomic():
        wrong = api_answer(city, clients, basename, action, scope, role)
        transaction.set_rollback(True)
    return wrong


def api_answer(city, clients, basename, action, scope, role) -> str | None:
    endpoint = API[basename]
    _kind, policy = endpoint.actions[action]
    method, detail, suffix = viewset_actions(VIEWSETS[basename])[action]
    url = f"/api/{PREFIXES[basename]}/"
    if detail:
        url += f"{api_record(city, basename, scope)['pk']}/" + (f"{suffix}/" if suffix else "")
    body = {}
    model = VIEWSETS[basename].queryset.model
    if action == "create" and scope != NONE:
        original = clients[ADMIN].get(f"/api/{PREFIXES[basename]}/{api_record(city, basename, scope)['pk']}/").json()
        body = COPIES[basename]({k: v for k, v in original.items() if k != "id"})
    before = model.objects.count()
    client = clients[role]
    parsers = getattr(getattr(VIEWSETS[basename], action, None), "kwargs", {}).get("parser_classes")
    if method in ("get", "delete"):
        response = getattr(client, method)(url)
    elif parsers and JSONParser not in parsers:
        response = getattr(client, method)(url, body)  # a form with files
    else:
        response = getattr(client, method)(url, data=json.dumps(body), content_type="application/json")
    status = response.status_code
    if role == ANONYMOUS:
        right = status == 401
    elif policy(role, scope):
        right = status == 201 if body else status in (200, 201, 204, 400, 409)
    else:
        right = status in REFUSED and (action != "create" or model.objects.count() == before)
    return None if right else f"{method.upper()} {url} as {role}: {status} {response.content[:300].decode(errors='replace')}"
