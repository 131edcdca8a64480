from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views import View

from mujun.collection import services
from mujun.collection.filtersets import CollectionFilterSet, SupplierFilterSet
from mujun.collection.forms import CloseForm, CollectionForm, EntryForm, ResolveForm, SupplierForm, UploadForm
from mujun.collection.models import Collection, Conflict, Supplier, Upload, column_label
from mujun.collection.tables import CollectionTable, SupplierTable
from mujun.core.imports import ImportFailed
from mujun.core.models import ImportJob
from mujun.core.uploads import file_response
from mujun.core.views import ObjectDetailView, ObjectEditView, ObjectListView
from mujun.enterprises.models import Enterprise

SHOWN = 200  # rows of a finding list shown on the page


class CollectionListView(ObjectListView):
    model = Collection
    table_class = CollectionTable
    filterset_class = CollectionFilterSet
    add_url_name = "collection:collection_add"

    def get_queryset(self):
        return services.visible_collections(self.request.user, Collection.objects.select_related("region"))


class CollectionCreateView(View):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.can_edit:
            raise PermissionDenied(_("You may not open collections."))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.render(CollectionForm(user=request.user))

    def post(self, request):
        form = CollectionForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                collection = services.open_collection(
                    form.cleaned_data["region"], form.cleaned_data["year"], request.user, form.cleaned_data["anomaly_factor"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Opened %(collection)s.") % {"collection": collection})
                return HttpResponseRedirect(collection.get_absolute_url())
        return self.render(form)

    def render(self, form):
        return render(self.request, "core/object_edit.html", {"form": form, "model_name": Collection._meta.verbose_name})


def _visible_collection(request, pk) -> Collection:
    return get_object_or_404(services.visible_collections(request.user, Collection.objects.select_related("region")), pk=pk)


def _deliverable_suppliers(user, collection: Collection):
    """The departments the user may deliver for into this collection."""
    suppliers = services.suppliers_for(collection)
    if services.can_manage(user, collection):
        return suppliers
    return suppliers.filter(members=user)


def _names(enterprise_ids) -> dict:
    return Enterprise.objects.in_bulk(list(enterprise_ids))


def collection_context(request, collection: Collection) -> dict:
    """What the collection's page shows the user: a department's staff their departments' completeness and
    deliveries; the operators also the conflicts, anomalies, edits after the merge and unknown credit codes
    (a county operator of their county's enterprises)."""
    user = request.user
    region_ids = services.scope_region_ids(user, collection)
    supplier_view = services.is_data_supplier(user)
    suppliers = services.suppliers_for(collection).select_related("region")
    if supplier_view:
        suppliers = suppliers.filter(members=user)
    uploads = services.visible_uploads(user, collection.uploads.select_related("supplier", "uploaded_by"))
    context = {
        "collection": collection,
        "object": collection,
        "supplier_view": supplier_view,
        "can_manage": services.can_manage(user, collection),
        "completeness": services.completeness(collection, region_ids, suppliers),
        "uploads": uploads,
        "unknown": services.unknown_codes(uploads),
        "deliverable": _deliverable_suppliers(user, collection) if collection.is_open else Supplier.objects.none(),
        "jobs": ImportJob.objects.filter(user=user, page=collection.get_absolute_url())[:5],  # the user's deliveries
    }
    if context["deliverable"].exists():
        context["upload_form"] = UploadForm(suppliers=context["deliverable"])
    if not supplier_view:
        merged = services.merged_figures(collection)
        conflicts = collection.conflicts.filter(enterprise__region_id__in=region_ids).select_related("enterprise")
        anomalies = services.anomalies(collection, region_ids, merged)
        edits = services.edited_cells(collection, region_ids, merged)
        names = _names({a["enterprise_id"] for a in anomalies[:SHOWN]} | {e["enterprise_id"] for e in edits[:SHOWN]})
        for row in [*anomalies[:SHOWN], *edits[:SHOWN]]:
            row["enterprise"] = names.get(row["enterprise_id"])
            row["label"] = column_label(row["column"])
        context.update(
            open_conflicts=conflicts.filter(status=Conflict.Status.OPEN).order_by("enterprise__name", "column")[:SHOWN],
            open_conflict_count=conflicts.filter(status=Conflict.Status.OPEN).count(),
            resolved_conflicts=conflicts.filter(status=Conflict.Status.RESOLVED).order_by("-resolved_at")[:SHOWN],
            anomalies=anomalies[:SHOWN],
            anomaly_count=len(anomalies),
            edits=edits[:SHOWN],
            edit_count=len(edits),
        )
    return context


class CollectionDetailView(ObjectDetailView):
    model = Collection
    template_name = "collection/collection_detail.html"

    def get_object(self):
        return _visible_collection(self.request, self.kwargs["pk"])

    def get_extra_context(self, obj):
        return collection_context(self.request, obj)


class CollectionUploadView(View):
    """A department's workbook, imported all or nothing in the background: the user is sent to the import's
    page (progress, then what was stored or every problem). A refusal found at once shows the form again."""

    def post(self, request, pk):
        collection = _visible_collection(request, pk)
        suppliers = _deliverable_suppliers(request.user, collection)
        if not suppliers.exists():  # refused before the workbook is read
            raise PermissionDenied(_("You deliver figures for no department of this collection."))
        form = UploadForm(request.POST, request.FILES, suppliers=suppliers)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = services.start_delivery(
                    collection, form.cleaned_data["supplier"], request.user, upload.read(), upload.name
                )
            except (ValidationError, PermissionDenied) as error:
                form.add_error("file", error.messages if isinstance(error, ValidationError) else str(error))
            else:
                return HttpResponseRedirect(job.get_absolute_url())
        return render(request, "collection/upload_result.html", {"collection": collection, "form": form})


class CollectionEntryView(View):
    """One enterprise's figures of a department, entered by hand (a delivery of one row)."""

    def setup_objects(self, request, pk):
        self.collection = _visible_collection(request, pk)
        choice = forms.ModelChoiceField(_deliverable_suppliers(request.user, self.collection))
        try:  # the query's text is read as a form reads it: anything but a department's id is not found
            self.supplier = choice.clean(request.POST.get("supplier") or request.GET.get("supplier"))
        except ValidationError:
            raise Http404 from None

    def get(self, request, pk):
        self.setup_objects(request, pk)
        return self.render(EntryForm(supplier=self.supplier))

    def post(self, request, pk):
        self.setup_objects(request, pk)
        form = EntryForm(request.POST, supplier=self.supplier)
        problems = None
        if form.is_valid():
            try:
                delivery = services.enter_figures(
                    self.collection, self.supplier, request.user, form.cleaned_data["uscc"], form.values()
                )
            except ImportFailed as failure:
                problems = failure.problems
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Stored %(upload)s.") % {"upload": delivery.upload})
                return HttpResponseRedirect(self.collection.get_absolute_url())
        return self.render(form, problems)

    def render(self, form, problems=None):
        return render(
            self.request,
            "collection/entry.html",
            {"collection": self.collection, "supplier": self.supplier, "form": form, "problems": problems},
        )


class CollectionCloseView(View):
    def get(self, request, pk):
        collection = _visible_collection(request, pk)
        return self.render(collection, CloseForm())

    def post(self, request, pk):
        collection = _visible_collection(request, pk)
        form = CloseForm(request.POST)
        if form.is_valid():
            try:
                outcome = services.close_collection(collection, request.user, confirm=form.cleaned_data["confirm"])
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("Closed %(collection)s: %(updated)d enterprise years updated, %(created)d created.")
                    % {"collection": collection, "updated": outcome.updated, "created": outcome.created},
                )
                return HttpResponseRedirect(collection.get_absolute_url())
        return self.render(collection, form)

    def render(self, collection, form):
        if not services.can_manage(self.request.user, collection):
            raise PermissionDenied(_("You may not close this collection."))
        context = collection_context(self.request, collection)
        context["form"] = form
        return render(self.request, "collection/collection_close.html", context)


class EditResolveView(View):
    """Resolve a figure edited after the merge: keep the edit, restore the collected value, or another."""

    def post(self, request, pk):
        collection = _visible_collection(request, pk)
        try:
            enterprise = forms.ModelChoiceField(Enterprise.objects.all()).clean(request.POST.get("enterprise"))
        except ValidationError:
            raise Http404 from None
        if not services.can_resolve(request.user, Conflict(collection=collection, enterprise=enterprise)):
            raise PermissionDenied(_("You may not resolve conflicts of this enterprise."))
        form = ResolveForm(request.POST)
        if form.is_valid():
            try:
                services.resolve_edit(collection, enterprise, request.POST.get("column", ""), request.user,
                                      form.cleaned_data["value"], form.cleaned_data["note"])  # fmt: skip
                messages.success(request, _("Resolved."))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(collection.get_absolute_url() + "#edits")


class ConflictDetailView(ObjectDetailView):
    model = Conflict
    template_name = "collection/conflict_detail.html"

    def get_object(self):
        conflict = get_object_or_404(Conflict.objects.select_related("collection__region", "enterprise"), pk=self.kwargs["pk"])
        if services.is_data_supplier(self.request.user):
            raise PermissionDenied
        _visible_collection(self.request, conflict.collection_id)
        if not set(services.scope_region_ids(self.request.user, conflict.collection)) & {conflict.enterprise.region_id}:
            raise PermissionDenied
        return conflict

    def get_extra_context(self, obj):
        return {"can_resolve": services.can_resolve(self.request.user, obj), "form": ResolveForm()}

    def post(self, request, pk):
        conflict = self.get_object()
        form = ResolveForm(request.POST)
        if form.is_valid():
            try:
                services.resolve_conflict(conflict, request.user, form.cleaned_data["value"], form.cleaned_data["note"])
                messages.success(request, _("Resolved."))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(conflict.collection.get_absolute_url() + "#conflicts")


class UploadDetailView(ObjectDetailView):
    model = Upload
    template_name = "collection/upload_detail.html"

    def get_object(self):
        return get_object_or_404(
            services.visible_uploads(self.request.user, Upload.objects.select_related("supplier", "collection__region")),
            pk=self.kwargs["pk"],
        )

    def get_extra_context(self, obj):
        figures = obj.figure_set.select_related("enterprise").order_by("enterprise__name", "column")
        return {"figures": figures[:SHOWN], "figure_count": obj.figures}


def upload_file(request, pk):
    """The delivered workbook, to those who may see the delivery."""
    upload = get_object_or_404(services.visible_uploads(request.user), pk=pk)
    if not upload.file:
        raise PermissionDenied
    return file_response(upload.file, upload.original_name or upload.file.name)


class SupplierListView(ObjectListView):
    model = Supplier
    table_class = SupplierTable
    filterset_class = SupplierFilterSet
    queryset = Supplier.objects.select_related("region")
    add_url_name = "collection:supplier_add"


class SupplierDetailView(ObjectDetailView):
    model = Supplier
    template_name = "collection/supplier_detail.html"

    def get_extra_context(self, obj):
        return {
            "columns": [(c, column_label(c), obj.priority(c)) for c in obj.columns],
            "uploads": services.visible_uploads(self.request.user, obj.uploads.select_related("collection__region"))[:50],
        }


class SupplierEditView(ObjectEditView):
    model = Supplier
    form_class = SupplierForm


