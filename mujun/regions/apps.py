from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "mujun.regions"
    label = "regions"
    verbose_name = _("Regions")
    menu = [(_("Regions"), "regions:region_list")]
