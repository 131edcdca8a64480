from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from mujun.core.forms import ScopedModelForm
from mujun.core.validators import FIRST_YEAR, LAST_YEAR
from mujun.collection.models import COLLECTED_COLUMNS, Collection, Supplier, column_label
from mujun.collection.services import ACCEPTED_EXTENSIONS
from mujun.core.scoping import editable_regions
from mujun.core.uploads import check_size


def _pairs(text: str, what: str) -> list[tuple[str, str]]:
    """Lines "left = right" (or "left：right"); a line without "=" is refused naming it."""
    pairs = []
    for number, line in enumerate((text or "").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        left, sep, right = line.replace("＝", "=").partition("=")
        if not sep:
            raise forms.ValidationError(_("Line %(number)d: write %(what)s = …") % {"number": number, "what": what})
        pairs.append((left.strip(), right.strip()))
    return pairs


class SupplierForm(ScopedModelForm):
    """The remit as checkboxes; aliases and priorities one per line ("纳税人识别号 = uscc", "tax = 10")."""

    columns = forms.MultipleChoiceField(
        label=_("columns in its remit"),
        choices=[(c, f"{column_label(c)} ({c})") for c in COLLECTED_COLUMNS],
        widget=forms.CheckboxSelectMultiple,
    )
    aliases = forms.CharField(
        label=_("header aliases"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: the header in its workbook = the column (uscc, name, a column of its remit, or - to ignore)"),
    )  # fmt: skip
    priorities = forms.CharField(
        label=_("priorities"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: column = whole number; where departments disagree the higher wins (default 0)"),
    )  # fmt: skip

    class Meta:
        model = Supplier
        fields = ["name", "region", "columns", "aliases", "priorities", "members"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        User = get_user_model()
        self.fields["members"].queryset = User.objects.filter(role=User.Role.DATA_SUPPLIER)
        self.fields["members"].help_text = _("Users with the role “Department data staff”")
        if self.instance.pk:
            self.initial["aliases"] = "\n".join(f"{h} = {c}" for h, c in self.instance.aliases.items())
            self.initial["priorities"] = "\n".join(f"{c} = {p}" for c, p in self.instance.priorities.items())

    def clean_aliases(self):
        return dict(_pairs(self.cleaned_data["aliases"], _("header")))

    def clean_priorities(self):
        priorities = {}
        for column, value in _pairs(self.cleaned_data["priorities"], _("column")):
            try:
                priorities[column] = int(value)
            except ValueError:
                raise forms.ValidationError(_("%(column)s: the priority must be a whole number.") % {"column": column}) from None
        return priorities


class CollectionForm(forms.Form):
    region = forms.ModelChoiceField(queryset=None, label=_("region"))
    year = forms.IntegerField(label=_("year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    anomaly_factor = forms.FloatField(
        label=_("anomaly factor"), initial=3.0, min_value=1.01,
        help_text=Collection._meta.get_field("anomaly_factor").help_text,
    )  # fmt: skip

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = editable_regions(user).filter(level__in=["city", "county"])


class UploadForm(forms.Form):
    supplier = forms.ModelChoiceField(queryset=None, label=_("supplying department"))
    file = forms.FileField(label=_("File"), help_text=_("The department's workbook (.xlsx or .csv), keyed on the credit code"))

    def __init__(self, *args, suppliers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supplier"].queryset = suppliers
        if suppliers is not None and suppliers.count() == 1:
            self.fields["supplier"].initial = suppliers.first()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ACCEPTED_EXTENSIONS):
            raise forms.ValidationError(_("Only .xlsx and .csv workbooks are accepted."))
        check_size(upload.name, upload.size)  # before the file is read into memory
        return upload


class EntryForm(forms.Form):
    """One enterprise's figures of a department's remit, entered by hand."""

    uscc = forms.CharField(label=_("unified social credit code"), max_length=18)

    def __init__(self, *args, supplier: Supplier, **kwargs):
        super().__init__(*args, **kwargs)
        for column in supplier.columns:
            self.fields[column] = forms.CharField(label=column_label(column), required=False)

    def values(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != "uscc"}


class ResolveForm(forms.Form):
    value = forms.CharField(label=_("value chosen"), max_length=64)
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class CloseForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("The departments have delivered; merge the figures into the enterprises' years and close"), required=True
    )
