from django.utils.translation import gettext_lazy as _

from mujun.core import apps_registry


class LandConfig(apps_registry.DomainAppConfig):
    name = "mujun.land"
    label = "land"
    verbose_name = _("Land")
    menu = [
        (_("Parcels"), "land:parcel_list"),
        (_("Land map"), "land:map"),
        (_("Idle land ledger"), "land:idle_ledger"),
        (_("Disposal"), "land:case_list"),
        (_("Standard-land acceptance"), "land:acceptance_list"),
    ]
