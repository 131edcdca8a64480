from django.utils.translation import gettext_lazy as _

from mujun.core import apps_registry


class EnterprisesConfig(apps_registry.DomainAppConfig):
    name = "mujun.enterprises"
    label = "enterprises"
    verbose_name = _("Enterprises")
    menu = [(_("Enterprises"), "enterprises:enterprise_list")]
