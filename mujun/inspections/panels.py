"""The inspections' home card: the counties' ranking in the latest closed round."""

from mujun.core.extensions import HOME, Panel, register
from mujun.inspections.models import Round


@register(HOME)
class InspectionRanking(Panel):
    template_name = "inspections/panels/home_ranking.html"
    order = 120

    def get_context(self):
        from mujun.engine.inspections import scoreboard
        from mujun.inspections.scoring import criteria_frame, nominations_frame, scores_frame
        from mujun.regions.models import Region

        round_ = Round.objects.filter(status=Round.Status.CLOSED).order_by("-year", "-quarter").first()
        if round_ is None:
            return {"inspection": None}
        _totals, _projects, counties = scoreboard(
            scores_frame([round_]), criteria_frame([round_]), nominations_frame([round_]).drop("round")
        )
        regions = Region.objects.in_bulk(counties["county"].to_list())
        rows = [{**row, "county": regions[row["county"]]} for row in counties.iter_rows(named=True)]
        return {"inspection": {"round": round_, "counties": rows}}
