"""The land's panels: an enterprise's parcels on its page; disposed land on the home page."""

from django.db.models import Count, Q, Sum

from mujun.collection.services import register_land_source
from mujun.core.extensions import HOME, Panel, register
from mujun.core.imports import chunks
from mujun.land.models import DisposalCase, Parcel

# Land held (the enterprise's own figure) and the area of its parcels may differ by this share at most.
LAND_TOLERANCE = 0.10


@register_land_source(LAND_TOLERANCE)
def parcel_areas(enterprise_ids: list[int]) -> dict[int, float]:
    """For the data collection's anomalies: the area of the parcels each enterprise holds (those holding any)."""
    areas = {}
    for chunk in chunks(enterprise_ids):
        held = Parcel.objects.filter(holder_id__in=chunk).order_by().values("holder_id").annotate(mu=Sum("area_mu"))
        areas.update(held.values_list("holder_id", "mu"))
    return areas


@register("enterprises.enterprise")
class EnterpriseParcels(Panel):
    """The parcels the enterprise holds, and a warning when the land it declares to hold differs from their
    area by more than ``LAND_TOLERANCE``."""

    template_name = "land/panels/enterprise_parcels.html"
    order = 30

    def get_context(self):
        parcels = list(self.object.parcels.select_related("region").order_by("code"))
        parcels_mu = sum(parcel.area_mu for parcel in parcels)
        held_mu = self.object.land_mu
        # Measured against the parcels, the land on record: holding land but no parcel always differs.
        differs = held_mu is not None and abs(held_mu - parcels_mu) > LAND_TOLERANCE * parcels_mu
        return {
            "parcels": parcels,
            "parcels_mu": parcels_mu,
            "held_mu": held_mu,
            "land_differs": differs,
            "tolerance_percent": round(LAND_TOLERANCE * 100),
        }


@register(HOME)
class DisposedLand(Panel):
    template_name = "land/panels/home_disposed.html"
    order = 40

    def get_context(self):
        figures = self.scoped(DisposalCase.objects.all(), "parcel__region").aggregate(
            cases=Count("pk"),
            closed=Count("pk", filter=Q(status=DisposalCase.Status.CLOSED)),
            disposed_mu=Sum("area_disposed_mu", filter=Q(status=DisposalCase.Status.CLOSED)),
        )
        return {"land": figures} if figures["cases"] else None


@register("land.parcel")
class ParcelAcceptance(Panel):
    """The 标准地 acceptance on a parcel's page: the last check with its indicators, and the button to check it."""

    template_name = "land/panels/parcel_acceptance.html"
    order = 20

    def get_context(self):
        from django.utils import timezone

        from mujun.core.scoping import can_edit_record
        from mujun.land import services
        from mujun.land.models import Acceptance
        from mujun.land.views import acceptance_rows

        parcel = self.object
        due = services.acceptance_due(Parcel.objects.filter(pk=parcel.pk))
        latest = parcel.acceptances.order_by("-checked_on", "-pk").first()
        if due.is_empty() and latest is None:
            return None  # no 标准地 commitment, or not commissioned: nothing to accept
        due_on = due["due_on"][0] if not due.is_empty() else None
        due_now = due_on is not None and due_on <= timezone.localdate()
        settled = latest is not None and latest.decision not in (Acceptance.Decision.PENDING, Acceptance.Decision.RECHECK)
        return {
            "latest": latest,
            "rows": acceptance_rows(latest) if latest else [],
            "due_on": due_on,
            "due_now": due_now,
            "can_accept": due_now and not settled and parcel.holder_id is not None and can_edit_record(self.user, parcel),
        }


@register("enterprises.enterprise")
class EnterpriseAcceptances(Panel):
    """The 标准地 acceptances of the parcels the enterprise holds (or held when checked)."""

    template_name = "land/panels/enterprise_acceptances.html"
    order = 31

    def get_context(self):
        from mujun.land.models import Acceptance

        acceptances = list(Acceptance.objects.filter(holder=self.object).select_related("parcel").order_by("-due_on"))
        return {"acceptances": acceptances} if acceptances else None
