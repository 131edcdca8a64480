from django.utils.translation import gettext_lazy as _

from mujun.core import apps_registry


class EvaluationConfig(apps_registry.DomainAppConfig):
    name = "mujun.evaluation"
    label = "evaluation"
    verbose_name = _("Per-mu evaluation")
    menu = [(_("Evaluation runs"), "evaluation:run_list"), (_("Schemes"), "evaluation:scheme_list")]
