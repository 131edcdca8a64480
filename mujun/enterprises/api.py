from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from mujun.core.permissions import RegionScopedWritesMixin
from mujun.core.serializers import ValidatedModelSerializer
from mujun.enterprises import services
from mujun.enterprises.filtersets import EnterpriseFilterSet, EnterpriseYearFilterSet
from mujun.enterprises.models import Enterprise, EnterpriseYear


class EnterpriseSerializer(ValidatedModelSerializer):
    class Meta:
        model = Enterprise
        fields = [
            "id", "uscc", "name", "region", "industry_code", "above_scale", "land_mu", "established_on", "active",
        ]  # fmt: skip
        read_only_fields = ["active"]

    def validate_land_mu(self, value):
        if value is not None and value <= 0:
            raise serializers.ValidationError("用地面积必须大于0 / land_mu must be greater than 0")
        return value


class EnterpriseYearSerializer(ValidatedModelSerializer):
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

    def perform_destroy(self, instance):
        services.delete_enterprise(instance)

    def _set_active(self, active: bool) -> Response:
        enterprise = self.get_object()
        services.set_active(enterprise, active)
        return Response(self.get_serializer(enterprise).data)

    @extend_schema(request=None, responses=EnterpriseSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """Deactivate the enterprise: kept in history and published results, left out of new runs."""
        return self._set_active(False)

    @extend_schema(request=None, responses=EnterpriseSerializer)
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        return self._set_active(True)


class EnterpriseYearViewSet(RegionScopedWritesMixin, viewsets.ModelViewSet):
    queryset = EnterpriseYear.objects.select_related("enterprise__region")
    serializer_class = EnterpriseYearSerializer
    filterset_class = EnterpriseYearFilterSet


def register(router) -> None:
    router.register("enterprises", EnterpriseViewSet)
    router.register("enterprise-years", EnterpriseYearViewSet)
