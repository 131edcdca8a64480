"""The data collection's home card: the collections still open (a department's staff see theirs), with their
open conflicts — what stands between the departments' figures and the year's evaluation."""

from mujun.core.extensions import HOME, Panel, register


@register(HOME)
class OpenCollections(Panel):
    template_name = "collection/panels/home_open_collections.html"
    order = 15

    def get_context(self):
        from mujun.collection.models import Collection, Conflict
        from mujun.collection.services import visible_collections

        still_open = visible_collections(self.user, Collection.objects.filter(status=Collection.Status.OPEN))
        collections = list(still_open.select_related("region").order_by("-year", "region__code")[:3])
        if not collections:
            return None
        conflicts = Conflict.objects.filter(collection__in=still_open, status=Conflict.Status.OPEN).count()
        return {"open_collections": collections, "open_collection_count": still_open.count(), "open_conflicts": conflicts}


@register("enterprises.enterprise")
class CollectedFigures(Panel):
    """On an enterprise's page: the figures the departments delivered for its latest collected year, each with
    its source (department, delivery, time), the one merged in marked."""

    template_name = "collection/panels/enterprise_figures.html"
    order = 15

    def get_context(self):
        from mujun.collection.models import CollectedFigure
        from mujun.collection.services import is_data_supplier, visible_uploads

        figures = CollectedFigure.objects.filter(enterprise=self.object, current=True)
        if is_data_supplier(self.user):
            figures = figures.filter(upload__in=visible_uploads(self.user))
        latest = figures.select_related("collection__region").order_by("-collection__year").first()
        if latest is None:
            return None
        rows = list(
            figures.filter(collection=latest.collection)
            .select_related("supplier", "upload__supplier")
            .order_by("column", "-upload__uploaded_at")
        )
        return {"collected_in": latest.collection, "collected_figures": rows}
