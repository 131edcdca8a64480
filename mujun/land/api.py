from rest_framework import serializers, viewsets

from mujun.core.permissions import RegionScopedWritesMixin
from mujun.land.filtersets import DisposalCaseFilterSet, ParcelFilterSet
from mujun.land.geometry import area_mu, area_problem, parse_boundary
from mujun.land.models import DisposalCase, Parcel


class ParcelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Parcel
        fields = [
            "id", "code", "name", "region", "holder", "area_mu", "land_use", "boundary", "boundary_area_mu",
            "approved_on", "supplied_on", "agreed_start_on", "agreed_completion_on", "started_on", "completed_on",
            "commissioned_on", "stopped_since", "floor_area_m2", "plot_ratio_required", "building_density",
            "developed_mu", "committed_investment_intensity", "committed_output_per_mu", "committed_tax_per_mu",
            "committed_energy_per_value_added", "actual_investment_intensity", "actual_output_per_mu",
            "actual_tax_per_mu", "actual_energy_per_value_added", "stage", "category", "category_since",
        ]  # fmt: skip
        read_only_fields = ["boundary_area_mu", "stage", "category", "category_since"]

    def validate_area_mu(self, value):
        if value <= 0:
            raise serializers.ValidationError("面积必须大于0 / area_mu must be greater than 0")
        return value

    def validate_boundary(self, value):
        geometry, problem = parse_boundary(value)
        if problem:
            raise serializers.ValidationError(problem)
        return geometry

    def validate(self, data):
        boundary, stated = data.get("boundary"), data.get("area_mu")
        if boundary and stated:
            problem = area_problem(stated, area_mu(boundary))
            if problem:
                raise serializers.ValidationError({"area_mu": problem})
        return data

    def save(self, **kwargs):
        boundary = self.validated_data.get("boundary")
        kwargs["boundary_area_mu"] = area_mu(boundary) if boundary else None
        return super().save(**kwargs)


class DisposalCaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = DisposalCase
        fields = [
            "id", "parcel", "category", "rule", "figures", "measure", "responsible_unit", "deadline", "opened_on",
            "status", "closed_on", "area_disposed_mu",
        ]  # fmt: skip


class ParcelViewSet(RegionScopedWritesMixin, viewsets.ModelViewSet):
    queryset = Parcel.objects.all()
    serializer_class = ParcelSerializer
    filterset_class = ParcelFilterSet


class DisposalCaseViewSet(RegionScopedWritesMixin, viewsets.ModelViewSet):
    queryset = DisposalCase.objects.select_related("parcel__region")
    serializer_class = DisposalCaseSerializer
    filterset_class = DisposalCaseFilterSet


def register(router) -> None:
    router.register("parcels", ParcelViewSet)
    router.register("disposal-cases", DisposalCaseViewSet)
