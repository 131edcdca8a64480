"""Generic views shared by every domain app, in the manner of NetBox: a new object type costs a
filterset, a table, a form and four one-line view classes."""

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views import View
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from mujun.core.scoping import can_edit_record, require_edit


def home(request):
    from mujun.core.dashboard import dashboard_context

    return render(request, "core/home.html", dashboard_context(request))


class ObjectListView(SingleTableMixin, FilterView):
    """A filterable, sortable, paginated table of one model."""

    template_name = "core/object_list.html"
    paginate_by = 50
    title = ""
    add_url_name = ""  # shown as a button to users who can edit
    import_url_name = ""
    export_url_name = ""

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            title=self.title or self.model._meta.verbose_name_plural,
            add_url_name=self.add_url_name if self.request.user.can_edit else "",
            import_url_name=self.import_url_name if self.request.user.can_edit else "",
            export_url_name=self.export_url_name,
            querystring=self.request.GET.urlencode(),
        )
        return ctx


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

    def get_object(self):
        if "pk" in self.kwargs:
            return get_object_or_404(self.model, pk=self.kwargs["pk"])
        return self.model()

    def get_form(self, obj):
        return self.form_class(self.request.POST or None, instance=obj, user=self.request.user)

    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.object.pk:
            require_edit(request.user, self.object)
        elif not request.user.can_edit:
            require_edit(request.user, None)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, **kwargs):
        return self.render(self.get_form(self.object))

    def post(self, request, **kwargs):
        form = self.get_form(self.object)
        if form.is_valid():
            with transaction.atomic():
                obj = form.save(commit=False)
                require_edit(request.user, obj)
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
            changes = [
                {"field": newer.instance._meta.get_field(c.field).verbose_name, "old": c.old, "new": c.new}
                for c in delta.changes
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
