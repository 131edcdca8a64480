"""Bulk import of records from CSV or Excel uploads, the same way for every app.

An app describes its workbook once, as an :class:`Importer` subclass: the columns (English name, Chinese
header, type, required, lookups such as a region by code or name) and a ``save`` method. The mechanism
then reads the upload with :func:`mujun.engine.io.read_table` (Chinese or English headers, title rows
above the header), checks EVERY row with Polars expressions over whole columns, and either raises
:class:`ImportFailed` carrying every problem (row number as in the file, field, message in Chinese and
English, shown in the user's language) or
writes everything inside one transaction with bulk operations that also write the change history.

A county operator may only import rows of their county: rows naming another region, or updating a
record that belongs to another region, are problems like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl
from django import forms
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from mujun.core import bulk
from mujun.core.bulk import chunks  # noqa: F401 (apps take it from here: land's panels, collection)
from mujun.core.history import history_models, write_history_of
from mujun.core.scoping import editable_regions, region_model
from mujun.engine import evaluation as engine_evaluation
from mujun.engine.text import in_language

TEXT, NUMBER, INTEGER, BOOL, DATE, LOOKUP = "text", "number", "integer", "bool", "date", "lookup"
KIND_LABELS = {
    TEXT: _("text"),
    NUMBER: _("number"),
    INTEGER: _("whole number"),
    BOOL: _("yes or no"),
    DATE: _("date (YYYY-MM-DD)"),
    LOOKUP: _("name or code"),
}
READING, CHECKING, WRITING = "reading", "checking", "writing"  # the stages an import reports (ImportJob.Stage)
AMBIGUOUS = -1  # a lookup key that names more than one record
# Numbers, yes/no and dates are typed exactly as the evaluation engine types its input, so that what the
# platform imports the engine accepts: the kind of engine coercion per column kind.
ENGINE_COERCIONS = {NUMBER: "number", INTEGER: "number", BOOL: "boolean", DATE: "date"}


@dataclass(frozen=True)
class Column:
    """One column of an import workbook.

    ``lookup`` (for kind ``lookup``) returns a mapping from the text users write to the id of the record it
    names, :data:`AMBIGUOUS` for text naming several; the typed frame then holds the id.
    ``validate`` checks one non-empty text value and returns its problem as (中文, English), or None;
    ``valid`` (optional) is the same check as a Polars expression over the column, true where ``validate``
    finds nothing: only the other values are handed to ``validate``, for its message.
    ``default`` fills empty cells of the column when the file has it.
    """

    name: str
    header: str
    kind: str = TEXT
    required: bool = False
    positive: bool = False
    max_length: int | None = None
    lookup: Callable[[], dict[str, int]] | None = None
    validate: Callable[[str], tuple[str, str] | None] | None = None
    valid: Callable[[pl.Expr], pl.Expr] | None = None
    default: object = None

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class Problem:
    """One problem of one row of the file; ``row`` is the row number the user sees in the file."""

    row: int
    field: str
    header: str
    zh: str
    en: str

    def __str__(self) -> str:
        if in_language("zh", "en", get_language()) == "zh":
            where = f"第{self.row}行 {self.header}" if self.header else f"第{self.row}行"
            return f"{where}：{self.zh}"
        where = f"row {self.row}, {self.field}" if self.field else f"row {self.row}"
        return f"{where}: {self.en}"

    def message(self, language: str | None = None) -> str:
        """The problem in ``language``, else in the active language (the user's)."""
        return in_language(self.zh, self.en, language or get_language())


class ImportFailed(Exception):
    """The upload cannot be imported; nothing was stored. ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems[:20]))
        self.problems = problems


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class ImportResult:
    rows: int = 0
    counts: dict[str, Counts] = field(default_factory=dict)  # per model's verbose_name_plural
    skipped: list[Problem] = field(default_factory=list)  # rows of an import done that were not stored, and why


@dataclass
class Upserted:
    counts: Counts
    ids: pl.DataFrame  # the key columns and ``id``, for every row written or found unchanged


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("CSV or Excel workbook (.csv, .xlsx, .xls); Chinese or English headers")
    )


def region_lookup() -> dict[str, int]:
    """Regions by official code or by name ("吴兴区", "330502", a town's name)."""
    regions = list(region_model().objects.values_list("pk", "code", "name"))
    mapping: dict[str, int] = {}
    for pk, _code, name in regions:
        mapping[name] = AMBIGUOUS if name in mapping else pk
    # A code is unique and wins over a name that happens to look like one.
    mapping.update({code: pk for pk, code, _name in regions})
    return mapping


class Importer:
    """Base of every app's importer. Subclasses set ``model``, ``columns`` and implement ``save``.

    ``key`` names the column identifying an existing record (a field of ``model`` of the same name);
    ``unique_together`` lists column groups that may appear only once in a file; ``region_column`` is
    the lookup column whose region scopes the row, and ``record_region_field`` the path from ``model``
    to the region of an existing record.
    """

    model = None
    columns: list[Column] = []
    rules: list = []  # the engine's rules (mujun.engine.rules) the models' clean() also evaluates
    key: str = ""
    unique_together: list[tuple[str, ...]] = []
    region_column = "region"
    record_region_field = "region_id"
    form_class = ImportForm
    title = ""

    def __init__(self, user, **options):
        self.user = user
        self.started = timezone.now()
        # Values chosen in the form stand in for a column the file does not have, and for its empty cells.
        self.defaults = {name: value for name, value in options.items() if value not in (None, "")}
        self.present: set[str] = set()
        self.on_progress: Callable[[str, float, int | None], None] | None = None

    # -- reading and checking ------------------------------------------------------------------------

    @classmethod
    def headers(cls) -> dict[str, str]:
        return {c.name: c.header for c in cls.columns}

    def read(self, source, filename: str | None = None) -> pl.DataFrame:
        from mujun.engine.io import TableError, read_table

        try:
            return read_table(source, filename=filename, headers=self.headers())
        except TableError as error:
            if error.problems:  # cells whose values the file does not really hold
                raise ImportFailed(
                    [Problem(p.row, p.column, p.header, p.zh, p.en) for p in error.problems]
                ) from error
            raise ImportFailed([Problem(1, "", "", error.zh, error.en)]) from error

    def report(self, stage: str, done: float = 0.0, rows: int | None = None) -> None:
        """Tell ``on_progress`` (the background job's) that the import is at ``stage``, ``done`` (0–1) through it."""
        if self.on_progress is not None:
            self.on_progress(stage, done, rows)

    def run(self, source, filename: str | None = None) -> ImportResult:
        """Read, check every row, and store all rows or none. Checking runs before the write transaction
        opens, which keeps it short: on SQLite it holds the one write lock."""
        self.report(READING)
        raw = self.read(source, filename)
        self.report(CHECKING, rows=raw.height)
        frame, problems = self.validate(raw)
        if problems:
            raise ImportFailed(problems)
        self.report(WRITING)
        try:
            with bulk.bulk_writes(), transaction.atomic():
                result = self.save(frame)
        except IntegrityError as error:  # a concurrent edit slipped between checking and writing
            raise ImportFailed([Problem(1, "", "", "数据库拒绝写入：" + str(error), "database refused: " + str(error))])
        result.rows = frame.height
        return result

    def validate(self, raw: pl.DataFrame) -> tuple[pl.DataFrame, list[Problem]]:
        """The typed frame (one column per present column, ids for lookups, plus ``_row``) and every problem."""
        if raw.height == 0:
            return raw, [Problem(1, "", "", "文件中没有数据行", "the file has no data rows")]
        header_row = int(raw["_row"].min()) - 1
        problems: list[Problem] = []
        frame = raw.select("_row", *[pl.col(c.name).cast(pl.Utf8) for c in self.columns if c.name in raw.columns])
        frame = frame.with_columns(
            pl.lit(str(value) if not isinstance(value, str) else value, pl.Utf8).alias(name)
            for name, value in self.defaults.items()
            if name in self.headers() and name not in frame.columns
        )
        self.present = set(frame.columns) - {"_row"}
        for column in self.columns:
            if column.required and column.name not in self.present:
                problems.append(
                    Problem(
                        header_row,
                        column.name,
                        column.header,
                        f"缺少必填列“{column.header}”",
                        f"missing required column {column.name}",
                    )
                )
        frame, column_problems = self._coerce(frame)
        problems.extend(column_problems)
        problems.extend(self._repeats(frame))
        problems.extend(self._scoping(frame))
        problems.extend(self.check(frame))
        problems.extend(self.rule_problems(frame))
        problems.sort(key=lambda p: (p.row, self._order(p.field)))
        return frame, problems

    def rule_problems(self, frame: pl.DataFrame) -> list[Problem]:
        """Rows breaking a rule whose field the file holds (rows that failed typing hold nulls: not broken).
        Override to add the records' rules that are no column expression, with the model's message."""
        problems = []
        for rule in self.rules:
            if rule.field in self.present:
                column = self.column(rule.field)
                rows = rule.broken_rows(frame)
                problems += [Problem(row, column.name, column.header, rule.zh, rule.en) for row in rows]
        return problems

    def check(self, frame: pl.DataFrame) -> list[Problem]:
        """Further checks of the typed frame (override); rows that already failed coercion hold nulls."""
        return []

    def save(self, frame: pl.DataFrame) -> ImportResult:
        """Write the checked, typed frame (override); runs inside the import's transaction."""
        raise NotImplementedError

    def upsert(self, model, frame: pl.DataFrame, key: tuple[str, ...]) -> Upserted:
        """Create or update ``model`` records from the rows of ``frame`` (columns named by field attname)
        matched on ``key``, in bulk (:mod:`mujun.core.bulk`).

        The file's rows are joined with the stored values in Polars: only records whose values change are
        written; created and changed records get a history row attributed to the importing user, all with
        one timestamp, copied by the database (:func:`mujun.core.history.write_history_of`).
        """
        key = tuple(key)
        frame = bulk.typed_frame(model, frame)
        fields = [name for name in frame.columns if name not in key]
        stored = bulk.stored_frame(model, frame, key, fields)
        joined = frame.join(stored, on=list(key), how="left", suffix="__stored", nulls_equal=False)
        new = joined.filter(pl.col("id").is_null()).select(*key, *fields)
        found = joined.filter(pl.col("id").is_not_null())
        if fields:
            differs = pl.any_horizontal(pl.col(name).ne_missing(pl.col(f"{name}__stored")) for name in fields)
            changed = found.filter(differs).select("id", *fields)
        else:  # a key alone: nothing to change
            changed = found.clear().select("id")
        counts = Counts(created=new.height, updated=changed.height, unchanged=found.height - changed.height)
        history = {"user": self.user, "reason": "import", "date": self.started}

        # The new records' primary keys are taken before the insert: nothing is read back, and their
        # history rows are copied by one range of ids.
        created = new.select(*key).with_columns(bulk.new_ids(model, new.height).alias("id"))
        defaults = bulk.column_defaults(model, new.columns, self.started)
        with bulk.first_load((model, *history_models(model)), new.height):
            bulk.insert(model, new.with_columns(*defaults, id=created["id"]))
            write_history_of(model, created["id"].to_list(), "+", **history)
        bulk.update(model, changed)
        write_history_of(model, changed["id"].to_list(), "~", **history)
        ids = pl.concat([found.select(*key, "id"), created.select(*key, "id")])
        return Upserted(counts, ids)

    @classmethod
    def template_frame(cls) -> pl.DataFrame:
        """An empty sheet with the Chinese headers, for users to fill in."""
        return pl.DataFrame(schema={c.header: pl.Utf8 for c in cls.columns})

    @classmethod
    def columns_frame(cls) -> pl.DataFrame:
        """The template workbook's second sheet: what each column holds."""
        return pl.DataFrame(
            {
                gettext("Header"): [c.header for c in cls.columns],
                gettext("Column name"): [c.name for c in cls.columns],
                gettext("Type"): [str(c.kind_label) for c in cls.columns],
                gettext("Required"): [gettext("yes") if c.required else gettext("no") for c in cls.columns],
            }
        )

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def _order(self, name: str) -> int:
        names = [c.name for c in self.columns]
        return names.index(name) if name in names else -1

    def _repeats(self, frame: pl.DataFrame) -> list[Problem]:
        """Rows repeating an earlier row's key: which of the two is right is the user's call."""
        problems = []
        for keys in self.unique_together:
            if not set(keys) <= self.present:
                continue
            column = self.column(keys[0])
            others_zh = "、".join(self.column(k).header for k in keys[1:])
            repeats = (
                frame.filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
                .with_columns(first=pl.col("_row").min().over(keys))
                .filter(pl.col("_row") != pl.col("first"))
            )
            for row, first in repeats.select("_row", "first").iter_rows():
                zh, en = f"与第{first}行重复", f"repeats row {first}"
                if others_zh:
                    zh, en = f"{zh}（{others_zh}相同）", f"{en} (same {', '.join(keys[1:])})"
                problems.append(Problem(row, column.name, column.header, zh, en))
        return problems

    def _scoping(self, frame: pl.DataFrame) -> list[Problem]:
        """A county operator's rows must name, and may only change records of, their own county."""
        if self.user is None or self.user.is_city_admin:
            return []
        allowed = list(editable_regions(self.user).values_list("pk", flat=True))
        problems = []
        if self.region_column in self.present:
            column = self.column(self.region_column)
            outside = frame.filter(pl.col(column.name).is_not_null() & ~pl.col(column.name).is_in(allowed))
            problems += [
                Problem(row, column.name, column.header, "不在您可编辑的区域内", "is outside the regions you may edit")
                for row in outside["_row"]
            ]
        if self.model is not None and self.key in self.present:
            column = self.column(self.key)
            with bulk.values_table("scoped_keys", frame.select(self.key).drop_nulls().unique()) as table:
                record_regions = dict(
                    self.model._default_manager.filter(**{f"{self.key}__in": bulk.keys_in(table, self.key)}).values_list(
                        self.key, self.record_region_field
                    )
                )
            existing = frame.select(
                "_row", pl.col(self.key).replace_strict(record_regions, default=None, return_dtype=pl.Int64).alias("r")
            )
            foreign = existing.filter(pl.col("r").is_not_null() & ~pl.col("r").is_in(allowed))
            problems += [
                Problem(
                    row, column.name, column.header,
                    "该记录已存在且属于您无权修改的区域", "the existing record belongs to a region you may not edit",
                )
                for row in foreign["_row"]
            ]
        return problems

    def _text(self, column: Column) -> pl.Expr:
        """The column's cells as text: stripped, empty as null, the column's default in empty cells."""
        text = pl.col(column.name).str.strip_chars()
        text = pl.when(text == "").then(None).otherwise(text)
        default = self.defaults.get(column.name, column.default)
        return text.fill_null(pl.lit(str(default))) if default is not None else text

    def _typing(self, column: Column, fast: set[str]) -> tuple[pl.Expr, list[tuple[pl.Expr, str | None, str | None]]]:
        """The typed values of ``column`` (its text under its own name) and its checks: (mask of bad cells,
        中文, English), the last without a message when ``validate`` gives it. A column named in ``fast`` is
        one the engine's fast pass reads whole."""
        value = pl.col(column.name)
        checks: list[tuple[pl.Expr, str | None, str | None]] = []
        if column.required:
            checks.append((value.is_null(), "必填，不能为空", "is required"))
        if column.kind in ENGINE_COERCIONS:
            # The evaluation engine's typing, so a file the platform imports is one the engine accepts; as the
            # engine does, its cheap pass where that reads every cell, its careful pass otherwise.
            if column.name in fast:
                typed = pl.col(f"_fast|{column.name}")
            else:
                coercion = engine_evaluation.coercion(ENGINE_COERCIONS[column.kind], column.name, pl.String)
                typed = coercion.typed
                checks.append((coercion.unparsed, coercion.zh, coercion.en))
            if column.kind == INTEGER:
                checks.append((typed.is_not_null() & (typed != typed.round(0)), "不是整数", "is not a whole number"))
                typed = pl.when(typed == typed.round(0)).then(typed).cast(pl.Int64)
            if column.positive:
                checks.append((typed.is_not_null() & (typed <= 0), "必须大于0", "must be greater than 0"))
        elif column.kind == TEXT:
            typed = value
            if column.max_length:
                checks.append(
                    (
                        value.str.len_chars() > column.max_length,
                        f"不能超过{column.max_length}个字符",
                        f"must have at most {column.max_length} characters",
                    )
                )
        elif column.kind == LOOKUP:
            found = value.replace_strict(column.lookup(), default=None, return_dtype=pl.Int64)
            checks.append((value.is_not_null() & found.is_null(), f"未找到“{column.header}”", "not found"))
            checks.append((found == AMBIGUOUS, "名称不唯一，请填写代码", "names more than one record, give the code instead"))
            typed = pl.when(found != AMBIGUOUS).then(found)
        else:
            raise ValueError(f"unknown column kind {column.kind!r}")
        if column.validate is not None:  # the cells handed to ``validate``, for its message
            suspect = value.is_not_null() & ~column.valid(value) if column.valid else value.is_not_null()
            checks.append((suspect, None, None))
        return typed, checks

    def _coerce(self, frame: pl.DataFrame) -> tuple[pl.DataFrame, list[Problem]]:
        """Every present column typed (in place) and the problems of its cells.

        All columns at once, in three passes over the frame (text; the engine's fast typing; the typed values
        with every check's mask), rather than a pass per column and check: Polars spreads the columns over
        the cores, and the rows of a check are picked out only where it found something."""
        columns = [column for column in self.columns if column.name in frame.columns]
        texts = frame.select("_row", *[self._text(column).alias(column.name) for column in columns])
        kinds = {
            c.name: engine_evaluation.COERCION_KINDS[ENGINE_COERCIONS[c.kind]] for c in columns if c.kind in ENGINE_COERCIONS
        }
        texts = texts.with_columns(kind.fast(pl.col(name)).alias(f"_fast|{name}") for name, kind in kinds.items())
        unread = texts.select(
            (pl.col(name).is_not_null() & kind.unread(pl.col(f"_fast|{name}"))).any().alias(name)
            for name, kind in kinds.items()
        )
        fast = {name for name in kinds if not unread[name][0]}
        typings = {column.name: self._typing(column, fast) for column in columns}
        checked = texts.select(
            "_row",
            *[pl.col(column.name).alias(f"_text|{column.name}") for column in columns],
            *[typed.alias(name) for name, (typed, _checks) in typings.items()],
            *[
                mask.fill_null(False).alias(f"_bad|{name}|{i}")
                for name, (_typed, checks) in typings.items()
                for i, (mask, _zh, _en) in enumerate(checks)
            ],
        )
        masks = [name for name in checked.columns if name.startswith("_bad|")]
        bad = checked.select(pl.col(masks).any()).row(0, named=True) if masks else {}
        problems = []
        for done, column in enumerate(columns, start=1):
            for i, (_mask, zh, en) in enumerate(typings[column.name][1]):
                if not bad[f"_bad|{column.name}|{i}"]:
                    continue
                flagged = checked.filter(pl.col(f"_bad|{column.name}|{i}")).select("_row", f"_text|{column.name}")
                if zh is not None:
                    problems += [Problem(row, column.name, column.header, zh, en) for row in flagged["_row"]]
                    continue
                # Each distinct value once: a file repeats its years, its levels, its regions.
                found = {text: column.validate(text) for text in flagged[f"_text|{column.name}"].unique()}
                found = {text: problem for text, problem in found.items() if problem is not None}
                for row, text in flagged.filter(pl.col(f"_text|{column.name}").is_in(list(found))).iter_rows():
                    problems.append(Problem(row, column.name, column.header, *found[text]))
            self.report(CHECKING, done / (len(columns) + 1))
        typed = frame.with_columns(checked.select(column.name for column in columns).get_columns())
        return typed, problems


def problems_frame(problems: list) -> pl.DataFrame:
    """The problems of a failed import, as stored by the import view ([row, header, field, 中文, English]),
    with the message in the user's language."""
    rows = [(row, header, name, Problem(row, name, header, zh, en).message()) for row, header, name, zh, en in problems]
    return pl.DataFrame(
        rows,
        schema={
            gettext("Row"): pl.Int64,
            gettext("Header"): pl.Utf8,
            gettext("Column"): pl.Utf8,
            gettext("Problem"): pl.Utf8,
        },
        orient="row",
    )
