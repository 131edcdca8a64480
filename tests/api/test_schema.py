"""The API schema describes what the API answers (issue 8, item 11): the fuzz test checks every answer;
these pin the two general causes it found."""

import datetime as dt

import jsonschema
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from mujun.core.serializers import ValidatedModelSerializer
from mujun.land.models import Parcel


def test_a_time_of_day_is_described_as_drf_writes_it():
    """OpenAPI's "time" format requires a zone offset ("09:30:00+08:00"); DRF writes "09:30:00"."""
    field = serializers.TimeField()
    schema = OpenApiSerializerFieldExtension.get_match(field).map_serializer_field(None, "response")
    answered = field.to_representation(dt.time(9, 30))
    jsonschema.validate(answered, schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    assert "format" not in schema


def test_a_state_that_may_be_empty_keeps_the_empty_choice_when_read_only():
    """DRF drops allow_blank from read_only_fields, and the schema's enum left out the "" of a parcel
    not classified yet."""

    class ParcelStateSerializer(ValidatedModelSerializer):
        class Meta:
            model = Parcel
            fields = ["stage", "category"]
            read_only_fields = ["stage", "category"]

    fields = ParcelStateSerializer().fields
    assert fields["category"].read_only and fields["category"].allow_blank
    assert fields["stage"].read_only and fields["stage"].allow_blank
