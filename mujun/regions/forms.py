from mujun.core.forms import ScopedModelForm
from mujun.regions.models import Region


class RegionForm(ScopedModelForm):
    region_field = "parent"

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent"]
