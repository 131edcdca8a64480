"""Inspection rounds over the API: read-only. Scores are entered on the judges' pages, and the
scoreboard is published only when a round closes, so no score is readable here while a round is open."""

from rest_framework import viewsets

from mujun.core.permissions import RegionScopedPermission
from mujun.core.serializers import ValidatedModelSerializer
from mujun.inspections.forms import CriterionForm, NominationForm, RoundForm
from mujun.inspections.models import Criterion, Nomination, Round


class CriterionSerializer(ValidatedModelSerializer):
    class Meta:
        model = Criterion
        fields = ["id", *CriterionForm.Meta.fields]  # what the form enters


class RoundSerializer(ValidatedModelSerializer):
    criteria = CriterionSerializer(many=True, read_only=True)

    class Meta:
        model = Round
        fields = ["id", *RoundForm.Meta.fields, "status", "closed_at", "criteria"]  # what the form enters, the state
        read_only_fields = ["status", "closed_at"]  # opened and closed by mujun.inspections.services


class NominationSerializer(ValidatedModelSerializer):
    class Meta:
        model = Nomination
        fields = ["id", "round", *NominationForm.Meta.fields]  # the round is the page's, the rest the form's


class RoundViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Round.objects.prefetch_related("criteria")
    serializer_class = RoundSerializer
    permission_classes = [RegionScopedPermission]
    filterset_fields = ["year", "quarter", "status"]


class NominationViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Nomination.objects.all()
    serializer_class = NominationSerializer
    permission_classes = [RegionScopedPermission]
    filterset_fields = ["round", "region"]


def register(router) -> None:
    router.register("inspection-rounds", RoundViewSet)
    router.register("inspection-nominations", NominationViewSet)
