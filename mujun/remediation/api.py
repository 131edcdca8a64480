from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action

from mujun.core import cases
from mujun.core.permissions import RegionScopedWritesMixin
from mujun.core.serializers import ValidatedModelSerializer
from mujun.remediation import services
from mujun.remediation.filtersets import ListingFilterSet, RemediationCaseFilterSet
from mujun.remediation.models import Listing, RemediationCase


class ListingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Listing
        fields = ["id", "year", "enterprise", "region", "grade", "rules", "figures", "above_scale", "land_mu", "tax",
                  "tax_per_mu", "listed_on"]
        read_only_fields = fields


class RemediationCaseSerializer(cases.CaseSerializerMixin, ValidatedModelSerializer):
    """A case is opened from a listed firm (``listing``, on creation) and closed through the ``close`` action,
    as on the pages; what the listing and the closing set is read-only."""

    listing = serializers.PrimaryKeyRelatedField(
        queryset=Listing.objects.select_related("enterprise__region"), write_only=True, required=False,
        help_text=_("The listing the case is opened from (on creation only)."),
    )  # fmt: skip

    class Meta:
        model = RemediationCase
        fields = [
            "id", "listing", "enterprise", "year", "rules", "figures", "measure", "responsible_unit", "opened_on",
            "deadline", "status", "closed_on", "land_released_mu",
        ]  # fmt: skip
        read_only_fields = ["enterprise", "year", "rules", "figures", "opened_on", "status", "closed_on", "land_released_mu"]

    source_field = "listing"
    source_fields = staticmethod(services.listing_fields)
    stays_message = _("A case stays with the listing it was opened from.")
    closed_message = _("The remediation case is closed.")


class CloseRemediationCaseSerializer(serializers.Serializer):
    closed_on = serializers.DateField()
    land_released_mu = serializers.FloatField(required=False, allow_null=True)


class ListingViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Listing.objects.all()
    serializer_class = ListingSerializer
    filterset_class = ListingFilterSet


class RemediationCaseViewSet(cases.CaseViewSetMixin, RegionScopedWritesMixin, viewsets.ModelViewSet):
    queryset = RemediationCase.objects.select_related("enterprise__region")
    serializer_class = RemediationCaseSerializer
    filterset_class = RemediationCaseFilterSet
    services = services

    @extend_schema(request=CloseRemediationCaseSerializer, responses=RemediationCaseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the case on a date with the land released, as the case's page does."""
        return self.close_with(request, CloseRemediationCaseSerializer)


def register(router) -> None:
    router.register("low-efficiency-listings", ListingViewSet)
    router.register("remediation-cases", RemediationCaseViewSet)
