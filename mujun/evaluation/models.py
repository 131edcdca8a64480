from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from mujun.core.clock import local_now, local_today
from mujun.core.links import reverse
from mujun.core.uploads import IMAGES_AND_PDF, FileContentValidator
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
        # Results posted for public notice (公示): open to objections within the posting window, not yet counting.
        POSTED = "posted", _("Posted for public notice")
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
    created_at = models.DateTimeField(_("created at"), default=local_now, editable=False)
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
    # The public notice (公示): its window, both dates included, in the county's local date.
    posting_starts_on = models.DateField(_("posting starts on"), null=True, blank=True)
    posting_ends_on = models.DateField(_("posting ends on"), null=True, blank=True)
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)
    # Progress changes every few seconds, the summary is derived from the results and the scheme text from
    # the scheme (which has its own history): none of them is a change anybody made.
    # Changed only by this app's services.py (tests/test_architecture.py holds every other module to it).
    state_fields = (
        "status", "progress", "finished_at", "published_at", "posting_starts_on", "posting_ends_on", "posted_at"
    )
    history = HistoricalRecords(excluded_fields=["progress", "summary", "scheme_toml"])

    class Meta:
        ordering = ["-year", "-created_at"]
        verbose_name = _("evaluation run")
        verbose_name_plural = _("evaluation runs")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("evaluation:run_detail", args=[self.pk])

    def clean(self):
        super().clean()
        # The posting window (公示期): both dates, the end not before the start.
        if self.posting_starts_on and self.posting_ends_on and self.posting_ends_on < self.posting_starts_on:
            raise ValidationError({"posting_ends_on": _("The posting cannot end before it starts.")})

    @property
    def is_frozen(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_posted(self) -> bool:
        return self.status == self.Status.POSTED

    @property
    def is_locked(self) -> bool:
        """Posted or published: the results change only through the review of objections, then never."""
        return self.status in (self.Status.POSTED, self.Status.PUBLISHED)

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.POSTED, self.Status.PUBLISHED, self.Status.FAILED)

    @property
    def has_results(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.POSTED, self.Status.PUBLISHED)

    def posting_open_on(self, day) -> bool:
        """Whether ``day`` (a local date) lies inside the posting window, both ends included."""
        return self.is_posted and self.posting_starts_on <= day <= self.posting_ends_on


class Result(models.Model):
    """One enterprise's outcome in a run. Written in bulk by the run, never edited."""

    class Status(models.TextChoices):
        EVALUATED = "evaluated", _("Evaluated")
        EXEMPT = "exempt", _("Exempt (class T)")
        OUT_OF_SCOPE = "out_of_scope", _("Out of scope")
        INVALID = "invalid", _("Invalid data")

    GRADES = ["A", "B", "C", "D", "T"]
    # The run writes results in bulk; after posting only a review changes the grade (services.py).
    state_fields = ("grade", "posted_grade", "changed_on_review", "review_note")

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
    consecutive_d_years = models.PositiveSmallIntegerField(_("consecutive D years"), null=True, blank=True)
    # The grade as posted for public notice; a review may change ``grade`` afterwards, and the published
    # result shows where it did.
    posted_grade = models.CharField(_("grade as posted"), max_length=1, blank=True)
    changed_on_review = models.BooleanField(_("changed on review"), default=False)
    review_note = models.TextField(pgettext_lazy("evaluation", "review note"), blank=True)

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


def objection_evidence_path(instance: "Objection", filename: str) -> str:
    return f"evaluation/objections/{instance.run_id}/{filename}"


class Objection(models.Model):
    """An objection to a posted result (异议), filed within the posting window by the enterprise's town or by
    the county operator on the enterprise's behalf, and decided by a city administrator on review."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        UPHELD = "upheld", _("Grade upheld")
        CORRECTED = "corrected", _("Data corrected and recomputed")
        REGRADED = "regraded", _("Regraded")

    class FiledAs(models.TextChoices):
        TOWN = "town", _("The enterprise's town")
        COUNTY = "county", _("County operator on the enterprise's behalf")

    run = models.ForeignKey(Run, verbose_name=_("run"), on_delete=models.CASCADE, related_name="objections")
    result = models.ForeignKey(
        Result, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="objections"
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("filed by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_as = models.CharField(_("filed as"), max_length=8, choices=FiledAs.choices)
    reason = models.TextField(_("reason for the objection"))
    evidence = models.FileField(
        _("evidence"), upload_to=objection_evidence_path, blank=True,
        validators=[FileContentValidator(IMAGES_AND_PDF)], help_text=_("jpg, png or pdf, at most 20 MB"),
    )  # fmt: skip
    evidence_name = models.CharField(_("evidence file name"), max_length=255, blank=True, editable=False)
    filed_at = models.DateTimeField(_("filed at"), default=local_now)
    decision = models.CharField(_("decision"), max_length=12, choices=Decision.choices, default=Decision.PENDING)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    grade_before = models.CharField(_("grade before review"), max_length=1, blank=True)
    grade_after = models.CharField(_("grade after review"), max_length=1, blank=True)
    # Changed only by this app's services.py.
    state_fields = ("decision", "decision_reason", "decided_by", "decided_at", "grade_before", "grade_after")
    history = HistoricalRecords()

    class Meta:
        ordering = ["run", "filed_at", "id"]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return f"{self.result.enterprise} · {self.run}"

    def get_absolute_url(self) -> str:
        return reverse("evaluation:objection_detail", args=[self.run_id, self.pk])

    @property
    def is_pending(self) -> bool:
        return self.decision == self.Decision.PENDING

    def clean(self):
        super().clean()
        errors = {}
        if self._state.adding and self.run_id is not None:
            run = self.run
            if self.result_id is not None and self.result.run_id != run.pk:
                errors["result"] = _("The enterprise has no result in this run.")
            today = local_today()
            if not run.is_posted:
                errors[NON_FIELD_ERRORS] = _("Objections are accepted only while the run is posted for public notice.")
            elif not run.posting_open_on(today):
                errors[NON_FIELD_ERRORS] = _(
                    "Objections are accepted only within the posting window, %(start)s to %(end)s; today is %(today)s."
                ) % {"start": run.posting_starts_on, "end": run.posting_ends_on, "today": today}
        if self.decision != self.Decision.PENDING:
            if not (self.decision_reason or "").strip():
                errors["decision_reason"] = (
                    _("A regrade needs a written reason.")
                    if self.decision == self.Decision.REGRADED
                    else _("A decision needs a written reason.")
                )
            if self.decision == self.Decision.REGRADED and self.grade_after not in Result.GRADES:
                errors["grade_after"] = _("Choose the grade the review gives.")
        if errors:
            raise ValidationError(errors)


class RobustnessAnalysis(models.Model):
    """How far a run's grades hold under other reasonable weights and benchmarks (mujun.engine.robustness):
    the settings the user chose, and once done the share of stable grades. Made before the run is posted."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    run = models.ForeignKey(Run, verbose_name=_("run"), on_delete=models.CASCADE, related_name="robustness_analyses")
    draws = models.PositiveIntegerField(
        _("draws"), default=1000, validators=[MinValueValidator(1), MaxValueValidator(10000)]
    )
    weight_spread = models.FloatField(
        _("weight spread"), default=0.1, validators=[MinValueValidator(0.0), MaxValueValidator(0.99)],
        help_text=_("Each weight is drawn within this share around the scheme's: 0.1 means ±10 %."),
    )  # fmt: skip
    benchmark_spread = models.FloatField(
        _("benchmark spread"), default=0.1, validators=[MinValueValidator(0.0), MaxValueValidator(0.99)],
        help_text=_("Each benchmark is drawn within this share around the run's: 0.1 means ±10 %."),
    )  # fmt: skip
    seed = models.PositiveIntegerField(_("seed"), default=1, help_text=_("The same seed gives the same draws."))
    threshold = models.FloatField(
        _("threshold"), default=0.9, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("A grade is fragile when the probability of keeping it is below this."),
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    message = models.TextField(_("message"), blank=True)
    graded = models.PositiveIntegerField(_("graded enterprises"), null=True, blank=True)
    stable = models.PositiveIntegerField(_("stable grades"), null=True, blank=True)
    fragile = models.PositiveIntegerField(_("fragile grades"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=local_now, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Changed only by this app's services.py.
    state_fields = ("status", "graded", "stable", "fragile", "finished_at")

    @classmethod
    def latest_of(cls, run: "Run") -> "RobustnessAnalysis | None":
        """The run's latest finished analysis: the one its results page flags fragile grades by."""
        return run.robustness_analyses.filter(status=cls.Status.DONE).order_by("-pk").first()

    class Meta:
        ordering = ["run", "-created_at", "-id"]
        verbose_name = _("grade robustness analysis")
        verbose_name_plural = _("grade robustness analyses")

    def __str__(self) -> str:
        return f"{self.run} · {self.created_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("evaluation:robustness_detail", args=[self.run_id, self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def stable_share(self) -> float | None:
        return self.stable / self.graded if self.graded else None


class RobustnessResult(models.Model):
    """One graded enterprise in an analysis: the probability of each grade over the draws, of its run's grade,
    and its rank interval. Written in bulk by the analysis, never edited."""

    analysis = models.ForeignKey(
        RobustnessAnalysis, verbose_name=_("grade robustness analysis"), on_delete=models.CASCADE, related_name="results"
    )
    result = models.ForeignKey(Result, verbose_name=_("result"), on_delete=models.CASCADE, related_name="+")
    p_a = models.FloatField(_("probability of A"))
    p_b = models.FloatField(_("probability of B"))
    p_c = models.FloatField(_("probability of C"))
    p_d = models.FloatField(_("probability of D"))
    # The probability of the run's own grade: the fragile filter compares it with the analysis's threshold.
    p_grade = models.FloatField(_("probability of the run's grade"))
    rank_low = models.PositiveIntegerField(_("best rank"))
    rank_high = models.PositiveIntegerField(_("worst rank"))

    class Meta:
        ordering = ["analysis", "p_grade", "id"]
        indexes = [models.Index(fields=["analysis", "p_grade", "id"], name="eval_robustness_p_grade")]
        verbose_name = _("robustness of a grade")
        verbose_name_plural = _("robustness of grades")

    def __str__(self) -> str:
        return f"{self.result} · {self.p_grade:.0%}"


class ProvincialAverage(models.Model):
    """The province's published per-mu averages of a year (浙江 2021: 亩均税收 28.1 万元/亩): the benchmark the
    per-mu rankings set every county, town and park against, beside the city's own average."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True, validators=year_validators())
    tax_per_mu = models.FloatField(_("tax per mu (10k yuan/mu)"))
    value_added_per_mu = models.FloatField(_("value added per mu (10k yuan/mu)"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("provincial per-mu average")
        verbose_name_plural = _("provincial per-mu averages")

    def __str__(self) -> str:
        return str(self.year)

    def get_absolute_url(self) -> str:
        return reverse("evaluation:provincialaverage_list")

    def clean(self):
        super().clean()
        errors = {
            field: _("An average per mu cannot be negative.")
            for field in ("tax_per_mu", "value_added_per_mu")
            if getattr(self, field) is not None and getattr(self, field) < 0
        }
        if errors:
            raise ValidationError(errors)

    def figures(self) -> dict[str, float | None]:
        """By the engine's figure names (mujun.engine.leaders.FIGURES)."""
        return {"tax": self.tax_per_mu, "value_added": self.value_added_per_mu}
