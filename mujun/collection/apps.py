from django.utils.translation import gettext_lazy as _

from mujun.core import apps_registry


class CollectionConfig(apps_registry.DomainAppConfig):
    name = "mujun.collection"
    label = "collection"
    verbose_name = _("Data collection")
    menu = [(_("Data collection"), "collection:collection_list")]

    def landing_url(self, user):
        """Department data staff land on the collections they report to."""
        from django.urls import reverse

        from mujun.collection.services import is_data_supplier

        return reverse("collection:collection_list") if is_data_supplier(user) else None
