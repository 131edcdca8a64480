import django_tables2 as tables
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mujun.land.models import DisposalCase, Parcel, Thresholds


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
