"""What a page takes from its query string beyond its filter form (mujun.core.filtersets): each value is
cleaned by a form field, so a value the page cannot use is named to the user, never a server error."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django_tables2.rows import BoundRows
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


class IdsFirstPaginator(BoundedPaginator):
    """Pages of a large queryset for django-tables2: the page's ids first, selected on the ordered table
    alone (an index walk), then only those rows with their joins, annotations and prefetches. A deep page
    (OFFSET 250,000) would otherwise join every skipped row. Data that is not a queryset pages as usual."""

    def page(self, number):
        rows = self.object_list  # the table's BoundRows over its (filtered, ordered) data
        queryset = getattr(rows.data, "data", None)
        if not isinstance(queryset, QuerySet):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(queryset.values_list("pk", flat=True)[bottom:top])
        by_id = {record.pk: record for record in queryset.filter(pk__in=ids).order_by()}
        records = [by_id[pk] for pk in ids if pk in by_id]  # a row deleted between the two queries is left out
        return self._get_page(BoundRows(records, table=rows.table), number, self)
