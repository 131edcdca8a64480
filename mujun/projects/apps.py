from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _

from mujun.core import apps_registry


class ProjectsConfig(apps_registry.DomainAppConfig):
    name = "mujun.projects"
    label = "projects"
    verbose_name = _("Projects")
    menu = [
        (_("Projects"), "projects:project_list"),
        (_("Four lists"), "projects:four_lists"),
        (_("Battle board"), "projects:board"),
        (_("Start rates"), "projects:start_rates"),
        (_("Key lists"), "projects:key_lists"),
        (_("Major projects"), "projects:portfolio"),
        (_("Investment attraction"), "projects:lead_list"),
    ]

    def ready(self):
        from mujun.enterprises.models import EnterpriseYear

        from mujun.enterprises.signals import enterprise_years_imported

        post_save.connect(_revenue_saved, sender=EnterpriseYear, dispatch_uid="projects-above-scale")
        enterprise_years_imported.connect(_years_imported, dispatch_uid="projects-above-scale-import")


def _revenue_saved(sender, instance, **kwargs):
    """An enterprise whose yearly revenue reaches 20 million yuan makes its commissioned projects 上规."""
    from mujun.projects.services import ABOVE_SCALE_REVENUE, mark_above_scale

    if instance.revenue is not None and instance.revenue >= ABOVE_SCALE_REVENUE:
        mark_above_scale([instance.enterprise_id], instance.year)


def _years_imported(sender, years, **kwargs):
    """The same for an enterprise import, which writes its years in bulk."""
    from mujun.projects.services import mark_above_scale

    for year, enterprise_ids in years.items():
        mark_above_scale(enterprise_ids, year)

