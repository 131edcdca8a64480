from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from mujun.core.forms import ScopedModelForm
from mujun.engine.projects import PLANNED_COLUMNS
from mujun.enterprises.models import Enterprise
from mujun.projects.models import ElementNeed, Lead, ListThresholds, Project, Stage, StartTarget, Team, parcels_problem
from mujun.regions.forms import CountyForm

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PLANNED_FIELDS = PLANNED_COLUMNS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ProjectForm(ScopedModelForm):
    class Meta:
        model = Project
        fields = [
            "code", "name", "enterprise", "region", "parcels", "industry_code", "chain_tags", "total_investment",
            "fixed_asset_investment", "foreign_capital_usd", "is_new", "key_county", "level", "field", "batch",
            "plan_year", "annual_plan", *PLANNED_FIELDS,
        ]  # fmt: skip
        widgets = {name: DATE for name in PLANNED_FIELDS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A deactivated enterprise takes no new projects; the one a project names already stays a choice.
        self.fields["enterprise"].queryset = (
            Enterprise.objects.open_for_entry(keep=self.instance.enterprise_id).select_related(None).only("pk", "name")
        )
        self.fields["parcels"].widget.attrs["size"] = 6

    def clean(self):
        cleaned = super().clean()
        # The figures, the planned dates' order and the enterprise's county are the model's rules
        # (Project.clean); the parcels are links, checked here.
        problem = parcels_problem(cleaned.get("region"), cleaned.get("parcels") or [])
        if problem:
            self.add_error("parcels", problem)
        return cleaned


class AdvanceForm(forms.Form):
    stage = forms.ChoiceField(label=_("stage"), choices=Stage.choices)
    date = forms.DateField(label=_("date"), widget=DATE)
    photos = MultipleFileField(label=_("Photos"), help_text=_("jpg or png, at most 20 MB each"))
    documents = MultipleFileField(label=_("Documents"), help_text=_("pdf, docx, xlsx, jpg or png, at most 20 MB each"))


class CorrectionForm(forms.Form):
    stage = forms.ChoiceField(label=_("back to stage"), choices=Stage.choices)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))


class MonthlyReportForm(forms.Form):
    month = forms.DateField(
        label=_("month"), widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"), input_formats=["%Y-%m", "%Y-%m-%d"]
    )
    invested_month = forms.FloatField(label=_("investment in the month (10k yuan)"))
    invested_to_date = forms.FloatField(
        label=_("investment to date (10k yuan)"), required=False,
        help_text=_("Left empty: the previous report's figure plus this month's"),
    )
    notes = forms.CharField(label=_("progress notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    photos = MultipleFileField(label=_("Photos"), help_text=_("jpg or png, at most 20 MB each"))

    def clean_month(self):
        return self.cleaned_data["month"].replace(day=1)


class ReviewForm(forms.Form):
    note = forms.CharField(label=_("review note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ElementNeedForm(ScopedModelForm):
    class Meta:
        model = ElementNeed
        fields = ["element", "needed", "granted"]


class LeadForm(ScopedModelForm):
    class Meta:
        model = Lead
        fields = ["name", "investor", "region", "team", "chain_tags", "planned_investment", "foreign_capital_usd",
                  "status", "signed_on", "project", "notes"]  # fmt: skip
        widgets = {"signed_on": DATE}


class TeamForm(ScopedModelForm):
    class Meta:
        model = Team
        fields = ["name", "region", "leader"]


class StartTargetForm(CountyForm):
    class Meta:
        model = StartTarget
        fields = ["year", "region", "q1", "q2", "q3", "october", "red_margin"]


class ListThresholdsForm(ScopedModelForm):
    class Meta:
        model = ListThresholds
        fields = ["talks_min", "signed_min", "construction_min"]


def current_month() -> date:
    return date.today().replace(day=1)


class MonthClosingForm(forms.Form):
    """A city administrator closes a month of the four lists, sets the day it closes by itself, or reopens it."""

    ACTIONS = [("close", _("Close the month")), ("schedule", _("Set the closing day")), ("reopen", _("Reopen the month"))]
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput)
    month = forms.DateField(input_formats=["%Y-%m", "%Y-%m-%d"], widget=forms.HiddenInput)
    closes_on = forms.DateField(label=_("closes automatically on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("reason for reopening"), required=False, max_length=500)
