from django.db import transaction
from django.utils.translation import gettext_lazy as _
from datetime import date

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from mujun.core.permissions import CityAdminOnly, RegionScopedWritesMixin
from mujun.core.scoping import require_edit
from mujun.core.serializers import ValidatedModelSerializer
from mujun.core.validators import year_validators
from mujun.projects import services, wall
from mujun.projects.filtersets import MonthlyReportFilterSet, ProjectFilterSet
from mujun.projects.forms import PLANNED_FIELDS, ProjectForm
from mujun.projects.models import Evidence, MonthlyReport, Project, Stage, parcels_problem
from mujun.projects.oc4ids import project_release
from mujun.regions.models import Region

ACTUAL_FIELDS = [name.replace("planned_", "actual_") for name in PLANNED_FIELDS]


class ProjectSerializer(ValidatedModelSerializer):
    class Meta:
        model = Project
        fields = ["id", *ProjectForm.Meta.fields, "stage", *ACTUAL_FIELDS]  # what the form enters, and the state
        # The stage and its dates move only through the ``advance`` and ``correct`` actions (services).
        read_only_fields = ["stage", *ACTUAL_FIELDS]

    def validate(self, attrs):
        attrs = super().validate(attrs)  # the model's rules (Project.clean)
        region = attrs.get("region", self.instance.region if self.instance else None)
        parcels = attrs["parcels"] if "parcels" in attrs else (self.instance.parcels.all() if self.instance else [])
        if problem := parcels_problem(region, parcels):
            raise serializers.ValidationError({"parcels": problem})
        return attrs


class AdvanceSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    date = serializers.DateField()
    photos = serializers.ListField(child=serializers.FileField(), required=False)
    documents = serializers.ListField(child=serializers.FileField(), required=False)


class CorrectionSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    reason = serializers.CharField()


class MonthlyReportSerializer(serializers.ModelSerializer):
    # Not a ValidatedModelSerializer: every write goes through services.submit_report, which holds the report's
    # rules (month not reported yet, not in the future, not approved, investment to date from the last report).
    class Meta:
        model = MonthlyReport
        fields = ["id", "project", "month", "invested_month", "invested_to_date", "notes", "status", "review_note"]
        read_only_fields = ["status", "review_note"]
        extra_kwargs = {"invested_to_date": {"required": False}}
        validators = []  # services.submit_report refuses a month already reported, with a message in the user's language


class ReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("approve", _("Approve")), ("return", _("Send back"))])
    note = serializers.CharField(required=False, allow_blank=True, default="")


class StartRatesQuery(serializers.Serializer):
    year = serializers.IntegerField(required=False, validators=year_validators())


class KeyListsQuery(serializers.Serializer):
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), required=False, allow_null=True)
    month = serializers.DateField(required=False, input_formats=["%Y-%m", "%Y-%m-%d"])


def _query(serializer_class, request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def refused(refusal: services.Refused) -> ValidationError:
    # A field's refusal names the field, as the serializers' own errors do.
    return ValidationError({refusal.field: [str(refusal)]} if refusal.field else {"detail": str(refusal)})


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
        try:
            uploads = [services.Upload.from_file(f, Evidence.Kind.PHOTO) for f in request.FILES.getlist("photos")]
            uploads += [services.Upload.from_file(f, Evidence.Kind.DOCUMENT) for f in request.FILES.getlist("documents")]
            project = services.advance(project, data.validated_data["stage"], data.validated_data["date"], uploads, request.user)
        except services.Refused as refusal:
            raise refused(refusal) from refusal
        return Response(ProjectSerializer(project).data)

    @extend_schema(request=CorrectionSerializer, responses=ProjectSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CityAdminOnly])
    def correct(self, request, pk=None):
        """A city administrator moves the project back to an earlier stage, with a reason."""
        project = self.get_object()
        data = CorrectionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            project = services.correct_back(project, data.validated_data["stage"], request.user, data.validated_data["reason"])
        except services.Refused as refusal:
            raise refused(refusal) from refusal
        return Response(ProjectSerializer(project).data)

    @extend_schema(parameters=[StartRatesQuery], responses=dict)
    @action(detail=False, methods=["get"], url_path="start-rates")
    def start_rates(self, request):
        """The start rates of a year's new projects per county against the targets, with each county's flag."""
        today = date.today()
        year = _query(StartRatesQuery, request).get("year") or today.year
        per_county, total = wall.start_rates(year, today, str(_("Whole city")))
        return Response({"year": year, "counties": per_county.to_dicts(), "total": total.to_dicts()[0] if total.height else None})

    @extend_schema(parameters=[KeyListsQuery], responses=dict)
    @action(detail=False, methods=["get"], url_path="key-lists")
    def key_lists(self, request):
        """The five key lists of a region (the whole city without one) at the end of a month (this month without one)."""
        query = _query(KeyListsQuery, request)
        month = (query.get("month") or date.today()).replace(day=1)
        lists = wall.key_lists(query.get("region"), month)
        return Response({"month": f"{month:%Y-%m}", **{key: frame.to_dicts() for key, frame in lists.items()}})

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
        # A report stays with its project: a resubmission naming another one is its own project's report.
        project = report.project if report else data["project"]
        require_edit(self.request.user, project)
        try:
            with transaction.atomic():
                saved = services.submit_report(
                    project, data.get("month", report.month if report else None), data.get("invested_month", report.invested_month if report else None),
                    data.get("invested_to_date"), data.get("notes", ""), [], self.request.user, report=report,
                )  # fmt: skip
        except services.Refused as refusal:
            raise refused(refusal) from refusal
        serializer.instance = saved

    def perform_create(self, serializer):
        self._submit(serializer)

    def perform_update(self, serializer):
        self._submit(serializer, report=serializer.instance)

    def perform_destroy(self, instance):
        services.delete_report(instance, self.request.user)

    @extend_schema(request=ReviewSerializer, responses=MonthlyReportSerializer)
    @action(detail=True, methods=["post"], permission_classes=[CityAdminOnly])
    def review(self, request, pk=None):
        """The city approves the report or sends it back with a note, as the report's page does."""
        report = self.get_object()
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            report = services.review_report(report, data.validated_data["decision"] == "approve", data.validated_data["note"], request.user)
        except services.Refused as refusal:
            raise refused(refusal) from refusal
        return Response(MonthlyReportSerializer(report).data)


def register(router) -> None:
    router.register("projects", ProjectViewSet)
    router.register("project-reports", MonthlyReportViewSet)
