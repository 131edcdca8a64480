from django.utils.translation import gettext_lazy as _

from mujun.core import apps_registry


class EvaluationConfig(apps_registry.DomainAppConfig):
    name = "mujun.evaluation"
    label = "evaluation"
    verbose_name = _("Per-mu evaluation")
    menu = [
        (_("Evaluation runs"), "evaluation:run_list"),
        (_("Schemes"), "evaluation:scheme_list"),
        (_("Per-mu leaders"), "evaluation:leaders"),
        (_("Per-mu rankings"), "evaluation:rankings"),
    ]

    def ready(self):
        from mujun.enterprises.exports import register_year_column
        from mujun.evaluation.grades import published_grades

        def grades_by_year(enterprise_ids):
            """Each enterprise's published grade of each year: drafts never leave the platform."""
            return {
                (enterprise_id, grade.year): grade.grade or None
                for enterprise_id, grades in published_grades(enterprise_ids).items()
                for grade in grades
            }

        register_year_column("综合评价等级", grades_by_year)
