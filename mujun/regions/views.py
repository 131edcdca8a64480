from mujun.core.views import ObjectDetailView, ObjectEditView, ObjectListView
from mujun.regions.filtersets import RegionFilterSet
from mujun.regions.forms import RegionForm
from mujun.regions.models import Region
from mujun.regions.tables import RegionTable


class RegionListView(ObjectListView):
    model = Region
    table_class = RegionTable
    filterset_class = RegionFilterSet
    queryset = Region.objects.select_related("parent")
    add_url_name = "regions:region_add"


class RegionDetailView(ObjectDetailView):
    model = Region
    template_name = "regions/region_detail.html"

    def get_extra_context(self, obj):
        return {"children": obj.children.all(), "enterprise_count": obj.enterprises.count()}


class RegionEditView(ObjectEditView):
    model = Region
    form_class = RegionForm
