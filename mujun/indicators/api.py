from rest_framework import viewsets

from mujun.core.permissions import RegionScopedPermission, RegionScopedWritesMixin
from mujun.core.serializers import ValidatedModelSerializer
from mujun.indicators.filtersets import IndicatorFilterSet, IndicatorValueFilterSet
from mujun.indicators.forms import HorseRaceSchemeForm, IndicatorForm, IndicatorValueForm
from mujun.indicators.models import HorseRaceRound, HorseRaceScheme, HorseRaceScore, Indicator, IndicatorValue


# Indicators and their values have no workflow state: every field is data, checked by the model.


class IndicatorSerializer(ValidatedModelSerializer):
    class Meta:
        model = Indicator
        fields = ["id", *IndicatorForm.Meta.fields]


class IndicatorValueSerializer(ValidatedModelSerializer):
    class Meta:
        model = IndicatorValue
        fields = ["id", *IndicatorValueForm.Meta.fields]


class IndicatorViewSet(RegionScopedWritesMixin, viewsets.ModelViewSet):
    queryset = Indicator.objects.all()
    serializer_class = IndicatorSerializer
    permission_classes = [RegionScopedPermission]
    filterset_class = IndicatorFilterSet


class IndicatorValueViewSet(RegionScopedWritesMixin, viewsets.ModelViewSet):
    queryset = IndicatorValue.objects.select_related("region")
    serializer_class = IndicatorValueSerializer
    permission_classes = [RegionScopedPermission]
    filterset_class = IndicatorValueFilterSet


# The horse race is read here; schemes are kept on their page and quarters published there (services.py).


class HorseRaceSchemeSerializer(ValidatedModelSerializer):
    class Meta:
        model = HorseRaceScheme
        fields = ["id", *HorseRaceSchemeForm.Meta.fields]


class HorseRaceScoreSerializer(ValidatedModelSerializer):
    class Meta:
        model = HorseRaceScore
        fields = ["region", "rank", "total", "blocks", "cells", "winner", "reward_land_mu", "reward_yuan"]


class HorseRaceRoundSerializer(ValidatedModelSerializer):
    scores = HorseRaceScoreSerializer(many=True, read_only=True)

    class Meta:
        model = HorseRaceRound
        fields = ["id", "scheme", "year", "quarter", "scheme_toml", "published_at", "published_by", "scores"]
        read_only_fields = fields


class HorseRaceSchemeViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = HorseRaceScheme.objects.all()
    serializer_class = HorseRaceSchemeSerializer
    permission_classes = [RegionScopedPermission]


class HorseRaceRoundViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = HorseRaceRound.objects.prefetch_related("scores")
    serializer_class = HorseRaceRoundSerializer
    permission_classes = [RegionScopedPermission]
    filterset_fields = ["year", "quarter"]


def register(router) -> None:
    router.register("indicators", IndicatorViewSet)
    router.register("indicator-values", IndicatorValueViewSet)
    router.register("horse-race-schemes", HorseRaceSchemeViewSet)
    router.register("horse-race-rounds", HorseRaceRoundViewSet)
