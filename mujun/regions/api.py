from rest_framework import viewsets

from mujun.core.permissions import RegionScopedWritesMixin
from mujun.core.serializers import ValidatedModelSerializer
from mujun.regions.filtersets import RegionFilterSet
from mujun.regions.forms import RegionForm
from mujun.regions.models import Region


class RegionSerializer(ValidatedModelSerializer):
    """The tree's rules are Region.clean()'s, as on the web form."""

    class Meta:
        model = Region
        fields = ["id", *RegionForm.Meta.fields]


class RegionViewSet(RegionScopedWritesMixin, viewsets.ModelViewSet):
    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet


def register(router) -> None:
    router.register("regions", RegionViewSet)
