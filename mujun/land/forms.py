import json

from django import forms
from django.utils.translation import gettext_lazy as _

from mujun.core import cases
from mujun.core.forms import ScopedModelForm
from mujun.enterprises.models import Enterprise
from mujun.land.geometry import area_mu, parse_boundary
from mujun.engine.land import DATE_COLUMNS
from mujun.land.models import Acceptance
from mujun.land.models import (
    PARCEL_FIELDS, DisposalCase, DisposalProgress, IdleCause, LandTarget, Parcel, Thresholds,
)  # fmt: skip
from mujun.regions.forms import CountyForm

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BoundaryField(forms.JSONField):
    """GeoJSON typed into a text area; checked as the import checks it."""

    widget = forms.Textarea(attrs={"rows": 3, "class": "font-monospace"})

    def to_python(self, value):
        geometry, problem = parse_boundary(value)
        if problem:
            raise forms.ValidationError(problem)
        return geometry

    def prepare_value(self, value):
        return json.dumps(value) if isinstance(value, dict) else value


class ParcelForm(ScopedModelForm):
    boundary = BoundaryField(label=_("boundary (GeoJSON)"), required=False)

    class Meta:
        model = Parcel
        fields = PARCEL_FIELDS
        widgets = {name: DATE_WIDGET for name in DATE_COLUMNS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A deactivated enterprise takes no new parcels; the parcel's current holder stays a choice.
        self.fields["holder"].queryset = Enterprise.objects.open_for_entry(keep=self.instance.holder_id)

    # Area and date rules: Parcel.clean(), which the form runs.

    def save(self, commit=True):
        parcel = super().save(commit=False)
        parcel.boundary_area_mu = area_mu(parcel.boundary) if parcel.boundary else None
        if commit:
            parcel.save()
        return parcel


class DisposalCaseForm(forms.ModelForm):
    class Meta:
        model = DisposalCase
        fields = ["measure", "responsible_unit", "deadline"]
        widgets = {"deadline": DATE_WIDGET}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class IdleRecordForm(forms.Form):
    """The land bureau's investigation of an idle parcel; its rules are checked by services.record_idle."""

    cause = forms.ChoiceField(label=_("cause of idleness"), choices=[("", "—"), *IdleCause.choices], required=False)
    reason = forms.CharField(label=_("reason for the cause"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    notice_on = forms.DateField(label=_("investigation notice served on"), required=False, widget=DATE_WIDGET)
    reply_on = forms.DateField(label=_("reply received on"), required=False, widget=DATE_WIDGET)

    # The service's errors name the parcel's fields; the form shows each at its own.
    FIELD_OF = {"idle_cause": "cause", "idle_cause_reason": "reason", "idle_notice_on": "notice_on", "idle_reply_on": "reply_on"}

    @classmethod
    def of(cls, parcel: Parcel) -> "IdleRecordForm":
        return cls(initial={
            "cause": parcel.idle_cause, "reason": parcel.idle_cause_reason,
            "notice_on": parcel.idle_notice_on, "reply_on": parcel.idle_reply_on,
        })  # fmt: skip


class ProgressForm(cases.ProgressForm):
    class Meta(cases.ProgressForm.Meta):
        model = DisposalProgress


class CloseCaseForm(forms.Form):
    """The date and the area; the rules on them are the case's own (DisposalCase.clean via services.close_case)."""

    closed_on = forms.DateField(label=_("closed on"), widget=DATE_WIDGET)
    area_disposed_mu = forms.FloatField(label=_("area disposed (mu)"))


class ThresholdsForm(ScopedModelForm):
    class Meta:
        model = Thresholds
        fields = [
            "region", "idle_months", "stopped_months", "min_developed_share", "min_investment_share",
            "default_min_plot_ratio", "commissioning_months", "operating_period_months", "grade_d_below_standard",
        ]  # fmt: skip


class LandTargetForm(CountyForm):
    class Meta:
        model = LandTarget
        fields = ["region", "year", "disposal_target_mu", "supply_target_mu"]


class AcceptanceDecisionForm(forms.Form):
    """The decision on a 标准地 acceptance; its rules are the record's own (Acceptance.clean via
    services.decide_acceptance)."""

    decision = forms.ChoiceField(label=_("decision"))
    decided_on = forms.DateField(label=_("decided on"), widget=DATE_WIDGET)
    note = forms.CharField(label=_("note on the decision"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = [c for c in Acceptance.Decision.choices if c[0] != Acceptance.Decision.PENDING]
