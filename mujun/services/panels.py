"""The enterprise service's home cards: the problems overdue (a department handler sees their own)."""

from django.db.models import Count, Q

from mujun.core.extensions import HOME, Panel, register
from mujun.services.models import Problem


class OverdueProblems(Panel):
    def get_context(self):
        from mujun.services.services import overdue, visible_problems

        problems = self.scoped(visible_problems(self.user), "enterprise__region")
        late = overdue(problems).select_related("enterprise", "department").order_by("deadline")
        counts = problems.aggregate(total=Count("pk"), open=Count("pk", filter=Q(status__in=Problem.OPEN_STATUSES)))
        return {"service": {**counts, "overdue_count": late.count(), "overdue": list(late[:5])}}


@register(HOME)
class OverdueCount(OverdueProblems):
    template_name = "services/panels/home_overdue_count.html"
    order = 20


@register(HOME)
class OverdueList(OverdueProblems):
    template_name = "services/panels/home_overdue_list.html"
    order = 220
