from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "mujun.indicators"
    label = "indicators"
    verbose_name = _("Indicators")
    menu = [(_("Indicators"), "indicators:ranking")]
