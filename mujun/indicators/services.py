"""The indicators' one state change: publishing a quarter of the county horse race (赛马)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from mujun.core.clock import local_now, local_today
from mujun.indicators import horse_race
from mujun.indicators.models import HorseRaceRound, HorseRaceScore


def publish_round(year: int, quarter: int, user) -> HorseRaceRound:
    """Score the quarter under the scheme in force and store the scores, so later changes to the values
    or the scheme leave it as published. Refused for a quarter not yet over, already published, without a
    scheme, or with values missing (each county and indicator named)."""
    label = horse_race.period_label(year, quarter)
    today = local_today()
    if (year, quarter) >= (today.year, (today.month - 1) // 3 + 1):
        raise ValidationError(_("%(period)s has not ended yet.") % {"period": label})
    if HorseRaceRound.objects.filter(year=year, quarter=quarter).exists():
        raise ValidationError(_("%(period)s is already published.") % {"period": label})
    scheme = horse_race.scheme_for(year)
    if scheme is None:
        raise ValidationError(_("No horse race scheme applies to %(year)s.") % {"year": year})
    board = horse_race.live_board(scheme, year, quarter)
    if board.problems:
        raise ValidationError(board.problems)
    with transaction.atomic():
        round_ = HorseRaceRound.objects.create(
            scheme=scheme, year=year, quarter=quarter, scheme_toml=scheme.toml, published_at=local_now(), published_by=user
        )
        HorseRaceScore.objects.bulk_create(
            HorseRaceScore(
                round=round_, region=row["region"], rank=row["rank"], total=round(row["total"], 4), blocks=row["blocks"],
                cells=row["cells"], winner=row["winner"], reward_land_mu=row["reward_land_mu"], reward_yuan=row["reward_yuan"],
            )  # fmt: skip
            for row in board.rows
        )
    return round_
