from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from mujun.core.forms import ScopedModelForm
from mujun.engine.scheme import SchemeError, parse_scheme
from mujun.evaluation.models import Run, Scheme
from mujun.evaluation.services import unstored_columns
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
        if not cleaned.get("name") and cleaned.get("region"):
            cleaned["name"] = f"{cleaned['region']} {cleaned['year']} · {scheme.name}"[:128]
        return cleaned
