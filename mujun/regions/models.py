import re
import unicodedata

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from mujun.core.links import reverse
from mujun.core.rules import rule_errors
from mujun.core.validators import year_validators
from mujun.engine.rules import not_negative

# Official administrative division codes: ASCII digits only (a full-width "３" is not a digit here).
DIGITS = re.compile(r"[0-9]+")


def has_control_characters(text: str) -> bool:
    """Control and format characters (line breaks, escapes, bidirectional overrides) or line separators."""
    return any(unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp") for ch in text)


class Region(models.Model):
    """A node of the administrative tree: city → county/district → town or park."""

    class Level(models.TextChoices):
        CITY = "city", _("City")
        COUNTY = "county", _("County / district")
        TOWN = "town", _("Town / street")
        PARK = "park", _("Industrial park")

    # Each level's code lengths, the parent's level, and how much of the parent's code a child's code repeats
    # (330500 → 330502 → 330502100): the rules clean() applies.
    CODE_LENGTHS = {Level.CITY: (6,), Level.COUNTY: (6,), Level.TOWN: (9, 12), Level.PARK: (9, 12)}
    PARENT_LEVEL = {Level.CITY: None, Level.COUNTY: Level.CITY, Level.TOWN: Level.COUNTY, Level.PARK: Level.COUNTY}
    PREFIX_LENGTH = {Level.CITY: 4, Level.COUNTY: 6}

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

    def clean(self):
        """The tree's rules, for the web form, the API and the demo loader alike; each error names its field."""
        errors = {}
        if not DIGITS.fullmatch(self.code or ""):
            errors["code"] = _("Must be digits only (0-9).")
        elif self.level in self.CODE_LENGTHS and len(self.code) not in self.CODE_LENGTHS[self.level]:
            errors["code"] = (
                _("Must be 6 digits for a city or a county.")
                if self.level in (self.Level.CITY, self.Level.COUNTY)
                else _("Must be 9 or 12 digits for a town or a park.")
            )
        if has_control_characters(self.name or ""):
            errors["name"] = _("Must not contain control characters (line breaks, tabs and the like).")
        if self.level in self.PARENT_LEVEL:  # an unknown level is the field's own error
            errors.update(self._place_problems(errors))
        if errors:
            raise ValidationError(errors)

    def _place_problems(self, errors: dict) -> dict:
        """Where the region sits: under a region of the level above, never under itself, with a code that
        repeats its parent's, fitting the regions already under it; one city, at the root."""
        if self.pk is not None and self.parent_id is not None:
            if self.pk in self.parent.ancestor_ids(include_self=True):
                return {"parent": _("A region cannot sit under itself or under one of its own subordinate regions.")}
        wanted = self.PARENT_LEVEL[self.level]
        if wanted is None and self.parent_id is not None:
            return {"parent": _("A city has no parent region.")}
        if wanted is None:
            city = Region.objects.filter(level=self.Level.CITY).exclude(pk=self.pk).first()
            if city is not None:
                message = _("There is already a city (%(city)s): the platform serves one city.")
                return {"level": message % {"city": city}}
        elif self.parent is None or self.parent.level != wanted:
            if wanted == self.Level.CITY:
                return {"parent": _("The parent of a county or district must be the city.")}
            return {"parent": _("The parent of a town, street or park must be a county or district.")}
        if "code" in errors:
            return {}
        prefix = self.child_prefix(self.parent) if self.parent is not None else ""
        if not self.code.startswith(prefix):
            message = _("Must start with %(prefix)s, as the code of %(parent)s does.")
            return {"code": message % {"prefix": prefix, "parent": self.parent}}
        return self._children_problems() if self.pk is not None else {}

    def _children_problems(self) -> dict:
        """A changed level or code must still fit the regions already under it."""
        children = list(Region.objects.filter(parent_id=self.pk).exclude(pk=self.pk))
        misplaced = [c for c in children if self.PARENT_LEVEL.get(c.level) != self.level]
        if misplaced:
            message = _("Its subordinate regions (%(children)s) cannot sit under this level.")
            return {"level": message % {"children": _names(misplaced)}}
        prefix = self.child_prefix(self)
        stranded = [c for c in children if not c.code.startswith(prefix)]
        if stranded:
            message = _("The codes of its subordinate regions (%(children)s) would no longer start with %(prefix)s.")
            return {"code": message % {"children": _names(stranded), "prefix": prefix}}
        return {}

    @classmethod
    def child_prefix(cls, parent: "Region") -> str:
        """What the code of a region under ``parent`` starts with: a county repeats the first four digits of
        the city's code (330500 → 330502), a town or park its county's whole code (330502 → 330502100)."""
        return parent.code[: cls.PREFIX_LENGTH.get(parent.level, len(parent.code))]

    # The walks below remember where they have been: even bad stored data (a cycle written past clean())
    # cannot make them loop.

    def ancestor_ids(self, include_self: bool = False) -> list[int]:
        """The ids from the parent up to the city, nearest first."""
        ids = [self.pk] if include_self else []
        parent_id = self.parent_id
        while parent_id is not None and parent_id not in ids:
            ids.append(parent_id)
            parent_id = Region.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
        return ids

    def county(self) -> "Region | None":
        """The county-level ancestor (or self), which is the unit of data-entry scoping."""
        node, seen = self, set()
        while node is not None and node.level not in (self.Level.COUNTY, self.Level.CITY):
            if node.pk in seen:
                return None
            seen.add(node.pk)
            node = node.parent
        return node if node is not None and node.level == self.Level.COUNTY else None

    def descendant_ids(self) -> list[int]:
        """Own id and every descendant's id (the tree is shallow: three levels)."""
        ids, seen = [self.pk], {self.pk}
        frontier = [self.pk]
        while frontier:
            children = Region.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            frontier = [pk for pk in children if pk not in seen]
            seen.update(frontier)
            ids.extend(frontier)
        return ids


def county_map() -> dict[int, int | None]:
    """Every region's county in one query: its own id for a county, its county's for a town or park, None for
    the city (or a region with no county above it). Bounded, so a cycle written straight into the database
    cannot hang it."""
    rows = {pk: (parent, level) for pk, parent, level in Region.objects.values_list("pk", "parent_id", "level")}
    counties = {}
    for pk in rows:
        node, steps = pk, 0
        while node in rows and rows[node][1] not in (Region.Level.COUNTY, Region.Level.CITY) and steps < len(rows):
            node, steps = rows[node][0], steps + 1
        counties[pk] = node if node in rows and rows[node][1] == Region.Level.COUNTY else None
    return counties


def _names(regions, shown: int = 5) -> str:
    names = "、".join(str(r) for r in regions[:shown])
    return names + ("…" if len(regions) > shown else "")


class CountyTarget(models.Model):
    """A county's figures to reach in a year (land to dispose of and supply; firms to remediate and land to
    release): a domain app's targets, under its overview. Set per county; ``target_fields`` names the figures,
    none of which may be negative."""

    target_fields: tuple[str, ...] = ()

    region = models.ForeignKey(
        Region, verbose_name=_("county"), on_delete=models.CASCADE, related_name="%(app_label)s_targets"
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=year_validators())

    class Meta:
        abstract = True
        ordering = ["-year", "region__code"]
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="unique_%(app_label)s_target")]

    def __str__(self) -> str:
        return f"{self.region} {self.year}"

    def clean(self):
        errors = rule_errors(self, [not_negative(name) for name in self.target_fields])
        if self.region_id is not None and self.region.level != Region.Level.COUNTY:
            errors["region"] = _("Targets are set per county.")
        if errors:
            raise ValidationError(errors)
