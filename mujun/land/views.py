import json
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_POST

from mujun.core.exports import ExportColumn
from mujun.core.scoping import require_edit
from mujun.core.views import (
    ObjectDetailView,
    ObjectEditView,
    ObjectExportView,
    ObjectImportView,
    ObjectListView,
    combined_history,
)
from mujun.engine.land import FIGURE_LABELS, PARCEL_COLUMNS, RULES
from mujun.evaluation.grades import published_grades
from mujun.land import services
from mujun.land.filtersets import DisposalCaseFilterSet, ParcelFilterSet
from mujun.land.forms import (
    CloseCaseForm,
    DisposalCaseForm,
    LandTargetForm,
    ParcelForm,
    ProgressForm,
    ThresholdsForm,
)
from mujun.land.imports import ParcelImporter
from mujun.land.models import Category, DisposalCase, Finding, LandTarget, Parcel, Stage, Thresholds
from mujun.land.tables import DisposalCaseTable, ParcelTable, ThresholdsTable
from mujun.regions.models import Region

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
        return parcel_context(obj)


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


class DisposalCaseListView(ObjectListView):
    model = DisposalCase
    table_class = DisposalCaseTable
    filterset_class = DisposalCaseFilterSet
    queryset = DisposalCase.objects.select_related("parcel__region")
    template_name = "land/case_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        year = timezone.localdate().year
        ctx.update(year=year, overview=services.overview(year))
        return ctx


class FindingOpenCaseView(View):
    """Open a disposal case from a finding: the finding's category, rule and figures go with it."""

    def dispatch(self, request, *args, **kwargs):
        self.finding = get_object_or_404(Finding.objects.select_related("parcel__region"), pk=kwargs["pk"])
        require_edit(request.user, self.finding.parcel)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        return self.render(DisposalCaseForm())

    def post(self, request, pk):
        # The case carries the finding before validation, so the model's rules (one open case per parcel) apply.
        form = DisposalCaseForm(request.POST, instance=services.new_case(self.finding))
        if form.is_valid():
            try:
                case = services.open_case(form.save(commit=False), request.user)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Opened disposal case %(case)s.") % {"case": case})
                return HttpResponseRedirect(case.get_absolute_url())
        return self.render(form)

    def render(self, form):
        self.finding.rule_label = rule_label(self.finding.rule)
        return render(self.request, "land/case_open.html", {"form": form, "finding": self.finding})


class DisposalCaseDetailView(ObjectDetailView):
    model = DisposalCase
    template_name = "land/case_detail.html"

    def get_object(self):
        return get_object_or_404(DisposalCase.objects.select_related("parcel__region", "parcel__holder"), pk=self.kwargs["pk"])

    def get_extra_context(self, obj):
        progress = list(obj.progress.select_related("created_by"))
        return {
            "progress": progress,
            "history": combined_history([obj, *progress]),
            "history_objects": True,
            "rule_label": rule_label(obj.rule),
            "figure_text": figure_text(obj.figures),
            "progress_form": ProgressForm(initial={"noted_on": timezone.localdate()}),
            "close_form": CloseCaseForm(initial={"closed_on": timezone.localdate(), "area_disposed_mu": obj.parcel.area_mu}),
        }


class DisposalCaseEditView(ObjectEditView):
    model = DisposalCase
    form_class = DisposalCaseForm

    def get_object(self):
        case = super().get_object()
        if case.status != DisposalCase.Status.OPEN:  # as on the case's page: a closed case is done
            raise PermissionDenied(_("The case is closed."))
        return case


def _editable_open_case(request, pk) -> DisposalCase:
    case = get_object_or_404(DisposalCase.objects.select_related("parcel__region"), pk=pk)
    require_edit(request.user, case)
    if case.status != DisposalCase.Status.OPEN:
        raise PermissionDenied(_("The case is closed."))
    return case


@require_POST
def case_progress(request, pk):
    case = _editable_open_case(request, pk)
    form = ProgressForm(request.POST, request.FILES)
    if form.is_valid():
        note = form.save(commit=False)
        note.case, note.created_by = case, request.user
        note.save()
        messages.success(request, _("Progress noted."))
    else:
        messages.error(request, "; ".join(f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items()))
    return HttpResponseRedirect(case.get_absolute_url())


@require_POST
def case_close(request, pk):
    case = _editable_open_case(request, pk)
    form = CloseCaseForm(request.POST)
    if form.is_valid():
        try:
            case = services.close_case(case, form.cleaned_data["closed_on"], form.cleaned_data["area_disposed_mu"], request.user)
        except ValidationError as error:
            form.add_error(None, error)  # the model's errors, on the form's fields of the same names
        else:
            messages.success(request, _("Closed the case: %(mu)s mu disposed.") % {"mu": case.area_disposed_mu})
            return HttpResponseRedirect(case.get_absolute_url())
    messages.error(request, "; ".join(f"{form.fields[f].label}: {' '.join(e)}" if f in form.fields else " ".join(e) for f, e in form.errors.items()))
    return HttpResponseRedirect(case.get_absolute_url())


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
    targets = LandTarget.objects.select_related("region")
    return render(
        request,
        "land/targets.html",
        {"targets": targets, "can_edit": request.user.can_edit, "overview": services.overview(timezone.localdate().year)},
    )
