from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mujun.core.forms import ScopedModelForm
from mujun.core.scoping import editable_regions
from mujun.enterprises.models import Enterprise
from mujun.services.models import Department, Problem, ServicePlan


class EnterpriseField(forms.CharField):
    """An enterprise given by credit code or exact name (a city has too many for a drop-down)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("enterprise"))
        kwargs.setdefault("help_text", _("Unified social credit code or full name"))
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            value = Enterprise.objects.filter(pk=value).values_list("uscc", flat=True).first() or value
        return super().prepare_value(value)

    def clean(self, value):
        text = super().clean(value).strip()
        found = list(Enterprise.objects.filter(Q(uscc=text.upper()) | Q(name=text))[:2])
        if not found:
            raise forms.ValidationError(_("no enterprise “%(text)s”") % {"text": text})
        if len(found) > 1:
            raise forms.ValidationError(_("several enterprises have this name: give the credit code"))
        return found[0]


class EnterpriseScopedForm(ScopedModelForm):
    """A form of a record hanging on an enterprise, which must be in the user's regions."""

    enterprise = EnterpriseField()

    def clean_enterprise(self):
        enterprise = self.cleaned_data["enterprise"]
        if self.user is not None and not editable_regions(self.user).filter(pk=enterprise.region_id).exists():
            raise forms.ValidationError(_("the enterprise is outside the regions you may edit"))
        return enterprise


class ProblemForm(EnterpriseScopedForm):
    class Meta:
        model = Problem
        fields = ["enterprise", "category", "title", "description", "plan"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class ServicePlanForm(EnterpriseScopedForm):
    class Meta:
        model = ServicePlan
        fields = ["enterprise", "title", "cadre", "goals"]
        widgets = {"goals": forms.Textarea(attrs={"rows": 5})}


class DepartmentForm(ScopedModelForm):
    class Meta:
        model = Department
        fields = ["name", "region", "handlers"]


class AssignForm(forms.Form):
    department = forms.ModelChoiceField(Department.objects.all(), label=_("department"))
    deadline = forms.DateField(label=_("deadline"), widget=forms.DateInput(attrs={"type": "date"}))
