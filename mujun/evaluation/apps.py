from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "mujun.evaluation"
    label = "evaluation"
    verbose_name = _("Per-mu evaluation")
    menu = [(_("Evaluation runs"), "evaluation:run_list"), (_("Schemes"), "evaluation:scheme_list")]
