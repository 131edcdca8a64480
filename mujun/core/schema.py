"""Corrections to how drf-spectacular describes DRF fields, where its description and DRF's answers
differ. drf-spectacular finds an extension by its import: ``CoreConfig.ready()`` imports this module."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension


class TimeOfDayExtension(OpenApiSerializerFieldExtension):
    """DRF writes a time of day without a zone ("09:30:00"); OpenAPI's "time" format requires an offset."""

    target_class = "rest_framework.fields.TimeField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", "example": "09:30:00"}
