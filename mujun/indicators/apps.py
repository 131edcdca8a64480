from django.utils.translation import gettext_lazy as _

from mujun.core import apps_registry


class IndicatorsConfig(apps_registry.DomainAppConfig):
    name = "mujun.indicators"
    label = "indicators"
    verbose_name = _("Indicators")
    menu = [(_("Indicators"), "indicators:ranking")]
