"""Who may do what: the platform's access rules as data, once, for the matrix in test_access_matrix.py.

Every web page (by URL name) and every API operation (by router basename and viewset action) names its domain,
its action (read, create, edit, delete), the record it acts on and a policy: who may, given the record's
scope. A page or endpoint missing here fails the matrix, so a new one comes with its rule.

Roles are the User model's: a city administrator, a county operator (of 吴兴区), a viewer (leader), an
inspection judge, a department handler, a department's data staff; and nobody signed in. The scope of a record:

- ``own``: in the county operator's county (吴兴区, its towns and parks); for records a department holds (a
  delivery, a problem) also the department of the matrix's data staff or handler; an import the operator started;
- ``other``: in another county, and held by another department;
- ``city``: a record of the whole city (a scheme, a city-wide run or collection, a department, a round);
- ``-``: no record (a list, an add or import page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

ADMIN, OPERATOR, VIEWER, JUDGE, HANDLER, SUPPLIER, ANONYMOUS = (
    "city_admin", "county_operator", "viewer", "judge", "handler", "data_supplier", "anonymous",
)  # fmt: skip
ROLES = (ADMIN, OPERATOR, VIEWER, JUDGE, HANDLER, SUPPLIER, ANONYMOUS)
OWN, OTHER, CITY, NONE = "own", "other", "city", "-"
READ, CREATE, EDIT, DELETE = "read", "create", "edit", "delete"

Policy = Callable[[str, str], bool]  # (role, scope) -> allowed; nobody signed in is never allowed


def anyone(role: str, scope: str) -> bool:
    """Every signed-in user: rankings and records are compared across counties."""
    return True


def editors(role: str, scope: str) -> bool:
    """City administrators and county operators (pages that are not about one record: add, import)."""
    return role in (ADMIN, OPERATOR)


def in_scope(role: str, scope: str) -> bool:
    """A city administrator anywhere, a county operator in their own county."""
    return role == ADMIN or (role == OPERATOR and scope == OWN)


def city_admin(role: str, scope: str) -> bool:
    return role == ADMIN


def county_operators(role: str, scope: str) -> bool:
    """Objections: filed by the enterprise's town or county (county operators), nobody else."""
    return role == OPERATOR


def judges(role: str, scope: str) -> bool:
    return role == JUDGE


def not_other_county(role: str, scope: str) -> bool:
    """Collections: a county operator sees those of their county and the city's, not another county's."""
    return not (role == OPERATOR and scope == OTHER)


def deliveries(role: str, scope: str) -> bool:
    """Departments' deliveries to the city's collection: their own department's for data staff; a county
    operator sees only deliveries to or from their county, so none of these."""
    if role == SUPPLIER:
        return scope == OWN
    return role != OPERATOR


def uploaders(role: str, scope: str) -> bool:
    """Delivering a workbook: departments' staff; the city administrator, and an operator into their county's."""
    return role == SUPPLIER or in_scope(role, scope)


def department_staff(role: str, scope: str) -> bool:
    """Figures entered by hand for a department: its staff, or a city administrator."""
    return role in (ADMIN, SUPPLIER)


def conflicts(role: str, scope: str) -> bool:
    """A collection's conflicts: not to data staff; an operator sees their county's enterprises'."""
    return role != SUPPLIER and not_other_county(role, scope)


def problems(role: str, scope: str) -> bool:
    """Enterprises' problems: a handler sees only those assigned to their department."""
    return scope == OWN if role == HANDLER else True


def problem_steps(role: str, scope: str) -> bool:
    """A problem's next step: the city administrator, the county's operator, or the department's handler."""
    return role == ADMIN or (role in (OPERATOR, HANDLER) and scope == OWN)


@dataclass(frozen=True)
class Rule:
    domain: str
    action: str
    policy: Policy
    record: str | None = None  # a key of test_access_matrix.RECORDS; None: the page is about no one record
    scopes: tuple[str, ...] = (OWN, OTHER)  # the scopes its record comes in


def rule(domain, action, policy, record=None, scopes=(OWN, OTHER)) -> Rule:
    return Rule(domain, action, policy, record, scopes if record else (NONE,))


CITY_ONLY = (CITY,)
CITY_AND_COUNTIES = (CITY, OWN, OTHER)

# ------------------------------------------------------------------------------------------------ web pages
WEB: dict[str, Rule] = {
    "home": rule("core", READ, anyone),
    "landing": rule("core", READ, anyone),
    "import_job": rule("core", READ, in_scope, "import_job"),
    "import_job_progress": rule("core", READ, in_scope, "import_job"),
    "import_job_problems": rule("core", READ, in_scope, "import_job"),
    # regions: the towns and parks of a county are its operator's; the city and counties the administrator's
    "region_list": rule("regions", READ, anyone),
    "region_add": rule("regions", CREATE, editors),
    "region_detail": rule("regions", READ, anyone, "region"),
    "region_edit": rule("regions", EDIT, in_scope, "region"),
    # enterprises
    "enterprise_list": rule("enterprises", READ, anyone),
    "enterprise_add": rule("enterprises", CREATE, editors),
    "enterprise_import": rule("enterprises", CREATE, editors),
    "enterprise_export": rule("enterprises", READ, anyone),
    "enterprise_detail": rule("enterprises", READ, anyone, "enterprise"),
    "enterprise_edit": rule("enterprises", EDIT, in_scope, "enterprise"),
    "enterprise_delete": rule("enterprises", DELETE, in_scope, "enterprise"),
    "enterprise_deactivate": rule("enterprises", EDIT, in_scope, "enterprise"),
    "enterprise_reactivate": rule("enterprises", EDIT, in_scope, "enterprise"),
    "enterpriseyear_add": rule("enterprises", CREATE, in_scope, "enterprise_parent"),
    "enterpriseyear_edit": rule("enterprises", EDIT, in_scope, "enterpriseyear"),
    # data collection
    "collection_list": rule("collection", READ, anyone),
    "collection_add": rule("collection", CREATE, editors),
    "collection_detail": rule("collection", READ, not_other_county, "collection", CITY_AND_COUNTIES),
    "collection_upload": rule("collection", CREATE, uploaders, "collection", CITY_AND_COUNTIES),
    "collection_entry": rule("collection", CREATE, department_staff, "collection_entry", CITY_ONLY),
    "collection_close": rule("collection", EDIT, in_scope, "collection", CITY_AND_COUNTIES),
    "edit_resolve": rule("collection", EDIT, in_scope, "collection_edit"),
    "conflict_detail": rule("collection", READ, conflicts, "conflict"),
    "upload_detail": rule("collection", READ, deliveries, "upload"),
    "upload_file": rule("collection", READ, deliveries, "upload"),
    "supplier_list": rule("collection", READ, anyone),
    "supplier_add": rule("collection", CREATE, editors),
    "supplier_detail": rule("collection", READ, anyone, "supplier", CITY_ONLY),
    "supplier_edit": rule("collection", EDIT, in_scope, "supplier", CITY_ONLY),
    # evaluation
    "scheme_list": rule("evaluation", READ, anyone),
    "scheme_add": rule("evaluation", CREATE, editors),
    "scheme_detail": rule("evaluation", READ, anyone, "scheme", CITY_ONLY),
    "scheme_edit": rule("evaluation", EDIT, in_scope, "scheme", CITY_ONLY),
    "run_list": rule("evaluation", READ, anyone),
    "run_add": rule("evaluation", CREATE, editors),
    "run_detail": rule("evaluation", READ, anyone, "run", CITY_ONLY),
    "run_progress": rule("evaluation", READ, anyone, "run", CITY_ONLY),
    "run_results": rule("evaluation", READ, anyone, "run", CITY_ONLY),
    "run_export": rule("evaluation", READ, anyone, "run", CITY_ONLY),
    "run_snapshot": rule("evaluation", READ, anyone, "run", CITY_ONLY),
    "result_detail": rule("evaluation", READ, anyone, "result"),
    "run_policies": rule("evaluation", READ, anyone, "run", CITY_ONLY),
    "run_policy_export": rule("evaluation", READ, anyone, "run_grade", CITY_ONLY),
    "run_recipient_export": rule("evaluation", READ, anyone, "run_recipient", CITY_ONLY),
    "run_rerun": rule("evaluation", EDIT, in_scope, "draft_run", CITY_ONLY),
    "run_publish": rule("evaluation", EDIT, city_admin, "run", CITY_ONLY),
    "run_post": rule("evaluation", EDIT, in_scope, "draft_run", CITY_ONLY),
    "run_posting": rule("evaluation", READ, anyone, "run", CITY_ONLY),
    "run_posting_export": rule("evaluation", READ, anyone, "run", CITY_ONLY),
    "run_changes": rule("evaluation", READ, anyone, "run", CITY_ONLY),
    "run_reproduce": rule("evaluation", READ, anyone, "run", CITY_ONLY),
    "run_compare": rule("evaluation", READ, anyone, "run", CITY_ONLY),
    "run_robustness": rule("evaluation", READ, anyone, "run", CITY_ONLY),
    "robustness_detail": rule("evaluation", READ, anyone, "robustness", CITY_ONLY),
    "run_delete": rule("evaluation", DELETE, in_scope, "draft_run", CITY_ONLY),
    "objection_add": rule("evaluation", CREATE, county_operators, "run", CITY_ONLY),
    "objection_detail": rule("evaluation", READ, anyone, "objection"),
    "objection_evidence": rule("evaluation", READ, anyone, "objection"),
    "leaders": rule("evaluation", READ, anyone),
    "rankings": rule("evaluation", READ, anyone),
    "provincialaverage_list": rule("evaluation", READ, anyone),
    "provincialaverage_add": rule("evaluation", CREATE, city_admin),
    "provincialaverage_edit": rule("evaluation", EDIT, city_admin, "provincialaverage", CITY_ONLY),
    # projects
    "project_list": rule("projects", READ, anyone),
    "project_add": rule("projects", CREATE, editors),
    "project_import": rule("projects", CREATE, editors),
    "project_export": rule("projects", READ, anyone),
    "project_oc4ids": rule("projects", READ, anyone),
    "project_detail": rule("projects", READ, anyone, "project"),
    "project_edit": rule("projects", EDIT, in_scope, "project"),
    "project_advance": rule("projects", EDIT, in_scope, "project"),
    "project_correct": rule("projects", EDIT, city_admin, "project"),
    "project_oc4ids_one": rule("projects", READ, anyone, "project"),
    "elementneed_add": rule("projects", CREATE, in_scope, "project_parent"),
    "elementneed_edit": rule("projects", EDIT, in_scope, "elementneed"),
    "report_add": rule("projects", CREATE, in_scope, "project_parent"),
    "report_list": rule("projects", READ, anyone),
    "report_import": rule("projects", CREATE, editors),
    "report_missing": rule("projects", READ, anyone),
    "report_detail": rule("projects", READ, anyone, "report"),
    "report_edit": rule("projects", EDIT, in_scope, "report"),
    "report_review": rule("projects", EDIT, city_admin, "report"),
    "evidence_file": rule("projects", READ, anyone, "evidence"),
    "evidence_thumbnail": rule("projects", READ, anyone, "evidence"),
    "four_lists": rule("projects", READ, anyone),
    "month_closing": rule("projects", EDIT, city_admin),
    "board": rule("projects", READ, anyone),
    "portfolio": rule("projects", READ, anyone),
    "start_rates": rule("projects", READ, anyone),
    "start_target_add": rule("projects", CREATE, city_admin),
    "start_target_edit": rule("projects", EDIT, city_admin, "start_target", CITY_ONLY),
    "key_lists": rule("projects", READ, anyone),
    "list_thresholds": rule("projects", EDIT, city_admin),
    "lead_list": rule("projects", READ, anyone),
    "lead_add": rule("projects", CREATE, editors),
    "lead_edit": rule("projects", EDIT, in_scope, "lead"),
    "team_list": rule("projects", READ, anyone),
    "team_add": rule("projects", CREATE, editors),
    "team_edit": rule("projects", EDIT, in_scope, "team"),
    # land
    "parcel_list": rule("land", READ, anyone),
    "parcel_add": rule("land", CREATE, editors),
    "parcel_import": rule("land", CREATE, editors),
    "parcel_export": rule("land", READ, anyone),
    "parcel_geojson": rule("land", READ, anyone),
    "classify": rule("land", EDIT, city_admin),
    "map": rule("land", READ, anyone),
    "parcels_json": rule("land", READ, anyone),
    "parcel_detail": rule("land", READ, anyone, "parcel"),
    "parcel_edit": rule("land", EDIT, in_scope, "parcel"),
    "parcel_popup": rule("land", READ, anyone, "parcel"),
    "parcel_idle_record": rule("land", EDIT, in_scope, "parcel"),
    "idle_ledger": rule("land", READ, anyone),
    "idle_ledger_export": rule("land", READ, anyone),
    "finding_open_case": rule("land", CREATE, in_scope, "finding"),
    "case_list": rule("land", READ, anyone),
    "case_detail": rule("land", READ, anyone, "case"),
    "case_edit": rule("land", EDIT, in_scope, "case"),
    "case_progress": rule("land", EDIT, in_scope, "case"),
    "progress_evidence": rule("land", READ, anyone, "progress"),
    "case_close": rule("land", EDIT, in_scope, "case"),
    "parcel_accept": rule("land", CREATE, in_scope, "parcel"),
    "acceptance_list": rule("land", READ, anyone),
    "acceptance_export": rule("land", READ, anyone),
    "acceptance_accept_due": rule("land", EDIT, city_admin),
    "acceptance_detail": rule("land", READ, anyone, "acceptance"),
    "acceptance_decide": rule("land", EDIT, in_scope, "acceptance"),
    "thresholds_list": rule("land", READ, anyone),
    "thresholds_add": rule("land", CREATE, city_admin),
    "thresholds_edit": rule("land", EDIT, city_admin, "thresholds"),
    "targets": rule("land", READ, anyone),
    "target_add": rule("land", CREATE, editors),
    "target_edit": rule("land", EDIT, in_scope, "target"),
    # low-efficiency firms (三低) and their remediation
    "lowfirm_list": rule("remediation", READ, anyone),
    "lowfirm_export": rule("remediation", READ, anyone),
    "lowfirm_compute": rule("remediation", EDIT, city_admin),
    "lowfirm_open_case": rule("remediation", CREATE, in_scope, "listing"),
    "remediation_case_list": rule("remediation", READ, anyone),
    "remediation_case_detail": rule("remediation", READ, anyone, "remediation_case"),
    "remediation_case_edit": rule("remediation", EDIT, in_scope, "remediation_case"),
    "remediation_case_progress": rule("remediation", EDIT, in_scope, "remediation_case"),
    "remediation_evidence": rule("remediation", READ, anyone, "remediation_progress"),
    "remediation_case_close": rule("remediation", EDIT, in_scope, "remediation_case"),
    "lowfirm_rules": rule("remediation", READ, anyone),
    "lowfirm_rules_add": rule("remediation", CREATE, city_admin),
    "lowfirm_rules_edit": rule("remediation", EDIT, city_admin, "lowfirm_rules"),
    "remediation_targets": rule("remediation", READ, anyone),
    "remediation_target_add": rule("remediation", CREATE, editors),
    "remediation_target_edit": rule("remediation", EDIT, in_scope, "remediation_target"),
    # inspections
    "round_list": rule("inspections", READ, anyone),
    "round_add": rule("inspections", CREATE, city_admin),
    "compare": rule("inspections", READ, anyone),
    "round_detail": rule("inspections", READ, anyone, "round", CITY_ONLY),
    "round_edit": rule("inspections", EDIT, city_admin, "round", CITY_ONLY),
    "round_status": rule("inspections", EDIT, city_admin, "round", CITY_ONLY),
    "judge_round": rule("inspections", EDIT, judges, "round", CITY_ONLY),
    "scoreboard": rule("inspections", READ, anyone, "closed_round", CITY_ONLY),
    "scoreboard_print": rule("inspections", READ, anyone, "closed_round", CITY_ONLY),
    "criterion_add": rule("inspections", CREATE, city_admin, "draft_round", CITY_ONLY),
    "criterion_edit": rule("inspections", EDIT, city_admin, "criterion", CITY_ONLY),
    "nomination_add": rule("inspections", CREATE, editors, "draft_round", CITY_ONLY),
    "nomination_edit": rule("inspections", EDIT, in_scope, "nomination"),
    "score": rule("inspections", EDIT, judges, "nomination"),
    # indicators
    "indicator_list": rule("indicators", READ, anyone),
    "indicator_add": rule("indicators", CREATE, city_admin),
    "ranking": rule("indicators", READ, anyone),
    "value_add": rule("indicators", CREATE, editors),
    "value_import": rule("indicators", CREATE, editors),
    "value_export": rule("indicators", READ, anyone),
    "value_edit": rule("indicators", EDIT, in_scope, "indicatorvalue"),
    "indicator_detail": rule("indicators", READ, anyone, "indicator", CITY_ONLY),
    "indicator_edit": rule("indicators", EDIT, city_admin, "indicator", CITY_ONLY),
    "horse_race": rule("indicators", READ, anyone),
    "horse_race_publish": rule("indicators", EDIT, city_admin),
    "horse_race_scheme_add": rule("indicators", CREATE, city_admin),
    "horse_race_scheme_edit": rule("indicators", EDIT, city_admin, "horse_race_scheme", CITY_ONLY),
    # services
    "overview": rule("services", READ, anyone),
    "problem_list": rule("services", READ, anyone),
    "problem_add": rule("services", CREATE, editors),
    "problem_export": rule("services", READ, anyone),
    "problem_detail": rule("services", READ, problems, "problem"),
    "problem_edit": rule("services", EDIT, in_scope, "problem"),
    "problem_transition": rule("services", EDIT, problem_steps, "problem"),
    "plan_list": rule("services", READ, anyone),
    "plan_add": rule("services", CREATE, editors),
    "plan_detail": rule("services", READ, anyone, "plan"),
    "plan_edit": rule("services", EDIT, in_scope, "plan"),
    "department_list": rule("services", READ, anyone),
    "department_add": rule("services", CREATE, editors),
    "department_detail": rule("services", READ, anyone, "department", CITY_ONLY),
    "department_edit": rule("services", EDIT, city_admin, "department", CITY_ONLY),
}

# Pages outside the matrix, and why: signing in and out, the language switch, the admin (staff only, Django's
# own permissions), and the API (its operations have their own table below).
WEB_OUTSIDE = ("login", "logout", "set_language", "api-token", "api-schema", "api-docs", "api-root")

# ------------------------------------------------------------------------------------------------ API
# basename -> (domain, record, {viewset action: (action, policy)}); list and create are about no one record.
READS = {"list": (READ, anyone), "retrieve": (READ, anyone)}


def writes(policy: Policy, create: Policy = editors) -> dict:
    """Creation is judged by the record's scope when the matrix sends a copy of one (an empty creation, of
    endpoints it cannot copy, only gets past the role check: ``editors``)."""
    return {"create": (CREATE, create), "update": (EDIT, policy), "partial_update": (EDIT, policy),
            "destroy": (DELETE, policy)}  # fmt: skip


@dataclass(frozen=True)
class Endpoint:
    domain: str
    record: str
    actions: dict
    scopes: tuple[str, ...] = (OWN, OTHER)


API: dict[str, Endpoint] = {
    # a user's own imports (the list holds only those), every one for a city administrator
    "importjob": Endpoint("core", "import_job", {"list": (READ, anyone), "retrieve": (READ, in_scope)}),
    "region": Endpoint("regions", "region", {**READS, **writes(in_scope, create=in_scope)}),
    "enterprise": Endpoint("enterprises", "enterprise", {
        **READS, **writes(in_scope, create=in_scope), "deactivate": (EDIT, in_scope), "reactivate": (EDIT, in_scope)}),
    "enterpriseyear": Endpoint("enterprises", "enterpriseyear", {**READS, **writes(in_scope, create=in_scope)}),
    "collection": Endpoint("collection", "collection", {
        "list": (READ, anyone), "retrieve": (READ, not_other_county), "create": (CREATE, editors),
        "close": (EDIT, in_scope)}, CITY_AND_COUNTIES),
    "supplier": Endpoint("collection", "supplier", {**READS, **writes(in_scope, create=in_scope)}, CITY_ONLY),
    "upload": Endpoint("collection", "upload", {
        "list": (READ, anyone), "retrieve": (READ, deliveries), "create": (CREATE, anyone)}),
    "conflict": Endpoint("collection", "conflict", {
        "list": (READ, anyone), "retrieve": (READ, conflicts), "resolve": (EDIT, in_scope)}),
    "scheme": Endpoint("evaluation", "scheme", {
        **READS, "create": (CREATE, editors), "update": (EDIT, in_scope), "partial_update": (EDIT, in_scope)},
        CITY_ONLY),
    "run": Endpoint("evaluation", "run", {
        **READS, "create": (CREATE, editors), "post_for_notice": (EDIT, in_scope), "publish": (EDIT, city_admin)},
        CITY_ONLY),
    "result": Endpoint("evaluation", "result", READS),
    "objection": Endpoint("evaluation", "objection", {
        **READS, "create": (CREATE, editors), "decide": (EDIT, city_admin)}),
    "provincialaverage": Endpoint("evaluation", "provincialaverage", READS, CITY_ONLY),
    "leader": Endpoint("evaluation", "leader", {"list": (READ, anyone)}),
    "ranking": Endpoint("evaluation", "ranking", {"list": (READ, anyone)}),
    "project": Endpoint("projects", "project", {
        **READS, **writes(in_scope, create=in_scope), "advance": (EDIT, in_scope), "correct": (EDIT, city_admin),
        "oc4ids": (READ, anyone), "start_rates": (READ, anyone), "key_lists": (READ, anyone)}),
    "monthlyreport": Endpoint("projects", "report", {**READS, **writes(in_scope), "review": (EDIT, city_admin)}),
    "parcel": Endpoint("land", "parcel", {**READS, **writes(in_scope, create=in_scope), "record_idle": (EDIT, in_scope)}),
    "disposalcase": Endpoint("land", "case", {**READS, **writes(in_scope), "close": (EDIT, in_scope)}),
    "acceptance": Endpoint("land", "acceptance", {**READS, "decide": (EDIT, in_scope)}),
    "listing": Endpoint("remediation", "listing", READS),
    "remediationcase": Endpoint("remediation", "remediation_case", {**READS, **writes(in_scope), "close": (EDIT, in_scope)}),
    "round": Endpoint("inspections", "round", READS, CITY_ONLY),
    "nomination": Endpoint("inspections", "nomination", READS),
    "indicator": Endpoint("indicators", "indicator", {**READS, **writes(city_admin, create=city_admin)}, CITY_ONLY),
    "indicatorvalue": Endpoint("indicators", "indicatorvalue", {**READS, **writes(in_scope, create=in_scope)}),
    "horseracescheme": Endpoint("indicators", "horse_race_scheme", READS, CITY_ONLY),
    "horseraceround": Endpoint("indicators", "horse_race_round", READS, CITY_ONLY),
    "problem": Endpoint("services", "problem", {"list": (READ, anyone), "retrieve": (READ, problems)}),
    "department": Endpoint("services", "department", READS, CITY_ONLY),
}
