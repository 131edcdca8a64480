"""The body row of a django-tables2 table, written in Python: the same markup as the bootstrap5 template's
loop over cells (cell attributes, localisation, escaping), without a template lookup per cell."""

from django import template
from django.template.base import render_value_in_context
from django.templatetags.l10n import localize, unlocalize
from django.utils.safestring import mark_safe

register = template.Library()


def cell_attributes(column) -> str:
    """The ``<td>`` attributes of a bound column: computed once per table unless they depend on the record
    (a callable, such as a class for overdue rows)."""
    static = column.__dict__.get("_static_td")
    if static is None:
        merged = {**column._table.attrs, **column.column.attrs}
        declared = merged.get("td", merged.get("cell", {}))
        static = False if any(callable(value) for value in declared.values()) else column.attrs["td"].as_html()
        column._static_td = static
    return column.attrs["td"].as_html() if static is False else static


@register.simple_tag(takes_context=True)
def table_row(context, row):
    cells = []
    for column, cell in row.items():  # items() sets the column's current record, for computed attributes
        if column.localize is not None:
            cell = localize(cell) if column.localize else unlocalize(cell)
        # Both parts are safe already: attributes from AttributeDict.as_html, the value escaped as {{ cell }} would.
        cells.append(f"<td {cell_attributes(column)}>{render_value_in_context(cell, context)}</td>")
    return mark_safe(f"<tr {row.attrs.as_html()}>{''.join(cells)}</tr>")
