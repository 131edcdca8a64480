import django_tables2 as tables

from mujun.regions.models import Region


class RegionTable(tables.Table):
    code = tables.Column(linkify=True)
    name = tables.Column(linkify=True)
    parent = tables.Column(linkify=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent"]
