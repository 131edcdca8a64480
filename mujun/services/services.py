"""The closed loop of an enterprise problem: submitted → assigned → in progress → answered → closed when
the enterprise confirms, or sent back to the department to work again.

Each step checks who may take it and what it needs, and raises ``ValidationError`` (in the user's language) or
``PermissionDenied`` otherwise; the model's history records who changed what and when.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from mujun.core.scoping import can_edit_record
from mujun.services.models import Department, Problem

S = Problem.Status
# action -> (states it starts from, state it leads to)
TRANSITIONS = {
    "assign": ((S.SUBMITTED, S.ASSIGNED), S.ASSIGNED),
    "start": ((S.ASSIGNED, S.SENT_BACK), S.IN_PROGRESS),
    "answer": ((S.IN_PROGRESS,), S.ANSWERED),
    "confirm": ((S.ANSWERED,), S.CLOSED),
    "send_back": ((S.ANSWERED,), S.SENT_BACK),
}
# Who takes the step: the county's cadres (assign, and record the enterprise's verdict) or the department.
BY_DEPARTMENT = {"start", "answer"}


def is_handler(user) -> bool:
    return user.is_authenticated and user.role == user.Role.HANDLER


def visible_problems(user, queryset=None):
    """A department handler sees only the problems assigned to their departments; everybody else all."""
    queryset = Problem.objects.all() if queryset is None else queryset
    if is_handler(user) and not user.is_city_admin:
        return queryset.filter(department__handlers=user)
    return queryset


def handles(user, problem: Problem) -> bool:
    return user.is_city_admin or (
        problem.department_id is not None and problem.department.handlers.filter(pk=user.pk).exists()
    )


def works_on(user, problem: Problem) -> bool:
    """Whether the user takes any step of the problem's loop: its county's editors, its department's handlers."""
    return can_edit_record(user, problem) or handles(user, problem)


def allowed_actions(user, problem: Problem) -> list[str]:
    return [
        action
        for action, (sources, _target) in TRANSITIONS.items()
        if problem.status in sources and (handles(user, problem) if action in BY_DEPARTMENT else can_edit_record(user, problem))
    ]


def transition(
    problem: Problem, user, action: str, *, department=None, deadline=None, text: str = "", at: datetime | None = None
) -> Problem:
    """Take one step of the loop; ``at`` is when it was taken (now, unless a demo loads its past)."""
    if action not in TRANSITIONS:
        raise ValidationError(gettext("unknown action “%(action)s”") % {"action": action})
    sources, target = TRANSITIONS[action]
    if problem.status not in sources:
        raise ValidationError(
            gettext("the problem is “%(status)s”: this step is not possible now")
            % {"status": problem.get_status_display()}
        )
    if action not in allowed_actions(user, problem):
        raise PermissionDenied(gettext("you may not take this step on this problem"))
    now = at or timezone.now()
    text = (text or "").strip()
    if action == "assign":
        if not isinstance(department, Department):
            raise ValidationError(gettext("choose the department"))
        if deadline is None or deadline < timezone.localdate(now):
            raise ValidationError(gettext("the deadline must be today or later"))
        problem.department, problem.deadline, problem.assigned_at = department, deadline, now
    elif action == "answer":
        if not text:
            raise ValidationError(gettext("write the answer"))
        problem.answer, problem.answered_at = text, now
    elif action == "send_back":
        if not text:
            raise ValidationError(gettext("say why the enterprise is not satisfied"))
        problem.feedback = text
        problem.times_sent_back += 1
        problem.answered_at = None
    elif action == "confirm":
        problem.feedback, problem.closed_at = text or problem.feedback, now
    problem.status = target
    with transaction.atomic():
        problem._change_reason = action
        problem._history_user = user
        problem.save()
    return problem


def overdue(queryset=None):
    queryset = Problem.objects.all() if queryset is None else queryset
    return queryset.filter(status__in=Problem.OPEN_STATUSES, deadline__lt=timezone.localdate())


def department_stats(queryset=None) -> list[dict]:
    """Per department: problems, open, overdue, answered, and mean and longest days from assignment to
    answer — computed over the problems in one Polars pass."""
    queryset = Problem.objects.all() if queryset is None else queryset
    rows = list(
        queryset.filter(department__isnull=False).values_list(
            "department_id", "status", "deadline", "assigned_at", "answered_at"
        )
    )
    frame = pl.DataFrame(
        rows,
        schema={
            "department": pl.Int64, "status": pl.Utf8, "deadline": pl.Date,
            "assigned_at": pl.Datetime("us", "UTC"), "answered_at": pl.Datetime("us", "UTC"),
        },
        orient="row",
    )  # fmt: skip
    open_status = pl.col("status").is_in([str(s) for s in Problem.OPEN_STATUSES])
    days = (pl.col("answered_at") - pl.col("assigned_at")).dt.total_seconds() / 86400
    stats = frame.group_by("department").agg(
        problems=pl.len(),
        open=open_status.sum(),
        overdue=(open_status & (pl.col("deadline") < timezone.localdate())).sum(),
        answered=pl.col("answered_at").is_not_null().sum(),
        mean_days=days.mean().round(1),
        longest_days=days.max().round(1),
    )
    departments = Department.objects.in_bulk(stats["department"].to_list())
    return sorted(
        ({**row, "department": departments[row["department"]]} for row in stats.iter_rows(named=True)),
        key=lambda row: (-row["overdue"], -(row["mean_days"] or 0)),
    )
