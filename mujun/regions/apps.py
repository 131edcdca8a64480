from django.utils.translation import gettext_lazy as _

from mujun.core import apps_registry


class RegionsConfig(apps_registry.DomainAppConfig):
    name = "mujun.regions"
    label = "regions"
    verbose_name = _("Regions")
    menu = [(_("Regions"), "regions:region_list")]
