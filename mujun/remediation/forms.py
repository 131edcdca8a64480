from django import forms
from django.utils.translation import gettext_lazy as _

from mujun.core import cases
from mujun.land.forms import DATE_WIDGET
from mujun.regions.forms import CountyForm
from mujun.remediation.models import RemediationCase, RemediationProgress, RemediationTarget, Thresholds

THRESHOLD_FIELDS = [
    "region", "above_scale_enabled", "above_scale_tax_per_mu", "below_scale_enabled", "below_scale_tax_per_mu",
    "large_land_enabled", "large_land_mu", "industry_enabled", "industry_share",
]  # fmt: skip


class ThresholdsForm(CountyForm):
    class Meta:
        model = Thresholds
        fields = THRESHOLD_FIELDS


class RemediationCaseForm(forms.ModelForm):
    """Measure, unit and deadline; the deadline's rule (not before the opening) is the case's own clean()."""

    class Meta:
        model = RemediationCase
        fields = ["measure", "responsible_unit", "deadline"]
        widgets = {"deadline": DATE_WIDGET}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class ProgressForm(cases.ProgressForm):
    class Meta(cases.ProgressForm.Meta):
        model = RemediationProgress


class CloseCaseForm(forms.Form):
    """The date and the land released; their rules are the case's own (RemediationCase.clean via
    services.close_case)."""

    closed_on = forms.DateField(label=_("closed on"), widget=DATE_WIDGET)
    land_released_mu = forms.FloatField(label=_("land released (mu)"), required=False)


class RemediationTargetForm(CountyForm):
    class Meta:
        model = RemediationTarget
        fields = ["region", "year", "firms_target", "land_target_mu"]
