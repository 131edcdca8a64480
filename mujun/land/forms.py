import json

from django import forms
from django.utils.translation import gettext_lazy as _

from mujun.core.forms import ScopedModelForm
from mujun.engine.land import DATE_ORDER
from mujun.land.geometry import area_mu, area_problem, parse_boundary
from mujun.land.models import DisposalCase, DisposalProgress, LandTarget, Parcel, Thresholds

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
        fields = [
            "code", "name", "region", "holder", "area_mu", "land_use", "boundary",
            "approved_on", "supplied_on", "agreed_start_on", "agreed_completion_on", "started_on", "completed_on",
            "commissioned_on", "stopped_since", "floor_area_m2", "plot_ratio_required", "building_density",
            "developed_mu", "committed_investment_intensity", "committed_output_per_mu", "committed_tax_per_mu",
            "committed_energy_per_value_added", "actual_investment_intensity", "actual_output_per_mu",
            "actual_tax_per_mu", "actual_energy_per_value_added",
        ]  # fmt: skip
        widgets = {name: DATE_WIDGET for name in [
            "approved_on", "supplied_on", "agreed_start_on", "agreed_completion_on", "started_on", "completed_on",
            "commissioned_on", "stopped_since",
        ]}  # fmt: skip

    def clean_area_mu(self):
        value = self.cleaned_data["area_mu"]
        if value is not None and value <= 0:
            raise forms.ValidationError(_("Must be greater than 0."))
        return value

    def clean(self):
        data = super().clean()
        for earlier, later in DATE_ORDER:
            if data.get(earlier) and data.get(later) and data[later] < data[earlier]:
                self.add_error(
                    later,
                    _("Must not be before %(earlier)s.") % {"earlier": self.fields[earlier].label},
                )
        boundary, stated = data.get("boundary"), data.get("area_mu")
        if boundary and stated:
            problem = area_problem(stated, area_mu(boundary))
            if problem:
                self.add_error("area_mu", problem)
        return data

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


class ProgressForm(forms.ModelForm):
    class Meta:
        model = DisposalProgress
        fields = ["noted_on", "note", "evidence"]
        widgets = {"noted_on": DATE_WIDGET, "note": forms.Textarea(attrs={"rows": 2})}


class CloseCaseForm(forms.Form):
    closed_on = forms.DateField(label=_("closed on"), widget=DATE_WIDGET)
    area_disposed_mu = forms.FloatField(label=_("area disposed (mu)"), min_value=0)

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case

    def clean(self):
        data = super().clean()
        if self.case and data.get("area_disposed_mu") and data["area_disposed_mu"] > self.case.parcel.area_mu:
            self.add_error("area_disposed_mu", _("Cannot exceed the parcel's area."))
        if self.case and data.get("closed_on") and data["closed_on"] < self.case.opened_on:
            self.add_error("closed_on", _("Cannot be before the case was opened."))
        return data


class ThresholdsForm(ScopedModelForm):
    class Meta:
        model = Thresholds
        fields = [
            "region", "idle_months", "stopped_months", "min_developed_share", "min_investment_share",
            "default_min_plot_ratio", "commissioning_months", "operating_period_months", "grade_d_below_standard",
        ]  # fmt: skip


class LandTargetForm(ScopedModelForm):
    class Meta:
        model = LandTarget
        fields = ["region", "year", "disposal_target_mu", "supply_target_mu"]
