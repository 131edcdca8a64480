"""The projects' panels: an enterprise's projects on its page; investment and stages on the home page."""

from datetime import date

from django.db.models import Count, Sum

from mujun.core.extensions import HOME, Panel, register
from mujun.projects.models import Project


@register("enterprises.enterprise")
class EnterpriseProjects(Panel):
    template_name = "projects/_enterprise_projects.html"
    order = 20

    def get_context(self):
        from mujun.projects.views import enterprise_projects_context

        return enterprise_projects_context(self.object)


class ProjectFigures(Panel):
    """Projects by stage and the investment they plan; left out while there is no project."""

    def get_context(self):
        projects = self.scoped(Project.objects.all())
        by_stage = dict(projects.values_list("stage").annotate(n=Count("pk")))
        if not by_stage:
            return None
        figures = projects.aggregate(total=Sum("total_investment"), plan=Sum("annual_plan"))
        labels = dict(Project._meta.get_field("stage").choices)
        return {
            "projects": {
                "count": sum(by_stage.values()),
                "stages": [{"stage": v, "label": label, "count": by_stage.get(v, 0)} for v, label in labels.items()],
                "total_investment": figures["total"],
                "annual_plan": figures["plan"],
            }
        }


@register(HOME)
class Investment(ProjectFigures):
    template_name = "projects/panels/home_investment.html"
    order = 30


@register(HOME)
class ProjectStages(ProjectFigures):
    template_name = "projects/panels/home_stages.html"
    order = 210


@register(HOME)
class StartRateFlags(Panel):
    """The counties flagged red for the start rate of this year's new projects; left out while none is."""

    template_name = "projects/panels/home_start_flags.html"
    order = 215

    def get_context(self):
        from mujun.core.kept import history_version, kept
        from mujun.projects.models import StartTarget
        from mujun.regions.models import Region

        # Every new project of the year is read: kept for the day until a project, a target or a region changes.
        today = date.today()
        version = (today.isoformat(), *history_version(Project, StartTarget, Region))
        return kept("projects:home-start-flags", version, lambda: self.flags(today))

    @staticmethod
    def flags(today: date) -> dict | None:
        from mujun.projects.wall import red_counties

        red = red_counties(today.year, today)
        return {"red_counties": red.to_dicts(), "year": today.year} if red.height else None
