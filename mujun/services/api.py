"""Enterprise problems over the API: read, scoped like the pages (a handler sees their department's).
Changes of state go through mujun.services.services, which checks who takes each step."""

from rest_framework import serializers, viewsets

from mujun.core.permissions import RegionScopedPermission
from mujun.core.serializers import ValidatedModelSerializer
from mujun.services.filtersets import ProblemFilterSet
from mujun.services.forms import ProblemForm
from mujun.services.models import Department, Problem
from mujun.services.services import visible_problems


# Set by the steps of mujun.services.services (assign, answer, confirm, send back), never by hand.
PROBLEM_STATE_FIELDS = ["status", "department", "deadline", "answer", "feedback", "times_sent_back", "submitted_at",
                        "assigned_at", "answered_at", "closed_at"]  # fmt: skip


class ProblemSerializer(ValidatedModelSerializer):
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = Problem
        fields = ["id", *ProblemForm.Meta.fields, *PROBLEM_STATE_FIELDS, "overdue"]  # what the form enters, the state
        read_only_fields = PROBLEM_STATE_FIELDS


class DepartmentSerializer(ValidatedModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "region"]  # not DepartmentForm's: its handlers (user accounts) stay off the API


class ProblemViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Problem.objects.all()
    serializer_class = ProblemSerializer
    permission_classes = [RegionScopedPermission]
    filterset_class = ProblemFilterSet

    def get_queryset(self):
        return visible_problems(self.request.user, super().get_queryset())


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Department.objects.all()
    serializer_class = DepartmentSerializer
    permission_classes = [RegionScopedPermission]


def register(router) -> None:
    router.register("service-problems", ProblemViewSet)
    router.register("departments", DepartmentViewSet)
