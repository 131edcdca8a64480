from django.utils.translation import gettext_lazy as _

from mujun.core import apps_registry


class InspectionsConfig(apps_registry.DomainAppConfig):
    name = "mujun.inspections"
    label = "inspections"
    verbose_name = _("Inspections")
    menu = [(_("Inspections"), "inspections:round_list")]

    def landing_url(self, user):
        """A judge lands on the scoring page of the round open for scoring (the rounds list while none is)."""
        from django.urls import reverse

        from mujun.inspections.models import Round
        from mujun.inspections.services import is_judge

        if not is_judge(user):
            return None
        open_round = Round.objects.filter(status=Round.Status.OPEN).order_by("-year", "-quarter").first()
        return reverse("inspections:judge_round", args=[open_round.pk]) if open_round else reverse("inspections:round_list")
