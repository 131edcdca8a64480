from django.utils.translation import gettext_lazy as _

from mujun.core import apps_registry


class ServicesConfig(apps_registry.DomainAppConfig):
    name = "mujun.services"
    label = "services"
    verbose_name = _("Services")
    menu = [(_("Enterprise service"), "services:overview")]

    def landing_url(self, user):
        """A department handler lands on their problems."""
        from django.urls import reverse

        from mujun.services.services import is_handler

        return reverse("services:problem_list") if is_handler(user) else None
