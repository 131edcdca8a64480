"""What a page takes from its query string beyond its filter form (mujun.core.filtersets): each value is
cleaned by a form field, so a value the page cannot use is named to the user, never a server error."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.utils.text import Truncator
from django.utils.translation import gettext as _

# Rows on one page of a table, whatever ``?per_page=`` asks: a million rows would be rendered at once.
MAX_PER_PAGE = 500


def query_value(request, name: str, field: forms.Field):
    """The query parameter ``name`` as ``field`` cleans it; None when absent or empty. A value the field
    refuses (or several values) is ignored, and the page says so in a message naming the parameter."""
    values = request.GET.getlist(name)
    if not values or values == [""]:
        return None
    try:
        if len(values) > 1:
            raise ValidationError(_("Give one value only."))
        return field.clean(values[0])
    except ValidationError as error:
        messages.warning(
            request,
            _("The address asks for %(name)s “%(value)s”, which was ignored: %(problem)s")
            % {"name": name, "value": Truncator(values[0]).chars(20), "problem": " ".join(error.messages)},
        )
        return None


class BoundedPaginator(Paginator):
    """Pages of 1 to MAX_PER_PAGE rows: django-tables2 takes ``?per_page=`` as any whole number."""

    def __init__(self, object_list, per_page, *args, **kwargs):
        super().__init__(object_list, min(max(int(per_page), 1), MAX_PER_PAGE), *args, **kwargs)
