from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from mujun.core.permissions import RegionScopedWritesMixin
from mujun.core.serializers import ValidatedModelSerializer
from mujun.enterprises import services
from mujun.enterprises.filtersets import EnterpriseFilterSet, EnterpriseYearFilterSet
from mujun.enterprises.models import ENTERPRISE_FIELDS, YEAR_FIGURES, Enterprise, EnterpriseYear


class EnterpriseSerializer(ValidatedModelSerializer):
    class Meta:
        model = Enterprise
        fields = ["id", "uscc", *ENTERPRISE_FIELDS, "active"]
        read_only_fields = ["active"]


class EnterpriseYearSerializer(ValidatedModelSerializer):
    class Meta:
        model = EnterpriseYear
        fields = ["id", "enterprise", "year", *YEAR_FIGURES]


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
