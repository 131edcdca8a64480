"""The policy simulator page (a run's input under its scheme and a second one) and the per-firm explainer
panel of a result page. The computation is the engine's (mujun.engine.compare, mujun.engine.explain); this
module picks the run's snapshot and scheme, reads the user's second scheme or edits, and words the outcome."""

from __future__ import annotations

import dataclasses

import polars as pl
from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from mujun.core.exports import xlsx_response
from mujun.engine import compare as engine_compare
from mujun.engine import explain as engine_explain
from mujun.engine.evaluation import InvalidInput
from mujun.engine.scheme import BENCHMARK_KINDS, GRADES, SchemeError, parse_scheme, scheme_to_toml
from mujun.engine.scheme import Scheme as EngineScheme
from mujun.enterprises.models import EnterpriseYear
from mujun.evaluation import charts, services
from mujun.evaluation.grades import require_visible_run
from mujun.evaluation.models import Result, Run, Scheme

GRADE_KEYS = ("A", "B", "C", "D")


def _grading_field(group, grade: str) -> str:
    return f"grading__{group.id}__{grade}"


def _indicator_field(group, indicator, key: str) -> str:
    return f"{key}__{group.id}__{indicator.id}"


class CompareForm(forms.Form):
    """A saved scheme to compare with, or the run's scheme edited: each group's grade shares (or minimum
    totals) and each indicator's weight and benchmark, filled in with the run's."""

    scheme = forms.ModelChoiceField(
        Scheme.objects.order_by("-year", "name"), required=False, label=gettext_lazy("Second scheme"),
        empty_label=gettext_lazy("The run's scheme, edited below"),
    )  # fmt: skip

    def __init__(self, data, *, base: EngineScheme):
        super().__init__(data)
        self.base = base
        self.groups = []
        for group in base.groups:
            # Shares for A–D; minimum totals for A–C (D is what is left).
            grades = GRADE_KEYS if group.grading.method == "share" else GRADE_KEYS[:3]
            field = forms.FloatField
            grading = [
                (grade, self._add(_grading_field(group, grade), field(min_value=0), getattr(group.grading, grade)))
                for grade in grades
            ]
            indicators = [
                (
                    ind,
                    self._add(_indicator_field(group, ind, "weight"), forms.FloatField(min_value=0), ind.weight),
                    self._add(_indicator_field(group, ind, "benchmark"), forms.CharField(max_length=32), ind.benchmark),
                )
                for ind in group.indicators
            ]
            self.groups.append({"group": group, "grading": grading, "indicators": indicators})

    def _add(self, name: str, field: forms.Field, initial) -> forms.BoundField:
        """Add an optional field (left empty: the run's value) and return it bound, for the template."""
        field.initial = initial
        field.required = False
        self.fields[name] = field
        return self[name]

    def _number_or_rule(self, name: str, text: str):
        text = (text or "").strip()
        if text in BENCHMARK_KINDS:
            return text
        try:
            return float(text)
        except ValueError:
            self.add_error(name, _("Enter a number or one of %(rules)s.") % {"rules": ", ".join(BENCHMARK_KINDS)})
            return None

    def edited_scheme(self) -> EngineScheme:
        """The run's scheme with the edits, read back through the scheme parser so that every rule of a
        scheme (shares summing to 1, positive benchmarks …) holds; ValidationError lists what does not."""
        groups = []
        for group in self.base.groups:
            grading = {
                grade: value
                for grade in GRADE_KEYS
                if (value := self.cleaned_data.get(_grading_field(group, grade))) is not None
            }
            indicators = []
            for ind in group.indicators:
                weight = self.cleaned_data.get(_indicator_field(group, ind, "weight"))
                name = _indicator_field(group, ind, "benchmark")
                text = self.cleaned_data.get(name)
                benchmark = self._number_or_rule(name, text) if text else None
                indicators.append(dataclasses.replace(
                    ind, weight=ind.weight if weight is None else weight,
                    benchmark=ind.benchmark if benchmark is None else benchmark,
                ))  # fmt: skip
            groups.append(
                dataclasses.replace(
                    group, grading=dataclasses.replace(group.grading, **grading), indicators=tuple(indicators)
                )
            )
        if self.errors:
            raise ValidationError(_("Correct the edits marked below."))
        name = _("%(scheme)s (edited)") % {"scheme": self.base.name}
        edited = dataclasses.replace(self.base, name=name, groups=tuple(groups))
        try:
            return parse_scheme(scheme_to_toml(edited))
        except SchemeError as error:
            raise ValidationError(error.messages(get_language())) from None


def _comparable_run(request, pk) -> Run:
    run = get_object_or_404(Run.objects.select_related("region", "scheme"), pk=pk)
    require_visible_run(request.user, run)
    if not run.has_results or not run.input_snapshot:
        raise Http404(_("The run has no results to compare."))
    return run


def _second_scheme(form: CompareForm, run: Run) -> EngineScheme:
    chosen = form.cleaned_data.get("scheme")
    if chosen is None:
        return form.edited_scheme()
    try:
        return services.scheme_for_run(chosen.toml, run.year)  # the run's year: the same exemptions
    except SchemeError as error:
        raise ValidationError(error.messages(get_language())) from None


def _table(frame: pl.DataFrame, columns: list[tuple[str, str]]) -> dict:
    return {"headers": [label for _key, label in columns], "rows": frame.select(k for k, _l in columns).rows()}


def _side_columns(key: str, label) -> list[tuple[str, str]]:
    first, second = pgettext("scheme comparison", "first"), pgettext("scheme comparison", "second")
    return [(f"{key}_first", f"{label} · {first}"), (f"{key}_second", f"{label} · {second}")]


def _breakdown_columns(first: tuple[str, str]) -> list[tuple[str, str]]:
    return [
        first,
        ("enterprises", _("Enterprises")),
        *(column for grade in GRADES for column in _side_columns(grade, grade)),
        (engine_compare.UP, _("Up")),
        (engine_compare.DOWN, _("Down")),
        (engine_compare.OTHER, _("In or out of grading")),
        *_side_columns(engine_compare.SURCHARGE, _("Surcharges (yuan)")),
        *_side_columns(engine_compare.RELIEF, _("Relief (yuan)")),
    ]


CHANGED_SHOWN = 300


def compare_context(run: Run, comparison: engine_compare.Comparison, enterprise_ids: list[int]) -> dict:
    matrix = comparison.transition_matrix()
    categories = list(engine_compare.GRADE_CATEGORIES)
    names = {engine_compare.NOT_GRADED: _("Not graded")}
    with_ids = dataclasses.replace(
        comparison, rows=comparison.rows.with_columns(pl.Series("enterprise_id", enterprise_ids))
    )
    changed = with_ids.changed().head(CHANGED_SHOWN)
    money = comparison.money()
    change_names = {
        engine_compare.UP: _("Up"), engine_compare.DOWN: _("Down"), engine_compare.OTHER: _("In or out of grading")
    }
    kinds = {engine_compare.SURCHARGE: _("Surcharge collected"), engine_compare.RELIEF: _("Relief granted")}
    return {
        "counts": comparison.counts(),
        "categories": [names.get(c, c) for c in categories],
        "matrix": [
            (names.get(row["grade_first"], row["grade_first"]), [row[c] for c in categories], row["total"])
            for row in matrix.iter_rows(named=True)
        ],
        "by_region": _table(comparison.by_region(), _breakdown_columns(("region", _("region")))),
        "by_group": _table(comparison.by_group(), _breakdown_columns(("group_label", _("group")))),
        "money": [
            {**row, "kind": kinds[row["kind"]]} for row in money.iter_rows(named=True)
        ],
        "changed": [{**row, "change": change_names[row["change"]]} for row in changed.iter_rows(named=True)],
        "changed_more": max(comparison.counts()["changed"] - CHANGED_SHOWN, 0),
        "transition_chart": charts.transition_matrix(matrix, categories, names),
        "region_chart": charts.changes_by_region(comparison.by_region()),
        "money_chart": charts.policy_money(money),
        "first_name": comparison.first_scheme.name,
        "second_name": comparison.second_scheme.name,
    }


def run_compare(request, pk):
    """The policy simulator: the run's input under its scheme and under a second one (chosen or edited)."""
    run = _comparable_run(request, pk)
    base = services.scheme_for_run(run.scheme_toml, run.year)
    submitted = "compare" in request.GET or "export" in request.GET
    form = CompareForm(request.GET if submitted else None, base=base)
    context = {"run": run, "form": form, "problems": []}
    if submitted and form.is_valid():
        try:
            second = _second_scheme(form, run)
        except ValidationError as error:
            context["problems"] = error.messages
        else:
            snapshot = services.load_snapshot(run)
            try:
                comparison = engine_compare.compare(services.engine_input(snapshot), base, second, skip_invalid=True)
            except InvalidInput as error:  # e.g. the second scheme names a column the snapshot lacks
                context["problems"] = [problem.message(get_language()) for problem in error.problems]
                return render(request, "evaluation/run_compare.html", context)
            if "export" in request.GET:
                sheets, titles, notes = engine_compare.workbook_sheets(comparison)
                filename = _("%(run)s - scheme comparison.xlsx") % {"run": run.name}
                return xlsx_response(sheets, filename, titles=titles, notes=notes)
            context.update(compare_context(run, comparison, snapshot.get_column("enterprise_id").to_list()))
            context["export_query"] = request.GET.urlencode() + "&export=1"
    elif submitted:
        context["problems"] = [_("Correct the edits marked below.")]
    return render(request, "evaluation/run_compare.html", context)


# --------------------------------------------------------------------------------------------------
# The explainer panel of a result page

REASONS = {
    engine_explain.NOT_EVALUATED: gettext_lazy("The enterprise is not graded in this run: there is no grade to lift."),
    engine_explain.TOP_GRADE: gettext_lazy("The enterprise has the best grade."),
    engine_explain.FORCED_D: gettext_lazy("A major violation forces grade D: no figure can lift it."),
    engine_explain.GRADE_EMPTY: gettext_lazy("The next grade has no place in a group this small."),
    engine_explain.ZERO_WEIGHT: gettext_lazy("Its indicators weigh nothing."),
    engine_explain.NO_DENOMINATOR: gettext_lazy("Its indicators cannot be computed: the divisor is missing or zero."),
    engine_explain.NO_BENCHMARK: gettext_lazy("Its indicators have no usable benchmark."),
    engine_explain.CAPPED: gettext_lazy(
        "Not possible alone: the indicators' scores reach their caps below the cut-off."
    ),
    engine_explain.NO_EFFECT: gettext_lazy("Not possible alone: the correction coefficient is zero."),
    engine_explain.NOT_FOUND: gettext_lazy("No increase could be confirmed."),
}


def figure_label(column: str) -> str:
    try:
        return str(EnterpriseYear._meta.get_field(column).verbose_name)
    except Exception:  # a column the scheme names that the enterprise's figures do not hold under that name
        return column


def explanation_context(result: Result) -> dict | None:
    """What would lift the enterprise to the next grade, and what its grade costs it, from the run's snapshot
    and scheme; None (no panel) when the run kept no snapshot."""
    run = result.run
    if not run.has_results or not run.input_snapshot:
        return None
    snapshot = services.load_snapshot(run)
    positions = snapshot.select(pl.arg_where(pl.col("enterprise_id") == result.enterprise_id)).to_series()
    if positions.is_empty():
        return None
    scheme = services.scheme_for_run(run.scheme_toml, run.year)
    explanation = engine_explain.explain(services.engine_input(snapshot), scheme, int(positions[0]), skip_invalid=True)
    lifts = [
        {
            "lift": lift,
            "figure": figure_label(lift.column),
            "reason": REASONS.get(lift.reason, "") if lift.reason else "",
        }
        for lift in explanation.lifts
    ]
    policies = [
        {"effect": effect, "label": effect.label if effect.amount else services.policy_name(effect.key)}
        for effect in explanation.policies
        if effect.amount or effect.current != effect.next
    ]
    costs = [effect.cost for effect in explanation.policies if effect.amount and effect.cost is not None]
    return {
        "explanation": explanation,
        "explanation_total_cost": sum(costs) if costs else None,
        "explanation_reason": REASONS.get(explanation.reason, "") if explanation.reason else "",
        "explanation_lifts": lifts,
        "explanation_policies": policies,
        # A review may have regraded the result: the explanation is of the grade the scheme gives.
        "explanation_regraded": explanation.grade != (result.grade or None),
    }
