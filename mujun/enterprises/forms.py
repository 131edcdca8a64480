from django import forms
from django.utils.translation import gettext_lazy as _

from mujun.core.forms import ScopedModelForm
from mujun.enterprises.models import ENTERPRISE_FIELDS, Enterprise, EnterpriseYear


class EnterpriseForm(ScopedModelForm):
    class Meta:
        model = Enterprise
        fields = ["uscc", *ENTERPRISE_FIELDS]
        labels = {"name": _("enterprise name")}
        widgets = {"established_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def clean_uscc(self):
        return self.cleaned_data["uscc"].strip().upper()


class EnterpriseYearForm(ScopedModelForm):
    """One year's figures of an enterprise fixed by the page (the enterprise is not a choice)."""

    class Meta:
        model = EnterpriseYear
        exclude = ["enterprise"]
        widgets = {"land_acquired_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def clean_year(self):
        year = self.cleaned_data["year"]
        # The unique (enterprise, year) constraint is not checked by the form, the enterprise being no field.
        taken = EnterpriseYear.objects.filter(enterprise_id=self.instance.enterprise_id, year=year)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This enterprise already has figures for %(year)s.") % {"year": year})
        return year
