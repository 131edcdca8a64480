from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from mujun.core.permissions import RegionScopedWritesMixin
from mujun.core.scoping import require_edit
from mujun.projects import services
from mujun.projects.filtersets import MonthlyReportFilterSet, ProjectFilterSet
from mujun.projects.forms import PLANNED_FIELDS
from mujun.projects.models import Evidence, MonthlyReport, Project, Stage
from mujun.projects.oc4ids import project_release

ACTUAL_FIELDS = [name.replace("planned_", "actual_") for name in PLANNED_FIELDS]


class ProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = [
            "id", "code", "name", "enterprise", "region", "parcels", "industry_code", "chain_tags",
            "total_investment", "fixed_asset_investment", "foreign_capital_usd", "is_new", "level", "field",
            "batch", "plan_year", "annual_plan", "stage", *PLANNED_FIELDS, *ACTUAL_FIELDS,
        ]  # fmt: skip
        read_only_fields = ["stage", *ACTUAL_FIELDS]

    def validate_total_investment(self, value):
        if value <= 0:
            raise serializers.ValidationError("总投资必须大于0 / total_investment must be greater than 0")
        return value

    def validate(self, attrs):
        for name in ("fixed_asset_investment", "foreign_capital_usd", "annual_plan"):
            if attrs.get(name) is not None and attrs[name] < 0:
                raise serializers.ValidationError({name: "不能为负数 / must not be negative"})
        return attrs


class AdvanceSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    date = serializers.DateField()
    photos = serializers.ListField(child=serializers.FileField(), required=False)
    documents = serializers.ListField(child=serializers.FileField(), required=False)


class MonthlyReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = MonthlyReport
        fields = ["id", "project", "month", "invested_month", "invested_to_date", "notes", "status", "review_note"]
        read_only_fields = ["status", "review_note"]
        extra_kwargs = {"invested_to_date": {"required": False}}
        validators = []  # services.submit_report refuses a month already reported, with a bilingual message


class ProjectViewSet(RegionScopedWritesMixin, viewsets.ModelViewSet):
    queryset = Project.objects.prefetch_related("parcels")
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilterSet

    @extend_schema(request={"multipart/form-data": AdvanceSerializer}, responses=ProjectSerializer)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def advance(self, request, pk=None):
        """Move the project into its next stage with a date and the evidence that stage requires."""
        project = self.get_object()
        data = AdvanceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        uploads = [services.Upload.from_file(f, Evidence.Kind.PHOTO) for f in request.FILES.getlist("photos")]
        uploads += [services.Upload.from_file(f, Evidence.Kind.DOCUMENT) for f in request.FILES.getlist("documents")]
        try:
            project = services.advance(project, data.validated_data["stage"], data.validated_data["date"], uploads, request.user)
        except services.Refused as refusal:
            raise ValidationError({"detail": str(refusal)}) from refusal
        return Response(ProjectSerializer(project).data)

    @extend_schema(responses=dict)
    @action(detail=True, methods=["get"])
    def oc4ids(self, request, pk=None):
        """The project as an OC4IDS 0.9 project object."""
        return Response(project_release(self.get_object(), request.build_absolute_uri("/")))


class MonthlyReportViewSet(RegionScopedWritesMixin, viewsets.ModelViewSet):
    queryset = MonthlyReport.objects.select_related("project__region")
    serializer_class = MonthlyReportSerializer
    filterset_class = MonthlyReportFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def _submit(self, serializer, report=None):
        data = serializer.validated_data
        project = data.get("project") or report.project
        require_edit(self.request.user, project)
        try:
            with transaction.atomic():
                saved = services.submit_report(
                    project, data.get("month", report.month if report else None), data.get("invested_month", report.invested_month if report else None),
                    data.get("invested_to_date"), data.get("notes", ""), [], self.request.user, report=report,
                )  # fmt: skip
        except services.Refused as refusal:
            raise ValidationError({"detail": str(refusal)}) from refusal
        serializer.instance = saved

    def perform_create(self, serializer):
        self._submit(serializer)

    def perform_update(self, serializer):
        self._submit(serializer, report=serializer.instance)


def register(router) -> None:
    router.register("projects", ProjectViewSet)
    router.register("project-reports", MonthlyReportViewSet)
