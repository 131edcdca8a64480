from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mujun.core.forms import ScopedModelForm
from mujun.engine.scheme import SchemeError, parse_scheme
from mujun.evaluation.models import Objection, ProvincialAverage, Result, RobustnessAnalysis, Run, Scheme
from mujun.evaluation.services import require_collections_closed, unstored_columns
from mujun.regions.models import Region


def validate_scheme_text(text: str):
    """The parsed scheme, or a ValidationError listing every problem the engine found, plus every column
    the scheme names that the platform does not store."""
    try:
        scheme = parse_scheme(text)
    except SchemeError as exc:
        raise ValidationError(exc.messages(get_language())) from exc
    missing = unstored_columns(scheme)
    if missing:
        raise ValidationError(
            [
                _("the scheme names column %(column)s, which the platform does not store") % {"column": column}
                for column in missing
            ]
        )
    return scheme


class SchemeForm(ScopedModelForm):
    """The scheme's TOML; name and year are taken from the text so they can never disagree with it."""

    class Meta:
        model = Scheme
        fields = ["region", "toml"]
        widgets = {
            "toml": forms.Textarea(attrs={"rows": 32, "class": "font-monospace", "spellcheck": "false"}),
        }
        help_texts = {"region": _("Leave empty for a city-wide scheme (city administrators only).")}

    def clean_toml(self):
        text = self.cleaned_data["toml"]
        self.parsed_scheme = validate_scheme_text(text)
        return text

    def clean(self):
        cleaned = super().clean()
        if self.user is not None and not self.user.is_city_admin and not cleaned.get("region"):
            self.add_error("region", _("Choose your county."))
        return cleaned

    def save(self, commit=True):
        scheme = super().save(commit=False)
        scheme.name = self.parsed_scheme.name
        scheme.year = self.parsed_scheme.year
        if commit:
            scheme.save()
        return scheme


class RunForm(forms.ModelForm):
    """A new run: a county operator evaluates their own county, a city administrator any region."""

    class Meta:
        model = Run
        fields = ["scheme", "year", "region", "name"]
        help_texts = {"name": _("Leave empty to name the run after region, year and scheme.")}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["year"].required = False
        self.fields["year"].help_text = _("Leave empty to use the scheme's year.")
        self.fields["name"].required = False
        if user is not None and not user.is_city_admin:
            own = Region.objects.filter(pk=user.region_id) if user.can_edit else Region.objects.none()
            self.fields["region"].queryset = own
            self.fields["region"].initial = user.region_id

    def clean(self):
        cleaned = super().clean()
        scheme = cleaned.get("scheme")
        if scheme is None:
            return cleaned
        try:
            validate_scheme_text(scheme.toml)
        except ValidationError as exc:
            self.add_error("scheme", exc)
        if not cleaned.get("year"):
            cleaned["year"] = scheme.year
        if cleaned.get("region"):
            try:
                require_collections_closed(cleaned["region"], cleaned["year"])
            except ValidationError as exc:
                self.add_error(None, exc)
        if not cleaned.get("name") and cleaned.get("region"):
            cleaned["name"] = f"{cleaned['region']} {cleaned['year']} · {scheme.name}"[:128]
        return cleaned


class PostingForm(forms.ModelForm):
    """The posting window (公示期) of a finished run; the run's clean() checks the dates, services post it."""

    class Meta:
        model = Run
        fields = ["posting_starts_on", "posting_ends_on"]
        widgets = {
            "posting_starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "posting_ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.fields:
            self.fields[name].required = True


class ObjectionForm(forms.ModelForm):
    """An objection to one enterprise's posted grade: the enterprise by its credit code, the reason and
    evidence. The objection's clean() checks the posting window."""

    uscc = forms.CharField(label=_("unified social credit code"), max_length=18)

    class Meta:
        model = Objection
        fields = ["reason", "evidence"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, run=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.run = run
        self.instance.run = run
        self.order_fields(["uscc", "reason", "evidence"])

    def clean_uscc(self):
        uscc = self.cleaned_data["uscc"].strip().upper()
        result = self.run.results.select_related("enterprise__region").filter(enterprise__uscc=uscc).first()
        if result is None:
            raise ValidationError(
                _("No enterprise with credit code %(uscc)s has a result in this run.") % {"uscc": uscc}
            )
        self.instance.result = result
        return uscc


class DecisionForm(forms.Form):
    """A city administrator's decision on an objection (the objection's clean() checks reason and grade)."""

    decision = forms.ChoiceField(
        label=_("decision"),
        choices=[c for c in Objection.Decision.choices if c[0] != Objection.Decision.PENDING],
        widget=forms.RadioSelect,
    )
    grade = forms.ChoiceField(
        label=_("grade after review"), required=False, choices=[("", "—"), *((g, g) for g in Result.GRADES)],
        help_text=_("Only for a regrade."),
    )  # fmt: skip
    reason = forms.CharField(
        label=_("reason for the decision"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class RobustnessForm(forms.ModelForm):
    """The settings of a grade robustness analysis."""

    class Meta:
        model = RobustnessAnalysis
        fields = ["draws", "weight_spread", "benchmark_spread", "threshold", "seed"]
        widgets = {
            "weight_spread": forms.NumberInput(attrs={"step": "0.01"}),
            "benchmark_spread": forms.NumberInput(attrs={"step": "0.01"}),
            "threshold": forms.NumberInput(attrs={"step": "0.01"}),
        }


class ProvincialAverageForm(ScopedModelForm):
    class Meta:
        model = ProvincialAverage
        fields = ["year", "tax_per_mu", "value_added_per_mu", "source"]
