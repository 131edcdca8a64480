"""The low-efficiency firms' panels: a firm's listings and cases on its page; remediation on the home page."""

from django.db.models import Sum

from mujun.core.extensions import HOME, Panel, register
from mujun.remediation import services
from mujun.remediation.models import RemediationCase, RemediationTarget


@register("enterprises.enterprise")
class EnterpriseRemediation(Panel):
    """The years the firm was on the low-efficiency list, with the rules it met, and its remediation cases."""

    template_name = "remediation/panels/enterprise_remediation.html"
    order = 35

    def get_context(self):
        listings = list(self.object.low_efficiency_listings.order_by("-year"))
        cases = list(self.object.remediation_cases.order_by("-opened_on"))
        if not listings and not cases:
            return None
        return {"listings": listings, "remediation_cases": cases}


@register(HOME)
class Remediation(Panel):
    template_name = "remediation/panels/home_remediation.html"
    order = 45

    def get_context(self):
        figures = services.home_figures(self.scoped(RemediationCase.objects.all(), "enterprise__region"))
        targets = self.scoped(RemediationTarget.objects.filter(year=figures["year"])).aggregate(
            firms=Sum("firms_target"), land=Sum("land_target_mu")
        )
        if not (figures["open"] or figures["closed"] or targets["firms"]):
            return None
        return {"remediation": figures, "remediation_targets": targets}
