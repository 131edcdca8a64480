from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from mujun.core.scoping import can_edit_region
from mujun.core.validators import FIRST_YEAR, LAST_YEAR
from mujun.evaluation.filtersets import ResultFilterSet, RunFilterSet, SchemeFilterSet
from mujun.evaluation.forms import RunForm, SchemeForm, validate_scheme_text
from mujun.evaluation.grades import visible_runs
from mujun.evaluation.models import Result, Run, Scheme
from mujun.evaluation.services import start_run


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
    "status", "progress", "message", "summary", "created_by", "created_at", "finished_at", "published_at"
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
        attrs.setdefault("name", f"{region} {attrs['year']} · {attrs['scheme'].name}"[:128])
        return attrs


class RunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Runs: read, and create (which queues the evaluation). Publishing and deleting are web actions."""

    queryset = Run.objects.select_related("region", "scheme")
    serializer_class = RunSerializer
    filterset_class = RunFilterSet

    def get_queryset(self):
        # A draft is seen only by its author and city administrators.
        return visible_runs(self.request.user, super().get_queryset())

    def perform_create(self, serializer):
        start_run(serializer.save(created_by=self.request.user), self.request.user)


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
        ]


class ResultViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Result.objects.select_related("enterprise").order_by("run", "group", "rank", "pk")
    serializer_class = ResultSerializer
    filterset_class = ResultFilterSet

    def get_queryset(self):
        return super().get_queryset().filter(run__in=visible_runs(self.request.user))


def register(router) -> None:
    router.register("evaluation/schemes", SchemeViewSet)
    router.register("evaluation/runs", RunViewSet)
    router.register("evaluation/results", ResultViewSet)
