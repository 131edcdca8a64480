from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from mujun.core.validators import year_validators


class Scheme(models.Model):
    """An evaluation scheme: the county's rules for one year, kept as the TOML the engine reads."""

    name = models.CharField(_("name"), max_length=128)
    year = models.PositiveSmallIntegerField(_("year"), validators=year_validators())
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT
    )
    preset = models.CharField(_("based on preset"), max_length=64, blank=True)
    toml = models.TextField(_("scheme (TOML)"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("scheme")
        verbose_name_plural = _("schemes")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("evaluation:scheme_detail", args=[self.pk])

    def parsed(self):
        """The engine's view of the scheme; raises ``SchemeError`` when the text is not valid."""
        from mujun.engine.scheme import parse_scheme

        return parse_scheme(self.toml)


class Run(models.Model):
    """One evaluation of a region's enterprises for a year under a scheme.

    The run keeps the scheme text and the input rows it read, so it can be reproduced after either changes;
    once published it is frozen.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        PUBLISHED = "published", _("Published")

    name = models.CharField(_("name"), max_length=128)
    scheme = models.ForeignKey(Scheme, verbose_name=_("scheme"), on_delete=models.PROTECT, related_name="runs")
    scheme_toml = models.TextField(_("scheme as run"), blank=True)
    year = models.PositiveSmallIntegerField(_("year"), validators=year_validators())
    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    message = models.TextField(_("message"), blank=True)
    input_snapshot = models.FileField(_("input snapshot"), upload_to="runs/", blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Who started the latest evaluation: the history names them for what the background worker changes.
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Progress changes every few seconds, the summary is derived from the results and the scheme text from
    # the scheme (which has its own history): none of them is a change anybody made.
    # Changed only by this app's services.py (tests/test_architecture.py holds every other module to it).
    state_fields = ("status", "progress", "finished_at", "published_at")
    history = HistoricalRecords(excluded_fields=["progress", "summary", "scheme_toml"])

    class Meta:
        ordering = ["-year", "-created_at"]
        verbose_name = _("evaluation run")
        verbose_name_plural = _("evaluation runs")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("evaluation:run_detail", args=[self.pk])

    @property
    def is_frozen(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.PUBLISHED, self.Status.FAILED)

    @property
    def has_results(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.PUBLISHED)


class Result(models.Model):
    """One enterprise's outcome in a run. Written in bulk by the run, never edited."""

    class Status(models.TextChoices):
        EVALUATED = "evaluated", _("Evaluated")
        EXEMPT = "exempt", _("Exempt (class T)")
        OUT_OF_SCOPE = "out_of_scope", _("Out of scope")
        INVALID = "invalid", _("Invalid data")

    GRADES = ["A", "B", "C", "D", "T"]

    run = models.ForeignKey(Run, verbose_name=_("run"), on_delete=models.CASCADE, related_name="results")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        # Published results never change: an enterprise with results is deactivated, not deleted.
        on_delete=models.PROTECT,
        related_name="evaluation_results",
    )
    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT)
    group = models.CharField(pgettext_lazy("evaluation", "group"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    total = models.FloatField(_("total score"), null=True)
    rank = models.PositiveIntegerField(_("rank"), null=True)
    # True when the row has no total and no rank (exempt, out of scope, invalid). The sorts place these rows
    # last by ordering on this column first: an index serves that order on SQLite and PostgreSQL alike,
    # which "NULLS LAST" on rank or total does not (the two databases put NULLs at opposite ends).
    unranked = models.BooleanField(_("unranked"), default=False)
    grade = models.CharField(_("grade"), max_length=1, blank=True)
    # {indicator id: {"value": …, "score": …}}; benchmark and weight live in run.summary per group.
    indicators = models.JSONField(_("indicators"), default=dict)
    policies = models.JSONField(_("policies"), default=dict)

    # The results page's orders, each served by an index in its direction (see ``ResultTable``); the id
    # last makes every order total, so pages never overlap.
    RANK_ORDER = ("group", "unranked", "rank", "id")
    RANK_ORDER_DESC = ("group", "unranked", "-rank", "id")
    TOTAL_ORDER = ("unranked", "total", "id")
    TOTAL_ORDER_DESC = ("unranked", "-total", "id")

    class Meta:
        ordering = ["run", "group", "unranked", "rank", "id"]
        indexes = [
            models.Index(fields=["run", "group", "unranked", "rank", "id"], name="eval_result_rank"),
            models.Index(fields=["run", "group", "unranked", "-rank", "id"], name="eval_result_rank_desc"),
            models.Index(fields=["run", "unranked", "total", "id"], name="eval_result_total"),
            models.Index(fields=["run", "unranked", "-total", "id"], name="eval_result_total_desc"),
            # The filters offered most, continuing with the default order so a filtered page is an index walk.
            models.Index(fields=["run", "status", "group", "unranked", "rank", "id"], name="eval_result_status_rank"),
            models.Index(fields=["run", "grade", "group", "unranked", "rank", "id"], name="eval_result_grade_rank"),
            models.Index(fields=["run", "region", "group", "unranked", "rank", "id"], name="eval_result_region_rank"),
        ]
        constraints = [models.UniqueConstraint(fields=["run", "enterprise"], name="unique_run_enterprise")]
        verbose_name = _("evaluation result")
        verbose_name_plural = _("evaluation results")

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.run}"
