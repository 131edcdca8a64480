import django_tables2 as tables
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from mujun.remediation.models import Listing, RemediationCase, Thresholds


def overdue_row(record) -> str:
    return "table-danger overdue" if record.is_overdue else ""


class RulesColumn(tables.Column):
    """The rules a firm met, each a badge."""

    def __init__(self, **kwargs):
        super().__init__(accessor="rules", verbose_name=_("rules met"), orderable=False, **kwargs)

    def render(self, record):
        return format_html_join(" ", '<span class="badge text-bg-warning">{}</span>', ((label,) for label in record.rule_labels))


class ListingTable(tables.Table):
    enterprise = tables.Column(linkify=lambda record: record.enterprise.get_absolute_url())
    uscc = tables.Column(accessor="enterprise__uscc", verbose_name=_("credit code"), orderable=False)
    region = tables.Column()
    rules = RulesColumn()
    tax_per_mu = tables.Column(attrs={"td": {"class": "text-end"}})
    land_mu = tables.Column(attrs={"td": {"class": "text-end"}})
    case = tables.Column(empty_values=(), verbose_name=_("remediation"), orderable=False)

    class Meta:
        model = Listing
        fields = ["year", "enterprise", "uscc", "region", "grade", "above_scale", "rules", "tax_per_mu", "land_mu", "case"]
        attrs = {"class": "table table-sm", "id": "listing-table"}

    def __init__(self, *args, cases=None, can_open=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cases = RemediationCase.objects.none() if cases is None else cases
        self.can_open = can_open or (lambda record: False)

    @cached_property
    def shown_cases(self) -> dict:
        """Each shown firm's case of ``cases`` (ordered: the last one wins), read for the page's firms only."""
        rows = self.page.object_list if hasattr(self, "page") else self.rows
        firms = [row.record.enterprise_id for row in rows]
        return {case.enterprise_id: case for case in self.cases.filter(enterprise_id__in=firms)}

    def render_tax_per_mu(self, value):
        return f"{value:.2f}"

    def render_case(self, record):
        case = self.shown_cases.get(record.enterprise_id)
        if case is not None:
            badge = "text-bg-danger" if case.is_overdue else "text-bg-success" if case.status == "closed" else "text-bg-secondary"
            return format_html('<a class="badge {}" href="{}">{}</a>', badge, case.get_absolute_url(), case.get_status_display())
        if self.can_open(record):
            url = reverse("remediation:lowfirm_open_case", args=[record.pk])
            return format_html('<a class="btn btn-sm btn-outline-primary py-0 open-case" href="{}">{}</a>', url, _("Open case"))
        return "—"


class RemediationCaseTable(tables.Table):
    enterprise = tables.Column(linkify=lambda record: record.enterprise.get_absolute_url())
    measure = tables.Column(linkify=lambda record: record.get_absolute_url())
    region = tables.Column(accessor="enterprise__region", verbose_name=_("region"), orderable=False)
    deadline = tables.Column(attrs={"td": {"class": lambda record: "text-danger fw-bold" if record.is_overdue else ""}})

    class Meta:
        model = RemediationCase
        fields = ["enterprise", "region", "year", "measure", "responsible_unit", "opened_on", "deadline", "status",
                  "closed_on", "land_released_mu"]
        row_attrs = {"class": overdue_row}
        attrs = {"class": "table table-sm", "id": "case-table"}


class ThresholdsTable(tables.Table):
    region = tables.Column(empty_values=())

    def render_region(self, record):
        """The county, or the city's default row, each a link to edit its rules."""
        return format_html('<a href="{}">{}</a>', reverse("remediation:lowfirm_rules_edit", args=[record.pk]), record)

    class Meta:
        model = Thresholds
        fields = ["region", "above_scale_enabled", "above_scale_tax_per_mu", "below_scale_enabled",
                  "below_scale_tax_per_mu", "large_land_enabled", "large_land_mu", "industry_enabled", "industry_share"]
        orderable = False
