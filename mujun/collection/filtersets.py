import django_filters
from django.utils.translation import gettext_lazy as _

from mujun.core.filtersets import FilterSet
from mujun.collection.models import Collection, Conflict, Supplier, Upload


class CollectionFilterSet(FilterSet):
    status = django_filters.ChoiceFilter(choices=Collection.Status.choices, label=_("status"))

    class Meta:
        model = Collection
        fields = ["year", "region", "status"]


class SupplierFilterSet(FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains", label=_("name"))

    class Meta:
        model = Supplier
        fields = ["name", "region"]


class UploadFilterSet(FilterSet):
    class Meta:
        model = Upload
        fields = ["collection", "supplier"]


class ConflictFilterSet(FilterSet):
    status = django_filters.ChoiceFilter(choices=Conflict.Status.choices, label=_("status"))
    kind = django_filters.ChoiceFilter(choices=Conflict.Kind.choices, label=_("kind"))

    class Meta:
        model = Conflict
        fields = ["collection", "status", "kind", "column"]
