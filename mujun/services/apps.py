from django.utils.translation import gettext_lazy as _

from mujun.core import apps_registry


class ServicesConfig(apps_registry.DomainAppConfig):
    name = "mujun.services"
    label = "services"
    verbose_name = _("Services")
    menu = [(_("Enterprise service"), "services:overview")]
