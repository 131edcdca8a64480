"""Cases followed to closure (a parcel's disposal, a firm's remediation): the steps their pages and API share. A
case model has ``status`` with ``Status.OPEN``, a ``progress`` note model (:class:`ProgressNote`) and is opened
from a source (a finding, a listed firm); the app's services module (passed in, core knowing no domain app) has
``new_case(source)``, ``open_case(case, user)``, ``delete_case(case, user)`` and ``overview(year)``, and a service
closes a case from the closing form's fields. The messages are the calling app's, in its own words."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from rest_framework import serializers
from rest_framework.response import Response
from simple_history.models import HistoricalRecords

from mujun.core.scoping import require_edit
from mujun.core.uploads import IMAGES_AND_PDF, FileContentValidator
from mujun.core.views import combined_history


def evidence_path(instance: "ProgressNote", filename: str) -> str:
    """``<app>/cases/<case>/<file>``: each app's evidence in its own folder."""
    return f"{instance._meta.app_label}/cases/{instance.case_id}/{filename}"


class ProgressNote(models.Model):
    """A progress note on a case, with optional evidence; the app's model adds ``case`` (a foreign key with
    ``related_name="progress"``)."""

    noted_on = models.DateField(_("date"), default=timezone.localdate)
    note = models.TextField(_("progress"))
    evidence = models.FileField(
        _("evidence"), upload_to=evidence_path, blank=True, validators=[FileContentValidator(IMAGES_AND_PDF)],
        help_text=_("jpg, png or pdf, at most 20 MB"),
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True
        ordering = ["case", "noted_on", "pk"]
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")

    def __str__(self) -> str:
        return f"{self.case} {self.noted_on}"

    @property
    def region(self):
        return self.case.region


def editable_open_case(request, queryset, pk, closed_message: str):
    """The case, if the user may edit it and it is open (403 otherwise: a closed case is done)."""
    case = get_object_or_404(queryset, pk=pk)
    require_edit(request.user, case)
    if case.status != case.Status.OPEN:
        raise PermissionDenied(closed_message)
    return case


def form_problems(form) -> str:
    """A form's errors in one line, each field named by its label."""
    return "; ".join(
        f"{form.fields[f].label}: {' '.join(e)}" if f in form.fields else " ".join(e) for f, e in form.errors.items()
    )


def note_progress(request, case, form_class, noted_message: str):
    """Store the posted progress note (with its evidence) on the case, by the user; back to the case."""
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        note = form.save(commit=False)
        note.case, note.created_by = case, request.user
        note.save()
        messages.success(request, noted_message)
    else:
        messages.error(request, form_problems(form))
    return HttpResponseRedirect(case.get_absolute_url())


def close_case(request, case, form_class, close, closed_message):
    """Close the case with the posted closing form through ``close(case, **fields, user=…)`` (the app's
    service, whose refusal names the form's fields); ``closed_message(case)`` says what was done."""
    form = form_class(request.POST)
    if form.is_valid():
        try:
            case = close(case, **form.cleaned_data, user=request.user)
        except ValidationError as error:
            form.add_error(None, error)  # the model's errors, on the form's fields of the same names
        else:
            messages.success(request, closed_message(case))
            return HttpResponseRedirect(case.get_absolute_url())
    messages.error(request, form_problems(form))
    return HttpResponseRedirect(case.get_absolute_url())


def progress_context(case, progress_form) -> dict:
    """What a case's page shows of its progress: the notes, the history of the case and its notes, the form
    to note more."""
    progress = list(case.progress.select_related("created_by"))
    return {
        "progress": progress,
        "history": combined_history([case, *progress]),
        "history_objects": True,
        "progress_form": progress_form(initial={"noted_on": timezone.localdate()}),
    }


def targets_page(request, template_name: str, targets, services):
    """The counties' yearly targets under this year's overview."""
    year = timezone.localdate().year
    context = {"targets": targets, "can_edit": request.user.can_edit, "year": year, "overview": services.overview(year)}
    return render(request, template_name, context)


class CaseListMixin:
    """A list of cases under this year's overview (``services``: the app's services module)."""

    services = None

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        year = timezone.localdate().year
        ctx.update(year=year, overview=self.services.overview(year))
        return ctx


class OpenCaseEditMixin:
    """An edit view refusing a closed case, as the case's page does (``closed_message``: the app's words)."""

    closed_message = ""

    def get_object(self):
        case = super().get_object()
        if case.status != case.Status.OPEN:
            raise PermissionDenied(self.closed_message)
        return case


class OpenCaseView(View):
    """Open a case from its source (``source_queryset``, by ``pk``): ``services.new_case(source)`` carries
    the source's fields before validation, so the model's rules (one open case at a time) apply, and
    ``services.open_case`` stores it. The app names what the user edits (``edited``), the form's first values
    (``initial``), the page's context (``source_context``) and its message (``opened_message``, with ``%(case)s``)."""

    source_queryset = None
    form_class = None
    services = None
    template_name = ""
    opened_message = ""

    def edited(self, source):
        return source

    def initial(self) -> dict:
        return {}

    def source_context(self) -> dict:
        return {}

    def dispatch(self, request, *args, **kwargs):
        self.source = get_object_or_404(self.source_queryset, pk=kwargs["pk"])
        require_edit(request.user, self.edited(self.source))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        return self.render(self.form_class(initial=self.initial()))

    def post(self, request, pk):
        form = self.form_class(request.POST, instance=self.services.new_case(self.source))
        if form.is_valid():
            try:
                case = self.services.open_case(form.save(commit=False), request.user)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, self.opened_message % {"case": case})
                return HttpResponseRedirect(case.get_absolute_url())
        return self.render(form)

    def render(self, form):
        return render(self.request, self.template_name, {"form": form, **self.source_context()})


class ProgressForm(forms.ModelForm):
    """A progress note; the app's form names its model (``class Meta(ProgressForm.Meta): model = …``)."""

    class Meta:
        fields = ["noted_on", "note", "evidence"]
        widgets = {
            "noted_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "note": forms.Textarea(attrs={"rows": 2}),
        }


# --- the API ----------------------------------------------------------------------------------------------


def refusal(error: ValidationError) -> serializers.ValidationError:
    """A service's refusal as a 400 naming each field."""
    return serializers.ValidationError(serializers.as_serializer_error(error))


class CaseSerializerMixin:
    """A case is opened from its source (the write-only field ``source_field``, on creation only; the fields it
    gives, ``source_fields(source)``, go in before the model's rules run) and is not changed once closed. The
    app's words: ``stays_message`` (the source cannot change), ``closed_message``."""

    source_field = ""
    source_fields = None
    stays_message = ""
    closed_message = ""

    def validate(self, data):
        source = data.pop(self.source_field, None)
        if self.instance is None:
            if source is None:
                raise serializers.ValidationError({self.source_field: self.fields[self.source_field].error_messages["required"]})
            data.update(self.source_fields(source))  # so the model's rules see the case it makes
        elif source is not None:
            raise serializers.ValidationError({self.source_field: self.stays_message})
        elif self.instance.status != self.instance.Status.OPEN:  # as on the pages: a closed case is done
            raise serializers.ValidationError(self.closed_message)
        return super().validate(data)


# Cases are opened, closed and deleted through the app's ``services`` (``open_case``, ``close_case``,
# ``delete_case``), as on the pages. No docstring: the API schema describes a view set by the first docstring
# of its classes, and this mixin is not what the client reads about.
class CaseViewSetMixin:
    services = None

    def perform_create(self, serializer):
        try:
            serializer.instance = self.services.open_case(self.queryset.model(**serializer.validated_data), self.request.user)
        except ValidationError as error:
            raise refusal(error) from error

    def perform_destroy(self, instance):
        self.services.delete_case(instance, self.request.user)

    def close_with(self, request, serializer_class):
        """The app's ``close`` action: the posted fields (each, given or not) go to ``services.close_case``
        under their names, as the closing form's do; a refusal is a 400 naming the fields."""
        case = self.get_object()
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        fields = {name: data.validated_data.get(name) for name in data.fields}
        try:
            case = self.services.close_case(case, **fields, user=request.user)
        except ValidationError as error:
            raise refusal(error) from error
        return Response(self.get_serializer(case).data)
