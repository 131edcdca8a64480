"""Core's part of the API: the background imports, read only, so that a script which posted an upload (a
department's workbook) can follow it to its counts or problems."""

from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated

from mujun.core.imports import Problem
from mujun.core.models import ImportJob
from mujun.core.services import visible_imports


class ImportJobSerializer(serializers.ModelSerializer):
    problems = serializers.SerializerMethodField()
    page = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = ["id", "title", "original_name", "status", "stage", "progress", "rows_total", "counts", "problems",
                  "page", "created_at", "finished_at"]  # fmt: skip
        read_only_fields = fields

    def get_problems(self, job) -> list[str]:
        """Every problem (or, of an import done, every row left out) by row, column and reason."""
        return [str(Problem(row, name, header, zh, en)) for row, header, name, zh, en in job.problem_rows]

    def get_page(self, job) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(job.get_absolute_url()) if request else job.get_absolute_url()


class ImportJobViewSet(viewsets.ReadOnlyModelViewSet):
    """Imports: a user's own; every one for a city administrator (as their pages)."""

    queryset = ImportJob.objects.select_related("user")
    serializer_class = ImportJobSerializer
    permission_classes = [IsAuthenticated]
    filterset_fields = ["status"]

    def get_queryset(self):
        return visible_imports(self.request.user, super().get_queryset())
