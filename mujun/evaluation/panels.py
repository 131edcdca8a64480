"""The evaluation's panels: an enterprise's grades on its page, grades and runs on the home page."""

from mujun.core.extensions import HOME, Panel, register
from mujun.evaluation.models import Run

GRADES = ["A", "B", "C", "D"]


@register("enterprises.enterprise")
class EnterpriseEvaluation(Panel):
    template_name = "evaluation/_enterprise_evaluation.html"
    order = 10

    def get_context(self):
        from mujun.evaluation.views import enterprise_evaluation_context

        return enterprise_evaluation_context(self.object)


@register(HOME)
class GradeDistribution(Panel):
    """Grades of the latest published city-wide run, from its summary (no query over its results)."""

    template_name = "evaluation/panels/home_grades.html"
    order = 110

    def get_context(self):
        run = (
            Run.objects.filter(status=Run.Status.PUBLISHED, region__level="city")
            .order_by("-year", "-published_at")
            .first()
        )
        if run is None:
            return {"grades": None}
        counts: dict[str, int] = {}
        for region in (run.summary or {}).get("regions", []):
            for grade, n in region.get("grades", {}).items():
                counts[grade] = counts.get(grade, 0) + n
        total = sum(counts.get(g, 0) for g in GRADES) or 1
        rows = [{"grade": g, "count": counts.get(g, 0), "share": 100 * counts.get(g, 0) / total} for g in GRADES]
        return {"grades": {"run": run, "rows": rows}}


@register(HOME)
class LatestRuns(Panel):
    template_name = "evaluation/panels/home_runs.html"
    order = 230

    def get_context(self):
        from mujun.evaluation.grades import visible_runs

        return {"latest_runs": visible_runs(self.user, Run.objects.select_related("region", "scheme"))[:8]}


@register("evaluation.result")
class ResultExplainer(Panel):
    """On a result's page: the smallest increase of each figure that alone lifts the grade, and what the grade
    costs the enterprise under each policy (mujun/engine/explain.py)."""

    template_name = "evaluation/panels/result_explainer.html"
    order = 20

    def get_context(self):
        from mujun.evaluation.comparison import explanation_context

        return explanation_context(self.object)


@register(HOME)
class PerMuBenchmarks(Panel):
    """The counties' tax per mu of the latest published year against the provincial average, and the leaders."""

    template_name = "evaluation/panels/home_benchmarks.html"
    order = 115

    def get_context(self):
        from mujun.evaluation.benchmarks import home_context

        return {"benchmarks": home_context()}


@register("regions.region")
class RegionBenchmarks(Panel):
    """A region's per-mu figures of every published year against the city's and the province's averages."""

    template_name = "evaluation/panels/region_benchmarks.html"
    order = 20

    def get_context(self):
        from mujun.evaluation.benchmarks import region_context

        return region_context(self.object)
