"""The state changes of inspection rounds: a round is opened for scoring, judges' scores come in while it is
open, and closing it locks the round and publishes its scoreboard (mujun.inspections.scoring), storing its
counties' ranking.

Each step raises ``ValidationError`` (in the user's language) when it is not possible now.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from simple_history.utils import bulk_create_with_history

from mujun.inspections.models import CountyResult, Nomination, Round, Score
from mujun.inspections.scoring import county_results


def is_judge(user) -> bool:
    return user.is_authenticated and user.role == user.Role.JUDGE


def _number(text) -> Decimal | None:
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def submit_scores(nomination: Nomination, judge, values: dict) -> list[Score]:
    """Store one judge's scores of one project, all criteria at once, or nothing.

    ``values`` maps criterion id to the value as typed. Raises ``ValidationError`` with
    messages: not a judge, round not open, already scored, a criterion missing or out of range.
    """
    round_ = nomination.round
    if not is_judge(judge):
        raise ValidationError(gettext("only judges may score"))
    if round_.is_closed:
        raise ValidationError(gettext("the round is closed: no more scores are accepted"))
    if not round_.is_open:
        raise ValidationError(gettext("the round is not open for scoring yet"))
    criteria = list(round_.criteria.all())
    problems = []
    scores = []
    for criterion in criteria:
        raw = values.get(criterion.pk, values.get(str(criterion.pk)))
        value = _number(raw) if raw not in (None, "") else None
        if raw in (None, ""):
            problems.append(gettext("%(name)s: no score given") % {"name": criterion.name})
        elif value is None:
            problems.append(gettext("%(name)s: “%(raw)s” is not a number") % {"name": criterion.name, "raw": raw})
        elif not round_.score_min <= value <= round_.score_max:
            problems.append(
                gettext("%(name)s: score %(value)s is outside the range %(score_min)s–%(score_max)s")
                % {"name": criterion.name, "value": value, "score_min": round_.score_min, "score_max": round_.score_max}
            )
        else:
            scores.append(Score(nomination=nomination, criterion=criterion, judge=judge, value=value))
    if problems:
        raise ValidationError(problems)
    duplicate = ValidationError(gettext("you have already scored this project"))
    try:
        with transaction.atomic():
            # Lock the round so a concurrent close or a second submission waits for this one.
            locked = Round.objects.select_for_update().get(pk=round_.pk)
            if not locked.is_open:
                raise ValidationError(gettext("the round is closed: no more scores are accepted"))
            if Score.objects.filter(nomination=nomination, judge=judge).exists():
                raise duplicate
            return bulk_create_with_history(scores, Score, default_user=judge)
    except IntegrityError:
        raise duplicate from None


def open_round(round_: Round) -> None:
    if not round_.criteria.exists() or not round_.nominations.exists():
        raise ValidationError(
            gettext("set the rubric and the nominated projects before opening the round")
        )
    if round_.status != Round.Status.DRAFT:
        raise ValidationError(gettext("only a draft round can be opened"))
    round_.status = Round.Status.OPEN
    round_.save()


def close_round(round_: Round, at: datetime | None = None) -> None:
    """Close an open round, now or (for a round of the past loaded as a demo) at ``at``."""
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round_.pk)
        if not locked.is_open:
            raise ValidationError(gettext("only an open round can be closed"))
        locked.status = Round.Status.CLOSED
        locked.closed_at = at or timezone.now()
        locked.save()
        store_county_results(locked)
    round_.refresh_from_db()


def store_county_results(round_: Round) -> list[CountyResult]:
    """The closed round's county ranking as its scoreboard gives it, stored: its scores no longer change."""
    results = county_results([round_])
    return CountyResult.objects.bulk_create(
        CountyResult(round=round_, region_id=row["county"], projects=row["projects"], score=row["score"], rank=row["rank"])
        for row in results.iter_rows(named=True)
    )
