"""The indicators' home card: the counties' ranking in the latest period with values."""

from mujun.core.extensions import HOME, Panel, register


@register(HOME)
class IndicatorRanking(Panel):
    template_name = "indicators/panels/home_ranking.html"
    order = 130

    def get_context(self):
        from mujun.indicators.ranking import latest_period, ranking

        period = latest_period()
        if period is None:
            return {"indicators": None}
        board = ranking(*period)
        return {"indicators": {"label": board.label, "rows": board.rows}}
