from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from mujun.core.permissions import RegionScopedWritesMixin
from mujun.core.serializers import ValidatedModelSerializer
from mujun.land.api import refusal
from mujun.remediation import services
from mujun.remediation.filtersets import ListingFilterSet, RemediationCaseFilterSet
from mujun.remediation.models import Listing, RemediationCase


class ListingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Listing
        fields = ["id", "year", "enterprise", "region", "grade", "rules", "figures", "above_scale", "land_mu", "tax",
                  "tax_per_mu", "listed_on"]
        read_only_fields = fields


class RemediationCaseSerializer(ValidatedModelSerializer):
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

    def validate(self, data):
        listing = data.pop("listing", None)
        if self.instance is None:
            if listing is None:
                raise serializers.ValidationError({"listing": self.fields["listing"].error_messages["required"]})
            data.update(services.listing_fields(listing))  # so the model's rules see the case it makes
        elif listing is not None:
            raise serializers.ValidationError({"listing": _("A case stays with the listing it was opened from.")})
        elif self.instance.status != RemediationCase.Status.OPEN:  # as on the pages: a closed case is done
            raise serializers.ValidationError(_("The remediation case is closed."))
        return super().validate(data)


class CloseRemediationCaseSerializer(serializers.Serializer):
    closed_on = serializers.DateField()
    land_released_mu = serializers.FloatField(required=False, allow_null=True)


class ListingViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Listing.objects.all()
    serializer_class = ListingSerializer
    filterset_class = ListingFilterSet


class RemediationCaseViewSet(RegionScopedWritesMixin, viewsets.ModelViewSet):
    queryset = RemediationCase.objects.select_related("enterprise__region")
    serializer_class = RemediationCaseSerializer
    filterset_class = RemediationCaseFilterSet

    def perform_create(self, serializer):
        try:
            serializer.instance = services.open_case(RemediationCase(**serializer.validated_data), self.request.user)
        except DjangoValidationError as error:
            raise refusal(error) from error

    def perform_destroy(self, instance):
        services.delete_case(instance, self.request.user)

    @extend_schema(request=CloseRemediationCaseSerializer, responses=RemediationCaseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the case on a date with the land released, as the case's page does."""
        case = self.get_object()
        data = CloseRemediationCaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            case = services.close_case(
                case, data.validated_data["closed_on"], data.validated_data.get("land_released_mu"), request.user
            )
        except DjangoValidationError as error:
            raise refusal(error) from error
        return Response(self.get_serializer(case).data)


def register(router) -> None:
    router.register("low-efficiency-listings", ListingViewSet)
    router.register("remediation-cases", RemediationCaseViewSet)
