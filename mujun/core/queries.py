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


def totally_ordered(queryset: QuerySet) -> QuerySet:
    """``queryset`` in its own order with the primary key breaking ties, in the direction of the last key (an
    index on (key, id) is then walked one way): rows with equal sort keys keep one order, read forwards or
    backwards, so a page read from the end holds the same rows as the page read from the start."""
    query = queryset.query
    ordering = list(query.order_by or (queryset.model._meta.ordering if query.default_ordering else ()))
    pk_names = {"pk", queryset.model._meta.pk.attname, queryset.model._meta.pk.name}
    if any(isinstance(key, str) and key.lstrip("-") in pk_names for key in ordering):
        return queryset
    last = ordering[-1] if ordering else "pk"
    descending = last.startswith("-") if isinstance(last, str) else getattr(last, "descending", False)
    return queryset.order_by(*ordering, "-pk" if descending else "pk")


class IdsFirstPaginator(BoundedPaginator):
    """Pages of a large queryset for django-tables2: the page's ids first, selected on the ordered table
    alone (an index walk), then only those rows with their joins, annotations and prefetches. A deep page
    (OFFSET 250,000) would otherwise join every skipped row; a page past the middle is read in the reverse
    order from the end (the last page of 1,100,000 rows skips none instead of walking the whole index).
    Data that is not a queryset pages as usual."""

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
        ids = page_ids(queryset, bottom, top, self.count)
        by_id = {record.pk: record for record in queryset.filter(pk__in=ids).order_by()}
        records = [by_id[pk] for pk in ids if pk in by_id]  # a row deleted between the two queries is left out
        return self._get_page(BoundRows(records, table=rows.table), number, self)


def page_ids(queryset: QuerySet, bottom: int, top: int, count: int) -> list:
    """The primary keys of rows ``bottom`` to ``top`` (excluded) of ``queryset``'s ``count`` rows, in order;
    from the end in reverse order when that skips fewer rows."""
    ordered = totally_ordered(queryset).values_list("pk", flat=True)
    if bottom <= count - top:
        return list(ordered[bottom:top])
    return list(ordered.reverse()[count - top : count - bottom])[::-1]
