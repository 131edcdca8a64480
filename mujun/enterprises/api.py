from rest_framework import serializers, viewsets

from mujun.core.permissions import RegionScopedWritesMixin
from mujun.enterprises.filtersets import EnterpriseFilterSet, EnterpriseYearFilterSet
from mujun.enterprises.models import Enterprise, EnterpriseYear


class EnterpriseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enterprise
        fields = ["id", "uscc", "name", "region", "industry_code", "above_scale", "land_mu", "established_on"]

    def validate_land_mu(self, value):
        if value is not None and value <= 0:
            raise serializers.ValidationError("用地面积必须大于0 / land_mu must be greater than 0")
        return value


class EnterpriseYearSerializer(serializers.ModelSerializer):
    class Meta:
        model = EnterpriseYear
        fields = [
            "id", "enterprise", "year", "above_scale", "land_mu", "tax", "value_added", "revenue", "energy_tce",
            "emission_eq", "rd_expense", "employees", "electricity_10k_kwh", "land_acquired_on",
            "major_violation", "coefficient", "bonus",
        ]  # fmt: skip

    def validate_land_mu(self, value):
        if value <= 0:
            raise serializers.ValidationError("用地面积必须大于0 / land_mu must be greater than 0")
        return value


class EnterpriseViewSet(RegionScopedWritesMixin, viewsets.ModelViewSet):
    queryset = Enterprise.objects.all()
    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilterSet


class EnterpriseYearViewSet(RegionScopedWritesMixin, viewsets.ModelViewSet):
    queryset = EnterpriseYear.objects.select_related("enterprise__region")
    serializer_class = EnterpriseYearSerializer
    filterset_class = EnterpriseYearFilterSet


def register(router) -> None:
    router.register("enterprises", EnterpriseViewSet)
    router.register("enterprise-years", EnterpriseYearViewSet)
