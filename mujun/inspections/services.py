"""The state changes of inspection rounds: a round is opened for scoring, judges' scores come in while it is
open, and closing it locks the round and publishes its scoreboard (mujun.inspections.scoring).

Each step raises ``ValidationError`` (bilingual) when it is not possible now.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from mujun.inspections.models import Nomination, Round, Score


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

    ``values`` maps criterion id to the value as typed. Raises ``ValidationError`` with bilingual
    messages: not a judge, round not open, already scored, a criterion missing or out of range.
    """
    round_ = nomination.round
    if not is_judge(judge):
        raise ValidationError("只有评委可以评分 / only judges may score")
    if round_.is_closed:
        raise ValidationError("本轮已关闭，不能再评分 / the round is closed: no more scores are accepted")
    if not round_.is_open:
        raise ValidationError("本轮尚未开始评分 / the round is not open for scoring yet")
    criteria = list(round_.criteria.all())
    problems = []
    scores = []
    for criterion in criteria:
        raw = values.get(criterion.pk, values.get(str(criterion.pk)))
        value = _number(raw) if raw not in (None, "") else None
        if raw in (None, ""):
            problems.append(f"“{criterion.name}”未评分 / {criterion.name}: no score given")
        elif value is None:
            problems.append(f"“{criterion.name}”的得分“{raw}”不是数字 / {criterion.name}: “{raw}” is not a number")
        elif not round_.score_min <= value <= round_.score_max:
            problems.append(
                f"“{criterion.name}”的得分{value}超出{round_.score_min}–{round_.score_max}分的范围 / "
                f"{criterion.name}: score {value} is outside the range {round_.score_min}–{round_.score_max}"
            )
        else:
            scores.append(Score(nomination=nomination, criterion=criterion, judge=judge, value=value))
    if problems:
        raise ValidationError(problems)
    duplicate = ValidationError("您已为该项目评过分，不能重复评分 / you have already scored this project")
    try:
        with transaction.atomic():
            # Lock the round so a concurrent close or a second submission waits for this one.
            locked = Round.objects.select_for_update().get(pk=round_.pk)
            if not locked.is_open:
                raise ValidationError("本轮已关闭，不能再评分 / the round is closed: no more scores are accepted")
            if Score.objects.filter(nomination=nomination, judge=judge).exists():
                raise duplicate
            return bulk_create_with_history(scores, Score, default_user=judge)
    except IntegrityError:
        raise duplicate from None


def open_round(round_: Round) -> None:
    if not round_.criteria.exists() or not round_.nominations.exists():
        raise ValidationError(
            "开始评分前请先设置评分细则和提名项目 / set the rubric and the nominated projects before opening the round"
        )
    if round_.status != Round.Status.DRAFT:
        raise ValidationError("只有草稿状态的轮次可以开始评分 / only a draft round can be opened")
    round_.status = Round.Status.OPEN
    round_.save()


def close_round(round_: Round, at: datetime | None = None) -> None:
    """Close an open round, now or (for a round of the past loaded as a demo) at ``at``."""
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round_.pk)
        if not locked.is_open:
            raise ValidationError("只有评分中的轮次可以关闭 / only an open round can be closed")
        locked.status = Round.Status.CLOSED
        locked.closed_at = at or timezone.now()
        locked.save()
    round_.refresh_from_db()
