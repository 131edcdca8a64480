from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from mujun.core.links import reverse


class Department(models.Model):
    """A government department enterprise problems are assigned to; its handlers work them."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, help_text=_("The city or county it serves")
    )
    handlers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("handlers"), blank=True, related_name="departments"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("services:department_detail", args=[self.pk])


class ServicePlan(models.Model):
    """"One enterprise one policy" (一企一策): the service plan of a key enterprise, grouping its problems."""

    enterprise = models.ForeignKey(
        # An enterprise's service record is kept: an enterprise with one is deactivated, not deleted.
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="service_plans"
    )
    title = models.CharField(_("title"), max_length=128)
    cadre = models.CharField(_("cadre in charge"), max_length=64, blank=True)
    goals = models.TextField(_("goals and measures"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("service plan")
        verbose_name_plural = _("service plans")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("services:plan_detail", args=[self.pk])


class Problem(models.Model):
    """An enterprise's problem recorded on a visit, worked in a closed loop until the enterprise confirms."""

    class Category(models.TextChoices):
        LAND = "land", _("Land")
        APPROVAL = "approval", _("Approvals")
        FINANCING = "financing", _("Financing")
        TALENT = "talent", _("Talent")
        ENERGY = "energy", _("Energy")
        LOGISTICS = "logistics", _("Logistics")
        POLICY = "policy", _("Policy")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        ASSIGNED = "assigned", _("Assigned")
        IN_PROGRESS = "in_progress", _("In progress")
        ANSWERED = "answered", _("Answered")
        SENT_BACK = "sent_back", _("Sent back")
        CLOSED = "closed", _("Confirmed by the enterprise")

    OPEN_STATUSES = [Status.SUBMITTED, Status.ASSIGNED, Status.IN_PROGRESS, Status.SENT_BACK]

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="problems"
    )
    plan = models.ForeignKey(
        ServicePlan, verbose_name=_("service plan"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="problems",
    )
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    title = models.CharField(_("problem"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="problems",
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    feedback = models.TextField(_("enterprise feedback"), blank=True)
    times_sent_back = models.PositiveSmallIntegerField(_("times sent back"), default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Changed only by this app's services.py (tests/test_architecture.py holds every other module to it).
    state_fields = (
        "status", "department", "deadline", "answer", "feedback", "times_sent_back", "assigned_at", "answered_at",
        "closed_at",
    )  # fmt: skip
    history = HistoricalRecords()

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [models.Index(fields=["status", "deadline"])]
        verbose_name = _("enterprise problem")
        verbose_name_plural = _("enterprise problems")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("services:problem_detail", args=[self.pk])

    def clean(self):
        if self.plan_id and self.enterprise_id and self.plan.enterprise_id != self.enterprise_id:
            raise ValidationError({"plan": _("The service plan belongs to another enterprise.")})

    @property
    def is_overdue(self) -> bool:
        return (
            self.deadline is not None
            and self.status in self.OPEN_STATUSES
            and self.deadline < timezone.localdate()
        )

    @property
    def response_days(self) -> float | None:
        if self.assigned_at and self.answered_at:
            return round((self.answered_at - self.assigned_at).total_seconds() / 86400, 1)
        return None
