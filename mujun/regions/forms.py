from mujun.core.forms import ScopedModelForm
from mujun.regions.models import Region


class RegionForm(ScopedModelForm):
    """The tree's rules are the model's (Region.clean); who may change which region is the scoping's."""

    region_field = "parent"

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.user is not None and not self.user.is_city_admin:
            # A county operator keeps the towns and parks of their county (mujun.core.scoping.can_edit_record).
            offered = ("", Region.Level.TOWN, Region.Level.PARK)
            self.fields["level"].choices = [(value, label) for value, label in self.fields["level"].choices if value in offered]


class CountyForm(ScopedModelForm):
    """A record set per county (targets, rules): its region field offers only the counties the user may edit,
    as the record's clean() accepts no other level."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = self.fields["region"].queryset.filter(level=Region.Level.COUNTY)
