"""Data collection over the API: collections, departments, deliveries (a workbook posted as multipart) and
conflicts, scoped like the pages. State changes (open, deliver, resolve, close) go through
mujun.collection.services."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from mujun.collection import services
from mujun.collection.models import Collection, Conflict, Supplier, Upload
from mujun.core.api import ImportJobSerializer
from mujun.core.imports import ImportFailed
from mujun.core.permissions import RegionScopedPermission, RegionScopedWritesMixin
from mujun.core.serializers import ValidatedModelSerializer
from mujun.core.uploads import check_size

COLLECTION_STATE_FIELDS = ["status", "opened_by", "opened_at", "closed_by", "closed_at", "merged_at"]


class CollectionSerializer(ValidatedModelSerializer):
    class Meta:
        model = Collection
        fields = ["id", "year", "region", "anomaly_factor", *COLLECTION_STATE_FIELDS]
        read_only_fields = COLLECTION_STATE_FIELDS


class SupplierSerializer(ValidatedModelSerializer):
    class Meta:
        model = Supplier
        fields = ["id", "name", "region", "columns", "aliases", "priorities"]  # its staff (user accounts) stay off


class UploadSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True)

    class Meta:
        model = Upload
        fields = ["id", "collection", "supplier", "version", "kind", "file", "original_name", "uploaded_by",
                  "uploaded_at", "rows", "figures", "changed", "columns", "unknown_codes"]  # fmt: skip
        read_only_fields = ["version", "kind", "original_name", "uploaded_by", "uploaded_at", "rows", "figures",
                            "changed", "columns", "unknown_codes"]  # fmt: skip


class ConflictSerializer(serializers.ModelSerializer):
    class Meta:
        model = Conflict
        fields = ["id", "collection", "enterprise", "column", "kind", "candidates", "status", "value", "note",
                  "resolved_by", "resolved_at"]  # fmt: skip
        read_only_fields = fields


class ResolveSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=64)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CloseSerializer(serializers.Serializer):
    confirm = serializers.BooleanField()


def _refusal(error):
    if isinstance(error, ImportFailed):
        return ValidationError({"problems": [str(p) for p in error.problems]})
    if isinstance(error, DjangoPermissionDenied):
        return PermissionDenied(str(error))
    return ValidationError({"detail": error.messages})


class CollectionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Collections: read, open (create), and close (which merges the figures)."""

    queryset = Collection.objects.select_related("region")
    serializer_class = CollectionSerializer
    permission_classes = [RegionScopedPermission]
    filterset_fields = ["year", "region", "status"]

    def get_queryset(self):
        return services.visible_collections(self.request.user, super().get_queryset())

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            serializer.instance = services.open_collection(
                data["region"], data["year"], self.request.user, data.get("anomaly_factor", 3.0)
            )
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            raise _refusal(error) from error

    @action(detail=True, methods=["post"], serializer_class=CloseSerializer)
    def close(self, request, pk=None):
        collection = self.get_object()
        serializer = CloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            outcome = services.close_collection(collection, request.user, confirm=serializer.validated_data["confirm"])
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            raise _refusal(error) from error
        return Response({"updated": outcome.updated, "created": outcome.created, "skipped": outcome.skipped})


class SupplierViewSet(RegionScopedWritesMixin, viewsets.ModelViewSet):
    queryset = Supplier.objects.all()
    serializer_class = SupplierSerializer
    permission_classes = [RegionScopedPermission]
    filterset_fields = ["region"]


class UploadViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Deliveries: a department's staff see and post their department's only. A posted workbook is imported in
    the background: 202 with the import as ``/api/imports/<id>/`` gives it (that URL in ``Location``; its
    status, counts, and every problem by row, column and reason once it has run). Refused at once (400/403):
    a closed collection, another department's delivery, a file that is no workbook."""

    queryset = Upload.objects.select_related("supplier")
    serializer_class = UploadSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["collection", "supplier"]

    def get_queryset(self):
        return services.visible_uploads(self.request.user, super().get_queryset())

    @extend_schema(responses={202: ImportJobSerializer})
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        collection = data["collection"]
        if not services.visible_collections(request.user).filter(pk=collection.pk).exists():
            raise PermissionDenied()
        upload = data["file"]
        try:
            check_size(upload.name, upload.size)  # before the file is read into memory
            job = services.start_delivery(collection, data["supplier"], request.user, upload.read(), upload.name)
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            raise _refusal(error) from error
        job.refresh_from_db()  # the worker may have run it already
        url = request.build_absolute_uri(reverse("importjob-detail", args=[job.pk]))
        body = ImportJobSerializer(job, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": url})


class ConflictViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Conflict.objects.all()
    serializer_class = ConflictSerializer
    # Resolving is refused up front to those who may not change the enterprise's figures, as on the pages.
    permission_classes = [RegionScopedPermission]
    filterset_fields = ["collection", "status", "kind", "column"]

    def get_queryset(self):
        user = self.request.user
        if services.is_data_supplier(user):
            return Conflict.objects.none()
        queryset = super().get_queryset().filter(collection__in=services.visible_collections(user))
        if services.is_county_operator(user) and not user.is_city_admin:
            queryset = queryset.filter(enterprise__region_id__in=user.region.descendant_ids())
        return queryset

    @action(detail=True, methods=["post"], serializer_class=ResolveSerializer)
    def resolve(self, request, pk=None):
        conflict = self.get_object()
        serializer = ResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.resolve_conflict(conflict, request.user, serializer.validated_data["value"],
                                      serializer.validated_data.get("note", ""))  # fmt: skip
        except (DjangoValidationError, DjangoPermissionDenied) as error:
            raise _refusal(error) from error
        return Response(ConflictSerializer(conflict).data)


def register(router) -> None:
    router.register("collections", CollectionViewSet)
    router.register("collection-suppliers", SupplierViewSet)
    router.register("collection-uploads", UploadViewSet)
    router.register("collection-conflicts", ConflictViewSet)
