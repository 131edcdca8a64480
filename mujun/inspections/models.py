from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from mujun.core.links import reverse
from mujun.core.validators import year_validators


class Round(models.Model):
    """One quarter's inspection (互看互学互比): its rubric, nominated projects, route and the judges' scores.

    A draft round is being prepared; an open round takes scores; a closed round is locked and published.
    """

    class Status(models.TextChoices):
        # With a context: "Closed" alone means "case closed" elsewhere in the platform.
        DRAFT = "draft", pgettext_lazy("inspection round", "Draft")
        OPEN = "open", pgettext_lazy("inspection round", "Open for scoring")
        CLOSED = "closed", pgettext_lazy("inspection round", "Closed")

    name = models.CharField(_("name"), max_length=128)
    year = models.PositiveSmallIntegerField(_("year"), validators=year_validators())
    quarter = models.PositiveSmallIntegerField(_("quarter"), choices=[(q, f"Q{q}") for q in range(1, 5)])
    visit_date = models.DateField(_("visit date"), null=True, blank=True)
    route = models.TextField(_("route"), blank=True, help_text=_("Meeting point, order of the stops, notes"))
    score_min = models.DecimalField(_("lowest score"), max_digits=6, decimal_places=2, default=0)
    score_max = models.DecimalField(_("highest score"), max_digits=6, decimal_places=2, default=100)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Changed only by this app's services.py (tests/test_architecture.py holds every other module to it).
    state_fields = ("status", "closed_at")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "-quarter"]
        constraints = [models.UniqueConstraint(fields=["year", "quarter"], name="inspection_round_per_quarter")]
        verbose_name = _("inspection round")
        verbose_name_plural = _("inspection rounds")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("inspections:round_detail", args=[self.pk])

    @property
    def period(self) -> str:
        return _("%(year)s Q%(quarter)s") % {"year": self.year, "quarter": self.quarter}

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    def clean(self):
        if self.score_min is not None and self.score_max is not None and self.score_min >= self.score_max:
            raise ValidationError(
                {"score_max": _("the highest score must be greater than the lowest")}
            )


class Criterion(models.Model):
    """One criterion of a round's rubric, e.g. scale and intensity of investment, with its weight."""

    round = models.ForeignKey(Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="criteria")
    name = models.CharField(_("name"), max_length=64)
    weight = models.DecimalField(
        _("weight"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))], default=1
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["round", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["round", "name"], name="inspection_criterion_unique_name")]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")

    def __str__(self) -> str:
        return f"{self.name} ({self.weight})"

    def get_absolute_url(self) -> str:
        return self.round.get_absolute_url()


class Nomination(models.Model):
    """A project a county puts on the ring for a round, with its stop on the route.

    The project is named (as nominated, and as it stays on the scoreboard) and may link to its record in
    the projects app.
    """

    round = models.ForeignKey(Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="nominations")
    region = models.ForeignKey("regions.Region", verbose_name=_("county"), on_delete=models.PROTECT)
    project_name = models.CharField(_("project"), max_length=128)
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project record"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inspection_nominations",
    )
    description = models.TextField(_("description"), blank=True)
    stop = models.PositiveSmallIntegerField(_("stop on the route"), default=0)
    visit_time = models.TimeField(_("visit time"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["round", "stop", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "project_name"], name="inspection_nomination_unique_project")
        ]
        verbose_name = _("nominated project")
        verbose_name_plural = _("nominated projects")

    def __str__(self) -> str:
        return self.project_name

    def get_absolute_url(self) -> str:
        return self.round.get_absolute_url()


class Score(models.Model):
    """One judge's value for one criterion of one nominated project. Entered once, while the round is open."""

    nomination = models.ForeignKey(
        Nomination, verbose_name=_("nominated project"), on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(Criterion, verbose_name=_("criterion"), on_delete=models.CASCADE, related_name="+")
    judge = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("judge"), on_delete=models.PROTECT, related_name="inspection_scores"
    )
    value = models.DecimalField(_("score"), max_digits=6, decimal_places=2)
    scored_at = models.DateTimeField(_("scored at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["nomination", "criterion", "judge"], name="inspection_score_once")
        ]
        verbose_name = _("score")
        verbose_name_plural = _("scores")

    def __str__(self) -> str:
        return f"{self.nomination} · {self.criterion.name} · {self.value}"


class CountyResult(models.Model):
    """A county's place in a closed round, as the round's scoreboard published it: stored when the round
    closes (mujun.inspections.services.close_round; a closed round's scores no longer change), so the
    comparison across rounds and the home card read it rather than scoring every round again."""

    round = models.ForeignKey(Round, verbose_name=_("round"), on_delete=models.CASCADE, related_name="county_results")
    region = models.ForeignKey("regions.Region", verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    projects = models.PositiveIntegerField(_("projects"))
    score = models.FloatField(_("score"))
    rank = models.PositiveIntegerField(_("rank"))

    class Meta:
        ordering = ["round", "rank", "region"]
        constraints = [models.UniqueConstraint(fields=["round", "region"], name="inspection_county_result_once")]
        verbose_name = _("county result")
        verbose_name_plural = _("county results")

    def __str__(self) -> str:
        return f"{self.round} · {self.region} · {self.rank}"
