from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.exceptions import PermissionDenied

from mujun.core.scoping import can_edit_region
from mujun.core.serializers import ValidatedModelSerializer
from mujun.core.validators import FIRST_YEAR, LAST_YEAR
from mujun.evaluation.filtersets import ResultFilterSet, RunFilterSet, SchemeFilterSet
from mujun.evaluation.forms import RunForm, SchemeForm, validate_scheme_text
from mujun.evaluation.grades import visible_runs
from mujun.evaluation import benchmarks, services
from mujun.evaluation.models import Objection, ProvincialAverage, Result, Run, Scheme
from mujun.evaluation.services import require_collections_closed, start_run


class SchemeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Scheme
        # What the form enters, the preset it started from, and what is taken from the text.
        fields = ["id", *SchemeForm.Meta.fields, "preset", "name", "year", "created_at"]
        read_only_fields = ["name", "year", "created_at"]

    def validate_toml(self, text):
        try:
            self._parsed = validate_scheme_text(text)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return text

    def validate(self, attrs):
        user = self.context["request"].user
        region = attrs.get("region", getattr(self.instance, "region", None))
        if not (user.is_city_admin or (region is not None and can_edit_region(user, region))):
            raise PermissionDenied(gettext("you may not edit schemes of this region"))
        if hasattr(self, "_parsed"):
            attrs["name"], attrs["year"] = self._parsed.name, self._parsed.year
        return attrs


class SchemeViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Schemes: read, create, edit. A scheme is never deleted: runs keep referring to it."""

    queryset = Scheme.objects.select_related("region")
    serializer_class = SchemeSerializer
    filterset_class = SchemeFilterSet


# Set by the evaluation and by publishing (mujun.evaluation.services), never by hand.
RUN_STATE_FIELDS = [
    "status", "progress", "message", "summary", "created_by", "created_at", "finished_at", "published_at",
    "posting_starts_on", "posting_ends_on", "posted_at",
]  # fmt: skip


class RunSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR)
    name = serializers.CharField(required=False, max_length=128)

    class Meta:
        model = Run
        fields = ["id", *RunForm.Meta.fields, *RUN_STATE_FIELDS]  # what the form enters, and the run's state
        read_only_fields = RUN_STATE_FIELDS

    def validate(self, attrs):
        user = self.context["request"].user
        region = attrs["region"]
        # Same rule as the web form: an operator runs their own county only.
        if not (user.is_city_admin or (user.can_edit and region.pk == user.region_id)):
            raise PermissionDenied(gettext("you may not evaluate this region"))
        attrs.setdefault("year", attrs["scheme"].year)
        try:
            require_collections_closed(region, attrs["year"])
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"year": exc.messages}) from exc
        attrs.setdefault("name", f"{region} {attrs['year']} · {attrs['scheme'].name}"[:128])
        return attrs


class PostingSerializer(serializers.Serializer):
    posting_starts_on = serializers.DateField()
    posting_ends_on = serializers.DateField()


def refusal(error: DjangoValidationError) -> serializers.ValidationError:
    """A service's refusal as a 400 naming each field (or ``non_field_errors``)."""
    return serializers.ValidationError(serializers.as_serializer_error(error))


class RunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Runs: read, create (which queues the evaluation), post for public notice and publish. Deleting is a
    web action."""

    queryset = Run.objects.select_related("region", "scheme")
    serializer_class = RunSerializer
    filterset_class = RunFilterSet

    def get_queryset(self):
        # A draft is seen only by its author and city administrators.
        return visible_runs(self.request.user, super().get_queryset())

    def perform_create(self, serializer):
        start_run(serializer.save(created_by=self.request.user), self.request.user)

    @extend_schema(request=PostingSerializer, responses=RunSerializer)
    @action(detail=True, methods=["post"], serializer_class=PostingSerializer, url_path="post", url_name="post")
    def post_for_notice(self, request, pk=None):
        """Post the finished run's results for public notice from ``posting_starts_on`` to ``posting_ends_on``."""
        run = self.get_object()
        data = PostingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            run = services.post_run(
                run, request.user, data.validated_data["posting_starts_on"], data.validated_data["posting_ends_on"]
            )
        except DjangoValidationError as error:
            raise refusal(error) from error
        return Response(RunSerializer(run, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=RunSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish the posted run once its window has ended and every objection is decided (city administrators)."""
        run = self.get_object()
        try:
            run = services.publish_run(run, request.user)
        except DjangoValidationError as error:
            raise refusal(error) from error
        return Response(RunSerializer(run, context=self.get_serializer_context()).data)


class ResultSerializer(serializers.ModelSerializer):
    uscc = serializers.CharField(source="enterprise.uscc", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)

    class Meta:
        model = Result
        fields = [
            "id",
            "run",
            "enterprise",
            "uscc",
            "enterprise_name",
            "region",
            "group",
            "status",
            "reason",
            "total",
            "rank",
            "grade",
            "indicators",
            "policies",
            "consecutive_d_years",
            "posted_grade",
            "changed_on_review",
            "review_note",
        ]
        read_only_fields = list(Result.state_fields)


class ResultViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Result.objects.select_related("enterprise").order_by("run", "group", "rank", "pk")
    serializer_class = ResultSerializer
    filterset_class = ResultFilterSet

    def get_queryset(self):
        return super().get_queryset().filter(run__in=visible_runs(self.request.user))


# Set when the objection is filed and decided (mujun.evaluation.services), never by hand.
OBJECTION_STATE_FIELDS = [
    "run", "filed_by", "filed_as", "filed_at", *Objection.state_fields
]  # fmt: skip


class ObjectionSerializer(ValidatedModelSerializer):
    """An objection: filed with ``result`` (the enterprise's result in a posted run), ``reason`` and optional
    ``evidence`` (multipart), within the posting window, by the enterprise's town or county operator."""

    uscc = serializers.CharField(source="result.enterprise.uscc", read_only=True)
    enterprise_name = serializers.CharField(source="result.enterprise.name", read_only=True)
    evidence = serializers.FileField(required=False, write_only=True)

    class Meta:
        model = Objection
        fields = ["id", "result", "uscc", "enterprise_name", "reason", "evidence", "evidence_name",
                  *OBJECTION_STATE_FIELDS]  # fmt: skip
        read_only_fields = ["evidence_name", *OBJECTION_STATE_FIELDS]

    def prepare_instance(self, instance) -> None:
        # The run and the filer's standing come from the result and the user, as the page derives them.
        user = self.context["request"].user
        instance.run, instance.filed_by = instance.result.run, user
        instance.filed_as = services.objection_filed_as(user, instance.result)

    def create(self, validated_data):
        try:
            return services.file_objection(
                validated_data["result"], self.context["request"].user, validated_data["reason"],
                validated_data.get("evidence"),
            )  # fmt: skip
        except DjangoValidationError as error:
            raise refusal(error) from error


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[c for c in Objection.Decision.choices if c[0] != Objection.Decision.PENDING]
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    grade = serializers.ChoiceField(choices=Result.GRADES, required=False, allow_blank=True, default="")


class ObjectionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Objections to posted results: read, file (create) and decide; the services check window and roles."""

    queryset = Objection.objects.select_related("result__enterprise", "run")
    serializer_class = ObjectionSerializer
    filterset_fields = ["run", "decision"]

    def get_queryset(self):
        return super().get_queryset().filter(run__in=visible_runs(self.request.user))

    @extend_schema(request=DecisionSerializer, responses=ObjectionSerializer)
    @action(detail=True, methods=["post"], serializer_class=DecisionSerializer)
    def decide(self, request, pk=None):
        """Uphold, record a correction (figures corrected through the enterprise-years API, then recomputed) or
        regrade, with a written reason (city administrators)."""
        objection = self.get_object()
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            objection = services.decide_objection(
                objection, request.user, data.validated_data["decision"], data.validated_data["reason"],
                data.validated_data["grade"],
            )  # fmt: skip
        except DjangoValidationError as error:
            raise refusal(error) from error
        return Response(ObjectionSerializer(objection, context=self.get_serializer_context()).data)


class ProvincialAverageSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProvincialAverage
        fields = ["id", "year", "tax_per_mu", "value_added_per_mu", "source"]


class ProvincialAverageViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = ProvincialAverage.objects.order_by("year")
    serializer_class = ProvincialAverageSerializer


class LeaderSerializer(serializers.Serializer):
    group = serializers.CharField(help_text="the industry division (GB/T 4754, two digits) or the park's name")
    rank = serializers.IntegerField()
    enterprise = serializers.IntegerField(source="enterprise_id")
    name = serializers.CharField()
    county = serializers.CharField(source="county_name", allow_null=True)
    division = serializers.CharField(allow_null=True)
    park = serializers.CharField(source="park_name", allow_null=True)
    land_mu = serializers.FloatField()
    tax_per_mu = serializers.FloatField()
    value_added_per_mu = serializers.FloatField(allow_null=True)
    total = serializers.FloatField(allow_null=True)
    grade = serializers.CharField()


class RankingSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True)
    region = serializers.IntegerField()
    name = serializers.CharField()
    enterprises = serializers.IntegerField()
    land_mu = serializers.FloatField(allow_null=True)
    tax_per_mu = serializers.FloatField(allow_null=True)
    tax_per_mu_vs_city = serializers.FloatField(allow_null=True, help_text="%")
    tax_per_mu_vs_province = serializers.FloatField(allow_null=True, help_text="%")
    value_added_per_mu = serializers.FloatField(allow_null=True)
    value_added_per_mu_vs_city = serializers.FloatField(allow_null=True, help_text="%")
    value_added_per_mu_vs_province = serializers.FloatField(allow_null=True, help_text="%")


class BenchmarkViewSet(viewsets.GenericViewSet):
    """A read-only list computed from the published years (mujun/evaluation/benchmarks.py), filtered by the
    query as the page's form reads it; a 400 names each bad filter (an unknown year)."""

    queryset = Result.objects.none()
    pagination_class = None
    form_class = None

    def rows(self, values: dict) -> list[dict]:
        raise NotImplementedError

    def list(self, request):
        form = self.form_class(request.query_params)
        if not form.is_valid():
            raise serializers.ValidationError(form.errors)
        if form.cleaned_data["year"] is None:
            raise serializers.ValidationError({"year": [gettext("No evaluation has been published yet.")]})
        return Response(self.get_serializer(self.rows(form.cleaned_data), many=True).data)


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("year", int, description="a year with a published evaluation; the latest by default"),
    OpenApiParameter("by", str, enum=list(benchmarks.GROUPINGS), description="leaders per industry division or park"),
    OpenApiParameter("division", str, description="only this GB/T 4754 division (two digits)"),
    OpenApiParameter("park", int, description="only the enterprises of this park (a region id)"),
    OpenApiParameter("top", int, description="leaders per group, 1 to 100 (10 by default)"),
]))  # fmt: skip
class LeaderViewSet(BenchmarkViewSet):
    """Per-mu leaders of a published year (?year, by=division|park, division, park, top)."""

    serializer_class = LeaderSerializer
    form_class = benchmarks.LeadersForm

    def rows(self, values):
        by = values["by"] or "division"
        top = values["top"] or benchmarks.TOP_DEFAULT
        frame = benchmarks.leader_frame(values["year"], by, top, values["division"], values["park"])
        return [{**row, "group": row["division" if by == "division" else "park_name"]} for row in frame.iter_rows(named=True)]


@extend_schema_view(list=extend_schema(parameters=[
    OpenApiParameter("year", int, description="a year with a published evaluation; the latest by default"),
    OpenApiParameter("level", str, enum=list(benchmarks.LEVELS)),
    OpenApiParameter("metric", str, enum=list(benchmarks.METRIC_LABELS), description="the per-mu figure ranked by"),
]))  # fmt: skip
class RankingViewSet(BenchmarkViewSet):
    """Counties, towns or parks ranked by a per-mu figure of a published year (?year, level, metric)."""

    serializer_class = RankingSerializer
    form_class = benchmarks.RankingsForm

    def rows(self, values):
        board = benchmarks.ranking_board(values["year"], values["level"] or "county", values["metric"] or "tax", with_chart=False)
        return [{**row, "region": row["region"].pk, "name": row["region"].name} for row in board.rows]


def register(router) -> None:
    router.register("evaluation/schemes", SchemeViewSet)
    router.register("evaluation/runs", RunViewSet)
    router.register("evaluation/results", ResultViewSet)
    router.register("evaluation/objections", ObjectionViewSet)
    router.register("evaluation/provincial-averages", ProvincialAverageViewSet)
    router.register("evaluation/leaders", LeaderViewSet, basename="leader")
    router.register("evaluation/rankings", RankingViewSet, basename="ranking")
