from rest_framework import serializers, viewsets

from mujun.core.permissions import RegionScopedPermission, RegionScopedWritesMixin
from mujun.indicators.filtersets import IndicatorFilterSet, IndicatorValueFilterSet
from mujun.indicators.models import Indicator, IndicatorValue


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = ["id", "code", "name", "unit", "higher_is_better", "weight", "frequency", "order"]


class IndicatorValueSerializer(serializers.ModelSerializer):
    class Meta:
        model = IndicatorValue
        fields = ["id", "indicator", "region", "year", "month", "value"]

    def validate(self, attrs):
        indicator, month = attrs.get("indicator"), attrs.get("month")
        if indicator and month and indicator.frequency == Indicator.Frequency.QUARTERLY and month % 3:
            raise serializers.ValidationError(
                "季度指标的月份应为3、6、9或12 / a quarterly indicator is stored at month 3, 6, 9 or 12"
            )
        return attrs


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
