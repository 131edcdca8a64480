from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from mujun.core import cases
from mujun.core.cases import refusal
from mujun.core.permissions import RegionScopedWritesMixin
from mujun.core.serializers import ValidatedModelSerializer
from mujun.land import services
from mujun.land.filtersets import DisposalCaseFilterSet, ParcelFilterSet
from mujun.land.geometry import area_mu, parse_boundary
from mujun.land.filtersets import AcceptanceFilterSet
from mujun.land.models import Acceptance
from mujun.land.models import IDLE_RECORD_FIELDS, PARCEL_FIELDS, DisposalCase, Finding, IdleCause, Parcel


class ParcelSerializer(ValidatedModelSerializer):
    class Meta:
        model = Parcel
        fields = ["id", *PARCEL_FIELDS, "boundary_area_mu", "stage", "category", "category_since", *IDLE_RECORD_FIELDS]
        # Written by the classification (services.classify_parcels) and from the boundary, never by hand; the
        # idle-land investigation through the ``record_idle`` action (services.record_idle).
        read_only_fields = ["boundary_area_mu", "stage", "category", "category_since", *IDLE_RECORD_FIELDS]

    def validate_boundary(self, value):
        geometry, problem = parse_boundary(value)
        if problem:
            raise serializers.ValidationError(problem)
        return geometry

    def save(self, **kwargs):
        boundary = self.validated_data.get("boundary")
        kwargs["boundary_area_mu"] = area_mu(boundary) if boundary else None
        return super().save(**kwargs)


class DisposalCaseSerializer(cases.CaseSerializerMixin, ValidatedModelSerializer):
    """A case is opened from a finding (``finding``, on creation) and closed through the ``close`` action, as
    on the pages; what the finding and the closing set is read-only."""

    finding = serializers.PrimaryKeyRelatedField(
        queryset=Finding.objects.select_related("parcel__region"), write_only=True, required=False,
        help_text=_("The finding the case is opened from (on creation only)."),
    )  # fmt: skip

    class Meta:
        model = DisposalCase
        fields = [
            "id", "finding", "parcel", "category", "rule", "figures", "measure", "responsible_unit", "deadline",
            "opened_on", "status", "closed_on", "area_disposed_mu",
        ]  # fmt: skip
        read_only_fields = ["parcel", "category", "rule", "figures", "opened_on", "status", "closed_on", "area_disposed_mu"]

    source_field = "finding"
    source_fields = staticmethod(services.finding_fields)
    stays_message = _("A case stays with the finding it was opened from.")
    closed_message = _("The case is closed.")


class IdleRecordSerializer(serializers.Serializer):
    """The land bureau's investigation of an idle parcel, as the parcel's page records it."""

    idle_cause = serializers.ChoiceField(choices=IdleCause.choices, required=False, allow_blank=True, default="")
    idle_cause_reason = serializers.CharField(required=False, allow_blank=True, default="")
    idle_notice_on = serializers.DateField(required=False, allow_null=True, default=None)
    idle_reply_on = serializers.DateField(required=False, allow_null=True, default=None)


class CloseCaseSerializer(serializers.Serializer):
    closed_on = serializers.DateField()
    area_disposed_mu = serializers.FloatField()


class ParcelViewSet(RegionScopedWritesMixin, viewsets.ModelViewSet):
    queryset = Parcel.objects.all()
    serializer_class = ParcelSerializer
    filterset_class = ParcelFilterSet

    @extend_schema(request=IdleRecordSerializer, responses=ParcelSerializer)
    @action(detail=True, methods=["post"], url_path="record-idle")
    def record_idle(self, request, pk=None):
        """Record the cause of idleness, the investigation notice served and the reply (闲置土地调查)."""
        parcel = self.get_object()
        data = IdleRecordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            parcel = services.record_idle(
                parcel, request.user, cause=values["idle_cause"], reason=values["idle_cause_reason"],
                notice_on=values["idle_notice_on"], reply_on=values["idle_reply_on"],
            )  # fmt: skip
        except DjangoValidationError as error:
            raise refusal(error) from error
        return Response(self.get_serializer(parcel).data)


class DisposalCaseViewSet(cases.CaseViewSetMixin, RegionScopedWritesMixin, viewsets.ModelViewSet):
    queryset = DisposalCase.objects.select_related("parcel__region")
    serializer_class = DisposalCaseSerializer
    filterset_class = DisposalCaseFilterSet
    services = services

    @extend_schema(request=CloseCaseSerializer, responses=DisposalCaseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the case on a date with the area disposed, as the case's page does."""
        return self.close_with(request, CloseCaseSerializer)


class AcceptanceSerializer(serializers.ModelSerializer):
    """A 标准地 acceptance as the service made it; only the decision changes, through the ``decide`` action."""

    class Meta:
        model = Acceptance
        fields = [
            "id", "parcel", "holder", "due_on", "checked_on", "figures_year", "holder_grade", "indicators", "outcome",
            "breach_amount", "recovery_proposed", "decision", "decided_on", "decision_note",
        ]  # fmt: skip
        read_only_fields = fields


class AcceptanceDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[c for c in Acceptance.Decision.choices if c[0] != "pending"])
    decided_on = serializers.DateField()
    decision_note = serializers.CharField(required=False, allow_blank=True, default="")


class AcceptanceViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Acceptance.objects.select_related("parcel__region")
    serializer_class = AcceptanceSerializer
    filterset_class = AcceptanceFilterSet

    @extend_schema(request=AcceptanceDecisionSerializer, responses=AcceptanceSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Record the decision on a pending acceptance, as its page does."""
        acceptance = self.get_object()
        data = AcceptanceDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            acceptance = services.decide_acceptance(
                acceptance, values["decision"], values["decided_on"], values["decision_note"], request.user
            )
        except DjangoValidationError as error:
            raise refusal(error) from error
        return Response(self.get_serializer(acceptance).data)


def register(router) -> None:
    router.register("parcels", ParcelViewSet)
    router.register("disposal-cases", DisposalCaseViewSet)
    router.register("acceptances", AcceptanceViewSet)
