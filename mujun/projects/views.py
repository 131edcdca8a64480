import json
from datetime import date

import polars as pl
from django import forms
from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from mujun.core.charts import chart_html, money_axis
from mujun.core.exports import ExportColumn, xlsx_response
from mujun.core.queries import BoundedPaginator, query_value
from mujun.core.scoping import can_edit_record, home_region, require_edit
from mujun.core.validators import year_validators
from mujun.core.views import (
    ObjectDetailView,
    ObjectEditView,
    ObjectExportView,
    ObjectImportView,
    ObjectListView,
)
from mujun.engine import projects as engine
from mujun.evaluation.grades import published_grades
from mujun.projects import board, frames, lists, portfolio, services, wall
from mujun.projects.filtersets import LeadFilterSet, MonthlyReportFilterSet, ProjectFilterSet
from mujun.projects.forms import (
    AdvanceForm,
    CorrectionForm,
    ElementNeedForm,
    LeadForm,
    ListThresholdsForm,
    MonthClosingForm,
    MonthlyReportForm,
    ProjectForm,
    ReviewForm,
    StartTargetForm,
    TeamForm,
    current_month,
)
from mujun.projects.imports import MonthlyReportImporter, ProjectImporter
from mujun.projects.models import (
    ElementNeed,
    Evidence,
    Field,
    Lead,
    Level,
    ListThresholds,
    MonthClosing,
    MonthlyReport,
    Project,
    Stage,
    StartTarget,
    Team,
)
from mujun.projects.tables import LeadTable, MonthlyReportTable, ProjectTable
from mujun.regions.models import Region

RAG_CLASSES = {"red": "danger", "amber": "warning", "green": "success", "none": "secondary"}


# -- projects --------------------------------------------------------------------------------------------


class ProjectListView(ObjectListView):
    model = Project
    table_class = ProjectTable
    filterset_class = ProjectFilterSet
    queryset = Project.objects.select_related("region", "enterprise")
    add_url_name = "projects:project_add"
    import_url_name = "projects:project_import"
    export_url_name = "projects:project_export"


class ProjectDetailView(ObjectDetailView):
    model = Project
    template_name = "projects/project_detail.html"

    def get_object(self):
        return get_object_or_404(
            Project.objects.select_related("region__parent", "enterprise"), pk=self.kwargs["pk"]
        )

    def get_extra_context(self, obj):
        user = self.request.user
        next_stage = obj.next_stage
        evidence = list(obj.evidence.filter(report=None))
        by_stage = {}
        for item in evidence:
            by_stage.setdefault(item.stage, []).append(item)
        stage_rows = obj.stage_rows()
        for row in stage_rows:
            row["evidence"] = by_stage.get(row["stage"].value, [])
        earlier = [(s.value, s.label) for s in Stage if engine.stage_index(s.value) < engine.stage_index(obj.stage)]
        correction_form = CorrectionForm()
        correction_form.fields["stage"].choices = earlier
        return {
            "stage_rows": stage_rows,
            "advance_form": AdvanceForm(initial={"stage": next_stage, "date": date.today()}) if next_stage else None,
            "next_stage_label": Stage(next_stage).label if next_stage else "",
            "required_evidence": _required_text(next_stage) if next_stage else "",
            "correction_form": correction_form if user.is_city_admin and earlier else None,
            "stage_changes": obj.stage_changes.select_related("user")[:20],
            "reports": obj.reports.all()[:24],
            "elements": obj.elements.all(),
            "parcels": obj.parcels.all(),
            "grades": _enterprise_grades(obj.enterprise),
            "rag": _project_rag(obj),
            "can_report": can_edit_record(user, obj),
        }


def _required_text(stage: str) -> str:
    groups = services.REQUIRED_EVIDENCE[stage]
    names = {Evidence.Kind.PHOTO: _("a photo"), Evidence.Kind.DOCUMENT: _("a document")}
    return _(" and ").join(_(" or ").join(str(names[k]) for k in sorted(group)) for group in groups)


def _enterprise_grades(enterprise) -> list:
    """The enterprise's published grades, one per year (newest first, at most five)."""
    if enterprise is None:
        return []
    return published_grades([enterprise.pk]).get(enterprise.pk, [])[:5]


def _project_rag(project) -> str:
    frame = frames.project_frame(Project.objects.filter(pk=project.pk))
    return engine.board(frame, date.today())["rag"][0]


class ProjectEditView(ObjectEditView):
    model = Project
    form_class = ProjectForm


class ProjectAdvanceView(View):
    """POST: move the project into its next stage with a date and the evidence."""

    def post(self, request, pk):
        project = get_object_or_404(Project, pk=pk)
        require_edit(request.user, project)
        form = AdvanceForm(request.POST, request.FILES)
        if not form.is_valid():
            for field, errors in form.errors.items():
                messages.error(request, f"{form.fields[field].label if field in form.fields else ''}: {' '.join(errors)}")
            return HttpResponseRedirect(project.get_absolute_url() + "#advance")
        try:
            uploads = [services.Upload.from_file(f, Evidence.Kind.PHOTO) for f in form.cleaned_data["photos"]]
            uploads += [services.Upload.from_file(f, Evidence.Kind.DOCUMENT) for f in form.cleaned_data["documents"]]
            services.advance(project, form.cleaned_data["stage"], form.cleaned_data["date"], uploads, request.user)
        except services.Refused as refusal:
            messages.error(request, str(refusal))
            return HttpResponseRedirect(project.get_absolute_url() + "#advance")
        messages.success(request, _("The project moved to %(stage)s.") % {"stage": Stage(form.cleaned_data["stage"]).label})
        return HttpResponseRedirect(project.get_absolute_url())


class ProjectCorrectView(View):
    """POST: a city administrator moves the project back, with a reason."""

    def post(self, request, pk):
        project = get_object_or_404(Project, pk=pk)
        services.require_corrector(request.user)  # before the form: who may not is told so, not what is missing
        form = CorrectionForm(request.POST)
        form.fields["stage"].choices = Stage.choices
        if form.is_valid():
            try:
                services.correct_back(project, form.cleaned_data["stage"], request.user, form.cleaned_data["reason"])
                messages.success(request, _("The stage was corrected."))
            except services.Refused as refusal:
                messages.error(request, str(refusal))
        else:
            messages.error(request, _("Give the stage and the reason of the correction."))
        return HttpResponseRedirect(project.get_absolute_url())


class ProjectImportView(ObjectImportView):
    importer_class = ProjectImporter
    list_url_name = "projects:project_list"


PROJECT_EXPORT_COLUMNS = [
    ExportColumn("code", "项目编号"),
    ExportColumn("name", "项目名称"),
    ExportColumn("enterprise__uscc", "统一社会信用代码"),
    ExportColumn("enterprise__name", "企业名称"),
    ExportColumn("region__name", "所属区域"),
    ExportColumn("region__code", "区域代码"),
    ExportColumn("industry_code", "行业代码"),
    ExportColumn("chain_tags", "产业链标签"),
    ExportColumn("total_investment", "总投资(万元)"),
    ExportColumn("fixed_asset_investment", "固定资产投资(万元)"),
    ExportColumn("foreign_capital_usd", "实际利用外资(万美元)"),
    ExportColumn("is_new", "是否新开工"),
    ExportColumn("key_county", "县重点投资项目"),
    ExportColumn("level", "项目层级"),
    ExportColumn("field", "所属领域"),
    ExportColumn("batch", "批次"),
    ExportColumn("plan_year", "计划年度"),
    ExportColumn("annual_plan", "年度计划投资(万元)"),
    ExportColumn("stage", "当前阶段"),
]


class ProjectExportView(ObjectExportView):
    queryset = Project.objects.all()
    filterset_class = ProjectFilterSet
    columns = PROJECT_EXPORT_COLUMNS


class ProjectOC4IDSView(View):
    """The filtered projects as an OC4IDS 0.9 project package (JSON)."""

    def get(self, request, pk=None):
        from mujun.projects.oc4ids import project_package

        queryset = Project.objects.select_related("region", "enterprise").prefetch_related("evidence", "parcels")
        if pk is not None:
            queryset = queryset.filter(pk=pk)
        else:
            filterset = ProjectFilterSet(request.GET, queryset=queryset, request=request)
            queryset = filterset.qs if filterset.is_valid() else queryset.none()
        package = project_package(queryset, request.build_absolute_uri("/"))
        response = HttpResponse(json.dumps(package, ensure_ascii=False, indent=1), content_type="application/json")
        response["Content-Disposition"] = content_disposition_header(True, _("projects-oc4ids.json"))
        return response


# -- monthly reports -------------------------------------------------------------------------------------


class MonthlyReportListView(ObjectListView):
    model = MonthlyReport
    table_class = MonthlyReportTable
    filterset_class = MonthlyReportFilterSet
    queryset = MonthlyReport.objects.select_related("project__region")
    import_url_name = "projects:report_import"


class MonthlyReportDetailView(ObjectDetailView):
    model = MonthlyReport
    template_name = "projects/report_detail.html"

    def get_object(self):
        return get_object_or_404(MonthlyReport.objects.select_related("project__region"), pk=self.kwargs["pk"])

    def get_extra_context(self, obj):
        return {
            "photos": obj.photos.all(),
            "review_form": ReviewForm() if self.request.user.is_city_admin else None,
        }


class MonthlyReportSubmitView(View):
    """A county operator's report for a project (``project_pk``), or the resubmission of one sent back (``pk``)."""

    template_name = "projects/report_form.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if "pk" in kwargs:
            self.report = get_object_or_404(MonthlyReport.objects.select_related("project__region"), pk=kwargs["pk"])
            self.project = self.report.project
        else:
            self.report = None
            self.project = get_object_or_404(Project.objects.select_related("region"), pk=kwargs["project_pk"])

    def dispatch(self, request, *args, **kwargs):
        require_edit(request.user, self.project)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, **kwargs):
        if self.report is not None:
            initial = {
                "month": self.report.month, "invested_month": self.report.invested_month,
                "invested_to_date": self.report.invested_to_date, "notes": self.report.notes,
            }  # fmt: skip
        else:
            initial = {"month": current_month()}
        return self.render(MonthlyReportForm(initial=initial))

    def post(self, request, **kwargs):
        form = MonthlyReportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                uploads = [services.Upload.from_file(f, Evidence.Kind.PHOTO) for f in data["photos"]]
                report = services.submit_report(
                    self.project, data["month"], data["invested_month"], data["invested_to_date"], data["notes"],
                    uploads, request.user, report=self.report,
                )  # fmt: skip
            except services.Refused as refusal:
                form.add_error(refusal.field if refusal.field in form.fields else None, str(refusal))
            else:
                messages.success(request, _("Report submitted."))
                return HttpResponseRedirect(report.get_absolute_url())
        return self.render(form)

    def render(self, form):
        return render(self.request, self.template_name, {"form": form, "project": self.project, "report": self.report})


class MonthlyReportReviewView(View):
    def post(self, request, pk):
        report = get_object_or_404(MonthlyReport, pk=pk)
        form = ReviewForm(request.POST)
        form.is_valid()
        try:
            services.review_report(report, "approve" in request.POST, form.cleaned_data.get("note", ""), request.user)
            messages.success(request, _("Report reviewed."))
        except services.Refused as refusal:
            messages.error(request, str(refusal))
        return HttpResponseRedirect(report.get_absolute_url())


class MonthlyReportImportView(ObjectImportView):
    importer_class = MonthlyReportImporter
    list_url_name = "projects:report_list"


# -- region and month choice shared by the list pages -------------------------------------------------------


class RegionMonthForm(forms.Form):
    region = forms.ModelChoiceField(label=gettext_lazy("region"), queryset=Region.objects.exclude(level="town"), required=False)
    month = forms.DateField(
        label=gettext_lazy("month"), required=False, input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )  # fmt: skip


def region_and_month(request, reported: bool = False) -> tuple[RegionMonthForm, Region | None, date]:
    """The region and month a page shows. Without a region in the query, a county operator's county; without a
    month, the current one, or for pages of ``reported`` figures the latest month that has reports there."""
    form = RegionMonthForm(request.GET or None)
    region, month = home_region(request.user), None
    if form.is_bound and form.is_valid():
        if "region" in request.GET:
            region = form.cleaned_data["region"]
        month = form.cleaned_data["month"]
    if month is None:
        month = (lists.latest_month(region) if reported else None) or current_month()
    month = month.replace(day=1)
    if not form.is_bound or form.is_valid():  # show what is shown; an invalid form keeps its errors
        form = RegionMonthForm(initial={"region": region, "month": month})
    return form, region, month


class FourListsView(View):
    """The four lists of a region and month: a closed month's stored snapshot (已关账), else computed now."""

    def get(self, request):
        form, region, month = region_and_month(request, reported=True)
        four, closing = lists.month_lists(region, month)
        place = _place(region)
        if "export" in request.GET:
            return lists_workbook(four, region, month, place)
        tabs = [
            {
                "key": key,
                "label": lists.LIST_TITLES[key][1],
                "rows": frame.head(200).to_dicts(),
                "count": frame.height,
                "total": frame["total_investment"].sum(),
                "month_total": frame["invested_month"].sum(),
            }
            for key, frame in four.items()
        ]
        scheduled = MonthClosing.objects.filter(month=month, closed_at=None).first()
        return render(
            request, "projects/four_lists.html",
            {
                "form": form, "tabs": tabs, "month": month, "place": place, "querystring": request.GET.urlencode(),
                "closing": closing, "closes_on": scheduled.closes_on if scheduled else None,
                "can_close": getattr(request.user, "is_city_admin", False),
            },
        )  # fmt: skip


def lists_workbook(four: dict[str, pl.DataFrame], region: Region | None, month: date, place: str) -> HttpResponse:
    """The four lists of the month and, after them, the five key lists (wall.key_lists) in one workbook."""
    sheets = {lists.LIST_TITLES[key][0]: lists.list_sheet(frame, key) for key, frame in four.items()}
    return xlsx_response({**sheets, **wall.key_list_sheets(region, month)}, f"{place}{month:%Y年%m月}四张清单.xlsx")


def _place(region: Region | None) -> str:
    return region.name if region else Region.objects.filter(level="city").values_list("name", flat=True).first() or ""


class MonthClosingView(View):
    """POST: a city administrator closes a month of the four lists, sets its closing day, or reopens it."""

    def post(self, request):
        services.require_city_admin(request.user, _("close a month"))
        form = MonthClosingForm(request.POST)
        back = reverse("projects:four_lists")
        if not form.is_valid():
            messages.error(request, _("The request to close or reopen a month is incomplete."))
            return HttpResponseRedirect(back)
        month, action = form.cleaned_data["month"].replace(day=1), form.cleaned_data["action"]
        try:
            if action == "close":
                services.close_month(month, request.user)
                messages.success(request, _("%(month)s is closed; its lists are stored as they are now.") % {"month": f"{month:%Y-%m}"})
            elif action == "schedule":
                services.schedule_closing(month, form.cleaned_data["closes_on"], request.user)
                messages.success(request, _("The closing day was set."))
            else:
                services.reopen_month(month, request.user, form.cleaned_data["reason"])
                messages.success(request, _("%(month)s was reopened.") % {"month": f"{month:%Y-%m}"})
        except services.Refused as refusal:
            messages.error(request, str(refusal))
        return HttpResponseRedirect(f"{back}?month={month:%Y-%m}")


class MissingReportsView(View):
    def get(self, request):
        form, region, month = region_and_month(request, reported=True)
        projects = frames.projects_in(region).filter(actual_construction__lte=engine.month_end(month))
        missing = engine.missing_reports(
            frames.project_frame(projects), frames.report_frame(frames.reports_of_month(region, month)), month
        )
        missing = frames.with_regions(missing).sort("county", "code")
        return render(
            request, "projects/missing_reports.html",
            {"form": form, "month": month, "rows": missing.head(500).to_dicts(), "count": missing.height},
        )  # fmt: skip


# -- battle board --------------------------------------------------------------------------------------------

class BoardView(View):
    """挂图作战: per county, projects by stage, red/amber/green, land-to-start days, stalled, ≥1亿 and ≥10亿.

    Counted in the database (mujun.projects.board): the page never reads every project's row."""

    def get(self, request):
        form, region, _month = region_and_month(request)
        today = date.today()
        projects = frames.projects_in(region)
        counties = frames.county_names()
        summary, total = board.summary(projects, today, counties, _("Total"))
        # Every late or stalled project, a page at a time.
        flagged_page = BoundedPaginator(board.flagged(projects, today), 50).get_page(request.GET.get("page"))
        flagged_rows = [
            {
                "project": project, "county": counties.get(project.region_id), "next_planned": project.next_planned,
                "rag": project.rag, "rag_class": RAG_CLASSES[project.rag], "stalled": project.stalled,
            }  # fmt: skip
            for project in board.read_flagged(flagged_page.object_list, today)
        ]
        pages_query = request.GET.copy()
        pages_query.pop("page", None)
        return render(
            request, "projects/board.html",
            {
                "form": form, "today": today, "summary": summary.to_dicts(), "total": total.to_dicts(),
                "stages": [(s.value, s.label) for s in Stage], "flagged": flagged_rows, "flagged_page": flagged_page,
                "pages_query": pages_query.urlencode(),
                "amber_days": engine.AMBER_DAYS, "stalled_months": engine.STALLED_MONTHS,
            },
        )  # fmt: skip


# -- projects on the wall: start rates of the year's new projects, and the key lists -------------------------------

FLAG_CLASSES = {"red": "danger", "yellow": "warning", "green": "success", "none": "secondary"}


def plan_years() -> list[int]:
    """The plan years of the projects (the current year while there is none)."""
    return list(
        Project.objects.exclude(plan_year=None).order_by("plan_year").values_list("plan_year", flat=True).distinct()
    ) or [date.today().year]


def _start_chart(rows: list[dict]) -> str:
    counties = [row["county"] for row in rows]
    colours = {"red": "#dc3545", "yellow": "#ffc107", "green": "#198754", "none": "#adb5bd"}
    return chart_html(
        {
            "data": [
                {"type": "bar", "name": _("Start rate now (%)"), "x": counties, "y": [row["rate_now"] for row in rows],
                 "marker": {"color": [colours[row["flag"]] for row in rows]}},
                {"type": "scatter", "mode": "markers", "name": _("Target due (%)"), "x": counties,
                 "y": [row["target_due"] for row in rows], "marker": {"symbol": "line-ew-open", "size": 36, "color": "#212529"}},
            ],
            "layout": {
                "title": {"text": _("Start rate of new projects by county")}, "yaxis": {"title": {"text": "%"}, "range": [0, 105]},
                "height": 340, "margin": {"l": 50, "r": 20, "t": 50, "b": 60}, "showlegend": True,
            },
        }
    )  # fmt: skip


class StartRatesView(View):
    """新开工项目开工率: per county, the year's new projects started by each of the province's deadlines and now,
    against the targets, flagged red, yellow or green (mujun.engine.projects.start_rates)."""

    def get(self, request):
        years = plan_years()
        year = query_value(request, "year", forms.IntegerField(validators=year_validators())) or years[-1]
        today = date.today()
        per_county, total = wall.start_rates(year, today, _("Whole city"))
        deadlines = engine.start_deadlines(year)

        def shown(row: dict) -> dict:
            cells = [{"started": row[f"started_{key}"], "rate": row[f"rate_{key}"]} for key in deadlines]
            return {**row, "cells": cells, "flag_class": FLAG_CLASSES[row["flag"]]}

        rows = [shown(row) for row in per_county.to_dicts()]
        in_force = wall.targets(year)
        return render(
            request, "projects/start_rates.html",
            {
                "year": year, "years": sorted({*years, today.year}), "today": today, "rows": rows,
                "total": [shown(row) for row in total.to_dicts()],
                "deadlines": [
                    {"key": key, "label": wall.DEADLINE_LABELS[key], "date": day, "target": in_force[None][key]}
                    for key, day in deadlines.items()
                ],
                "due": engine.due_deadline(year, min(today, date(year, 12, 31))), "red_margin": in_force[None]["red_margin"],
                "chart": _start_chart(rows) if rows else "",
                "stored": StartTarget.objects.filter(year=year).select_related("region"),
                "can_set": getattr(request.user, "is_city_admin", False),
            },
        )  # fmt: skip


class StartTargetEditView(ObjectEditView):
    """A year's start-rate targets, of the whole city or a county: the city administrator sets them."""

    model = StartTarget
    form_class = StartTargetForm

    def dispatch(self, request, *args, **kwargs):
        services.require_city_admin(request.user, _("set start-rate targets"))
        return super().dispatch(request, *args, **kwargs)


class KeyListsView(View):
    """The five key lists (在谈, 签约未开工, 在建, 投产未上规, 县重点投资) of a region at the end of a month; their
    workbook is the four lists' (:func:`lists_workbook`)."""

    def get(self, request):
        form, region, month = region_and_month(request)
        if "export" in request.GET:
            return lists_workbook(lists.month_lists(region, month)[0], region, month, _place(region))
        thresholds = ListThresholds.current()
        stages = {**dict(Stage.choices), "negotiation": Lead.Status.NEGOTIATION.label}
        tabs = [
            {
                "key": key, "label": wall.KEY_LIST_TITLES[key][1], "count": frame.height,
                "rows": [{**row, "stage_label": stages.get(row["stage_at"])} for row in frame.head(200).to_dicts()],
                "total": frame["total_investment"].sum(),
                "threshold": thresholds[wall.KEY_LIST_TITLES[key][2]] if wall.KEY_LIST_TITLES[key][2] else None,
            }
            for key, frame in wall.key_lists(region, month).items()
        ]  # fmt: skip
        return render(
            request, "projects/key_lists.html",
            {
                "form": form, "tabs": tabs, "month": month, "place": _place(region), "querystring": request.GET.urlencode(),
                "can_set": getattr(request.user, "is_city_admin", False),
            },
        )  # fmt: skip


class ListThresholdsEditView(ObjectEditView):
    """The city's one record of key list thresholds (created on its first save)."""

    model = ListThresholds
    form_class = ListThresholdsForm

    def get_object(self):
        return ListThresholds.objects.first() or ListThresholds()


# -- major-project portfolio (千项万亿) --------------------------------------------------------------------------


def _bar_chart(frame: pl.DataFrame, by: str, labels: dict, title: str) -> str:
    names = [str(labels.get(v, v or "—")) for v in frame[by].to_list()]
    (plan, completed), unit = money_axis(frame["plan"].to_list(), frame["completed"].to_list())
    return chart_html(
        {
            "data": [
                {"type": "bar", "name": _("Annual plan"), "x": names, "y": plan, "marker": {"color": "#9ec5fe"}},
                {"type": "bar", "name": _("Completed"), "x": names, "y": completed, "marker": {"color": "#0d6efd"}},
            ],
            "layout": {
                "barmode": "group", "title": {"text": title}, "yaxis": {"title": {"text": unit}}, "height": 340,
                "margin": {"l": 50, "r": 20, "t": 50, "b": 80},
            },
        }
    )  # fmt: skip


def _month_chart(by_month: pl.DataFrame) -> str:
    months = [m.strftime("%Y-%m") for m in by_month["month"]]
    (in_month, cumulative), unit = money_axis(by_month["completed"].to_list(), by_month["cumulative"].to_list())
    return chart_html(
        {
            "data": [
                {"type": "bar", "name": _("Completed in the month"), "x": months, "y": in_month},
                {"type": "scatter", "name": _("Cumulative"), "x": months, "y": cumulative},
            ],
            "layout": {
                "title": {"text": _("By month")}, "xaxis": {"title": {"text": _("month")}},
                "yaxis": {"title": {"text": unit}}, "height": 340, "margin": {"l": 50, "r": 20, "t": 50, "b": 40},
            },
        }
    )  # fmt: skip


class PortfolioView(View):
    """千项万亿: the year's major projects by field, region and level, plan against completion, by month, and
    their element needs. Counted in the database (mujun.projects.portfolio): no project's row is read."""

    def get(self, request):
        years = plan_years()
        year = query_value(request, "year", forms.IntegerField(validators=year_validators())) or years[-1]
        level = query_value(request, "level", forms.ChoiceField(choices=Level.choices)) or ""
        figures = portfolio.portfolio(year, level, frames.county_names())
        labels = {"field": dict(Field.choices), "level": dict(Level.choices), "county": {}}
        tables, charts = [], []
        for by, title in (("field", _("By field")), ("county", _("By region")), ("level", _("By level"))):
            frame = figures.tables[by]
            tables.append(
                {
                    "title": title,
                    "rows": [{**row, "label": labels[by].get(row[by], row[by] or "—")} for row in frame.to_dicts()],
                }
            )
            charts.append(_bar_chart(frame, by, labels[by], title))
        charts.append(_month_chart(figures.by_month))
        elements = (
            ElementNeed.objects.filter(portfolio.planned(year, level, through="project__"))
            .values("element")
            .annotate(needed=Sum("needed"), granted=Sum("granted"), projects=Count("project"))
            .order_by("element")
        )
        element_labels = dict(ElementNeed.Element.choices)
        return render(
            request, "projects/portfolio.html",
            {
                "year": year, "years": years, "level": level, "levels": Level.choices, "tables": tables,
                "charts": charts, "count": figures.projects, "new": figures.new, "plan": figures.plan,
                "elements": [{**e, "label": element_labels[e["element"]]} for e in elements],
            },
        )  # fmt: skip


# -- investment attraction ------------------------------------------------------------------------------------


class LeadListView(ObjectListView):
    model = Lead
    table_class = LeadTable
    filterset_class = LeadFilterSet
    queryset = Lead.objects.select_related("region", "team", "project")
    add_url_name = "projects:lead_add"
    template_name = "projects/lead_list.html"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["funnel"] = dict(Lead.objects.values_list("status").annotate(n=Count("pk")).order_by())
        ctx["statuses"] = Lead.Status.choices
        return ctx


class LeadEditView(ObjectEditView):
    model = Lead
    form_class = LeadForm


class TeamListView(View):
    """Teams and their figures: projects of 1亿 or more signed, total investment, foreign capital used."""

    def get(self, request):
        signed = Q(leads__status__in=[Lead.Status.SIGNED, Lead.Status.PROJECT])
        teams = Team.objects.select_related("region").annotate(
            leads_count=Count("leads"),
            signed_count=Count("leads", filter=signed),
            big_count=Count("leads", filter=signed & Q(leads__planned_investment__gte=engine.BIG)),
            investment=Sum("leads__planned_investment", filter=signed),
            foreign=Sum("leads__foreign_capital_usd", filter=signed),
        )
        chains = (
            Lead.objects.exclude(chain_tags="").values("chain_tags").annotate(n=Count("pk"), investment=Sum("planned_investment")).order_by("-n")[:20]
        )
        return render(
            request, "projects/team_list.html",
            {"teams": teams, "chains": chains, "can_edit": request.user.can_edit},
        )  # fmt: skip


class TeamEditView(ObjectEditView):
    model = Team
    form_class = TeamForm


class ElementNeedEditView(ObjectEditView):
    model = ElementNeed
    form_class = ElementNeedForm
    parent_field = "project"


# -- the enterprise page's block ------------------------------------------------------------------------------


def enterprise_projects_context(enterprise) -> dict:
    """For ``projects/_enterprise_projects.html`` on the enterprise page: the enterprise's projects."""
    return {"enterprise_projects": list(enterprise.projects.select_related("region").order_by("-pk")[:50])}
