"""Rows of a Polars frame written straight into a model's table, for imports of hundreds of thousands of rows.

Model instances are not built: PostgreSQL takes the rows with COPY (binary, written by pgpq from the frame's
Arrow columns; CSV written by Polars for a table with a column type pgpq does not write); SQLite takes
large inserts from staging files that ADBC writes (:func:`_insert_staged`, within :func:`bulk_writes`), others
with one prepared statement over all rows (``executemany``). Values are typed as the model's fields store them
(:func:`typed_frame`), so a frame read back from the database (:func:`stored_frame`) compares with a file's.
Many keys go to the database as a temporary table joined in one query (:func:`values_table`), not as lists of
parameters. A county's first load sets indexes and per-row checks aside (:func:`first_load`).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import polars as pl
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models.expressions import RawSQL

# SQLite's page cache for a bulk write, in KiB (its default is 2 MiB): a transaction writing more pages than
# the cache holds spills them, and a page of an index written all over is written again and again (a
# 300,000-row import took 7-26 % more CPU with the default, four paired runs). The cache grows only as far
# as it is used.
SQLITE_WRITE_CACHE_KIB = 1 << 20
QUERY_CHUNK = 2000  # keys per ``__in`` query: well under every database's parameter limit
# SQLite: inserts of at least this many rows go through a staging file (:func:`_insert_staged`); below it
# the file's fixed cost is not worth it.
STAGED_ROWS = 20_000
MAX_STAGED = 8  # staging files attached at once: SQLite attaches at most 10 databases to a connection
# A large insert is staged in up to this many parts: ADBC writes the next part in a thread while SQLite
# copies the last one in (both in C, without Python's lock), so the two costs overlap on two cores.
STAGED_PARTS = 3
COPY_BATCH = 50_000  # rows per chunk handed to COPY: bounded memory for files of millions of rows
INSUFFICIENT_PRIVILEGE = "42501"  # PostgreSQL's SQLSTATE for a setting the role may not change
# PostgreSQL column types (``format_type``) whose binary COPY form pgpq writes, with the Polars type it takes.
# Others (numeric, jsonb, …) are written as CSV.
BINARY_TYPES = {"smallint": pl.Int16, "integer": pl.Int32, "bigint": pl.Int64, "double precision": pl.Float64,
                "boolean": pl.Boolean, "date": pl.Date, "text": pl.Utf8, "character varying": pl.Utf8,
                "timestamp with time zone": pl.Datetime("us", "UTC")}  # fmt: skip
SQL_TYPES = {pl.Int64: "bigint", pl.Int32: "bigint", pl.Utf8: "text", pl.Date: "date", pl.Float64: "double precision",
             pl.Boolean: "boolean"}  # fmt: skip


def polars_type(field) -> pl.DataType:
    """The Polars type holding the values of a model field (JSON as its text, money in decimals as floats)."""
    if isinstance(field, models.ForeignKey):
        return polars_type(field.target_field)
    if isinstance(field, models.BooleanField):
        return pl.Boolean
    if isinstance(field, models.DateTimeField):
        return pl.Datetime("us", "UTC")
    if isinstance(field, models.DateField):
        return pl.Date
    if isinstance(field, models.FloatField | models.DecimalField):
        return pl.Float64
    if isinstance(field, models.IntegerField | models.AutoField):
        return pl.Int64
    return pl.Utf8  # text, and JSON as its serialised text


def _field(model, name: str):
    return next(f for f in model._meta.concrete_fields if f.attname == name)


def typed_frame(model, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` (columns named by field attname) with each column in its field's type; decimals rounded to
    the places the database keeps, so that a stored value reads back equal."""
    columns = []
    for name in frame.columns:
        field = _field(model, name)
        column = pl.col(name).cast(polars_type(field))
        if isinstance(field, models.DecimalField):
            column = column.round(field.decimal_places)
        columns.append(column)
    return frame.select(columns)


@contextmanager
def values_table(name: str, frame: pl.DataFrame):
    """``frame`` as a temporary table of the connection (its quoted name is yielded), dropped afterwards: an
    import's keys joined in one query rather than sent as lists of parameters (building those costs more
    than the query)."""
    table = connection.ops.quote_name(f"_mujun_{name}")
    columns = ", ".join(f"{connection.ops.quote_name(c)} {SQL_TYPES[t]}" for c, t in frame.schema.items())
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(f"CREATE TEMPORARY TABLE {table} ({columns})")
        _write(cursor, table, frame)
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {table}")  # the planner's row count: a hash join, not a loop over guesses
        try:
            yield table
        finally:
            cursor.execute(f"DROP TABLE {table}")


@contextmanager
def bulk_writes():
    """Around the transaction of a bulk write (enter before it opens, leave after it has ended). On SQLite: a
    page cache of :data:`SQLITE_WRITE_CACHE_KIB` for the connection, the previous one afterwards; large inserts
    go through staging files (:func:`_insert_staged`), detached and deleted at the end; and the commit does not
    fold the write-ahead log into the database file (a checkpoint: 4-7 s after 1,000,000 enterprise-years,
    bench/README, Imports). The connection's next commit does, the import job's "done" (readers and writers go
    on meanwhile): the user learns of the result first. Elsewhere nothing."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous_cache = cursor.fetchone()[0]
        cursor.execute("PRAGMA wal_autocheckpoint")
        previous_checkpoint = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_WRITE_CACHE_KIB}")
        cursor.execute("PRAGMA wal_autocheckpoint = 0")
    # SQLite detaches a database only outside a transaction: inside a caller's transaction nothing is staged.
    staging = None if connection.in_atomic_block else Staging(_staging_directory())
    token = _staging.set(staging)
    try:
        yield
    finally:
        _staging.reset(token)
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous_cache)}")  # the pages beyond it are freed
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(previous_checkpoint)}")
            if staging is not None:
                for alias in staging.attached:
                    cursor.execute(f"DETACH DATABASE {alias}")
                shutil.rmtree(staging.directory, ignore_errors=True)


@dataclasses.dataclass
class Staging:
    directory: Path
    attached: list[str] = dataclasses.field(default_factory=list)


def _staging_directory() -> Path:
    """A new directory beside the database file (its disk has room for the rows), else in the system's."""
    database = Path(str(connection.settings_dict["NAME"]))
    beside = database.parent if database.is_absolute() and database.parent.is_dir() else None  # not in memory
    return Path(tempfile.mkdtemp(prefix="mujun-staging-", dir=beside))


_staging: ContextVar[Staging | None] = ContextVar("mujun_bulk_staging", default=None)


def _insert_staged(cursor, staging: Staging, table: str, columns: str, values: pl.DataFrame) -> None:
    """SQLite: rows into ``table`` by way of staging files. ADBC writes the frame there from its Arrow columns,
    in C; the connection attaches each file and copies its rows over with INSERT … SELECT. One prepared INSERT
    bound from Python objects row by row costs about twice as much (1,000,000 rows of 24 columns: 14.5 s
    against 3.5 + 4.1 s, bench/README, Imports). In parts (:data:`STAGED_PARTS`): a thread writes the next
    part while the connection copies one. A file per part: a database read in a transaction keeps that
    transaction's snapshot of it, and stays attached until the transaction ends."""
    parts = max(1, min(STAGED_PARTS, values.height // STAGED_ROWS, MAX_STAGED - len(staging.attached)))
    size = -(-values.height // parts)
    starts = range(0, values.height, size)  # no empty part: 4 rows in 3 parts are 2, 2
    aliases = [f"mujun_staged_{len(staging.attached) + part}" for part in range(len(starts))]
    staged = ", ".join(connection.ops.quote_name(name) for name in values.columns)
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mujun-staging")  # one part after another
    files = [writer.submit(_stage, staging.directory / f"{alias}.sqlite3", values.slice(start, size))
             for start, alias in zip(starts, aliases)]  # fmt: skip
    try:
        for alias, written in zip(aliases, files):
            cursor.execute(f"ATTACH DATABASE %s AS {alias}", [str(written.result())])
            staging.attached.append(alias)
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {staged} FROM {alias}.rows")
    finally:
        # An insert that failed reports at once: the parts not yet begun are not written for nothing.
        writer.shutdown(cancel_futures=True)


def _stage(path: Path, rows: pl.DataFrame) -> Path:
    """``rows`` into a new SQLite file at ``path``, as its table ``rows``, by ADBC."""
    from adbc_driver_sqlite import dbapi as adbc  # loaded by the imports that need it, not by every process

    with adbc.connect(str(path)) as stage, stage.cursor() as stage_cursor:
        stage_cursor.adbc_ingest("rows", rows, mode="create")
        stage.commit()
    return path


def _indexes_set_aside(cursor, table: str) -> list[tuple[str, str]]:
    """(DROP, CREATE) statements of ``table``'s indexes but its key and those a foreign key refers to:
    uniqueness rules among them, which a rebuild checks over all rows at once."""
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, c.conname, pg_get_indexdef(i.indexrelid), pg_get_constraintdef(c.oid) "
            "FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)",
            [quote(table)],
        )
        return [
            (f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(constraint)}",
             f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(constraint)} {definition}")
            if constraint else (f"DROP INDEX {index}", statement)
            for index, constraint, statement, definition in cursor.fetchall()
        ]  # fmt: skip
    # SQLite keeps each index's own statement; the indexes of UNIQUE columns have none (not droppable).
    cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL", [table])
    return [(f"DROP INDEX {quote(name)}", statement) for name, statement in cursor.fetchall()]


@contextmanager
def first_load(tables: Sequence[type[models.Model]], adding: int):
    """Inside a transaction about to add ``adding`` rows to the table of each model of ``tables`` and to
    write no other table: a table that load at least doubles (a county's first load) is loaded whole.

    - Its indexes are dropped for the block and built again at its end from all rows at once: sorting the
      rows once costs a fraction of putting each new row into every index at its place (issue 11:
      bench/README, Imports). The primary key stays, as do the indexes a foreign key refers to; a
      uniqueness rule is checked over all rows when its index is built again (nobody else writes the table
      meanwhile, and the import has already refused repeats).
    - On PostgreSQL, when every table is so and the connection's role may set ``session_replication_role``
      (a superuser, or ``GRANT SET ON PARAMETER session_replication_role`` to the role: README), the
      foreign keys are checked at the end by one query each (:func:`_check_foreign_keys`) instead of a
      trigger per row (400,000 of them were about 2 s of an import of 100,000 enterprise-years). The tables
      are locked against other writers until the commit (readers go on): whoever deletes or re-keys a row
      they refer to waits for the commit too, since the database's own check of that change reads them.

    Nothing of it shows outside the transaction: on SQLite readers see the database as it was until the
    commit; on PostgreSQL dropping an index makes readers of the table wait for the commit, a price paid
    only by a load that at least doubles the table. A failure in the block rolls all of it back."""
    quote = connection.ops.quote_name
    if not connection.in_atomic_block:
        raise RuntimeError("a first load runs only inside the transaction that loads the rows")
    indexes = {}
    with connection.cursor() as cursor:
        for model in tables:
            table = model._meta.db_table
            cursor.execute(f"SELECT 1 FROM {quote(table)} LIMIT 1 OFFSET %s", [adding])
            if adding and cursor.fetchone() is None:
                indexes[model] = _indexes_set_aside(cursor, table)
        set_aside = [index for model_indexes in indexes.values() for index in model_indexes]
        if set_aside:
            _run_pending_checks(cursor)  # PostgreSQL alters no table with checks pending
        for drop, _create in set_aside:
            cursor.execute(drop)
        # The replication role's setting before the block, where the block set its triggers aside.
        previous_role = _row_triggers_set_aside(cursor) if len(indexes) == len(tables) else None
        if previous_role is not None:
            for model in tables:
                cursor.execute(f"LOCK TABLE {quote(model._meta.db_table)} IN EXCLUSIVE MODE")
    yield
    with connection.cursor() as cursor:
        if previous_role is not None:
            cursor.execute("SELECT set_config('session_replication_role', %s, true)", [previous_role])
            for model in tables:
                _check_foreign_keys(cursor, model)
        if set_aside:
            _run_pending_checks(cursor)  # nor builds an index of one
        for _drop, create in set_aside:
            cursor.execute(create)


def _run_pending_checks(cursor) -> None:
    """PostgreSQL: the foreign-key checks the transaction has deferred so far run now, as the commit would
    run them, and the later ones are deferred again."""
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _row_triggers_set_aside(cursor) -> str | None:
    """PostgreSQL: the session's per-row triggers, the foreign keys' checks among them, off until the
    transaction ends or the setting is put back, where the role may; the setting to put back, else None."""
    if connection.vendor != "postgresql":
        return None
    cursor.execute("SELECT current_setting('session_replication_role')")
    previous = cursor.fetchone()[0]
    try:
        with transaction.atomic():  # a savepoint: a refusal leaves the transaction usable
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError as error:
        if getattr(error.__cause__, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
            raise
        return None
    return previous


def _check_foreign_keys(cursor, model) -> None:
    """Every foreign key of ``model``'s table refers to a stored row, or IntegrityError, as the database's
    own check says it: one query per key (an anti-join: about 50 ms for 100,000 rows)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    for field in model._meta.concrete_fields:
        if not (field.many_to_one or field.one_to_one) or not field.db_constraint:
            continue
        column, target = quote(field.column), quote(field.target_field.column)
        referred = field.related_model._meta.db_table
        cursor.execute(
            f"SELECT t.{column} FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {quote(referred)} r WHERE r.{target} = t.{column}) LIMIT 1"
        )
        if (missing := cursor.fetchone()) is not None:
            raise IntegrityError(
                f'insert or update on table "{model._meta.db_table}" violates its foreign key on "{field.column}": '
                f'key ({field.column})=({missing[0]}) is not present in table "{referred}"'
            )


def keys_in(table: str, column: str) -> RawSQL:
    """The values of ``column`` of a :func:`values_table`, for an ORM ``__in`` filter."""
    return RawSQL(f"SELECT {connection.ops.quote_name(column)} FROM {table}", [])


def stored_frame(model, frame: pl.DataFrame, key: tuple[str, ...], fields: list[str]) -> pl.DataFrame:
    """The stored records whose ``key`` values appear in ``frame``: ``id``, the key and ``fields``, typed."""
    names = [model._meta.pk.attname, *key, *fields]
    quote = connection.ops.quote_name
    table_name = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table_name} LIMIT 1")
        empty = cursor.fetchone() is None
    if empty:  # a first import: no table of keys to build and join
        rows = []
    else:
        keys = frame.select(key).unique()
        with values_table("keys", keys) as table, connection.cursor() as cursor:
            joined = " AND ".join(f"t.{quote(_field(model, name).column)} = k.{quote(name)}" for name in key)
            selected = ", ".join(_selected(_field(model, name)) for name in names)
            cursor.execute(f"SELECT {selected} FROM {table_name} t JOIN {table} k ON {joined}")
            rows = cursor.fetchall()
    stored = pl.DataFrame(rows, schema=names, orient="row", strict=False, infer_schema_length=None)
    stored = stored.select(_from_database(_field(model, name), name, stored.schema[name]) for name in names)
    return stored.rename({model._meta.pk.attname: "id"}) if model._meta.pk.attname != "id" else stored


def _selected(field) -> str:
    column = f"t.{connection.ops.quote_name(field.column)}"
    if connection.vendor != "sqlite":
        return column
    # Cast, so that the driver's converters (Django registers them for these declared types) do not run
    # value by value: Polars types the whole column.
    if isinstance(field, models.BooleanField):
        return f"CAST({column} AS INTEGER)"
    if isinstance(field, models.DecimalField):
        return f"CAST({column} AS REAL)"
    if isinstance(field, models.DateField | models.DateTimeField | models.TimeField):
        return f"CAST({column} AS TEXT)"
    return column


def _from_database(field, name: str, dtype: pl.DataType) -> pl.Expr:
    """A column as the database driver returned it, in the field's Polars type (SQLite gives dates as text,
    booleans as 0/1; JSON as text or parsed)."""
    column = pl.col(name)
    target = polars_type(field)
    if isinstance(field, models.JSONField):
        return column.map_elements(
            lambda value: json_text(json.loads(value) if isinstance(value, str) else value), return_dtype=pl.Utf8
        )
    if target == pl.Date and dtype == pl.Utf8:
        return column.str.slice(0, 10).str.to_date("%Y-%m-%d")
    if isinstance(target, pl.Datetime) and dtype == pl.Utf8:
        return column.str.to_datetime(time_zone="UTC")
    return column.cast(target)


def json_text(value) -> str | None:
    """A JSON field's value as the text compared and written (keys sorted: one text per value)."""
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def chunks(items: list, size: int = QUERY_CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def column_defaults(model, present: Iterable[str], now) -> list[pl.Expr]:
    """The columns a new record takes for the concrete fields outside ``present`` (the database has no
    defaults for a raw insert): the field's default, ``now`` for ``auto_now(_add)``, else null or ""."""
    columns = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in present:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        elif field.has_default() or not field.null:
            value = field.get_default()  # "" for text without a default, as Django's own
        else:
            value = None
        if isinstance(field, models.JSONField):
            value = json_text(value)
        columns.append(pl.lit(value).cast(polars_type(field)).alias(field.attname))
    return columns


def new_ids(model, count: int) -> pl.Series:
    """Primary keys for ``count`` records of ``model`` the caller's transaction is about to insert, so that
    nothing has to be read back: one unbroken run of ids, taken in one step.

    PostgreSQL: the table is locked against other writers until the transaction ends (readers go on), so
    that no insert can draw from the sequence while it is moved past the run (``setval``); a ``nextval``
    per id took 0.6-0.75 s for 100,000. SQLite: the ids follow the highest the table has ever given
    (AUTOINCREMENT never gives one again), safe because the transaction holds SQLite's one write lock
    (immediate transactions)."""
    if count == 0:
        return pl.Series("id", [], pl.Int64)
    if not connection.in_atomic_block or connection.vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError("new ids are taken inside a transaction, on PostgreSQL or SQLite")
    table, pk = model._meta.db_table, model._meta.pk.column
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # SHARE ROW EXCLUSIVE: other writers of the table wait until the transaction commits (an import's
            # few seconds of writing; on SQLite every writer waits anyway), readers and foreign-key checks do not.
            cursor.execute(f"LOCK TABLE {quote(table)} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute(
                "SELECT setval(s::regclass, nextval(s::regclass) + %s - 1) FROM pg_get_serial_sequence(%s, %s) s",
                [count, table, pk],
            )
            last = cursor.fetchone()[0]
            return pl.int_range(last - count + 1, last + 1, dtype=pl.Int64, eager=True).alias("id")
        cursor.execute(
            f"SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
            f"COALESCE((SELECT MAX({quote(pk)}) FROM {quote(table)}), 0))",
            [table],
        )
        last = cursor.fetchone()[0]
    return pl.int_range(last + 1, last + 1 + count, dtype=pl.Int64, eager=True).alias("id")


def _database_values(frame: pl.DataFrame) -> pl.DataFrame:
    """Values as the database column takes them in text: dates ISO, date-times in UTC as Django writes them."""
    columns = []
    for name, dtype in frame.schema.items():
        if dtype == pl.Date:
            columns.append(pl.col(name).dt.strftime("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            utc = pl.col(name).dt.convert_time_zone("UTC") if dtype.time_zone else pl.col(name)
            suffix = "+00:00" if connection.vendor == "postgresql" else ""
            columns.append(utc.dt.strftime("%Y-%m-%d %H:%M:%S%.6f") + pl.lit(suffix))
        else:
            columns.append(pl.col(name))
    return frame.select(columns)


def _columns(model, names: list[str]) -> list[str]:
    return [connection.ops.quote_name(_field(model, name).column) for name in names]


def insert(model, frame: pl.DataFrame) -> None:
    """Insert every row of ``frame`` (columns named by field attname) into ``model``'s table."""
    if frame.height == 0:
        return
    with connection.cursor() as cursor:
        _write(cursor, connection.ops.quote_name(model._meta.db_table), frame, _columns(model, frame.columns))


def _write(cursor, table: str, frame: pl.DataFrame, columns: list[str] | None = None) -> None:
    """Rows into ``table``: PostgreSQL by COPY (binary where every column's type has a binary form here, else
    Polars' CSV), others by one prepared INSERT over every row."""
    if frame.height == 0:
        return
    names = columns or [connection.ops.quote_name(c) for c in frame.columns]
    columns = ", ".join(names)
    if connection.vendor == "postgresql" and (binary := _binary_frame(cursor, table, names, frame)) is not None:
        _copy_binary(cursor, table, columns, binary)
        return
    values = _database_values(frame)
    if connection.vendor == "postgresql":
        # CSV from Polars: nulls are empty fields, empty strings are quoted ("") as COPY expects.
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
            for start in range(0, values.height, COPY_BATCH):
                batch = values.slice(start, COPY_BATCH)
                # credential_provider=None: text in memory, not a cloud file (spares Polars' look-up per call).
                csv = batch.write_csv(include_header=False, quote_style="non_numeric", null_value="", credential_provider=None)
                copy.write(csv)
    elif (staging := _staging.get()) and values.height >= STAGED_ROWS and len(staging.attached) < MAX_STAGED:
        _insert_staged(cursor, staging, table, columns, values)
    else:
        placeholders = ", ".join(["%s"] * values.width)
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", values.iter_rows())


def _binary_frame(cursor, table: str, names: list[str], frame: pl.DataFrame):
    """PostgreSQL: ``frame`` as Arrow columns in the binary form of ``table``'s columns ``names`` (quoted),
    or None where one of them has a type without one in :data:`BINARY_TYPES`."""
    cursor.execute(
        "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        [table],
    )
    types = dict(cursor.fetchall())
    wanted = [BINARY_TYPES.get(types.get(name.strip('"'))) for name in names]
    if None in wanted:
        return None
    return frame.select(pl.col(name).cast(dtype) for name, dtype in zip(frame.columns, wanted, strict=True)).to_arrow()


def _copy_binary(cursor, table: str, columns: str, arrow) -> None:
    """PostgreSQL: COPY in its binary format, written by pgpq (Rust) from Arrow columns in batches: the server
    parses no text (100,000 enterprise-years took 0.26-0.38 s a table against 0.32-0.9 s from CSV)."""
    from pgpq import ArrowToPostgresBinaryEncoder  # loaded by the imports that need it, not by every process

    encoder = ArrowToPostgresBinaryEncoder(arrow.schema)
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT binary)") as copy:
        copy.write(encoder.write_header())
        for batch in arrow.to_batches(max_chunksize=COPY_BATCH):
            copy.write(encoder.write_batch(batch))
        copy.write(encoder.finish())


def update(model, frame: pl.DataFrame) -> None:
    """Set the fields of the records ``frame`` names by ``id`` to the frame's values (every other column)."""
    if frame.height == 0:
        return
    fields = [name for name in frame.columns if name != "id"]
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    quoted = _columns(model, fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY into a scratch table shaped like the target's columns, then one UPDATE … FROM joining it.
            scratch = connection.ops.quote_name(f"_mujun_update_{model._meta.db_table}")
            cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
            cursor.execute(f"CREATE TEMP TABLE {scratch} AS SELECT {pk}, {', '.join(quoted)} FROM {table} WITH NO DATA")
            _write(cursor, scratch, frame.select("id", *fields), [pk, *quoted])
            assignments = ", ".join(f"{column} = s.{column}" for column in quoted)
            cursor.execute(f"UPDATE {table} SET {assignments} FROM {scratch} s WHERE {table}.{pk} = s.{pk}")
            cursor.execute(f"DROP TABLE {scratch}")
        else:
            values = _database_values(frame.select(*fields, "id"))
            assignments = ", ".join(f"{column} = %s" for column in quoted)
            cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", values.iter_rows())
