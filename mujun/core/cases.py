"""Cases followed to closure (a parcel's disposal, a firm's remediation): the steps their pages share. A case
model has ``status`` with ``Status.OPEN``, a ``progress`` note model with ``case`` and ``created_by``, and a
service closing it from the closing form's fields. The messages are the calling app's, in its own words."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404

from mujun.core.scoping import require_edit


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
