from rest_framework import viewsets

from mujun.core.permissions import RegionScopedPermission, RegionScopedWritesMixin
from mujun.core.serializers import ValidatedModelSerializer
from mujun.indicators.filtersets import IndicatorFilterSet, IndicatorValueFilterSet
from mujun.indicators.forms import IndicatorForm, IndicatorValueForm
from mujun.indicators.models import Indicator, IndicatorValue


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


def register(router) -> None:
    router.register("indicators", IndicatorViewSet)
    router.register("indicator-values", IndicatorValueViewSet)
