"""The base of every filterset, for list pages and the API alike: a query string the database cannot take
is refused as bad input (a form error on a page, 400 in the API), never a 500.

- A number filter on an integer column (a year, an id, a foreign key) takes whole numbers within the
  column's range: ``?holder=-1.3e79`` no longer reaches the database as an integer it cannot hold.
  The API schema states the same range, so clients and the schema fuzzer know it.
- A filter that takes one value refuses several (``?year=2024&year=2025``) instead of silently using
  the last one.
"""

import django_filters
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import get_model_field
from drf_spectacular.drainage import set_override

# Beyond these a number is no filter value but an overflow (django-filter bounds only the maximum).
NUMBER_LIMIT = 1e50


def integer_range(model_field: models.Field) -> tuple[int, int] | None:
    """The whole numbers a column (or the key a foreign key refers to) can hold and its rules allow."""
    field = getattr(model_field, "target_field", model_field)
    if not isinstance(field, models.IntegerField | models.AutoField):
        return None
    low, high = connection.ops.integer_field_range(field.get_internal_type())
    for validator in field.validators:
        if isinstance(validator, MinValueValidator) and isinstance(validator.limit_value, int):
            low = max(low, validator.limit_value)
        if isinstance(validator, MaxValueValidator) and isinstance(validator.limit_value, int):
            high = min(high, validator.limit_value)
    return low, high


def bound_number_filter(model, number_filter: django_filters.NumberFilter) -> None:
    """Make a number filter refuse values its column cannot hold, and document that in the API schema."""
    model_field = get_model_field(model, number_filter.field_name) if number_filter.field_name else None
    bounds = integer_range(model_field) if model_field is not None else None
    if bounds is None:
        number_filter.extra.setdefault("min_value", -NUMBER_LIMIT)
        number_filter.extra.setdefault("max_value", NUMBER_LIMIT)
        return
    number_filter.field_class = forms.IntegerField
    number_filter.extra.setdefault("min_value", bounds[0])
    number_filter.extra.setdefault("max_value", bounds[1])
    set_override(
        number_filter,
        "field",
        {"type": "integer", "minimum": number_filter.extra["min_value"], "maximum": number_filter.extra["max_value"]},
    )


def _value_names(name: str, widget: forms.Widget) -> list[str]:
    """The query parameters a form field reads that must each occur once (none for a multiple choice)."""
    if getattr(widget, "allow_multiple_selected", False):
        return []
    if hasattr(widget, "suffixes"):  # django-filter's range widgets: name_min, name_max
        return [widget.suffixed(name, suffix) for suffix in widget.suffixes]
    if isinstance(widget, forms.MultiWidget):
        return [name + suffix for suffix in widget.widgets_names]
    return [name]


class SingleValuesForm(forms.Form):
    def clean(self):
        cleaned_data = super().clean()
        if hasattr(self.data, "getlist"):
            for name, field in list(self.fields.items()):
                if any(len(self.data.getlist(key)) > 1 for key in _value_names(self.add_prefix(name), field.widget)):
                    self.add_error(name, _("Give one value only."))
        return cleaned_data


class FilterSet(django_filters.FilterSet):
    @classmethod
    def get_filters(cls):
        filters = super().get_filters()
        for number_filter in filters.values():
            if isinstance(number_filter, django_filters.NumberFilter) and not isinstance(
                number_filter, django_filters.filters.BaseCSVFilter
            ):
                bound_number_filter(cls._meta.model, number_filter)
        return filters

    def get_form_class(self):
        form_class = super().get_form_class()
        return type(form_class.__name__, (SingleValuesForm, form_class), {})


class FilterBackend(DjangoFilterBackend):
    """The API's filter backend: viewsets that list ``filterset_fields`` get the same rules."""

    filterset_base = FilterSet
