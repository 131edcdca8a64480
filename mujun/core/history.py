"""Change history (django-simple-history) where a save's signals do not write it: records written in bulk,
and a record's links (the many-to-many fields a model's ``HistoricalRecords(m2m_fields=...)`` keeps).

Records created in bulk need their creation row, or their first change shows no "before": ``bulk_create``
here writes it, copied by the database itself (INSERT … SELECT), some forty times faster than building
the rows in Python (``simple_history.utils.bulk_create_with_history``) — for the demo loader's many rows.
simple-history snapshots the links into each row a save writes and adds a row per link change: an edit
(form or API) of fields and links is one row with ``one_history_row``, and rows written in bulk get their
links with ``record_links``.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager

import polars as pl
from django.db import connection, models
from django.db.models import Value
from django.utils import timezone

from mujun.core.bulk import keys_in, values_table

BATCH_SIZE = 2000  # rows per insert, and keys per ``__in`` query: well under every database's parameter limit
# Rows per ``bulk_update``: each batch is one UPDATE with a CASE over the batch's ids per column, whose cost
# grows with the square of the batch (2,000 parcels a batch took seconds where 200 take a tenth of it).
UPDATE_BATCH_SIZE = 200


def bulk_create(model, objs, *, user=None, batch_size: int = BATCH_SIZE) -> list:
    """``model.objects.bulk_create(objs)``, each record with its creation row by ``user`` in the history."""
    created = model._default_manager.bulk_create(objs, batch_size=batch_size)
    # Primary keys are set by the insert on SQLite and PostgreSQL.
    write_history_of(model, [obj.pk for obj in created], "+", user=user)
    return created


def history_models(model) -> list:
    """The models a record's history is written to: its historical model, and those of its links."""
    history = model.history.model
    return [history, *(getattr(history, field.name).model for field in getattr(history, "_history_m2m_fields", []))]


def write_history_of(model, ids: list[int], history_type: str, *, user=None, reason: str | None = None, date=None) -> None:
    """:func:`write_history` for the records of ``model`` with primary keys ``ids``, any number of them, in
    one statement (the ids in a temporary table rather than a list of parameters; an unbroken run of ids,
    as a bulk insert takes, as a range)."""
    if not ids:
        return
    if max(ids) - min(ids) + 1 == len(ids) == len(set(ids)):
        write_history(model._default_manager.filter(pk__range=(min(ids), max(ids))), history_type, user=user,
                      reason=reason, date=date)  # fmt: skip
        return
    with values_table("history_ids", pl.DataFrame({"id": ids}, schema={"id": pl.Int64})) as table:
        queryset = model._default_manager.filter(pk__in=keys_in(table, "id"))
        write_history(queryset, history_type, user=user, reason=reason, date=date)


def write_history(queryset, history_type: str, *, user=None, reason: str | None = None, date=None) -> None:
    """A history row ("+" created, "~" changed) for every record of ``queryset`` as it stands, by ``user``,
    copied in one INSERT … SELECT; with the records' links."""
    history = queryset.model.history.model
    date = date or timezone.now()
    fields = [f.attname for f in history.tracked_fields]
    rows = queryset.order_by().annotate(
        history_date_=Value(date, models.DateTimeField()),
        history_type_=Value(history_type, models.CharField()),
        history_user_=Value(getattr(user, "pk", None), models.BigIntegerField()),
        history_change_reason_=Value(reason, models.CharField()),
    )
    extra = ["history_date", "history_type", "history_user", "history_change_reason"]
    select, params = rows.values_list(*fields, *[f"{name}_" for name in extra]).query.sql_with_params()
    columns = [history._meta.get_field(name).column for name in fields + extra]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(history._meta.db_table)} "
            f"({', '.join(map(connection.ops.quote_name, columns))}) {select}",
            params,
        )
    if history._history_m2m_fields:
        key = queryset.model._meta.pk.attname
        record_links(history.objects.filter(history_date=date, **{f"{key}__in": queryset.values(key)}))


@contextmanager
def one_history_row(obj):
    """The saves and link changes of ``obj`` inside the block write one history row when it ends, holding
    the links as they are then; its user is the request's, as for a save."""
    if not hasattr(obj._meta, "simple_history_manager_attribute"):
        yield
        return
    created = obj.pk is None
    obj.skip_history_when_saving = True  # simple-history's switch for saves and link changes alike
    try:
        yield
    finally:
        del obj.skip_history_when_saving
    history = type(obj).history
    [record] = history.bulk_history_create([obj], update=not created)
    record_links(history.filter(pk=record.pk))


def record_links(records) -> None:
    """Store in each history row of ``records`` (a queryset of one historical model, rows written without
    their links) the links its record has now, in bulk."""
    history_model = records.model
    for field in getattr(history_model, "_history_m2m_fields", []):
        snapshot_model = getattr(history_model, field.name).model
        through = field.remote_field.through
        own, key = field.m2m_field_name(), history_model.instance_type._meta.pk.attname
        links = defaultdict(list)
        for row in through.objects.filter(**{f"{own}__in": records.values(key)}).values():
            links[row[f"{own}_id"]].append(row)
        snapshot_model.objects.bulk_create(
            [
                snapshot_model(history_id=history_id, **row)
                for history_id, record_id in records.values_list("history_id", key)
                for row in links[record_id]
            ],
            batch_size=BATCH_SIZE,
        )
