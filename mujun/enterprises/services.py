"""The state changes of enterprises: deactivating, reactivating and deleting one."""

from django.utils.translation import gettext as _

from mujun.core.deletion import delete_record
from mujun.enterprises.models import Enterprise


def set_active(enterprise: Enterprise, active: bool) -> None:
    """Deactivate an enterprise that closed or left (or reactivate it). A deactivated enterprise keeps its
    figures, results, projects and parcels; new runs, the default list and data entry leave it out."""
    if enterprise.active != active:
        enterprise.active = active
        enterprise.save(update_fields=["active"])


def delete_enterprise(enterprise: Enterprise) -> None:
    """Delete an enterprise entered by mistake, with its yearly figures. One that evaluation results,
    projects or parcels refer to is refused (``DeletionRefused``): published results never change."""
    delete_record(enterprise, hint=_("It can be deactivated instead."))
