import polars as pl
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mujun.core import cases
from mujun.core.exports import ExportColumn, queryset_frame, xlsx_response
from mujun.core.scoping import can_edit_record
from mujun.core.views import ObjectDetailView, ObjectEditView, ObjectExportView, ObjectListView
from mujun.engine.low_efficiency import RULES
from mujun.land import views as land_views
from mujun.land.views import CityAdminOnlyMixin
from mujun.remediation import services
from mujun.remediation.filtersets import ListingFilterSet, RemediationCaseFilterSet
from mujun.remediation.forms import (
    CloseCaseForm,
    ProgressForm,
    RemediationCaseForm,
    RemediationTargetForm,
    ThresholdsForm,
)
from mujun.remediation.models import Listing, RemediationCase, RemediationTarget, Thresholds, rule_labels
from mujun.remediation.tables import ListingTable, RemediationCaseTable, ThresholdsTable

# The figures a listing keeps, in words.
FIGURE_LABELS = {
    "tax_per_mu": "亩均税收（万元/亩）",
    "tax_per_mu_floor": "亩均税收标准（万元/亩）",
    "land_mu": "用地面积（亩）",
    "land_mu_floor": "用地面积标准（亩）",
    "industry_average": "行业平均亩均税收（万元/亩）",
    "industry_share": "低于行业平均的比例",
}


def figure_text(figures: dict) -> str:
    return "；".join(f"{FIGURE_LABELS.get(name, name)} {value}" for name, value in figures.items())


def chosen_year(request, listed_years: list[int] | None = None) -> int | None:
    """The year asked for, else the newest year listed (``listed_years`` when read already)."""
    try:
        return int(request.GET["year"])
    except (KeyError, ValueError):
        years = services.listed_years() if listed_years is None else listed_years
        return years[0] if years else None


LEAVERS_SHOWN = 20  # the page names the first of the firms that left the list; the workbook holds them all


class ListingListView(ObjectListView):
    """The list of a year: each firm with the rule it met, its case, and the firms that left the list."""

    model = Listing
    table_class = ListingTable
    filterset_class = ListingFilterSet
    queryset = Listing.objects.select_related("enterprise", "region")
    export_url_name = "remediation:lowfirm_export"
    template_name = "remediation/listing_list.html"

    @cached_property
    def listed_years(self) -> list[int]:
        return services.listed_years()  # read once a request: the page asks in four places

    @cached_property
    def year(self) -> int | None:
        return chosen_year(self.request, self.listed_years)

    def get_queryset(self):
        year = self.year
        queryset = super().get_queryset()
        return queryset.filter(year=year) if year and not self.request.GET.get("year") else queryset

    def in_chosen_region(self, queryset):
        region = self.filterset.form.cleaned_data.get("region") if self.filterset.is_valid() else None
        return queryset.filter(region_id__in=region.descendant_ids()) if region else queryset

    def get_table_kwargs(self):
        user = self.request.user
        # Each firm's case opened from this year's listing (the latest, should there be several).
        opened = RemediationCase.objects.filter(year=self.year).order_by("opened_on", "pk")
        return {"cases": opened, "can_open": lambda record: can_edit_record(user, record)}

    def leavers(self, year: int | None) -> dict:
        if not year:
            return {"left": [], "left_count": 0}
        listings = self.in_chosen_region(Listing.objects.all())
        gone = services.left_ids(year, listings)
        return {"left": services.left_the_list(year, listings, gone[:LEAVERS_SHOWN]), "left_count": len(gone)}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        year = self.year
        ctx.update(
            year=year,
            years=self.listed_years,
            **self.leavers(year),
            this_year=timezone.localdate().year,
            overview=services.overview(timezone.localdate().year, listing_year=year) if year else [],
            can_compute=self.request.user.is_city_admin,
        )
        return ctx


EXPORT_COLUMNS = [
    ExportColumn("year", "年度"),
    ExportColumn("enterprise__uscc", "统一社会信用代码"),
    ExportColumn("enterprise__name", "企业名称"),
    ExportColumn("region__name", "所在区域"),
    ExportColumn("enterprise__industry_code", "行业代码"),
    ExportColumn("grade", "评价等级"),
    ExportColumn("above_scale", "规上企业"),
    ExportColumn("land_mu", "用地面积（亩）"),
    ExportColumn("tax", "税收（万元）"),
    ExportColumn("tax_per_mu", "亩均税收（万元/亩）"),
    ExportColumn("rules", "认定规则"),
]


class ListingExportView(ObjectExportView):
    """The filtered list as a workbook, the rules in words; with a year, a second sheet of the firms that
    left the list since the year before."""

    queryset = Listing.objects.all()
    filterset_class = ListingFilterSet
    columns = EXPORT_COLUMNS
    filename = "低效企业名单.xlsx"

    def export(self, queryset, filename):
        frame = queryset_frame(queryset, self.columns).with_columns(
            pl.col("认定规则").cast(pl.List(pl.String)).list.eval(pl.element().replace_strict(RULES_IN_CHINESE, default=pl.element())).list.join("、")
        )
        sheets = {"低效企业名单": frame}
        year = chosen_year(self.request)
        if year:
            left = [
                {"上年度": row["listing"].year, "统一社会信用代码": row["listing"].enterprise.uscc,
                 "企业名称": row["listing"].enterprise.name, "所在区域": row["listing"].region.name,
                 "上年度认定规则": "、".join(RULES[r][1] for r in row["listing"].rules if r in RULES),
                 "本年度亩均税收（万元/亩）": row["tax_per_mu"], "经整治": "是" if row["case_pk"] else "否"}
                for row in services.left_the_list(year)
            ]  # fmt: skip
            sheets["退出名单企业"] = pl.DataFrame(left, schema=LEFT_SCHEMA)
        return xlsx_response(sheets, filename)


RULES_IN_CHINESE = {rule: zh for rule, (_en, zh) in RULES.items()}
LEFT_SCHEMA = {
    "上年度": pl.Int64, "统一社会信用代码": pl.String, "企业名称": pl.String, "所在区域": pl.String,
    "上年度认定规则": pl.String, "本年度亩均税收（万元/亩）": pl.Float64, "经整治": pl.String,
}  # fmt: skip


@require_POST
def compute_view(request):
    if not request.user.is_city_admin:
        raise PermissionDenied(_("Only the city administrator may compute the list."))
    try:
        year = int(request.POST.get("year", ""))
    except ValueError:
        messages.error(request, _("Give the year to list."))
        return HttpResponseRedirect(reverse("remediation:lowfirm_list"))
    listed = services.compute_listing(year)
    messages.success(request, _("Listed %(firms)d low-efficiency firms of %(year)d.") % {"firms": listed, "year": year})
    return HttpResponseRedirect(f"{reverse('remediation:lowfirm_list')}?year={year}")


class ListingOpenCaseView(cases.OpenCaseView):
    """Open a remediation case from a listed firm: the year, rules and figures go with it."""

    source_queryset = Listing.objects.select_related("enterprise__region")
    form_class = RemediationCaseForm
    services = services
    template_name = "remediation/case_open.html"
    opened_message = gettext_lazy("Opened remediation case %(case)s.")

    def source_context(self):
        return {"listing": self.source, "figure_text": figure_text(self.source.figures)}


class RemediationCaseListView(cases.CaseListMixin, ObjectListView):
    model = RemediationCase
    table_class = RemediationCaseTable
    filterset_class = RemediationCaseFilterSet
    queryset = RemediationCase.objects.select_related("enterprise__region")
    template_name = "remediation/case_list.html"
    services = services


class RemediationCaseDetailView(ObjectDetailView):
    model = RemediationCase
    template_name = "remediation/case_detail.html"

    def get_object(self):
        return get_object_or_404(RemediationCase.objects.select_related("enterprise__region"), pk=self.kwargs["pk"])

    def get_extra_context(self, obj):
        return {
            **cases.progress_context(obj, ProgressForm),
            "rule_labels": rule_labels(obj.rules),
            "figure_text": figure_text(obj.figures),
            "close_form": CloseCaseForm(initial={"closed_on": timezone.localdate()}),
            "releases_land": obj.measure in RemediationCase.RELEASING,
        }


class RemediationCaseEditView(cases.OpenCaseEditMixin, ObjectEditView):
    model = RemediationCase
    form_class = RemediationCaseForm
    closed_message = gettext_lazy("The remediation case is closed.")


def _editable_open_case(request, pk) -> RemediationCase:
    queryset = RemediationCase.objects.select_related("enterprise__region")
    return cases.editable_open_case(request, queryset, pk, _("The remediation case is closed."))


@require_POST
def case_progress(request, pk):
    return cases.note_progress(request, _editable_open_case(request, pk), ProgressForm, _("Progress noted."))


@require_POST
def case_close(request, pk):
    case = _editable_open_case(request, pk)
    return cases.close_case(request, case, CloseCaseForm, services.close_case, lambda closed: _("Closed the remediation case."))


# --- settings: rules and targets -----------------------------------------------------------------------


class ThresholdsListView(land_views.ThresholdsListView):
    """As the land's thresholds: every user reads the rules, the city administrator adds them."""

    model = Thresholds
    table_class = ThresholdsTable
    queryset = Thresholds.objects.select_related("region")
    add_url_name = "remediation:lowfirm_rules_add"


class ThresholdsEditView(CityAdminOnlyMixin, ObjectEditView):
    model = Thresholds
    form_class = ThresholdsForm


class RemediationTargetEditView(ObjectEditView):
    model = RemediationTarget
    form_class = RemediationTargetForm


def targets_view(request):
    return cases.targets_page(request, "remediation/targets.html", RemediationTarget.objects.select_related("region"), services)
