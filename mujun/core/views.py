"""Generic views shared by every domain app, in the manner of NetBox: a new object type costs a
filterset, a table, a form and four one-line view classes."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404, HttpResponseRedirect
from django_htmx.http import HttpResponseClientRefresh
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.template.defaultfilters import yesno
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views import View
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from mujun.core.apps_registry import domain_configs
from mujun.core.deletion import DeletionRefused, delete_record
from mujun.core.exports import export_response, xlsx_response
from mujun.core.history import one_history_row
from mujun.core.imports import Problem, problems_frame
from mujun.core.models import ImportJob
from mujun.core.queries import IdsFirstPaginator
from mujun.core.tables import KeptCountData
from mujun.core.services import can_see_import, start_import
from mujun.core.scoping import can_edit_record, home_region, placed_in_regions, record_region, require_edit


def home(request):
    """The figures a leader asks first, each linking to its detail: the cards the apps register for it."""
    return render(request, "core/home.html", {"home_region": home_region(request.user)})


def filter_data(request, filterset_class):
    """The query string a list is filtered by. Without a region in it, a county operator's lists of records
    located in regions open on their county (choosing "All" sends an empty region and lists the whole city);
    a region filter of another meaning (an evaluation run's scope) does not say ``opens_on_home_region``."""
    data = request.GET.copy()
    region = home_region(request.user)
    region_filter = filterset_class.base_filters.get("region")
    if region is not None and getattr(region_filter, "opens_on_home_region", False) and "region" not in data:
        data["region"] = str(region.pk)
    return data


def landing(request):
    """Where signing in leads (LOGIN_REDIRECT_URL): the page of the user's work an app names, else home."""
    for config in domain_configs():
        url = config.landing_url(request.user)
        if url:
            return HttpResponseRedirect(url)
    return HttpResponseRedirect(reverse("home"))


class ObjectListView(SingleTableMixin, FilterView):
    """A filterable, sortable, paginated table of one model."""

    template_name = "core/object_list.html"
    paginate_by = None  # the table paginates (and counts) once; the ListView must not do it a second time
    table_pagination = {"per_page": 50}
    paginator_class = IdsFirstPaginator
    title = ""
    add_url_name = ""  # shown as a button to users who can edit
    add_by_city_admin = False  # True: records of the city's settings, added by its administrator only
    import_url_name = ""
    export_url_name = ""
    # Every model the list's query and filters read, when all of them keep history on every write: the
    # count of rows is then kept until one of them changes (mujun.core.kept), not counted on each request.
    count_reads: tuple = ()

    def get_table_data(self):
        data = super().get_table_data()
        return KeptCountData(data, self.count_reads) if self.count_reads and isinstance(data, models.QuerySet) else data

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        data = filter_data(self.request, filterset_class)
        kwargs["data"] = data or None
        return kwargs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        if ctx.get("filter") is not None:
            # Labels come from lower-case verbose names, as Django writes them; forms show them capitalised.
            for field in ctx["filter"].form.fields.values():
                field.label = capfirst(field.label)
        ctx.update(
            title=capfirst(self.title or self.model._meta.verbose_name_plural),
            add_url_name=self.add_url_name if self._may_add() else "",
            import_url_name=self.import_url_name if self.request.user.can_edit else "",
            export_url_name=self.export_url_name,
            # The filters in effect, the operator's county included: the export lists what the page lists.
            querystring=self.filterset.data.urlencode() if self.filterset.data else "",
        )
        return ctx

    def _may_add(self) -> bool:
        user = self.request.user
        return user.is_city_admin if self.add_by_city_admin else user.can_edit


def named_views(patterns=None, namespace: str = ""):
    """``(namespaced URL name, view function)`` of every named pattern in the URL conf."""
    from django.urls import URLResolver, get_resolver

    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from named_views(pattern.url_patterns, ":".join(filter(None, [namespace, pattern.namespace])))
        elif pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern.callback


def list_url_names() -> list[str]:
    """The namespaced URL names of every list page (an ``ObjectListView``) in the URL conf."""
    return [name for name, view in named_views() if issubclass(getattr(view, "view_class", object), ObjectListView)]


class ObjectDetailView(View):
    """One record, with its change history."""

    model = None
    template_name = ""

    def get_object(self):
        return get_object_or_404(self.model, pk=self.kwargs["pk"])

    def get_extra_context(self, obj) -> dict:
        return {}

    def get(self, request, pk):
        obj = self.get_object()
        ctx = {
            "object": obj,
            "can_edit": can_edit_record(request.user, obj),
            "history": history_rows(obj),
            **self.get_extra_context(obj),
        }
        return render(request, self.template_name, ctx)


class ObjectEditView(View):
    """Create or edit one record, only inside the user's regions."""

    model = None
    form_class = None
    template_name = "core/object_edit.html"
    # A record added under another one (a year under its enterprise): the foreign key's name; the add URL
    # carries ``<parent_field>_pk``, and the parent's region scopes the new record.
    parent_field = ""

    def get_object(self):
        if "pk" in self.kwargs:
            queryset = self.model.objects.all()
            if self.parent_field:
                queryset = queryset.select_related(self.parent_field)
            return get_object_or_404(queryset, pk=self.kwargs["pk"])
        if self.parent_field:
            parent_model = self.model._meta.get_field(self.parent_field).related_model
            parent = get_object_or_404(parent_model, pk=self.kwargs[f"{self.parent_field}_pk"])
            return self.model(**{self.parent_field: parent})
        return self.model()

    def get_form(self, obj):
        return self.form_class(self.request.POST or None, instance=obj, user=self.request.user)

    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        # A new record may already belong somewhere (a year added to an enterprise): check it up front. A record
        # of a model placed in no region (an indicator, an inspection round) is the city's.
        if self.object.pk or record_region(self.object) is not None or not placed_in_regions(self.model):
            require_edit(request.user, self.object)
        elif not request.user.can_edit:
            require_edit(request.user, None)
        # Only then the record's state: who may not change it at all is refused before being told when.
        if (refusal := self.refuse_in_state(request)) is not None:
            return refusal
        return super().dispatch(request, *args, **kwargs)

    def refuse_in_state(self, request):
        """A redirect with a message when the record's state forbids the change (a closed round), else None."""
        return None

    def get(self, request, **kwargs):
        return self.render(self.get_form(self.object))

    def post(self, request, **kwargs):
        form = self.get_form(self.object)
        if form.is_valid():
            with transaction.atomic():
                obj = form.save(commit=False)
                require_edit(request.user, obj)
                with one_history_row(obj):  # fields and links: one row, not one per link change
                    obj.save()
                    form.save_m2m()
            messages.success(request, _("Saved %(object)s.") % {"object": obj})
            return HttpResponseRedirect(obj.get_absolute_url())
        return self.render(form)

    def render(self, form):
        return render(
            self.request,
            self.template_name,
            {"form": form, "object": self.object, "model_name": self.model._meta.verbose_name},
        )


class ObjectDeleteView(View):
    """Confirm, then delete one record inside the user's regions. A record others still hold is not
    deleted: the user is sent back to it with a message naming what holds it."""

    model = None
    template_name = "core/object_confirm_delete.html"
    list_url_name = ""  # where to go once the record is deleted

    def get_object(self):
        return get_object_or_404(self.model, pk=self.kwargs["pk"])

    # Not ``delete``: View would route HTTP DELETE requests to it.
    def delete_object(self, obj) -> None:
        """Delete through the app's service; raises ``DeletionRefused``."""
        delete_record(obj)

    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        require_edit(request.user, self.object)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, **kwargs):
        return render(request, self.template_name, {"object": self.object})

    def post(self, request, **kwargs):
        name = str(self.object)
        try:
            self.delete_object(self.object)
        except DeletionRefused as refusal:
            messages.error(request, refusal.message)
            return HttpResponseRedirect(self.object.get_absolute_url())
        messages.success(request, _("Deleted %(object)s.") % {"object": name})
        return HttpResponseRedirect(reverse(self.list_url_name))


def history_rows(obj, limit: int = 50) -> list[dict]:
    """The record's change history (django-simple-history), newest first, each with its field changes."""
    if not hasattr(obj, "history"):
        return []
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    rows = []
    for newer, older in zip(records, records[1:] + [None]):
        if len(rows) == limit:
            break
        changes = []
        if older is not None:
            delta = newer.diff_against(older)
            fields = [newer.instance._meta.get_field(c.field) for c in delta.changes]
            changes = [
                {"field": field.verbose_name, "old": readable(field, c.old), "new": readable(field, c.new)}
                for field, c in zip(fields, delta.changes)
            ]
        rows.append(
            {
                "date": newer.history_date,
                "user": newer.history_user,
                "type": newer.get_history_type_display(),
                "changes": changes,
            }
        )
    return rows


def readable(field, value):
    """A stored value as the user reads it: a choice's label, yes/no, the related record's name; the
    names of linked records (a many-to-many field's rows, as simple-history diffs them)."""
    if field.many_to_many:
        ids = [row[field.m2m_reverse_field_name()] for row in value]
        found = field.related_model._default_manager.in_bulk(ids)
        value = "、".join(str(found.get(pk, f"#{pk}")) for pk in ids)
    if value is None or value == "":
        return None  # shown as a dash
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(field, models.BooleanField):
        return yesno(value)
    if field.many_to_one:
        return field.related_model._default_manager.filter(pk=value).first() or value
    return value


class ObjectImportView(View):
    """Upload a CSV or Excel workbook to import it all-or-nothing through an app's ``Importer``: the upload
    becomes a background job (:class:`~mujun.core.models.ImportJob`) and the user is sent to its page.

    GET ``?template`` downloads an empty workbook with the headers.
    """

    importer_class = None
    template_name = "core/import.html"
    list_url_name = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.can_edit:
            raise PermissionDenied(_("You may not import records."))
        return super().dispatch(request, *args, **kwargs)

    @property
    def title(self) -> str:
        return self.importer_class.title or _("Import %(models)s") % {
            "models": self.importer_class.model._meta.verbose_name_plural
        }

    def get(self, request, **kwargs):
        if "template" in request.GET:
            return xlsx_response(
                {"数据": self.importer_class.template_frame(), "列说明": self.importer_class.columns_frame()},
                f"{self.title}.xlsx",
            )
        return self.render(self.importer_class.form_class())

    def post(self, request, **kwargs):
        form = self.importer_class.form_class(request.POST, request.FILES)
        if not form.is_valid():
            return self.render(form)
        options = {name: value for name, value in form.cleaned_data.items() if name != "file"}
        upload = form.cleaned_data["file"]
        job = start_import(request.user, self.importer_class, options, upload.name, upload.read(), page=request.path)
        return HttpResponseRedirect(job.get_absolute_url())

    def render(self, form):
        return render(
            self.request,
            self.template_name,
            {
                "title": self.title,
                "form": form,
                "columns": self.importer_class.columns,
                "list_url_name": self.list_url_name,
                "jobs": ImportJob.objects.filter(user=self.request.user, page=self.request.path)[:5],
            },
        )


SHOWN_PROBLEMS = 500  # an import's page shows the first ones; the download has them all


def _visible_job(request, pk) -> ImportJob:
    job = get_object_or_404(ImportJob.objects.select_related("user"), pk=pk)
    if not can_see_import(request.user, job):
        raise Http404
    return job


def import_job(request, pk):
    """An import's page: its progress while it runs, then the counts or the problems."""
    job = _visible_job(request, pk)
    problems = [Problem(row, name, header, zh, en) for row, header, name, zh, en in job.problem_rows[:SHOWN_PROBLEMS]]
    return render(
        request,
        "core/import_job.html",
        {"job": job, "problems": problems, "problem_count": len(job.problem_rows)},
    )


def import_job_progress(request, pk):
    """The progress fragment an import's page polls; once the import is finished the page reloads itself."""
    job = _visible_job(request, pk)
    if job.is_finished and request.htmx:
        return HttpResponseClientRefresh()
    return render(request, "core/_import_progress.html", {"job": job})


def import_job_problems(request, pk):
    """Every problem of a failed import as a workbook: row, column, problem in the user's language."""
    job = _visible_job(request, pk)
    return xlsx_response(problems_frame(job.problem_rows), _("%(title)s - problems.xlsx") % {"title": job.title})


class ObjectExportView(View):
    """The list's records, filtered as on the list page, as an Excel download."""

    queryset = None
    filterset_class = None
    columns: list = []
    filename = ""

    def get(self, request, **kwargs):
        queryset = self.queryset.all()
        if self.filterset_class is not None:
            filterset = self.filterset_class(filter_data(request, self.filterset_class), queryset=queryset, request=request)
            # As the list page (FilterView, strict): invalid filters list nothing rather than everything.
            queryset = filterset.qs if filterset.is_valid() else queryset.none()
        filename = self.filename or f"{queryset.model._meta.verbose_name_plural}.xlsx"
        return self.export(queryset, filename)

    def export(self, queryset, filename: str):
        """The download of the filtered records (a view adds sheets here)."""
        return export_response(queryset, self.columns, filename)


def combined_history(objects, limit: int = 50) -> list[dict]:
    """The history of a record and its parts (an enterprise and its years), newest first; each row names
    its record under ``object``."""
    rows = [{**row, "object": obj} for obj in objects for row in history_rows(obj, limit)]
    rows.sort(key=lambda row: row["date"], reverse=True)
    return rows[:limit]
