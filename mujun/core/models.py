from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from mujun.core.links import reverse


class UserHistory(HistoricalRecords):
    """A user's history without a row per log-in: Django saves ``last_login`` alone on each."""

    def post_save(self, instance, created, using=None, **kwargs):
        if kwargs.get("update_fields") != frozenset({"last_login"}):
            super().post_save(instance, created, using=using, **kwargs)


class User(AbstractUser):
    """A platform user. The role decides what may be edited; the region limits a county operator."""

    class Role(models.TextChoices):
        CITY_ADMIN = "city_admin", _("City administrator")
        COUNTY_OPERATOR = "county_operator", _("County operator")
        VIEWER = "viewer", _("Viewer")
        # Oversight (inspections, services): a judge scores projects in open inspection rounds; a
        # department handler works the enterprise problems assigned to their department.
        JUDGE = "judge", _("Inspection judge")
        HANDLER = "handler", _("Department handler")
        # Data collection: a department's staff upload their department's figures for the yearly evaluation.
        DATA_SUPPLIER = "data_supplier", _("Department data staff")

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.VIEWER)
    region = models.ForeignKey(
        settings.MUJUN_REGION_MODEL,
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("The county a county operator enters data for"),
    )
    # Who gave whom which role and region. No password hashes in the history, and no row per log-in.
    history = UserHistory(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_city_admin(self) -> bool:
        return self.is_superuser or self.role == self.Role.CITY_ADMIN

    @property
    def can_edit(self) -> bool:
        return self.is_city_admin or (self.role == self.Role.COUNTY_OPERATOR and self.region_id is not None)


class ImportJob(models.Model):
    """One upload imported in the background (``mujun.core.tasks.run_import``): the file as uploaded (kept in
    the media folder), the app's importer and the options chosen, and how far it got — then the counts, or
    every problem found (nothing is written then)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Not imported")

    class Stage(models.TextChoices):
        QUEUED = "queued", _("Waiting for the background worker")
        READING = "reading", _("Reading the file")
        CHECKING = "checking", _("Checking every row")
        WRITING = "writing", _("Writing")
        FINISHED = "finished", _("Finished")

    importer = models.CharField(_("importer"), max_length=200, editable=False)  # dotted path of the class
    title = models.CharField(_("title"), max_length=200, editable=False)
    options = models.JSONField(_("options"), default=dict, blank=True, editable=False)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", editable=False)
    original_name = models.CharField(_("file name"), max_length=255, editable=False)
    page = models.CharField(_("import page"), max_length=200, blank=True, editable=False)  # to import again
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(_("stage"), max_length=8, choices=Stage.choices, default=Stage.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)  # {models: {created, updated, unchanged}}
    problem_rows = models.JSONField(_("problems found"), default=list, blank=True)  # [[row, header, field, 中文, English]]
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Changed only by mujun/core/services.py (tests/test_architecture.py holds every other module to it).
    state_fields = ("status", "stage", "progress", "rows_total", "counts", "problem_rows", "finished_at")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.title} · {self.original_name}"

    def get_absolute_url(self) -> str:
        return reverse("import_job", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
