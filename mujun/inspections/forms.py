from django import forms

from mujun.core.forms import ScopedModelForm
from mujun.inspections.models import Criterion, Nomination, Round


class RoundForm(ScopedModelForm):
    class Meta:
        model = Round
        fields = ["name", "year", "quarter", "visit_date", "route", "score_min", "score_max"]
        widgets = {"visit_date": forms.DateInput(attrs={"type": "date"}), "route": forms.Textarea(attrs={"rows": 4})}


class CriterionForm(ScopedModelForm):
    class Meta:
        model = Criterion
        fields = ["name", "weight", "order"]


class NominationForm(ScopedModelForm):
    class Meta:
        model = Nomination
        fields = ["region", "project_name", "project", "description", "stop", "visit_time"]
        widgets = {"visit_time": forms.TimeInput(attrs={"type": "time"}), "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Counties nominate: the choice is a county, not a town or the city.
        self.fields["region"].queryset = self.fields["region"].queryset.filter(level="county")
