import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from mujun.core.tables import BooleanColumn
from mujun.enterprises.models import ENTERPRISE_FIELDS, Enterprise


class EnterpriseTable(tables.Table):
    name = tables.Column(linkify=True, verbose_name=_("enterprise name"))
    region = tables.Column(linkify=True)
    above_scale = BooleanColumn()
    land_mu = tables.Column(attrs={"td": {"class": "text-end"}})
    active = BooleanColumn()

    class Meta:
        model = Enterprise
        fields = ["name", "uscc", *[name for name in ENTERPRISE_FIELDS if name != "name"], "active"]
        order_by = "name"
