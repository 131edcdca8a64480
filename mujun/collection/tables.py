import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from mujun.collection.models import Collection, Supplier, column_label


class CollectionTable(tables.Table):
    name = tables.Column(verbose_name=_("data collection"), accessor="pk", linkify=lambda record: record.get_absolute_url())

    def render_name(self, record):
        return str(record)

    class Meta:
        model = Collection
        fields = ["name", "year", "region", "status", "anomaly_factor", "opened_at", "closed_at"]


class SupplierTable(tables.Table):
    name = tables.Column(linkify=True)
    columns = tables.Column(verbose_name=_("columns in its remit"))

    def render_columns(self, value):
        return "、".join(column_label(c) for c in value)

    class Meta:
        model = Supplier
        fields = ["name", "region", "columns"]
