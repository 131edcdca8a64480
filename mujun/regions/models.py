from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Region(models.Model):
    """A node of the administrative tree: city → county/district → town or park."""

    class Level(models.TextChoices):
        CITY = "city", _("City")
        COUNTY = "county", _("County / district")
        TOWN = "town", _("Town / street")
        PARK = "park", _("Industrial park")

    code = models.CharField(_("code"), max_length=12, unique=True, help_text=_("Official administrative code"))
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("regions:region_detail", args=[self.pk])

    def county(self) -> "Region | None":
        """The county-level ancestor (or self), which is the unit of data-entry scoping."""
        node = self
        while node is not None and node.level not in (self.Level.COUNTY, self.Level.CITY):
            node = node.parent
        return node if node is not None and node.level == self.Level.COUNTY else None

    def descendant_ids(self) -> list[int]:
        """Own id and every descendant's id (the tree is shallow: three levels)."""
        ids = [self.pk]
        frontier = [self.pk]
        while frontier:
            frontier = list(Region.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
            ids.extend(frontier)
        return ids
