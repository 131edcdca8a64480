import json
from datetime import date

import polars as pl
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_POST

from mujun.core.exports import ExportColumn, xlsx_response
from mujun.core import cases
from mujun.core.scoping import require_edit
from mujun.core.tables import frame_data
from mujun.core.views import (
    ObjectDetailView,
    ObjectEditView,
    ObjectExportView,
    ObjectImportView,
    ObjectListView,
)
from mujun.engine import idle_land
from mujun.engine.land import FIGURE_LABELS, PARCEL_COLUMNS, RULES
from mujun.evaluation.grades import published_grades
from mujun.land import services
from mujun.land.filtersets import DisposalCaseFilterSet, IdleLedgerFilterSet, ParcelFilterSet
from mujun.land.forms import (
    CloseCaseForm,
    DisposalCaseForm,
    IdleRecordForm,
    LandTargetForm,
    ParcelForm,
    ProgressForm,
    ThresholdsForm,
)
from mujun.land.imports import ParcelImporter
from mujun.land.models import Category, DisposalCase, Finding, IdleCause, IdleStage, LandTarget, Parcel, Stage, Thresholds
from mujun.land.tables import DisposalCaseTable, IdleLedgerTable, ParcelTable, ThresholdsTable
from mujun.regions.models import Region
from mujun.core.exports import queryset_frame
from mujun.engine.acceptance import INDICATOR_LABELS as ACCEPTANCE_INDICATOR_LABELS
from mujun.engine.acceptance import MEASURES as ACCEPTANCE_MEASURES
from mujun.engine.land import CONTRACT_INDICATORS
from mujun.land.filtersets import AcceptanceFilterSet
from mujun.land.forms import AcceptanceDecisionForm
from mujun.land.models import Acceptance
from mujun.land.tables import AcceptanceTable

# Colours of the map and its legend, by category and by stage.
CATEGORY_COLOURS = {
    "": "#6c757d",
    Category.APPROVED_NOT_SUPPLIED: "#6f42c1",
    Category.SUPPLIED_NOT_USED: "#dc3545",
    Category.USED_NOT_EXHAUSTED: "#fd7e14",
    Category.BUILT_NOT_COMMISSIONED: "#ffc107",
    Category.COMMISSIONED_BELOW_STANDARD: "#0d6efd",
}
STAGE_COLOURS = {
    Stage.PLANNED: "#adb5bd",
    Stage.APPROVED: "#6f42c1",
    Stage.SUPPLIED: "#d63384",
    Stage.STARTED: "#fd7e14",
    Stage.COMPLETED: "#20c997",
    Stage.COMMISSIONED: "#198754",
}


def rule_label(rule: str) -> str:
    """The rule in words: the engine's Chinese description."""
    return RULES.get(rule, ("", rule))[1]


def figure_text(figures: dict) -> str:
    """A finding's figures in words: 实际亩均税收 12.0；承诺亩均税收 30.0."""
    def shown(value):
        return "—" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)

    return "；".join(f"{FIGURE_LABELS.get(name, name)} {shown(value)}" for name, value in figures.items())


class ParcelListView(ObjectListView):
    model = Parcel
    table_class = ParcelTable
    filterset_class = ParcelFilterSet
    queryset = Parcel.objects.select_related("region", "holder")
    add_url_name = "land:parcel_add"
    import_url_name = "land:parcel_import"
    export_url_name = "land:parcel_export"
    template_name = "land/parcel_list.html"


class ParcelDetailView(ObjectDetailView):
    model = Parcel
    template_name = "land/parcel_detail.html"

    def get_object(self):
        return get_object_or_404(Parcel.objects.select_related("region__parent", "holder"), pk=self.kwargs["pk"])

    def get_extra_context(self, obj):
        idle = services.parcel_idle_clock(obj)
        if idle is not None:
            idle["stage_label"] = IdleStage(idle["stage"]).label
            idle["rule_label"] = rule_label(idle["idle_rule"]) if idle["idle_rule"] else ""
        return {**parcel_context(obj), "idle": idle, "idle_form": IdleRecordForm.of(obj)}


def parcel_context(parcel: Parcel) -> dict:
    """What the detail page and the map's pop-up show: figures, findings, cases, projects, grades."""
    findings = list(parcel.findings.all())
    for finding in findings:
        finding.rule_label, finding.figure_text = rule_label(finding.rule), figure_text(finding.figures)
    grades = published_grades([parcel.holder_id]).get(parcel.holder_id, [])[:5] if parcel.holder_id else []
    projects = list(parcel.projects.all()) if hasattr(parcel, "projects") else []
    return {
        "findings": findings,
        "cases": list(parcel.disposal_cases.order_by("-opened_on")),
        "grades": grades,
        "projects": projects,
        "thresholds": services.thresholds_for(parcel.region),
    }


class ParcelEditView(ObjectEditView):
    model = Parcel
    form_class = ParcelForm


class ParcelImportView(ObjectImportView):
    importer_class = ParcelImporter
    list_url_name = "land:parcel_list"


EXPORT_COLUMNS = [
    ExportColumn("code", PARCEL_COLUMNS["code"]),
    ExportColumn("name", PARCEL_COLUMNS["name"]),
    ExportColumn("region__code", PARCEL_COLUMNS["region"]),
    ExportColumn("holder__uscc", PARCEL_COLUMNS["holder_uscc"]),
    *[
        ExportColumn(name, header)
        for name, header in PARCEL_COLUMNS.items()
        if name not in ("code", "name", "region", "holder_uscc", "holder_grade")
    ],
    ExportColumn("stage", "阶段"),
    ExportColumn("category", "主要类别"),
    ExportColumn("category_since", "类别起始日期"),
]


class ParcelExportView(ObjectExportView):
    queryset = Parcel.objects.all()
    filterset_class = ParcelFilterSet
    columns = EXPORT_COLUMNS


def filtered_parcels(request):
    filterset = ParcelFilterSet(request.GET, queryset=Parcel.objects.all(), request=request)
    return filterset.qs if filterset.is_valid() else Parcel.objects.none()


def parcel_geojson_export(request):
    """The filtered parcels as a GeoJSON download whose properties are the import's headers, so it can
    be edited in a GIS and imported again."""
    queryset = filtered_parcels(request)
    names = [c.path for c in EXPORT_COLUMNS]
    features = []
    for values in queryset.values_list("boundary", *names):
        boundary, *rest = values
        properties = {
            column.header: value.isoformat() if isinstance(value, date) else value
            for column, value in zip(EXPORT_COLUMNS, rest, strict=True)
        }
        features.append({"type": "Feature", "geometry": boundary, "properties": properties})
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/geo+json")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=_("parcels.geojson"))
    return response


@require_POST
def classify_view(request):
    if not request.user.is_city_admin:
        raise PermissionDenied(_("Only the city administrator may reclassify all parcels."))
    as_of = request.POST.get("as_of")
    try:
        as_of = date.fromisoformat(as_of) if as_of else timezone.localdate()
    except ValueError:
        as_of = timezone.localdate()
    result = services.classify_parcels(as_of)
    messages.success(
        request,
        _("Classified %(parcels)d parcels as of %(date)s: %(findings)d findings.")
        % {"parcels": result.parcels.height, "date": as_of.isoformat(), "findings": result.findings.height},
    )
    return HttpResponseRedirect(reverse("land:parcel_list"))


# --- the idle-land clock: the ledger, its export and the investigation recorded -----------------------


class IdleLedgerView(ObjectListView):
    """闲置土地台账: every supplied parcel past its start (idle or about to be) with its clock as of today."""

    model = Parcel
    table_class = IdleLedgerTable
    filterset_class = IdleLedgerFilterSet
    queryset = Parcel.objects.all()
    export_url_name = "land:idle_ledger_export"
    template_name = "land/idle_ledger.html"
    title = gettext_lazy("Idle land ledger")

    def get_table_data(self):
        self.ledger = services.idle_ledger(self.object_list)
        return frame_data(self.ledger)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        idle = self.ledger.filter(pl.col("idle_since").is_not_null())
        ctx["sums"] = {
            "parcels": self.ledger.height,
            "area": self.ledger["area_mu"].sum(),
            "idle_parcels": idle.height,
            "idle_area": idle["area_mu"].sum(),
            "fees": self.ledger["fee"].sum(),
            "recovery_area": self.ledger.filter(pl.col("stage") == IdleStage.RECOVERY_DUE)["area_mu"].sum(),
            "replies_overdue": self.ledger["reply_overdue"].sum(),
        }
        return ctx


# The ledger's workbook: the clock's columns under the Chinese headers of the land bureau's 台账.
LEDGER_HEADERS = {
    "code": PARCEL_COLUMNS["code"], "name": PARCEL_COLUMNS["name"], "region_name": PARCEL_COLUMNS["region"],
    "holder_name": "用地企业", "area_mu": PARCEL_COLUMNS["area_mu"], "land_price": PARCEL_COLUMNS["land_price"],
    "idle_cause": "闲置原因", "idle_cause_reason": "原因说明", "overdue_since": "逾期开工（停工）起始日",
    "idle_since": "认定闲置日期", "idle_rule": "认定依据", "idle_days": "闲置天数", "stage": "处置阶段",
    "fee": "应缴土地闲置费(万元)", "recovery_due_on": "应无偿收回日期", "idle_notice_on": "调查通知书送达日期",
    "reply_deadline": "答复期限", "reply_overdue": "逾期未答复", "idle_reply_on": "答复日期", "measure": "建议处置措施",
}  # fmt: skip


def idle_ledger_export(request):
    filterset = IdleLedgerFilterSet(request.GET, queryset=Parcel.objects.all(), request=request)
    ledger = services.idle_ledger(filterset.qs if filterset.is_valid() else Parcel.objects.none())
    with translation.override("zh-hans"):
        causes = {value: str(label) for value, label in IdleCause.choices}
        measures = {value: str(label) for value, label in DisposalCase.Measure.choices}
    sheet = ledger.with_columns(
        pl.col("idle_cause").replace_strict(causes, default=None),
        pl.col("idle_rule").replace_strict({r: zh for r, (_c, zh) in RULES.items()}, default=None),
        pl.col("stage").replace_strict(idle_land.STAGE_LABELS, default=None),
        pl.col("measure").replace_strict(measures, default=None),
        pl.col("reply_overdue").replace_strict({True: "是", False: "否"}, default=None, return_dtype=pl.String),
    ).select([pl.col(name).alias(header) for name, header in LEDGER_HEADERS.items()])
    return xlsx_response({"闲置土地台账": sheet}, _("idle-land-ledger.xlsx"))


@require_POST
def parcel_idle_record(request, pk):
    """Record the cause, the notice served and the reply of an idle parcel (services.record_idle)."""
    parcel = get_object_or_404(Parcel.objects.select_related("region"), pk=pk)
    require_edit(request.user, parcel)
    form = IdleRecordForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_idle(
                parcel, request.user, cause=data["cause"], reason=data["reason"], notice_on=data["notice_on"],
                reply_on=data["reply_on"],
            )  # fmt: skip
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(IdleRecordForm.FIELD_OF.get(field), problems)
        else:
            messages.success(request, _("Recorded the idle-land investigation."))
            return HttpResponseRedirect(parcel.get_absolute_url() + "#idle-clock")
    messages.error(request, cases.form_problems(form))
    return HttpResponseRedirect(parcel.get_absolute_url() + "#idle-clock")


# --- map ----------------------------------------------------------------------------------------------


def map_view(request):
    counties = Region.objects.filter(level=Region.Level.COUNTY).order_by("code")
    return render(
        request,
        "land/map.html",
        {
            "counties": counties,
            "categories": Category.choices,
            "stages": Stage.choices,
            "category_colours": {str(k): v for k, v in CATEGORY_COLOURS.items()},
            "stage_colours": {str(k): v for k, v in STAGE_COLOURS.items()},
            "category_legend": [(CATEGORY_COLOURS[value], label) for value, label in Category.choices]
            + [(CATEGORY_COLOURS[""], _("No finding"))],
            "stage_legend": [(STAGE_COLOURS[value], label) for value, label in Stage.choices],
            "tiles": settings.MUJUN_MAP_TILES if hasattr(settings, "MUJUN_MAP_TILES") else "",
            "selected_county": request.GET.get("region", ""),
            "regions_geojson": services.regions_geojson(
                Region.objects.filter(level__in=[Region.Level.CITY, Region.Level.COUNTY]).exclude(boundary=None)
            ),
        },
    )


@gzip_page  # 20,000 parcels are about 5 MB of JSON and 1 MB compressed
def parcels_json(request):
    """The filtered parcels as GeoJSON for the map (short properties; details come on click)."""
    return HttpResponse(services.parcels_geojson(filtered_parcels(request)), content_type="application/json")


def parcel_popup(request, pk):
    parcel = get_object_or_404(Parcel.objects.select_related("region", "holder"), pk=pk)
    return render(request, "land/_parcel_popup.html", {"object": parcel, **parcel_context(parcel)})


# --- disposal cases -----------------------------------------------------------------------------------


class DisposalCaseListView(cases.CaseListMixin, ObjectListView):
    model = DisposalCase
    table_class = DisposalCaseTable
    filterset_class = DisposalCaseFilterSet
    queryset = DisposalCase.objects.select_related("parcel__region")
    template_name = "land/case_list.html"
    services = services


class FindingOpenCaseView(cases.OpenCaseView):
    """Open a disposal case from a finding: the finding's category, rule and figures go with it."""

    source_queryset = Finding.objects.select_related("parcel__region")
    form_class = DisposalCaseForm
    services = services
    template_name = "land/case_open.html"
    opened_message = gettext_lazy("Opened disposal case %(case)s.")

    def edited(self, finding):
        return finding.parcel

    def initial(self):
        # An idle finding's case starts from the measure the statute proposes today (fee, recovery, government route).
        return {"measure": services.proposed_measure(self.source)}

    def source_context(self):
        self.source.rule_label = rule_label(self.source.rule)
        return {"finding": self.source}


class DisposalCaseDetailView(ObjectDetailView):
    model = DisposalCase
    template_name = "land/case_detail.html"

    def get_object(self):
        return get_object_or_404(DisposalCase.objects.select_related("parcel__region", "parcel__holder"), pk=self.kwargs["pk"])

    def get_extra_context(self, obj):
        return {
            **cases.progress_context(obj, ProgressForm),
            "rule_label": rule_label(obj.rule),
            "figure_text": figure_text(obj.figures),
            "close_form": CloseCaseForm(initial={"closed_on": timezone.localdate(), "area_disposed_mu": obj.parcel.area_mu}),
        }


class DisposalCaseEditView(cases.OpenCaseEditMixin, ObjectEditView):
    model = DisposalCase
    form_class = DisposalCaseForm
    closed_message = gettext_lazy("The case is closed.")


def _editable_open_case(request, pk) -> DisposalCase:
    return cases.editable_open_case(request, DisposalCase.objects.select_related("parcel__region"), pk, _("The case is closed."))


@require_POST
def case_progress(request, pk):
    return cases.note_progress(request, _editable_open_case(request, pk), ProgressForm, _("Progress noted."))


@require_POST
def case_close(request, pk):
    def closed(case):
        return _("Closed the case: %(mu)s mu disposed.") % {"mu": case.area_disposed_mu}

    return cases.close_case(request, _editable_open_case(request, pk), CloseCaseForm, services.close_case, closed)


# --- settings: thresholds and targets -----------------------------------------------------------------


class CityAdminOnlyMixin:
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_city_admin:
            raise PermissionDenied(_("Only the city administrator may change this."))
        return super().dispatch(request, *args, **kwargs)


class ThresholdsListView(ObjectListView):
    model = Thresholds
    table_class = ThresholdsTable
    filterset_class = None
    queryset = Thresholds.objects.select_related("region")
    add_url_name = "land:thresholds_add"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if not self.request.user.is_city_admin:
            ctx["add_url_name"] = ""
        return ctx


class ThresholdsEditView(CityAdminOnlyMixin, ObjectEditView):
    model = Thresholds
    form_class = ThresholdsForm


class LandTargetEditView(ObjectEditView):
    model = LandTarget
    form_class = LandTargetForm


def targets_view(request):
    return cases.targets_page(request, "land/targets.html", LandTarget.objects.select_related("region"), services)


# --- 标准地 acceptance (达产复核) ------------------------------------------------------------------------


def acceptance_rows(acceptance: Acceptance) -> list[dict]:
    """The acceptance's indicators in words, in the engine's order (a JSON object keeps none on PostgreSQL)."""
    labels = dict(Acceptance.Outcome.choices)
    return [
        {
            "name": name,
            "label": ACCEPTANCE_INDICATOR_WORDS.get(name, name),
            "lower_is_better": CONTRACT_INDICATORS[name].lower_is_better if name in CONTRACT_INDICATORS else False,
            **values,
            "committed_shown": figure(values.get("committed")),
            "actual_shown": figure(values.get("actual")),
            "measure_label": BREACH_MEASURE_WORDS.get(values.get("measure") or "", ""),
            "result_label": labels[Acceptance.Outcome.INCOMPLETE] if values.get("passed") is None else
            labels[Acceptance.Outcome.PASSED] if values["passed"] else labels[Acceptance.Outcome.FAILED],
        }  # fmt: skip
        for name, values in sorted(acceptance.indicators.items(), key=lambda item: INDICATOR_ORDER.get(item[0], 99))
    ]


INDICATOR_ORDER = {name: order for order, name in enumerate(CONTRACT_INDICATORS)}
# The pages' words for the engine's codes (its Chinese labels head the workbook's columns).
ACCEPTANCE_INDICATOR_WORDS = {
    "investment_intensity": gettext_lazy("investment intensity (10k yuan/mu)"),
    "output_per_mu": gettext_lazy("output per mu (10k yuan)"),
    "tax_per_mu": gettext_lazy("tax per mu (10k yuan)"),
    "energy_per_value_added": gettext_lazy("energy per value added (tce/10k yuan)"),
    "emissions_per_value_added": gettext_lazy("emissions per value added (t eq./10k yuan)"),
}
BREACH_MEASURE_WORDS = {
    "recovery": gettext_lazy("recovery of the land"),
    "price_difference": gettext_lazy("land price difference paid"),
    "tax_shortfall": gettext_lazy("tax shortfall paid"),
    "deposit": gettext_lazy("deposit kept"),
}


def figure(value: float | None) -> str:
    """Two decimals, or three significant digits for the small figures (emissions per 万元 are ten-thousandths)."""
    if value is None:
        return "—"
    return f"{value:,.2f}" if abs(value) >= 1 or value == 0 else f"{value:.3g}"


DUE_SHOWN = 10  # parcels due for acceptance named above the list (all are checked at once)


class AcceptanceListView(ObjectListView):
    model = Acceptance
    table_class = AcceptanceTable
    filterset_class = AcceptanceFilterSet
    queryset = Acceptance.objects.select_related("parcel__region", "holder")
    export_url_name = "land:acceptance_export"
    template_name = "land/acceptance_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        due = services.due_frame()
        region = self.filterset.form.cleaned_data.get("region") if self.filterset.is_valid() else None
        if region is not None:  # the region chosen (a county operator's own by default)
            due = due.filter(pl.col("region_id").is_in(region.descendant_ids()))
        first = due.sort("commissioned_on", "code").head(DUE_SHOWN)["id"].to_list()
        shown = Parcel.objects.filter(pk__in=first).select_related("region", "holder").defer("boundary").in_bulk()
        outcomes = Acceptance.Outcome.choices
        ctx.update(
            due=[shown[pk] for pk in first],
            due_count=due.height,
            outcome_counts=self.filterset.qs.aggregate(**{o: Count("pk", filter=Q(outcome=o)) for o, _label in outcomes}),
            can_accept_due=self.request.user.is_city_admin,
        )
        return ctx


ACCEPTANCE_EXPORT_COLUMNS = [
    ExportColumn("parcel__code", PARCEL_COLUMNS["code"]),
    ExportColumn("parcel__region__name", PARCEL_COLUMNS["region"]),
    ExportColumn("holder__uscc", PARCEL_COLUMNS["holder_uscc"]),
    ExportColumn("holder__name", "用地企业"),
    ExportColumn("parcel__area_mu", PARCEL_COLUMNS["area_mu"]),
    ExportColumn("due_on", "初始运行期满日期"),
    ExportColumn("checked_on", "复核日期"),
    ExportColumn("figures_year", "采用评价年度"),
    ExportColumn("holder_grade", PARCEL_COLUMNS["holder_grade"]),
    ExportColumn("outcome", "复核结果"),
    *[
        ExportColumn(f"indicators__{name}__{part}", f"{label}{suffix}")
        for name, label in ACCEPTANCE_INDICATOR_LABELS.items()
        for part, suffix in (("committed", "·承诺"), ("actual", "·实际"), ("passed", "·达标"), ("measure", "·违约措施"),
                             ("amount", "·金额(万元)"))
    ],
    ExportColumn("breach_amount", "违约金额合计(万元)"),
    ExportColumn("recovery_proposed", "建议收回土地"),
    ExportColumn("decision", "处置决定"),
    ExportColumn("decided_on", "决定日期"),
]


class AcceptanceExportView(ObjectExportView):
    """The acceptances as filtered on the list, one row each with every indicator's columns; codes in words."""

    queryset = Acceptance.objects.all()
    filterset_class = AcceptanceFilterSet
    columns = ACCEPTANCE_EXPORT_COLUMNS

    def export(self, queryset, filename):
        frame = queryset_frame(queryset, self.columns)
        words = {
            "复核结果": {k: str(v) for k, v in Acceptance.Outcome.choices},
            "处置决定": {k: str(v) for k, v in Acceptance.Decision.choices},
            **{f"{label}·违约措施": ACCEPTANCE_MEASURES for label in ACCEPTANCE_INDICATOR_LABELS.values()},
        }
        frame = frame.with_columns(
            pl.col(header).cast(pl.String).replace(mapping) for header, mapping in words.items()
        )
        return xlsx_response({_("Acceptances"): frame}, filename)


class AcceptanceDetailView(ObjectDetailView):
    model = Acceptance
    template_name = "land/acceptance_detail.html"

    def get_object(self):
        return get_object_or_404(
            Acceptance.objects.select_related("parcel__region", "holder"), pk=self.kwargs["pk"]
        )

    def get_extra_context(self, obj):
        return {
            "rows": acceptance_rows(obj),
            "decision_form": AcceptanceDecisionForm(initial={"decided_on": timezone.localdate()}),
        }


@require_POST
def parcel_accept(request, pk):
    """Check the parcel against its 标准地 commitments now (or again, while the last check is undecided)."""
    parcel = get_object_or_404(Parcel.objects.select_related("region"), pk=pk)
    require_edit(request.user, parcel)
    try:
        acceptance = services.accept_parcel(parcel, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(parcel.get_absolute_url())
    messages.success(
        request, _("Checked parcel %(parcel)s: %(result)s.") % {"parcel": parcel, "result": acceptance.get_outcome_display()}
    )
    return HttpResponseRedirect(acceptance.get_absolute_url())


@require_POST
def acceptance_accept_due(request):
    if not request.user.is_city_admin:
        raise PermissionDenied(_("Only the city administrator may check all due parcels at once."))
    made = services.accept_due_parcels(request.user)
    failed = sum(1 for a in made if a.outcome == Acceptance.Outcome.FAILED)
    messages.success(request, _("Checked %(count)d due parcels: %(failed)d failed.") % {"count": len(made), "failed": failed})
    return HttpResponseRedirect(reverse("land:acceptance_list"))


@require_POST
def acceptance_decide(request, pk):
    acceptance = get_object_or_404(Acceptance.objects.select_related("parcel__region"), pk=pk)
    require_edit(request.user, acceptance)
    form = AcceptanceDecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.decide_acceptance(acceptance, data["decision"], data["decided_on"], data["note"], request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Decision recorded."))
            return HttpResponseRedirect(acceptance.get_absolute_url())
    messages.error(request, cases.form_problems(form))
    return HttpResponseRedirect(acceptance.get_absolute_url())
