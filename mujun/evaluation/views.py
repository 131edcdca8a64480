"""Pages of the evaluation: schemes, runs with their progress and results, exports, the enterprise block."""

import datetime as dt
import tempfile

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from mujun.core.exports import workbook_file_response, xlsx_response
from mujun.core.history import one_history_row
from mujun.core.queries import query_value
from mujun.core.scoping import can_edit_record, require_edit
from mujun.core.uploads import RecordFileView
from mujun.core.views import ObjectDeleteView, ObjectDetailView, ObjectEditView, ObjectListView, history_rows
from mujun.engine.io import write_workbook
from mujun.engine.scheme import PRESETS, SchemeError, preset_toml
from mujun.evaluation import charts, policy_lists, services
from mujun.evaluation.filtersets import ResultFilterSet, RobustnessResultFilterSet, RunFilterSet, SchemeFilterSet
from mujun.enterprises.forms import EnterpriseYearForm
from mujun.enterprises.models import EnterpriseYear
from mujun.evaluation.forms import (
    DecisionForm, ObjectionForm, PostingForm, ProvincialAverageForm, RobustnessForm, RunForm, SchemeForm,
)  # fmt: skip
from mujun.evaluation.grades import posted_results, published_grades, require_visible_run, visible_runs
from mujun.core.clock import local_today
from mujun.evaluation.models import Objection, ProvincialAverage, Result, RobustnessAnalysis, RobustnessResult, Run, Scheme
from mujun.evaluation.tables import (
    ProvincialAverageTable, ResultTable, RobustnessResultTable, RunTable, SchemeTable, grade_badge,
)  # fmt: skip

# --------------------------------------------------------------------------------------------------
# Schemes


class SchemeListView(ObjectListView):
    model = Scheme
    table_class = SchemeTable
    filterset_class = SchemeFilterSet
    queryset = Scheme.objects.select_related("region").annotate(run_count=Count("runs")).order_by("-year", "name")
    template_name = "evaluation/scheme_list.html"
    add_url_name = ""  # schemes start from a preset or a copy, offered on the page

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "presets": PRESETS}


class SchemeDetailView(ObjectDetailView):
    model = Scheme
    template_name = "evaluation/scheme_detail.html"

    def get_extra_context(self, obj):
        try:
            parsed, problems = obj.parsed(), []
        except SchemeError as exc:
            parsed, problems = None, exc.messages(get_language())
        return {
            "scheme": parsed,
            "problems": problems,
            "runs": visible_runs(self.request.user, obj.runs.select_related("region")).order_by("-created_at")[:20],
            "can_add": self.request.user.can_edit,
        }


class SchemeEditView(ObjectEditView):
    """Edit a scheme's TOML; a new scheme starts from ``?preset=<id>`` or ``?copy=<scheme pk>``."""

    model = Scheme
    form_class = SchemeForm
    template_name = "evaluation/scheme_edit.html"

    def get_object(self):
        scheme = super().get_object()
        if scheme.pk:
            return scheme
        preset = self.request.GET.get("preset")
        if preset in PRESETS:
            scheme.preset, scheme.toml = preset, preset_toml(preset)
        elif source := query_value(self.request, "copy", forms.ModelChoiceField(Scheme.objects.all())):
            scheme.preset, scheme.toml, scheme.region = source.preset, source.toml, source.region
        else:
            first = next(iter(PRESETS))
            scheme.preset, scheme.toml = first, preset_toml(first)
        if not self.request.user.is_city_admin:
            scheme.region = self.request.user.region
        return scheme

    def render(self, form):
        return render(
            self.request,
            self.template_name,
            {"form": form, "object": self.object, "model_name": self.model._meta.verbose_name, "presets": PRESETS},
        )


# --------------------------------------------------------------------------------------------------
# Runs


class RunListView(ObjectListView):
    model = Run
    table_class = RunTable
    filterset_class = RunFilterSet
    # The table shows none of a run's or scheme's long texts (summary, scheme as run, TOML): not read.
    queryset = Run.objects.select_related("region", "scheme", "created_by").defer(
        "summary", "scheme_toml", "message", "scheme__toml"
    )
    add_url_name = "evaluation:run_add"

    def get_queryset(self):
        # Others' drafts are not listed: only the author and city administrators see a draft.
        return visible_runs(self.request.user, super().get_queryset())


class RunCreateView(View):
    template_name = "evaluation/run_add.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.can_edit:
            raise PermissionDenied(_("You may not create evaluation runs."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form = RunForm(user=request.user)
        # ``?scheme=`` (a scheme page's "new run") fills in the scheme and its year.
        if scheme := query_value(request, "scheme", form.fields["scheme"]):
            form.initial.update(scheme=scheme.pk, year=scheme.year)
        return self.render(form)

    def post(self, request):
        form = RunForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render(form)
        run = form.save(commit=False)
        require_edit(request.user, run)
        run.created_by = request.user
        run.save()
        services.start_run(run, request.user)
        messages.success(request, _("Run %(run)s started.") % {"run": run})
        return HttpResponseRedirect(run.get_absolute_url())

    def render(self, form):
        return render(self.request, self.template_name, {"form": form})


def run_actions(user, run: Run) -> dict:
    """What the user may do with the run now, as the page offers it and the views enforce it."""
    editable = can_edit_record(user, run)
    return {
        # A posted run changes only through the review of objections, a published one never.
        "can_rerun": editable and not run.is_locked and run.is_finished,
        "can_delete": editable and not run.is_locked and run.is_finished,
        "can_post": services.can_post(user, run),
        "can_publish": user.is_city_admin and run.is_posted,
        "can_reproduce": editable and run.has_results and bool(run.input_snapshot),
    }


# The engine's per-region summary (mujun.engine.evaluation.summarise), as the run page labels it.
REGION_SUMMARY_COLUMNS = [
    ("region", gettext_lazy("region")),
    ("enterprises", gettext_lazy("Enterprises")),
    ("evaluated", gettext_lazy("Evaluated")),
    *((grade, grade) for grade in Result.GRADES),
    ("out_of_scope", gettext_lazy("Out of scope")),
    ("invalid", gettext_lazy("Invalid data")),
    ("land_mu", gettext_lazy("Land evaluated (mu)")),
    ("tax", gettext_lazy("Tax (10k yuan)")),
    ("tax_per_mu", gettext_lazy("Tax per mu")),
]


class RunDetailView(ObjectDetailView):
    model = Run
    template_name = "evaluation/run_detail.html"

    def get_object(self):
        run = get_object_or_404(Run.objects.select_related("scheme", "region", "created_by"), pk=self.kwargs["pk"])
        require_visible_run(self.request.user, run)
        return run

    def get_extra_context(self, run):
        summary = run.summary or {}
        grades = summary.get("grades", {})
        return {
            "run": run,
            "grade_cards": [(g, grades.get(g, 0), grade_badge(g)) for g in Result.GRADES],
            "statuses": [
                (Result.Status(s).label, n) for s, n in summary.get("statuses", {}).items() if s in Result.Status.values
            ],
            "groups": summary.get("groups", {}),
            "chart": charts.grade_distribution(summary) if run.has_results else "",
            "region_columns": REGION_SUMMARY_COLUMNS,
            "region_rows": [
                [row.get(key) for key, _ in REGION_SUMMARY_COLUMNS] for row in summary.get("region_table", [])
            ],
            **policy_list_context(run),
            **run_actions(self.request.user, run),
            **cycle_context(self.request.user, run),
        }


def run_progress(request, pk):
    """The progress fragment the run page polls; once the run is finished the page reloads itself."""
    run = get_object_or_404(Run, pk=pk)
    require_visible_run(request.user, run)
    if run.is_finished and request.htmx:
        return HttpResponseClientRefresh()
    return render(request, "evaluation/_run_progress.html", {"run": run})


def _editable_run(request, pk, *, unfrozen: bool) -> Run:
    run = get_object_or_404(Run, pk=pk)
    require_visible_run(request.user, run)
    require_edit(request.user, run)
    if unfrozen and run.is_frozen:
        raise PermissionDenied(_("A published run is frozen."))
    if unfrozen and run.is_posted:
        raise PermissionDenied(_("A run posted for public notice changes only through the review of objections."))
    return run


@require_POST
def run_rerun(request, pk):
    run = _editable_run(request, pk, unfrozen=True)
    if not run.is_finished:
        messages.warning(request, _("The run is still in progress."))
    else:
        try:
            services.start_run(run, request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Run %(run)s started again.") % {"run": run})
    return HttpResponseRedirect(run.get_absolute_url())


@require_POST
def run_publish(request, pk):
    run = get_object_or_404(Run, pk=pk)
    try:
        services.publish_run(run, request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Run %(run)s published; it can no longer be changed.") % {"run": run})
    return HttpResponseRedirect(run.get_absolute_url())


@require_POST
def run_reproduce(request, pk):
    run = get_object_or_404(Run, pk=pk)
    require_visible_run(request.user, run)
    if not run_actions(request.user, run)["can_reproduce"]:
        raise PermissionDenied(_("This run cannot be reproduced."))
    outcome = services.reproduce_run(run)
    if outcome.identical:
        messages.success(
            request,
            _(
                "Reproduced: evaluating the stored input with the stored scheme gives identical results "
                "for all %(count)d enterprises."
            )
            % {"count": outcome.compared},
        )
    else:
        messages.error(
            request,
            _("Not reproducible: %(differing)d of %(count)d results differ.")
            % {"differing": outcome.differing, "count": outcome.compared}
            + " "
            + "; ".join(outcome.examples),
        )
    return HttpResponseRedirect(run.get_absolute_url())


class RunDeleteView(ObjectDeleteView):
    model = Run
    template_name = "evaluation/run_confirm_delete.html"
    list_url_name = "evaluation:run_list"

    def get_object(self):
        return _editable_run(self.request, self.kwargs["pk"], unfrozen=True)

    def delete_object(self, run):
        services.delete_run(run)


# --------------------------------------------------------------------------------------------------
# Results


class RunResultsView(ObjectListView):
    """A run's results: filterable, sortable, paginated; counted once (by the table's paginator)."""

    model = Result
    table_class = ResultTable
    filterset_class = ResultFilterSet
    template_name = "evaluation/run_results.html"

    def dispatch(self, request, *args, **kwargs):
        self.run = get_object_or_404(Run.objects.select_related("region", "scheme"), pk=kwargs["pk"])
        require_visible_run(request.user, self.run)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        # The page shows no indicator or policy: their JSON stays in the database.
        results = self.run.results.select_related("enterprise", "region").defer("indicators", "policies")
        self.robustness = RobustnessAnalysis.latest_of(self.run)
        if self.robustness is None:
            return results
        kept = self.robustness.results.filter(result=OuterRef("pk")).values("p_grade")[:1]
        return results.annotate(p_grade=Subquery(kept))

    def get_filterset_kwargs(self, filterset_class):
        return {**super().get_filterset_kwargs(filterset_class), "run": self.run}

    def get_table_kwargs(self):
        groups = (self.run.summary or {}).get("groups", {})
        return {
            "group_labels": {gid: g["label"] for gid, g in groups.items()},
            "fragile_below": self.robustness.threshold if self.robustness else None,
        }

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(run=self.run, title=_("Results of %(run)s") % {"run": self.run}, add_url_name="", import_url_name="")
        ctx["robustness"] = self.robustness
        return ctx


def run_export(request, pk):
    """The run's results (as filtered on the results page) as an Excel workbook. A published run never
    changes, so its unfiltered workbook is written once into MEDIA and served from there afterwards."""
    run = get_object_or_404(Run, pk=pk)
    require_visible_run(request.user, run)
    if not run.has_results:
        raise Http404(_("The run has no results."))
    filterset = ResultFilterSet(request.GET, queryset=run.results.all(), run=run)
    filtered = filterset.is_valid() and any(filterset.form.cleaned_data.get(name) for name in filterset.filters)
    queryset = filterset.qs if filterset.is_valid() else run.results.all()
    filename = f"{run.name}.xlsx"

    def sheets():
        return {
            _("Results"): services.results_export_frame(run, queryset),
            _("Summary"): services.summary_export_frame(run),
        }

    if not run.is_frozen or filtered:
        return xlsx_response(sheets(), filename)
    stored = f"exports/run-{run.pk}-results-{get_language()}.xlsx"
    if not default_storage.exists(stored):
        with tempfile.TemporaryFile() as handle:
            write_workbook(sheets(), handle)
            handle.seek(0)
            stored = default_storage.save(stored, File(handle))
    return workbook_file_response(default_storage.open(stored, "rb"), filename)


def run_policies(request, pk):
    run = get_object_or_404(Run.objects.select_related("region", "scheme"), pk=pk)
    require_visible_run(request.user, run)
    return render(request, "evaluation/run_policies.html", {"run": run, **policy_list_context(run)})


def policy_list_context(run: Run) -> dict:
    """The run's lists for the agencies that apply its policies, and its lists per grade."""
    if not run.has_results:
        return {"recipient_lists": [], "grade_lists": []}
    return {"recipient_lists": policy_lists.recipient_lists(run), "grade_lists": policy_lists.grade_lists(run)}


def run_recipient_export(request, pk, recipient):
    """One recipient's list as the workbook it expects, e.g. the power company's surcharge list."""
    run = get_object_or_404(Run, pk=pk)
    require_visible_run(request.user, run)
    try:
        item = policy_lists.recipient_list(run, recipient)
    except KeyError:
        raise Http404(_("The scheme has no such policy list.")) from None
    return xlsx_response(item.sheets(), item.filename(run))


def run_policy_export(request, pk, grade):
    """One differentiated-policy list: the enterprises of a grade with its policies (or one of them,
    ``?policy=<key>``), e.g. the D-class list with the electricity surcharge for the power company."""
    run = get_object_or_404(Run, pk=pk)
    require_visible_run(request.user, run)
    key = request.GET.get("policy") or None
    try:
        frame = services.policy_export_frame(run, grade, key)
    except KeyError:
        raise Http404(_("The scheme has no such policy list.")) from None
    return xlsx_response({grade: frame}, services.policy_list_filename(run, grade, key))


# --------------------------------------------------------------------------------------------------
# An enterprise's own result in a run, and the enterprise page's evaluation block


def run_snapshot(request, pk):
    """The run's input snapshot, handed out like the run's other files: a draft's only to whom sees it."""
    require_visible_run(request.user, get_object_or_404(Run, pk=pk))
    return RecordFileView.as_view(model=Run, field="input_snapshot")(request, pk=pk)


def result_indicators(result: Result) -> list[dict]:
    """Each indicator of the result's group: its label, weight and benchmark in the run, and the
    enterprise's value and score."""
    group = (result.run.summary or {}).get("groups", {}).get(result.group, {})
    rows = []
    for indicator in group.get("indicators", []):
        outcome = (result.indicators or {}).get(indicator["id"]) or {}
        rows.append({**indicator, "value": outcome.get("value"), "score": outcome.get("score")})
    return rows


def result_adjustments(result: Result) -> list[dict]:
    """The penalty and bonus items of the result's group, with the points each gave the enterprise."""
    group = (result.run.summary or {}).get("groups", {}).get(result.group, {})
    return [
        {**adjustment, "given": ((result.indicators or {}).get(adjustment["id"]) or {}).get("points")}
        for adjustment in group.get("adjustments", [])
    ]


def _result_row(result: Result) -> dict:
    group = (result.run.summary or {}).get("groups", {}).get(result.group, {})
    return {
        "result": result,
        "run": result.run,
        "year": result.run.year,
        "group": group.get("label", result.group),
        "ranked_of": group.get("evaluated"),
        "grade_badge": grade_badge(result.grade),
        "url": reverse("evaluation:result_detail", args=[result.run_id, result.enterprise_id]),
    }


def result_detail(request, pk, enterprise_pk):
    """One enterprise's result in one run: group, status and reason, total, rank, grade and the indicators."""
    run = get_object_or_404(Run.objects.select_related("region", "scheme"), pk=pk)
    require_visible_run(request.user, run)
    result = get_object_or_404(run.results.select_related("enterprise", "region"), enterprise_id=enterprise_pk)
    result.run = run
    return render(
        request,
        "evaluation/result_detail.html",
        {
            "run": run, "row": _result_row(result), "result": result, "indicators": result_indicators(result),
            "adjustments": result_adjustments(result),
            "can_object": services.can_object(request.user, result),
            "objections": result.objections.select_related("filed_by") if run.is_locked else [],
        },  # fmt: skip
    )


def enterprise_evaluation_context(enterprise) -> dict:
    """The enterprise's published grades, one per year (newest first), each linking to its result, and the
    newest one's indicators (value, benchmark, weight, score). Drafts never show here: outside its own run
    page only a published run counts. For ``evaluation/_enterprise_evaluation.html``."""
    grades = published_grades([enterprise.pk]).get(enterprise.pk, [])
    history = [_result_row(grade.result) for grade in grades]
    latest = grades[0].result if grades else None
    return {
        "evaluation_posted": list(posted_results(enterprise.pk)),
        "evaluation_history": history,
        "evaluation_latest": latest,
        "evaluation_indicators": result_indicators(latest) if latest is not None else [],
    }


# --------------------------------------------------------------------------------------------------
# Posting (公示), objections and review


def cycle_context(user, run: Run) -> dict:
    """The run page's posting, objections and review sections."""
    today = local_today()
    objections = list(run.objections.select_related("result__enterprise", "filed_by", "decided_by"))
    pending = sum(1 for objection in objections if objection.is_pending)
    publish_blockers = []
    if run.is_posted:
        if today <= run.posting_ends_on:
            publish_blockers.append(
                _("The posting window ends on %(end)s: publish from the day after.") % {"end": run.posting_ends_on}
            )
        if pending:
            publish_blockers.append(
                _("%(count)d objections await review.") % {"count": pending}
            )
    return {
        "today": today,
        "posting_open": run.posting_open_on(today),
        # Towns and county operators object; the page offers it to them while the window is open.
        "can_file_objections": run.posting_open_on(today) and user.role == user.Role.COUNTY_OPERATOR,
        # A week from today by default (Jingning posts seven days, Wenling six).
        "posting_form": (
            PostingForm(initial={"posting_starts_on": today, "posting_ends_on": today + dt.timedelta(days=6)})
            if services.can_post(user, run)
            else None
        ),
        "objections": objections,
        "pending_objections": pending,
        "publish_blockers": publish_blockers,
        "changed_on_review": services.review_changes(run)[:200] if run.is_locked else [],
    }


@require_POST
def run_post(request, pk):
    """Post a finished run for public notice with its window."""
    run = get_object_or_404(Run, pk=pk)
    require_visible_run(request.user, run)
    require_edit(request.user, run)  # who may not post it is refused before the dates are read
    form = PostingForm(request.POST, instance=Run.objects.get(pk=run.pk))
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return HttpResponseRedirect(run.get_absolute_url())
    try:
        services.post_run(
            run, request.user, form.cleaned_data["posting_starts_on"], form.cleaned_data["posting_ends_on"]
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Run %(run)s posted for public notice from %(start)s to %(end)s.")
            % {"run": run, "start": run.posting_starts_on, "end": run.posting_ends_on},
        )
    return HttpResponseRedirect(run.get_absolute_url())


def run_posting(request, pk):
    """The posted list as the public sees it: name, credit code and grade as posted."""
    run = get_object_or_404(Run.objects.select_related("region"), pk=pk)
    require_visible_run(request.user, run)
    if not run.is_locked:
        raise Http404(_("The run has not been posted for public notice."))
    rows = (
        run.results.exclude(posted_grade="")
        .order_by("posted_grade", "group", "unranked", "rank", "enterprise__uscc")
        .values("enterprise__name", "enterprise__uscc", "posted_grade")
    )
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/run_posting.html",
        {"run": run, "title": services.posting_title(run), "page": page, "notes": services.posting_notes(run)},
    )


def run_posting_export(request, pk):
    """The notice the county prints: a title row, the list, the window and how to object."""
    run = get_object_or_404(Run.objects.select_related("region"), pk=pk)
    require_visible_run(request.user, run)
    if not run.is_locked:
        raise Http404(_("The run has not been posted for public notice."))
    sheets, titles, notes = services.posting_notice(run)
    return xlsx_response(sheets, f"{services.posting_title(run)}.xlsx", titles=titles, notes=notes)


def objection_add(request, pk):
    """File an objection to one enterprise's posted grade (the enterprise's town or county operator)."""
    run = get_object_or_404(Run.objects.select_related("region"), pk=pk)
    require_visible_run(request.user, run)
    if request.user.role != request.user.Role.COUNTY_OPERATOR:  # nobody else files (services.objection_filed_as)
        raise PermissionDenied(
            _("Only the enterprise's town, or the operator of its county on its behalf, files an objection to its grade.")
        )
    initial = {}
    # ``?enterprise=<id>`` (the result page's button) fills in the enterprise's credit code.
    if enterprise_id := query_value(request, "enterprise", forms.IntegerField(min_value=1, max_value=2**31 - 1)):
        if result := run.results.select_related("enterprise").filter(enterprise_id=enterprise_id).first():
            initial["uscc"] = result.enterprise.uscc
    form = ObjectionForm(request.POST or None, request.FILES or None, run=run, initial=initial)
    if request.method == "POST" and form.is_valid():
        result = form.instance.result
        try:
            objection = services.file_objection(
                result, request.user, form.cleaned_data["reason"], form.cleaned_data.get("evidence")
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Objection to the grade of %(enterprise)s filed.") % {"enterprise": result.enterprise}
            )
            return HttpResponseRedirect(objection.get_absolute_url())
    return render(request, "evaluation/objection_add.html", {"run": run, "form": form})


def _figures_form(request, objection: Objection):
    """The enterprise's figures for the run's year, as the enterprises' own form edits them (a correction)."""
    year = EnterpriseYear.objects.filter(enterprise_id=objection.result.enterprise_id, year=objection.run.year).first()
    if year is None:
        return None
    data = request.POST if request.method == "POST" and request.POST.get("decision") == "corrected" else None
    form = EnterpriseYearForm(data, instance=year, user=request.user, prefix="figures")
    form.fields["year"].disabled = True
    return form


def objection_detail(request, pk, objection_pk):
    """An objection with its evidence and history; a city administrator decides it here."""
    run = get_object_or_404(Run.objects.select_related("region"), pk=pk)
    require_visible_run(request.user, run)
    objection = get_object_or_404(
        run.objections.select_related("result__enterprise", "result__region", "filed_by", "decided_by"), pk=objection_pk
    )
    can_decide = request.user.is_city_admin and objection.is_pending and run.is_posted
    decision_form = DecisionForm(request.POST or None) if can_decide else None
    figures_form = _figures_form(request, objection) if can_decide else None
    if request.method == "POST":
        if not can_decide:
            raise PermissionDenied(_("Only a city administrator decides a pending objection of a posted run."))
        decided = _decide(request, run, objection, decision_form, figures_form)
        if decided is not None:
            return decided
    return render(
        request,
        "evaluation/objection_detail.html",
        {
            "run": run,
            "objection": objection,
            "result": objection.result,
            "decision_form": decision_form,
            "figures_form": figures_form,
            "history": history_rows(objection),
        },
    )


def _decide(request, run, objection, decision_form, figures_form):
    """Decide (and for a correction, save the corrected figures first, in one transaction); the response,
    or None to show the forms again with their errors."""
    if not decision_form.is_valid():
        return None
    decision = decision_form.cleaned_data["decision"]
    correcting = decision == Objection.Decision.CORRECTED
    if correcting and (figures_form is None or not figures_form.is_valid()):
        if figures_form is None:
            decision_form.add_error("decision", _("The enterprise has no figures for this year to correct."))
        return None
    try:
        with transaction.atomic():
            if correcting:
                figures = figures_form.save(commit=False)
                require_edit(request.user, figures)
                with one_history_row(figures):
                    figures.save()
            services.decide_objection(
                objection, request.user, decision, decision_form.cleaned_data["reason"],
                decision_form.cleaned_data.get("grade") or "",
            )  # fmt: skip
    except ValidationError as error:
        if hasattr(error, "error_dict"):
            for field, errors in error.message_dict.items():
                target = {"decision_reason": "reason", "grade_after": "grade"}.get(field, None)
                for message in errors:
                    decision_form.add_error(target if target in decision_form.fields else None, message)
        else:
            decision_form.add_error(None, error)
        return None
    objection.refresh_from_db()
    messages.success(
        request,
        _("Objection decided: %(decision)s (grade %(before)s → %(after)s).")
        % {"decision": objection.get_decision_display(), "before": objection.grade_before or "—",
           "after": objection.grade_after or "—"},
    )  # fmt: skip
    if correcting:
        return HttpResponseRedirect(reverse("evaluation:run_changes", args=[run.pk]))
    return HttpResponseRedirect(objection.get_absolute_url())


def objection_evidence(request, pk, objection_pk):
    require_visible_run(request.user, get_object_or_404(Run, pk=pk))
    view = RecordFileView.as_view(
        model=Objection, field="evidence", lookups={"pk": "run_id", "objection_pk": "pk"},
        filename_field="evidence_name",
    )  # fmt: skip
    return view(request, pk=pk, objection_pk=objection_pk)


def run_changes(request, pk):
    """What the review changed: every enterprise whose grade differs from the grade as posted, and each
    recompute's grade changes (before → after)."""
    run = get_object_or_404(Run.objects.select_related("region"), pk=pk)
    require_visible_run(request.user, run)
    recomputes = list(reversed((run.summary or {}).get("review_recomputes", [])))
    return render(
        request,
        "evaluation/run_changes.html",
        {"run": run, "changed": services.review_changes(run), "recomputes": recomputes},
    )


# --------------------------------------------------------------------------------------------------
# Grade robustness


def run_robustness(request, pk):
    """The run's robustness analyses, and the form that starts one (its editors, before the run is posted)."""
    run = get_object_or_404(Run.objects.select_related("region", "scheme"), pk=pk)
    require_visible_run(request.user, run)
    can_start = services.can_analyse_robustness(request.user, run)
    form = RobustnessForm(request.POST or None)
    if request.method == "POST":
        if not can_start:
            raise PermissionDenied(_("Grade robustness is analysed for a finished run before it is posted for public notice."))
        if form.is_valid():
            analysis = services.start_robustness(run, request.user, **form.cleaned_data)
            return HttpResponseRedirect(analysis.get_absolute_url())
    return render(
        request,
        "evaluation/run_robustness.html",
        {"run": run, "form": form, "can_start": can_start, "analyses": run.robustness_analyses.select_related("created_by")},
    )


class RobustnessResultsView(ObjectListView):
    """One analysis: its settings and summary (the share of stable grades), and its enterprises, least certain
    first, fragile grades marked and filterable."""

    model = RobustnessResult
    table_class = RobustnessResultTable
    filterset_class = RobustnessResultFilterSet
    template_name = "evaluation/robustness_detail.html"

    def dispatch(self, request, *args, **kwargs):
        self.run = get_object_or_404(Run.objects.select_related("region", "scheme"), pk=kwargs["pk"])
        require_visible_run(request.user, self.run)
        self.analysis = get_object_or_404(self.run.robustness_analyses, pk=kwargs["analysis_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return self.analysis.results.select_related("result__enterprise")

    def get_filterset_kwargs(self, filterset_class):
        return {**super().get_filterset_kwargs(filterset_class), "analysis": self.analysis}

    def get_table_kwargs(self):
        groups = (self.run.summary or {}).get("groups", {})
        return {"threshold": self.analysis.threshold, "group_labels": {gid: g["label"] for gid, g in groups.items()}}

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        share = self.analysis.stable_share
        ctx.update(
            run=self.run, analysis=self.analysis, add_url_name="", import_url_name="",
            heading=_("Grade robustness of %(run)s") % {"run": self.run},
            title=_("Graded enterprises, least certain grade first"),
            stable_percent=f"{share * 100:.1f}" if share is not None else "—",
            threshold_percent=f"{self.analysis.threshold * 100:g} %",
        )  # fmt: skip
        return ctx


# --------------------------------------------------------------------------------------------------
# The provincial per-mu averages the rankings compare with (mujun/evaluation/benchmarks.py): the city's to set


class ProvincialAverageListView(ObjectListView):
    model = ProvincialAverage
    table_class = ProvincialAverageTable
    filterset_class = None
    filterset_fields = ["year"]
    add_url_name = "evaluation:provincialaverage_add"
    add_by_city_admin = True


class ProvincialAverageEditView(ObjectEditView):
    """A record of no region: ObjectEditView lets only the city administrator change it."""

    model = ProvincialAverage
    form_class = ProvincialAverageForm
