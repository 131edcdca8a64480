from django import forms

from mujun.core.scoping import editable_regions


class ScopedModelForm(forms.ModelForm):
    """A model form whose region choices are limited to what the user may edit."""

    region_field = "region"

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user is not None and self.region_field in self.fields:
            self.fields[self.region_field].queryset = editable_regions(user)
