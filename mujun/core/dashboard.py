"""The home page: the figures a leader asks first, each linking to its detail.

Every block is cheap (counts, one summary JSON, one round's scores) and empty-safe. Blocks of apps that
may be absent are guarded with ``apps.is_installed``. The projects and land apps may contribute their own
figures by providing ``mujun.<app>.dashboard.dashboard_cards() -> list[dict]`` (keys ``label``, ``value``,
``note``, ``url``); until they do, the page counts their records by stage and disposal status here.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Count, Q, Sum
from django.urls import reverse

from mujun.core.apps_registry import app_module

GRADES = ["A", "B", "C", "D"]


def dashboard_context(request) -> dict:
    from mujun.enterprises.models import Enterprise
    from mujun.evaluation.models import Run

    return {
        "enterprise_count": Enterprise.objects.count(),
        "latest_runs": Run.objects.select_related("region", "scheme")[:8],
        "grades": grade_distribution(),
        "inspection": latest_inspection(),
        "service": service_figures(request.user),
        "indicators": indicator_leaders(),
        "projects": project_figures(),
        "land": land_figures(),
    }


def grade_distribution() -> dict | None:
    """Grades of the latest published city-wide run, from its summary (no query over its results)."""
    from mujun.evaluation.models import Run

    run = (
        Run.objects.filter(status=Run.Status.PUBLISHED, region__level="city")
        .order_by("-year", "-published_at")
        .first()
    )
    if run is None:
        return None
    counts: dict[str, int] = {}
    for region in (run.summary or {}).get("regions", []):
        for grade, n in region.get("grades", {}).items():
            counts[grade] = counts.get(grade, 0) + n
    total = sum(counts.get(g, 0) for g in GRADES) or 1
    return {
        "run": run,
        "rows": [{"grade": g, "count": counts.get(g, 0), "share": 100 * counts.get(g, 0) / total} for g in GRADES],
    }


def latest_inspection() -> dict | None:
    if not apps.is_installed("mujun.inspections"):
        return None
    from mujun.engine.inspections import scoreboard
    from mujun.inspections.models import Round
    from mujun.inspections.scoring import criteria_frame, nominations_frame, scores_frame
    from mujun.regions.models import Region

    round_ = Round.objects.filter(status=Round.Status.CLOSED).order_by("-year", "-quarter").first()
    if round_ is None:
        return None
    _totals, _projects, counties = scoreboard(
        scores_frame([round_]).drop("round"), criteria_frame([round_]), nominations_frame([round_]).drop("round")
    )
    regions = Region.objects.in_bulk(counties["county"].to_list())
    return {
        "round": round_,
        "counties": [{**row, "county": regions[row["county"]]} for row in counties.iter_rows(named=True)],
    }


def service_figures(user) -> dict | None:
    if not apps.is_installed("mujun.services"):
        return None
    from mujun.services.models import Problem
    from mujun.services.workflow import overdue, visible_problems

    problems = visible_problems(user)  # a department handler: their department's only
    late = overdue(problems).select_related("enterprise", "department").order_by("deadline")
    counts = problems.aggregate(
        total=Count("pk"), open=Count("pk", filter=Q(status__in=Problem.OPEN_STATUSES))
    )
    return {**counts, "overdue_count": late.count(), "overdue": list(late[:5])}


def indicator_leaders() -> dict | None:
    if not apps.is_installed("mujun.indicators"):
        return None
    from mujun.indicators.ranking import latest_period, ranking

    period = latest_period()
    if period is None:
        return None
    board = ranking(*period)
    return {"label": board.label, "rows": board.rows}


def _cards(app: str) -> list[dict] | None:
    """The app's own dashboard cards, if it provides them."""
    module = app_module(apps.get_app_config(app), "dashboard")
    if module is not None and hasattr(module, "dashboard_cards"):
        return module.dashboard_cards()
    return None


def project_figures() -> dict | None:
    if not apps.is_installed("mujun.projects"):
        return None
    cards = _cards("projects")
    if cards is not None:
        return {"cards": cards}
    from mujun.projects.models import Project

    labels = dict(Project._meta.get_field("stage").choices)
    by_stage = dict(Project.objects.values_list("stage").annotate(n=Count("pk")))
    if not by_stage:
        return None
    figures = Project.objects.aggregate(total=Sum("total_investment"), plan=Sum("annual_plan"))
    return {
        "count": sum(by_stage.values()),
        "stages": [{"stage": value, "label": label, "count": by_stage.get(value, 0)} for value, label in labels.items()],
        "total_investment": figures["total"],
        "annual_plan": figures["plan"],
        "url": reverse("projects:project_list") if _has_url("projects:project_list") else "",
    }


def land_figures() -> dict | None:
    if not apps.is_installed("mujun.land"):
        return None
    cards = _cards("land")
    if cards is not None:
        return {"cards": cards}
    from mujun.land.models import DisposalCase

    figures = DisposalCase.objects.aggregate(
        cases=Count("pk"),
        closed=Count("pk", filter=Q(status=DisposalCase.Status.CLOSED)),
        disposed_mu=Sum("area_disposed_mu", filter=Q(status=DisposalCase.Status.CLOSED)),
    )
    if not figures["cases"]:
        return None
    return {**figures, "url": reverse("land:case_list") if _has_url("land:case_list") else ""}


def _has_url(name: str) -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True
