from django.utils.translation import gettext_lazy as _

from mujun.core import apps_registry


class InspectionsConfig(apps_registry.DomainAppConfig):
    name = "mujun.inspections"
    label = "inspections"
    verbose_name = _("Inspections")
    menu = [(_("Inspections"), "inspections:round_list")]
