import django_tables2 as tables
from django.utils.html import format_html
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mujun.core.tables import DateColumn
from mujun.land.models import DisposalCase, IdleCause, IdleStage, Parcel, Thresholds
from mujun.land.models import Acceptance


class ParcelTable(tables.Table):
    code = tables.Column(linkify=True)
    region = tables.Column(linkify=True)
    holder = tables.Column(linkify=True)
    area_mu = tables.Column(attrs={"td": {"class": "text-end"}})

    class Meta:
        model = Parcel
        fields = ["code", "name", "region", "holder", "area_mu", "stage", "category", "category_since", "supplied_on"]
        order_by = "code"


class DisposalCaseTable(tables.Table):
    parcel = tables.Column(linkify=True)
    measure = tables.Column(linkify=lambda record: record.get_absolute_url())
    region = tables.Column(accessor="parcel__region", verbose_name=_("region"), orderable=False)
    deadline = tables.Column(attrs={"td": {"class": lambda record: "text-danger fw-bold" if record.is_overdue else ""}})

    class Meta:
        model = DisposalCase
        fields = ["parcel", "region", "category", "measure", "responsible_unit", "opened_on", "deadline", "status",
                  "area_disposed_mu"]
        row_attrs = {"class": lambda record: "table-danger overdue" if record.is_overdue else ""}


class ThresholdsTable(tables.Table):
    region = tables.Column(linkify=lambda record: reverse("land:thresholds_edit", args=[record.pk]))

    class Meta:
        model = Thresholds
        fields = ["region", "idle_months", "stopped_months", "min_developed_share", "min_investment_share",
                  "default_min_plot_ratio", "commissioning_months", "operating_period_months",
                  "grade_d_below_standard"]


class IdleLedgerTable(tables.Table):
    """The idle-land ledger: rows of mujun.land.services.idle_ledger (dicts), in the clock's order."""

    code = tables.Column(verbose_name=_("parcel code"), linkify=lambda record: reverse("land:parcel_detail", args=[record["id"]]))
    name = tables.Column(verbose_name=_("name / location"))
    region_name = tables.Column(verbose_name=_("region"))
    holder_name = tables.Column(verbose_name=_("holder"))
    area_mu = tables.Column(verbose_name=_("area (mu)"), attrs={"td": {"class": "text-end"}})
    land_price = tables.Column(verbose_name=_("land price (10k yuan)"), attrs={"td": {"class": "text-end"}})
    idle_cause = tables.Column(verbose_name=_("cause of idleness"))
    idle_since = DateColumn(verbose_name=_("idle since"), format="Y-m-d")
    idle_days = tables.Column(verbose_name=_("days idle"), attrs={"td": {"class": "text-end"}})
    stage = tables.Column(verbose_name=_("idle stage"), attrs={"td": {"class": "idle-stage"}})
    fee = tables.Column(verbose_name=_("idle-land fee due (10k yuan)"), attrs={"td": {"class": "text-end"}})
    recovery_due_on = DateColumn(verbose_name=_("recovery due on"), format="Y-m-d")
    idle_notice_on = DateColumn(verbose_name=_("investigation notice served on"), format="Y-m-d")
    reply_deadline = DateColumn(
        verbose_name=_("reply due by"), format="Y-m-d",
        attrs={"td": {"class": lambda record: "text-danger fw-bold reply-overdue" if record["reply_overdue"] else ""}},
    )  # fmt: skip
    idle_reply_on = DateColumn(verbose_name=_("reply received on"), format="Y-m-d")

    class Meta:
        orderable = False  # the clock's order: longest idle first
        row_attrs = {
            "class": lambda record: "table-danger" if record["stage"] == IdleStage.RECOVERY_DUE else "",
            "data-code": lambda record: record["code"],
        }

    def render_area_mu(self, value):
        return f"{value:.2f}"

    def render_land_price(self, value):
        return f"{value:,.1f}"

    def render_fee(self, value):
        return f"{value:,.1f}"

    def render_idle_cause(self, value):
        return IdleCause(value).label

    def render_stage(self, value):
        return IdleStage(value).label


RESULT_CLASSES = {
    Acceptance.Outcome.PASSED: "text-bg-success", Acceptance.Outcome.FAILED: "text-bg-danger",
    Acceptance.Outcome.INCOMPLETE: "text-bg-secondary",
}  # fmt: skip


class AcceptanceTable(tables.Table):
    parcel = tables.Column(linkify=lambda record: record.get_absolute_url())
    region = tables.Column(accessor="parcel__region", verbose_name=_("region"), orderable=False)
    holder = tables.Column(linkify=True)
    breach_amount = tables.Column(attrs={"td": {"class": "text-end"}})
    due_on = DateColumn(format="Y-m-d")
    checked_on = DateColumn(format="Y-m-d")
    decided_on = DateColumn(format="Y-m-d")

    class Meta:
        model = Acceptance
        fields = ["parcel", "region", "holder", "due_on", "checked_on", "figures_year", "holder_grade", "outcome",
                  "breach_amount", "recovery_proposed", "decision", "decided_on"]
        row_attrs = {"class": lambda record: f"acceptance-{record.outcome}", "data-code": lambda record: record.parcel.code}

    def render_outcome(self, record, value):
        return format_html('<span class="badge {}">{}</span>', RESULT_CLASSES[record.outcome], value)

    def render_breach_amount(self, value):
        return f"{value:,.2f}"
