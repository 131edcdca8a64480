from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "mujun.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from mujun.core import schema  # noqa: F401  (registers the API schema's field extensions)
        from mujun.core.tables import install_signature_cache  # also registers the date columns

        install_signature_cache()
        from mujun.core.choices import install_choice_displays

        install_choice_displays()
        from mujun.core.extensions import autodiscover

        autodiscover()
