from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from mujun.core.exports import xlsx_response
from mujun.core.views import ObjectDetailView, ObjectEditView, ObjectListView, combined_history
from mujun.inspections import scoring, services
from mujun.inspections.filtersets import RoundFilterSet
from mujun.inspections.forms import CriterionForm, NominationForm, RoundForm
from mujun.inspections.models import Criterion, Nomination, Round, Score
from mujun.inspections.tables import RoundTable


class RoundListView(ObjectListView):
    model = Round
    table_class = RoundTable
    filterset_class = RoundFilterSet
    queryset = Round.objects.annotate(nomination_count=Count("nominations")).order_by("-year", "-quarter")
    add_url_name = "inspections:round_add"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if not self.request.user.is_city_admin:
            ctx["add_url_name"] = ""  # rounds are the city's; counties nominate inside them
        return ctx


class RoundDetailView(ObjectDetailView):
    model = Round
    template_name = "inspections/round_detail.html"

    def get_extra_context(self, obj):
        user = self.request.user
        nominations = list(
            obj.nominations.select_related("region", "project").annotate(
                judge_count=Count("scores__judge", distinct=True)
            )
        )
        criteria = list(obj.criteria.all())
        return {
            "criteria": criteria,
            "weight_total": sum(c.weight for c in criteria),
            "nominations": nominations,
            "is_judge": services.is_judge(user),
            "can_manage": user.is_city_admin,
            "can_nominate": user.can_edit and obj.status == Round.Status.DRAFT,
            "history": combined_history([obj, *criteria, *nominations]),
            "history_objects": True,
        }


class RoundEditView(ObjectEditView):
    model = Round
    form_class = RoundForm

    def refuse_in_state(self, request):
        if self.object.pk and self.object.is_closed:
            messages.error(request, _("the round is closed and locked: it cannot be changed"))
            return HttpResponseRedirect(self.object.get_absolute_url())
        return None


class RoundPartEditView(ObjectEditView):
    """Criteria and nominations: changed only while the round is a draft, so every judge scores the same
    rubric and the same projects."""

    parent_field = "round"

    def refuse_in_state(self, request):
        round_ = self.object.round
        if round_.status != Round.Status.DRAFT:
            messages.error(
                request,
                _("the rubric and the projects cannot change once scoring has begun"),
            )
            return HttpResponseRedirect(round_.get_absolute_url())
        return None


class CriterionEditView(RoundPartEditView):
    model = Criterion
    form_class = CriterionForm


class NominationEditView(RoundPartEditView):
    model = Nomination
    form_class = NominationForm


class RoundStatusView(View):
    """Open a draft round for scoring, or close an open one (which locks and publishes it)."""

    def post(self, request, pk):
        if not request.user.is_city_admin:
            raise PermissionDenied(_("Only a city administrator opens and closes rounds."))
        round_ = get_object_or_404(Round, pk=pk)
        try:
            if request.POST.get("action") == "open":
                services.open_round(round_)
                messages.success(request, _("The round is open for scoring."))
            elif request.POST.get("action") == "close":
                services.close_round(round_)
                messages.success(request, _("The round is closed; its scoreboard is published."))
                return HttpResponseRedirect(reverse("inspections:scoreboard", args=[pk]))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return HttpResponseRedirect(round_.get_absolute_url())


def _require_judge(user) -> None:
    if not services.is_judge(user):
        raise PermissionDenied(_("only judges may score"))


class JudgeRoundView(View):
    """A judge's phone page: the round's stops in route order, which ones they scored."""

    def get(self, request, pk):
        _require_judge(request.user)
        round_ = get_object_or_404(Round, pk=pk)
        scored = set(
            Score.objects.filter(nomination__round=round_, judge=request.user).values_list("nomination_id", flat=True)
        )
        nominations = list(round_.nominations.select_related("region"))
        return render(
            request,
            "inspections/judge_round.html",
            {"round": round_, "nominations": nominations, "scored": scored, "done": len(scored)},
        )


class ScoreView(View):
    """A judge scores one project on site: one field per criterion, sent once."""

    def get_nomination(self, pk):
        return get_object_or_404(Nomination.objects.select_related("round", "region"), pk=pk)

    def get(self, request, pk):
        _require_judge(request.user)
        return self.render(self.get_nomination(pk), {}, [])

    def post(self, request, pk):
        _require_judge(request.user)
        nomination = self.get_nomination(pk)
        values = {c.pk: request.POST.get(f"criterion-{c.pk}", "") for c in nomination.round.criteria.all()}
        try:
            services.submit_scores(nomination, request.user, values)
        except ValidationError as error:
            return self.render(nomination, values, error.messages, status=400)
        messages.success(request, _("Scores for %(project)s saved.") % {"project": nomination})
        return HttpResponseRedirect(reverse("inspections:judge_round", args=[nomination.round_id]))

    def render(self, nomination, values, problems, status=200):
        own = {
            s.criterion_id: s.value for s in Score.objects.filter(nomination=nomination, judge=self.request.user)
        }
        criteria = [
            {"criterion": c, "value": own.get(c.pk, values.get(c.pk, ""))} for c in nomination.round.criteria.all()
        ]
        return render(
            self.request,
            "inspections/score_form.html",
            {
                "nomination": nomination,
                "round": nomination.round,
                "criteria": criteria,
                "already_scored": bool(own),
                "problems": problems,
            },
            status=status,
        )


class ScoreboardView(View):
    """The published scoreboard of a closed round: page, printable page, or workbook."""

    template_name = "inspections/scoreboard.html"

    def get(self, request, pk):
        round_ = get_object_or_404(Round, pk=pk)
        if not round_.is_closed:
            # Judges must not see each other's scores while the round is open.
            raise Http404(_("the round is not closed: its scores are not published"))
        board = scoring.scoreboard(round_)
        if request.GET.get("format") == "xlsx":
            return xlsx_response(scoring.scoreboard_sheets(board), f"{round_.name}-评分结果.xlsx")
        return render(request, self.template_name, {"round": round_, "board": board})


class ScoreboardPrintView(ScoreboardView):
    template_name = "inspections/scoreboard_print.html"


def compare(request):
    rounds, counties, chart = scoring.comparison()
    return render(request, "inspections/compare.html", {"rounds": rounds, "counties": counties, "chart": chart})
