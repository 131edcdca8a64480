"""The API's serializer base: the model validates, as in NetBox's ``ValidatedModelSerializer``.

Every domain rule lives once, in the model's ``clean()`` (or an engine expression it calls); the web form
runs it through ``full_clean()``, and so does the API through this base, so a record the form refuses is
refused by the API with the same message. State fields (a stage, a status, a category) belong in
``Meta.read_only_fields``: they change only through the app's ``services.py``.
"""

from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxValueValidator, MinValueValidator
from rest_framework import serializers

from mujun.core.history import one_history_row


class ValidatedModelSerializer(serializers.ModelSerializer):
    def validate(self, data):
        attrs = dict(data)
        opts = self.Meta.model._meta
        for field in [*opts.local_many_to_many, *opts.related_objects]:
            attrs.pop(field.name, None)
        if self.instance is None:
            instance = self.Meta.model(**attrs)
        else:
            # A copy: a refused update must not leave the cached instance half-changed.
            instance = self.Meta.model._default_manager.get(pk=self.instance.pk)
            for name, value in attrs.items():
                setattr(instance, name, value)
        self.prepare_instance(instance)
        # DRF turns a Django ValidationError raised here into a 400 naming each field.
        instance.full_clean(validate_unique=True)
        return data

    def prepare_instance(self, instance) -> None:
        """Set derived fields the model's validation reads (e.g. an area computed from a boundary)."""

    def update(self, instance, validated_data):
        with one_history_row(instance):  # fields and links (a project's parcels): one history row
            return super().update(instance, validated_data)

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        # DRF turns a model field's bound validators (a year's, mujun.core.validators) into its own min_value and
        # max_value with its own message; the API refuses with the model's message, as the form does.
        for validator in model_field.validators:
            for bound, kind in (("min_value", MinValueValidator), ("max_value", MaxValueValidator)):
                if isinstance(validator, kind) and kwargs.get(bound) == validator.limit_value:
                    kwargs.setdefault("error_messages", {})[bound] = validator.message
        return field_class, kwargs

    def get_fields(self):
        fields = super().get_fields()
        # DRF leaves allow_blank off a read-only field (not editable, or in read_only_fields), so the API
        # schema's enum of a state that may be empty (a parcel not classified yet) would lack the "".
        for name, field in fields.items():
            if isinstance(field, serializers.ChoiceField) and field.read_only and name not in self._declared_fields:
                try:
                    field.allow_blank = self.Meta.model._meta.get_field(name).blank
                except FieldDoesNotExist:
                    pass
        return fields
