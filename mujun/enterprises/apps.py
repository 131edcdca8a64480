from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    name = "mujun.enterprises"
    label = "enterprises"
    verbose_name = _("Enterprises")
    menu = [(_("Enterprises"), "enterprises:enterprise_list")]
