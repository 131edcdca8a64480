from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "mujun.services"
    label = "services"
    verbose_name = _("Services")
    menu = [(_("Enterprise service"), "services:overview")]
