"""The indicators' home cards: the counties' ranking in the latest period with values, and the latest
published quarter's winners of the horse race."""

from mujun.core.extensions import HOME, Panel, register


@register(HOME)
class IndicatorRanking(Panel):
    template_name = "indicators/panels/home_ranking.html"
    order = 130

    def get_context(self):
        from mujun.core.kept import history_version, kept
        from mujun.indicators.models import Indicator, IndicatorValue
        from mujun.regions.models import Region

        # Every value of every month is read and ranked: kept until an indicator, a value or a region changes.
        return kept("indicators:home-ranking", history_version(Indicator, IndicatorValue, Region), self.latest_ranking)

    @staticmethod
    def latest_ranking():
        from mujun.indicators.ranking import latest_period, ranking

        period = latest_period()
        if period is None:
            return {"indicators": None}
        board = ranking(*period)
        return {"indicators": {"label": board.label, "rows": board.rows}}


@register(HOME)
class HorseRaceWinners(Panel):
    template_name = "indicators/panels/home_horse_race.html"
    order = 131

    def get_context(self):
        from mujun.indicators.horse_race import published_board
        from mujun.indicators.models import HorseRaceRound

        latest = HorseRaceRound.objects.order_by("-year", "-quarter").first()
        return {"race": published_board(latest) if latest else None}
