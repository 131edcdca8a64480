"""django-tables2 at the cost of the rows it shows, not of its machinery per cell.

Profiled on a 50-row list (about 500 cells), most of a page's time went to two things per cell: reading the
parameters of the column's ``render`` (and of every ``linkify``/attribute callable) with
``inspect.signature``, once for every cell; and compiling a template for every date cell (django-tables2's
``DateColumn`` and ``DateTimeColumn`` are template columns). Here the signatures are read once per function,
and dates are formatted as the ``date`` template filter formats them, without a template; a boolean cell's
mark (a span with its attributes) is made once per column, not per cell. Every table of the platform gets
them: the columns are registered in django-tables2's column library, which picks a model field's column, and
the signature cache is installed when the core app is ready.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Sequence

import django_tables2 as tables
from django.utils import formats, timezone
from django.utils.translation import get_language
from django_tables2 import utils as tables_utils
from django_tables2.columns import library
from django_tables2.data import TableListData, TableQuerysetData

from mujun.core.kept import kept_count

_read_signature = tables_utils.signature
_signatures: dict = {}
MAX_SIGNATURES = 4096  # functions made per request (a closure) must not grow the cache without end


def cached_signature(function):
    """django-tables2's ``signature`` (argument names and the ``**`` name), read once per function. A bound
    method is keyed by its function, so every record's and every table's instance shares one entry."""
    key = (function.__func__, True) if inspect.ismethod(function) else (function, False)
    try:
        return _signatures[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable callable
        return _read_signature(function)
    if len(_signatures) >= MAX_SIGNATURES:
        _signatures.clear()
    _signatures[key] = found = _read_signature(function)
    return found


def install_signature_cache() -> None:
    """Every ``call_with_appropriate`` (cell renders, ``linkify``, computed attributes) reads the cache."""
    tables_utils.signature = cached_signature


@library.register
class DateColumn(tables.Column):
    """A date as the ``date`` filter writes it (``SHORT_DATE_FORMAT`` unless ``format`` is given)."""

    def __init__(self, format: str | None = None, short: bool = True, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.format = format or ("SHORT_DATE_FORMAT" if short else "DATE_FORMAT")

    @classmethod
    def from_field(cls, field, **kwargs):
        from django.db import models

        if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
            return cls(**kwargs)
        return None

    def render(self, value):
        return formats.date_format(value, self.format)

    def value(self, value):
        return value.isoformat() if isinstance(value, dt.date) else value


@library.register
class DateTimeColumn(DateColumn):
    """A moment in the current time zone, as the ``date`` filter writes it (``SHORT_DATETIME_FORMAT``)."""

    def __init__(self, format: str | None = None, short: bool = True, *args, **kwargs):
        super().__init__(format or ("SHORT_DATETIME_FORMAT" if short else "DATETIME_FORMAT"), short, *args, **kwargs)

    @classmethod
    def from_field(cls, field, **kwargs):
        from django.db import models

        if isinstance(field, models.DateTimeField):
            return cls(**kwargs)
        return None

    def render(self, value):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, self.format)

    def value(self, value):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value



@library.register
class BooleanColumn(tables.BooleanColumn):
    """django-tables2's, with its two marks made once per column and language, and the field's choices (which
    turn a label back into a boolean) looked up once per model rather than per cell."""

    def _get_bool_value(self, record, value, bound_column):
        plain = self.__dict__.setdefault("_plain_models", {})
        model = type(record)
        if model not in plain:
            field = bound_column.accessor.get_field(record) if hasattr(record, "_meta") else None
            plain[model] = not getattr(field, "choices", None)
        return bool(value) if plain[model] else super()._get_bool_value(record, value, bound_column)

    def render(self, value, record, bound_column):
        value = self._get_bool_value(record, value, bound_column)
        marks = self.__dict__.setdefault("_marks", {})
        key = (value, get_language())
        if key not in marks:
            marks[key] = super().render(value, None, bound_column)  # no record: the value is a boolean already
        return marks[key]


class FrameRows(Sequence):
    """A Polars frame as a table's rows (dicts): a page converts its own rows only, not the whole frame."""

    def __init__(self, frame):
        self.frame = frame
        self.sorted_rows: list[dict] | None = None

    def __len__(self) -> int:
        return self.frame.height

    def __getitem__(self, key):
        if self.sorted_rows is not None:
            return self.sorted_rows[key]
        if isinstance(key, slice):
            return self.frame[key].to_dicts()
        return self.frame.row(key, named=True)

    def __iter__(self):
        return iter(self.sorted_rows) if self.sorted_rows is not None else self.frame.iter_rows(named=True)

    def sort(self, key, reverse: bool = False) -> None:
        """As django-tables2 sorts a list when the user orders by a column: every row, once."""
        self.sorted_rows = sorted(self.frame.to_dicts(), key=key, reverse=reverse)


def frame_data(frame) -> TableListData:
    """A frame as a table's data (django-tables2 would otherwise copy it into a list of every row first)."""
    return TableListData(FrameRows(frame))


class KeptCountData(TableQuerysetData):
    """A queryset as a table's data, its count kept (:func:`mujun.core.kept.kept_count`) until one of
    ``models`` — every model the list's query reads — changes."""

    def __init__(self, data, models):
        super().__init__(data)
        self.models = models

    def __len__(self) -> int:
        if not hasattr(self, "_length"):
            self._length = kept_count(self.data, *self.models)
        return self._length
