"""Region scoping: who may see and edit which records.

A city administrator edits everything; a county operator edits only records of their county (and the
towns and parks under it); a viewer reads. Everybody signed in reads everything: rankings are compared
across counties.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet


def record_region(obj: Model):
    """The region a record belongs to, following ``region`` or ``enterprise.region``."""
    if hasattr(obj, "region"):
        return obj.region
    if hasattr(obj, "enterprise"):
        return obj.enterprise.region
    return None


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
    return can_edit_region(user, record_region(obj))


def require_edit(user, obj_or_region) -> None:
    from mujun.regions.models import Region

    region = obj_or_region if isinstance(obj_or_region, Region) else record_region(obj_or_region)
    if not can_edit_region(user, region):
        raise PermissionDenied("无权修改此区域的数据 / you may not edit records of this region")


def editable_regions(user) -> QuerySet:
    """The regions a user may attach records to."""
    from mujun.regions.models import Region

    if user.is_city_admin:
        return Region.objects.all()
    if not user.can_edit:
        return Region.objects.none()
    return Region.objects.filter(pk__in=user.region.descendant_ids())
