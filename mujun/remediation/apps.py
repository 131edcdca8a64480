from django.utils.translation import gettext_lazy as _

from mujun.core import apps_registry


class RemediationConfig(apps_registry.DomainAppConfig):
    name = "mujun.remediation"
    label = "remediation"
    verbose_name = _("Low-efficiency firms")
    menu = [
        (_("Low-efficiency firms"), "remediation:lowfirm_list"),
        (_("Remediation cases"), "remediation:remediation_case_list"),
    ]
