"""Figures computed from many rows, kept in the cache until what they read changes.

A page that reads every enterprise-year, parcel or project to draw one card or ledger cannot afford it on each
request. Such a figure is kept under a key holding the *version* of what it reads: the newest history row of
each model it reads (every write keeps history — forms, the API, services and bulk imports alike) and anything
else it depends on (the day, for a clock). A write makes a new version, so the next request computes afresh;
equal versions give equal figures. The cache is shared by the web workers (settings.CACHES): one of them
computes a new version while the others wait for it, rather than all computing the same figures at once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import cache as once
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection

KEEP_SECONDS = 3600  # an unused version leaves the cache within the hour
COMPUTING_SECONDS = 30  # the longest another process waits for a computation before doing it itself
MISSING = object()


def history_version(*models) -> tuple:
    """The newest history row of each of ``models`` (each keeps a django-simple-history table): its id and
    moment, all in one query (a page asks on every request). The moment too, because SQLite gives a
    rolled-back transaction's ids again: a figure computed inside a transaction that then rolled back must
    not pass for the one a later write makes."""
    newest = []
    for model in models:
        table = connection.ops.quote_name(model.history.model._meta.db_table)
        newest += [f"(SELECT {column} FROM {table} ORDER BY history_id DESC LIMIT 1)" for column in ("history_id", "history_date")]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(newest))
        row = cursor.fetchone()
    return tuple((row[i], str(row[i + 1])) for i in range(0, len(row), 2))


@once
def code_version() -> str:
    """The running code, by its files' modification times: the cache outlives a restart, and what an earlier
    build kept (a frame of other columns, say) must not reach a newer one."""
    package = Path(__file__).resolve().parent.parent
    files = sorted(package.rglob("*.py"))
    return hashlib.sha1("".join(f"{path}:{path.stat().st_mtime_ns};" for path in files).encode()).hexdigest()[:12]


def kept(name: str, version: tuple, compute: Callable[[], Any], seconds: int = KEEP_SECONDS) -> Any:
    """``compute()``, or what it gave before for the same ``name`` and ``version``."""
    key = f"mujun:{code_version()}:{name}:" + hashlib.sha1(repr(version).encode()).hexdigest()
    value = cache.get(key, MISSING)
    if value is not MISSING:
        return value
    computing = f"{key}:computing"
    if not cache.add(computing, True, COMPUTING_SECONDS):  # another process is computing this version
        deadline = time.monotonic() + COMPUTING_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.05)
            value = cache.get(key, MISSING)
            if value is not MISSING:
                return value
    try:
        value = compute()
        cache.set(key, value, seconds)
    finally:
        cache.delete(computing)
    return value


def kept_count(queryset, *models) -> int:
    """``queryset.count()``, kept until one of ``models`` changes: they must be every model the query reads
    (its filters included). Counting a few hundred thousand rows costs tens of milliseconds a page."""
    try:
        sql, params = queryset.order_by().query.sql_with_params()
    except EmptyResultSet:  # Django knows no row can match
        return 0
    return kept("count", (sql, tuple(map(str, params)), history_version(*models)), queryset.count)
