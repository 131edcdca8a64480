"""The inspections' home card: the counties' ranking in the latest closed round."""

from mujun.core.extensions import HOME, Panel, register
from mujun.inspections.models import Round


@register(HOME)
class InspectionRanking(Panel):
    template_name = "inspections/panels/home_ranking.html"
    order = 120

    def get_context(self):
        round_ = Round.objects.filter(status=Round.Status.CLOSED).order_by("-year", "-quarter").first()
        if round_ is None:
            return {"inspection": None}
        stored = round_.county_results.select_related("region").order_by("rank", "region_id")  # stored at its close
        rows = [{"rank": row.rank, "county": row.region, "score": row.score} for row in stored]
        return {"inspection": {"round": round_, "counties": rows}}
