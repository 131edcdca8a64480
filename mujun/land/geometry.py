"""Parcel boundaries: GeoJSON geometries in WGS84 lon/lat, checked and measured with shapely and pyproj.

The area is geodesic (pyproj's ``Geod`` on the WGS84 ellipsoid), which is what a projection to an
equal-area metric CRS approximates; no GDAL is needed.
"""

from __future__ import annotations

import json

import shapely
from pyproj import Geod
from shapely.geometry import shape
from shapely.validation import explain_validity

from django.utils.translation import gettext

from mujun.land.models import SQUARE_METRES_PER_MU

WGS84 = Geod(ellps="WGS84")
DEFAULT_AREA_TOLERANCE = 0.05  # relative; settings.MUJUN_LAND_AREA_TOLERANCE changes it


def area_tolerance() -> float:
    from django.conf import settings

    return float(getattr(settings, "MUJUN_LAND_AREA_TOLERANCE", DEFAULT_AREA_TOLERANCE))


def parse_boundary(value) -> tuple[dict | None, str | None]:
    """The boundary as a GeoJSON geometry dict (a Feature's geometry is taken) and the problem, in the user's language."""
    if value in (None, "", {}):
        return None, None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            return None, gettext("is not valid GeoJSON (%(msg)s)") % {"msg": error.msg}
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        return None, gettext("must be a Polygon or MultiPolygon")
    try:
        geometry = shape(value)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.ShapelyError) as error:
        return None, gettext("the coordinates cannot be read (%(error)s)") % {"error": error}
    if geometry.is_empty:
        return None, gettext("the boundary is empty")
    if not geometry.is_valid:
        reason = explain_validity(geometry)
        if "Self-intersection" in reason or "Ring Self-intersection" in reason:
            return None, gettext("the boundary intersects itself (%(reason)s)") % {"reason": reason}
        return None, gettext("the boundary is invalid (%(reason)s)") % {"reason": reason}
    if geometry.area == 0:
        return None, gettext("the boundary has no area")
    minx, miny, maxx, maxy = geometry.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        return None, gettext("coordinates must be WGS84 longitude/latitude")
    return value, None


def area_mu(geometry: dict) -> float:
    """The geodesic area of a GeoJSON geometry in mu."""
    square_metres, _perimeter = WGS84.geometry_area_perimeter(shape(geometry))
    return abs(square_metres) / SQUARE_METRES_PER_MU


def area_problem(stated_mu: float | None, boundary_mu: float, tolerance: float | None = None) -> str | None:
    """The problem (in the user's language) when the stated area and the boundary's differ by more than the tolerance."""
    if stated_mu is None or stated_mu <= 0:
        return None
    tolerance = area_tolerance() if tolerance is None else tolerance
    if abs(boundary_mu - stated_mu) > tolerance * stated_mu:
        return (
            gettext("differs from the boundary's area %(boundary_mu)s mu by more than %(tolerance)s")
            % {"boundary_mu": format(boundary_mu, ".2f"), "tolerance": format(tolerance, ".0%")}
        )
    return None


def centroid(geometry: dict) -> tuple[float, float]:
    point = shape(geometry).representative_point()
    return point.x, point.y
