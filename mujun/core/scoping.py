"""Region scoping: who may see and edit which records.

A city administrator edits everything; a county operator edits only records of their county (and the
towns and parks under it); a viewer reads. Everybody signed in reads everything: rankings are compared
across counties.
"""

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _


def region_model() -> type[Model]:
    """The region tree's model (``settings.MUJUN_REGION_MODEL``): core names no domain app itself."""
    return apps.get_model(settings.MUJUN_REGION_MODEL)


def record_region(obj: Model):
    """The region a record belongs to, following ``region`` or ``enterprise.region``; None while a new
    record has neither (a project before its form is filled in may have no enterprise at all)."""
    region = getattr(obj, "region", None)
    if region is None and getattr(obj, "enterprise", None) is not None:
        region = obj.enterprise.region
    return region


def placed_in_regions(model: type[Model]) -> bool:
    """Whether a model's records lie in regions (a region itself, or through ``region`` or ``enterprise``): those
    of other models (an indicator, an inspection round) are the city's, changed by its administrator only."""
    names = {field.name for field in model._meta.get_fields()}
    return model is region_model() or bool(names & {"region", "enterprise"})


def can_read_record(user, obj: Model) -> bool:
    """Whether the user may read the record (and the files it holds): everybody signed in reads everything."""
    return user.is_authenticated


def can_edit_region(user, region) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_city_admin:
        return True
    if not user.can_edit or region is None:
        return False
    county = region.county() if region.level != "city" else None
    return county is not None and county.pk == user.region_id


def can_edit_record(user, obj: Model) -> bool:
    """Whether the user may change the record. A region is a record too: the city and its counties, which
    every total is summed up along, change only by a city administrator; a county operator keeps the towns
    and parks of their county."""
    Region = region_model()
    if isinstance(obj, Region):
        below_county = obj.level in (Region.Level.TOWN, Region.Level.PARK)
        return can_edit_region(user, obj) and (user.is_city_admin or below_county)
    return can_edit_region(user, record_region(obj))


def require_edit(user, obj: Model) -> None:
    """Refuse (403) unless the user may change the record (``can_edit_record``; for the records of a region
    in general, ask ``can_edit_region``)."""
    if not can_edit_record(user, obj):
        raise PermissionDenied(_("You may not edit records of this region."))


def editable_regions(user) -> QuerySet:
    """The regions a user may attach records to."""
    Region = region_model()
    if user.is_city_admin:
        return Region.objects.all()
    if not user.can_edit:
        return Region.objects.none()
    return Region.objects.filter(pk__in=user.region.descendant_ids())


def home_region(user):
    """Where a county operator's lists and home page open: their county. None (the whole city) for others."""
    if getattr(user, "role", None) == "county_operator" and user.region_id is not None:
        return user.region
    return None
