import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from mujun.core.tables import DateColumn
from mujun.projects.models import Lead, MonthlyReport, Project


class ProjectTable(tables.Table):
    code = tables.Column(linkify=True)
    name = tables.Column(linkify=True)
    enterprise = tables.Column(linkify=True)
    region = tables.Column(linkify=True)
    total_investment = tables.Column(attrs={"td": {"class": "text-end"}})

    class Meta:
        model = Project
        fields = ["code", "name", "enterprise", "region", "stage", "level", "field", "total_investment", "is_new"]
        order_by = "code"


class MonthlyReportTable(tables.Table):
    project = tables.Column(linkify=True)
    month = DateColumn(format="Y-m", linkify=True)
    invested_month = tables.Column(attrs={"td": {"class": "text-end"}})
    invested_to_date = tables.Column(attrs={"td": {"class": "text-end"}})
    region = tables.Column(accessor="project__region", verbose_name=_("region"), orderable=False)

    class Meta:
        model = MonthlyReport
        fields = ["project", "region", "month", "invested_month", "invested_to_date", "status"]
        order_by = "-month"


class LeadTable(tables.Table):
    name = tables.Column(linkify=True)
    project = tables.Column(linkify=True)
    planned_investment = tables.Column(attrs={"td": {"class": "text-end"}})

    class Meta:
        model = Lead
        fields = ["name", "investor", "region", "team", "chain_tags", "planned_investment", "foreign_capital_usd",
                  "status", "signed_on", "project"]  # fmt: skip
