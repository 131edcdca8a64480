"""The enterprises' home card: how many there are."""

from mujun.core.extensions import HOME, Panel, register
from mujun.core.kept import kept_count
from mujun.enterprises.models import Enterprise


@register(HOME)
class EnterpriseCount(Panel):
    template_name = "enterprises/panels/home_count.html"
    order = 10

    def get_context(self):
        return {"enterprise_count": kept_count(self.scoped(Enterprise.objects.all()), Enterprise)}
