import django_tables2 as tables
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mujun.services.models import Department, Problem, ServicePlan


class ProblemTable(tables.Table):
    title = tables.Column(linkify=True)
    enterprise = tables.Column(linkify=True)

    # Plain columns rendered here: DateColumn compiles a template for every cell (slow for 50 rows).
    def render_deadline(self, value):
        return value.isoformat() if value else "—"

    def render_submitted_at(self, value):
        return timezone.localtime(value).date().isoformat()

    class Meta:
        model = Problem
        fields = ["title", "enterprise", "category", "status", "department", "deadline", "submitted_at"]
        # Overdue problems stand out.
        row_attrs = {"class": lambda record: "table-danger" if record.is_overdue else ""}


class ServicePlanTable(tables.Table):
    title = tables.Column(linkify=True)
    enterprise = tables.Column(linkify=True)
    problem_count = tables.Column(verbose_name=_("problems"))
    open_count = tables.Column(verbose_name=_("open"))

    class Meta:
        model = ServicePlan
        fields = ["title", "enterprise", "cadre", "problem_count", "open_count", "created_at"]


class DepartmentTable(tables.Table):
    name = tables.Column(linkify=True)

    class Meta:
        model = Department
        fields = ["name", "region"]
