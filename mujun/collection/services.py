"""Data collection: opening a collection, taking a department's delivery (a workbook or the form) all or
nothing, finding conflicts, anomalies and unknown credit codes, resolving conflicts, merging the figures into
the enterprises' years and closing. The only module that changes a collection's or a conflict's state.

Refusals raise ``ValidationError`` (in the user's language), ``PermissionDenied``, or ``ImportFailed`` listing
every problem of a delivery by row, column and reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _lazy

from mujun.core.clock import local_now
from mujun.core.history import UPDATE_BATCH_SIZE, bulk_create, write_history
from mujun.core.imports import BOOL, CHECKING, READING, WRITING, Column, Counts, ImportFailed, Importer, ImportResult, Problem, chunks
from mujun.core.imports import DATE as DATE_KIND
from mujun.core.imports import NUMBER as NUMBER_KIND
from mujun.core.imports import TEXT as TEXT_KIND
from mujun.core.rules import in_both_languages
from mujun.core.scoping import can_edit_record, can_edit_region
from mujun.core.services import start_import
from mujun.core.uploads import check_size, check_upload
from mujun.engine import collection as rules
from mujun.engine.evaluation import TRUE_FALSE
from mujun.engine.io import INPUT_COLUMNS, TableError, normalise_header, read_table
from mujun.engine.uscc import uscc_problem, uscc_valid_expr
from mujun.enterprises.models import LAND_RULES, Enterprise, EnterpriseYear
from mujun.collection.models import (
    COLLECTED_COLUMNS,
    DATE,
    FLAG,
    IGNORED,
    NUMBER,
    TEXT,
    Collection,
    CollectedFigure,
    Conflict,
    Supplier,
    Upload,
    column_kind,
    column_label,
)
from mujun.regions.models import Region

ACCEPTED_EXTENSIONS = (".xlsx", ".csv")
# Columns a workbook may carry that are read along and not stored: the enterprise's name and region.
READ_ALONG = ("name", "region")
IMPORT_KINDS = {NUMBER: NUMBER_KIND, FLAG: BOOL, DATE: DATE_KIND, TEXT: TEXT_KIND}
VALUE_FIELDS = {NUMBER: "number", FLAG: "flag", DATE: "text", TEXT: "text"}
POLARS_TYPES = {"number": pl.Float64, "text": pl.Utf8, "flag": pl.Boolean}


# --------------------------------------------------------------------------------------------------
# Who sees and does what


def is_data_supplier(user) -> bool:
    return user.is_authenticated and user.role == user.Role.DATA_SUPPLIER and not user.is_city_admin


def is_county_operator(user) -> bool:
    return user.is_authenticated and user.role == user.Role.COUNTY_OPERATOR and user.region_id is not None


def _related_region_ids(region: Region) -> list[int]:
    """The region, the regions under it and those above it: where a collection of it and a department meet."""
    return [*region.descendant_ids(), *region.ancestor_ids()]


def suppliers_for(collection: Collection):
    """The departments delivering to a collection: those serving its region, a region above or one inside it."""
    return Supplier.objects.filter(region_id__in=_related_region_ids(collection.region))


def own_suppliers(user):
    return Supplier.objects.filter(members=user) if user.is_authenticated else Supplier.objects.none()


def visible_collections(user, queryset=None):
    """Department staff see the collections their departments deliver to; a county operator those of their
    county and the city's; everybody else all."""
    queryset = Collection.objects.all() if queryset is None else queryset
    if user.is_city_admin:
        return queryset
    if is_data_supplier(user):
        region_ids = {pk for s in own_suppliers(user).select_related("region") for pk in _related_region_ids(s.region)}
        return queryset.filter(region_id__in=region_ids)
    if is_county_operator(user):
        return queryset.filter(region_id__in=_related_region_ids(user.region))
    return queryset


def visible_uploads(user, queryset=None):
    """Department staff see their departments' deliveries only; a county operator the deliveries of their
    county's collections and departments; city administrators and viewers all."""
    queryset = Upload.objects.all() if queryset is None else queryset
    if user.is_city_admin:
        return queryset
    if is_data_supplier(user):
        return queryset.filter(supplier__members=user)
    if is_county_operator(user):
        county = user.region.descendant_ids()
        return queryset.filter(Q(collection__region_id__in=county) | Q(supplier__region_id__in=county))
    return queryset


def scope_region_ids(user, collection: Collection) -> list[int]:
    """The regions whose enterprises the user sees in the collection: a county operator their county's."""
    if is_county_operator(user) and not user.is_city_admin:
        county = set(user.region.descendant_ids())
        return [pk for pk in collection.region.descendant_ids() if pk in county]
    return collection.region.descendant_ids()


def can_manage(user, collection: Collection) -> bool:
    """Open, close and resolve: the city administrator, and a county operator for their county's collection."""
    return can_edit_region(user, collection.region)


def can_deliver(user, supplier: Supplier) -> bool:
    """Upload or enter a department's figures: its staff, or an operator who may edit its region."""
    if not user.is_authenticated:
        return False
    return supplier.members.filter(pk=user.pk).exists() or can_edit_region(user, supplier.region)


def collection_enterprises(collection: Collection, region_ids: list[int] | None = None):
    """The enterprises a collection gathers figures of: the active ones of its region (or of ``region_ids``)."""
    return Enterprise.objects.filter(
        region_id__in=collection.region.descendant_ids() if region_ids is None else region_ids, active=True
    )


# --------------------------------------------------------------------------------------------------
# Opening


def open_collection(region: Region, year: int, user, anomaly_factor: float = 3.0) -> Collection:
    """Open the collection of ``region``'s figures for ``year``. Refused while an overlapping collection (of a
    region above or inside it) of the year is open: both would write the same enterprises' years."""
    if not can_edit_region(user, region):
        raise PermissionDenied(gettext("You may not open a collection for this region."))
    collection = Collection(year=year, region=region, anomaly_factor=anomaly_factor)
    collection.full_clean()
    overlapping = Collection.objects.filter(
        year=year, status=Collection.Status.OPEN, region_id__in=_related_region_ids(region)
    ).first()
    if overlapping is not None:
        raise ValidationError(gettext("%(collection)s is still open and covers the same enterprises.") % {
            "collection": overlapping
        })
    collection.opened_by, collection.opened_at = user, local_now()
    collection._history_user = user
    collection.save()
    return collection


# --------------------------------------------------------------------------------------------------
# Deliveries


@dataclass
class Delivery:
    """What a delivery stored and found, for the page telling the user."""

    upload: Upload
    conflicts: int = 0
    unknown_codes: list[dict] = field(default_factory=list)
    figures: Counts = field(default_factory=Counts)  # against the department's earlier version of each cell


class FigureImporter(Importer):
    """A department's workbook, checked with the platform's import rules: the credit code, the name, and the
    columns in the department's remit, typed as the evaluation engine types them. Headers are the department's
    own (its aliases) or the standard ones; a known column outside its remit and an unknown header are refused."""

    unique_together = [("uscc",)]
    region_column = ""

    def __init__(self, user, supplier: Supplier):
        super().__init__(user)
        self.supplier = supplier
        own = {column: header for header, column in supplier.aliases.items() if column != IGNORED}
        self.columns = [
            Column("uscc", own.get("uscc", INPUT_COLUMNS["uscc"]), required=True, max_length=18, validate=uscc_problem,
                   valid=uscc_valid_expr),  # fmt: skip
            Column("name", own.get("name", INPUT_COLUMNS["name"]), max_length=128),
            *[
                Column(column, own.get(column, column_label(column)), IMPORT_KINDS[column_kind(column)], max_length=64)
                for column in supplier.columns
            ],
        ]
        self.rules = [rule for rule in LAND_RULES if rule.field in supplier.columns]

    def read(self, source, filename: str | None = None) -> pl.DataFrame:
        aliases = self.supplier.aliases
        try:
            frame = read_table(source, filename=filename, headers={**INPUT_COLUMNS, **{a: a for a in aliases}})
        except TableError as error:
            if error.problems:
                raise ImportFailed([Problem(p.row, p.column, p.header, p.zh, p.en) for p in error.problems]) from error
            raise ImportFailed([Problem(1, "", "", error.zh, error.en)]) from error
        return self.map_headers(frame)

    def map_headers(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The department's headers renamed to columns; refused: a column outside its remit, an unknown header."""
        header_row = int(frame["_row"].min()) - 1 if frame.height else 1
        by_header = {normalise_header(header): column for header, column in self.supplier.aliases.items()}
        renamed, dropped, problems = {}, [], []
        for name in frame.columns:
            if name == "_row":
                continue
            column = by_header.get(normalise_header(name), name)
            if column == IGNORED or column in READ_ALONG and column not in self.supplier.columns:
                dropped.append(name)
            elif column in self.supplier.columns or column == "uscc":
                renamed[name] = column
            elif column in INPUT_COLUMNS:
                header = column_label(column) if name == column else name  # the reader renamed a standard header
                problems.append(Problem(
                    header_row, column, header,
                    f"“{header}”不在{self.supplier.name}的报送范围内，不能由本部门报送",
                    f"{column} is outside the remit of {self.supplier.name}",
                ))  # fmt: skip
            else:
                problems.append(Problem(
                    header_row, "", name,
                    f"未知的列“{name}”：既不是本部门报送的列，也不是已登记的表头别名",
                    f"unknown column {name!r}: neither a column of the department's remit nor one of its header aliases",
                ))  # fmt: skip
        targets = list(renamed.values())
        for column in {c for c in targets if targets.count(c) > 1}:
            headers = "、".join(h for h, c in renamed.items() if c == column)
            problems.append(Problem(
                header_row, column, headers, f"多个列都对应“{column_label(column)}”：{headers}",
                f"several headers hold {column}: {headers}",
            ))  # fmt: skip
        if problems:
            raise ImportFailed(problems)
        return frame.drop(dropped).rename(renamed)


def _stored_file(upload_name: str, content: bytes) -> None:
    """A workbook the platform keeps: an .xlsx must be one (core.uploads); a CSV is text, read by the engine."""
    if Path(upload_name).suffix.lower() == ".csv":
        check_size(upload_name, len(content))
        if not content:
            raise ValidationError(gettext("File %(name)s is empty.") % {"name": upload_name})
    else:
        check_upload(upload_name, content, ACCEPTED_EXTENSIONS[:1])


def _check_delivery(collection: Collection, supplier: Supplier, user) -> None:
    if not collection.is_open:
        raise ValidationError(gettext("%(collection)s is closed and takes no more figures.") % {"collection": collection})
    if not can_deliver(user, supplier):
        raise PermissionDenied(gettext("You may not deliver figures for %(supplier)s.") % {"supplier": supplier})
    if not suppliers_for(collection).filter(pk=supplier.pk).exists():
        raise ValidationError(
            gettext("%(supplier)s does not deliver to %(collection)s.") % {"supplier": supplier, "collection": collection}
        )


class WorkbookDelivery(FigureImporter):
    """A department's workbook delivered into a collection: the import a background job runs
    (:func:`start_delivery`; options: the collection's and the department's ids)."""

    title = _lazy("Department delivery")

    def __init__(self, user, collection: int, supplier: int):
        super().__init__(user, Supplier.objects.select_related("region").get(pk=supplier))
        self.collection = Collection.objects.select_related("region").get(pk=collection)

    def deliver(self, content: bytes, filename: str) -> Delivery:
        self.report(READING)
        _check_delivery(self.collection, self.supplier, self.user)
        _stored_file(filename, content)
        frame = self.read(content, filename)
        self.report(CHECKING, rows=frame.height)
        return _deliver(self.collection, self.supplier, self.user, self, frame, file=(filename, content))

    def run(self, source, filename: str | None = None) -> ImportResult:
        refusal = in_both_languages(lambda: _refusal(self.collection, self.supplier, self.user, source, filename))
        if refusal[0]:  # closed, or not the user's department, since the upload was queued
            raise ImportFailed([Problem(1, "", "", *refusal)])
        try:
            delivery = self.deliver(source, filename)
        except ValidationError as error:  # closed while the file was checked
            message = " ".join(error.messages)
            raise ImportFailed([Problem(1, "", "", message, message)]) from error
        header = self.column("uscc").header
        unknown = [
            Problem(u["row"], "uscc", header, f"本次归集中没有统一社会信用代码为{u['uscc']}的企业，该行数据未入库",
                    f"no enterprise of the collection has the credit code {u['uscc']}: the row was not stored")
            for u in delivery.unknown_codes
        ]  # fmt: skip
        counts = {str(delivery.upload): delivery.figures, str(Conflict._meta.verbose_name_plural): Counts(created=delivery.conflicts)}
        return ImportResult(rows=delivery.upload.rows, counts=counts, skipped=unknown)


def _refusal(collection: Collection, supplier: Supplier, user, content: bytes, filename: str) -> str:
    """Why the workbook may not be delivered (in the active language), or ""."""
    try:
        _check_delivery(collection, supplier, user)
        _stored_file(filename, content)
    except ValidationError as error:
        return " ".join(error.messages)
    except PermissionDenied as error:
        return str(error)
    return ""


def start_delivery(collection: Collection, supplier: Supplier, user, content: bytes, filename: str):
    """Queue a department's workbook as a background import (:class:`WorkbookDelivery`), once the quick checks
    pass (the collection open, the user delivering for the department, the file a workbook): its page shows
    the progress, then what was stored or every problem. Returns the job."""
    _check_delivery(collection, supplier, user)
    _stored_file(filename, content)
    title = gettext("%(supplier)s: delivery to %(collection)s") % {"supplier": supplier, "collection": collection}
    options = {"collection": collection.pk, "supplier": supplier.pk}
    return start_import(user, WorkbookDelivery, options, filename, content, page=collection.get_absolute_url(), title=title)


def upload_workbook(collection: Collection, supplier: Supplier, user, content: bytes, filename: str) -> Delivery:
    """Take a department's workbook (CSV or XLSX, keyed on the credit code, in its own headers) at once: every
    row is checked and either all figures are stored, as a new version of the department's delivery, or none
    (``ImportFailed`` naming every row, column and problem). Rows with a credit code that names no enterprise
    of the collection are not stored; the delivery lists them (``unknown_codes``). Pages and the API queue it
    with :func:`start_delivery`."""
    return WorkbookDelivery(user, collection.pk, supplier.pk).deliver(content, filename)


def enter_figures(collection: Collection, supplier: Supplier, user, uscc: str, values: dict[str, object]) -> Delivery:
    """Figures of one enterprise entered on the form: the same checks as a workbook's row (``values`` maps
    columns of the department's remit to the text entered; empty ones are left out)."""
    _check_delivery(collection, supplier, user)
    importer = FigureImporter(user, supplier)
    given = {column: str(value) for column, value in values.items() if value not in (None, "")}
    frame = pl.DataFrame({"_row": [1], "uscc": [uscc.strip().upper()], **{c: [v] for c, v in given.items()}})
    frame = importer.map_headers(frame)
    return _deliver(collection, supplier, user, importer, frame, refuse_unknown=True)


def _deliver(collection, supplier, user, importer, raw: pl.DataFrame, file=None, refuse_unknown=False) -> Delivery:
    frame, problems = importer.validate(raw)
    if problems:
        raise ImportFailed(problems)
    columns = [c for c in supplier.columns if c in importer.present]
    if not columns:
        raise ImportFailed([Problem(1, "", "", "没有可报送的数据列", "no column of the department's remit")])
    known = _known_enterprises(collection, supplier, frame["uscc"].to_list())
    frame = frame.with_columns(pl.col("uscc").replace_strict(known, default=None, return_dtype=pl.Int64).alias("enterprise_id"))
    unknown = [{"row": row, "uscc": code} for row, code in frame.filter(pl.col("enterprise_id").is_null()).select("_row", "uscc").iter_rows()]
    if unknown and refuse_unknown:  # one enterprise entered by hand: nothing to store but a finding
        column = importer.column("uscc")
        raise ImportFailed([Problem(u["row"], "uscc", column.header, f"本次归集中没有统一社会信用代码为{u['uscc']}的企业",
                                    f"no enterprise of the collection has the credit code {u['uscc']}") for u in unknown])  # fmt: skip
    figures = _long_figures(frame.filter(pl.col("enterprise_id").is_not_null()), columns)
    importer.report(WRITING)
    now = local_now()
    with transaction.atomic():
        # Locked, so two deliveries of one department cannot take the same version, nor one slip past a close.
        locked = Collection.objects.select_for_update().get(pk=collection.pk)
        if not locked.is_open:
            raise ValidationError(gettext("%(collection)s is closed and takes no more figures.") % {"collection": locked})
        version = (Upload.objects.filter(collection=collection, supplier=supplier).aggregate(v=Max("version"))["v"] or 0) + 1
        upload = Upload(
            collection=collection, supplier=supplier, version=version, uploaded_by=user, uploaded_at=now,
            kind=Upload.Kind.FILE if file else Upload.Kind.FORM, rows=frame.height, figures=figures.height,
            columns=columns, unknown_codes=unknown,
        )  # fmt: skip
        if file:
            upload.original_name = Path(file[0]).name[:255]
            upload.file.save(f"collection-{collection.pk}-{supplier.pk}-v{version}{Path(file[0]).suffix.lower()}",
                             ContentFile(file[1]), save=False)  # fmt: skip
        upload.save()
        counts, conflicts = _store_figures(collection, supplier, upload, figures, user)
        if counts.updated:
            upload.changed = counts.updated
            upload.save(update_fields=["changed"])
    return Delivery(upload=upload, conflicts=conflicts, unknown_codes=unknown, figures=counts)


def _known_enterprises(collection: Collection, supplier: Supplier, codes: list[str]) -> dict[str, int]:
    """Credit code -> enterprise id for the codes naming an active enterprise of the collection (and of the
    department's region, when that lies inside the collection's)."""
    region_ids = set(collection.region.descendant_ids())
    if supplier.region_id in region_ids:
        region_ids &= set(supplier.region.descendant_ids())
    found = {}
    for chunk in chunks(sorted(set(codes))):
        found.update(
            Enterprise.objects.filter(uscc__in=chunk, region_id__in=region_ids, active=True).values_list("uscc", "pk")
        )
    return found


def _long_figures(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """One row per given figure: enterprise_id, column, number, text, flag."""
    parts = []
    for column in columns:
        kind = column_kind(column)
        value = pl.col(column)
        if kind == DATE:
            value = value.cast(pl.Date).dt.strftime("%Y-%m-%d")
        target = VALUE_FIELDS[kind]
        parts.append(
            frame.filter(pl.col(column).is_not_null()).select(
                "enterprise_id",
                pl.lit(column).alias("column"),
                *[
                    (value.cast(dtype) if name == target else pl.lit(None, dtype)).alias(name)
                    for name, dtype in POLARS_TYPES.items()
                ],
            )
        )
    empty = pl.DataFrame(schema={"enterprise_id": pl.Int64, "column": pl.Utf8, **POLARS_TYPES})
    return pl.concat([empty, *parts], how="vertical_relaxed")


def _figures_frame(queryset) -> pl.DataFrame:
    rows = queryset.values_list(
        "pk", "enterprise_id", "column", "number", "text", "flag", "supplier_id", "upload_id"
    )  # in delivery order by their ids: a later figure has the larger id
    schema = {
        "figure_id": pl.Int64, "enterprise_id": pl.Int64, "column": pl.Utf8, **POLARS_TYPES,
        "supplier_id": pl.Int64, "upload_id": pl.Int64,
    }  # fmt: skip
    frame = pl.DataFrame(list(rows.iterator(chunk_size=5000)), schema=schema, orient="row")
    return frame.with_columns(pl.when(pl.col("text") != "").then(pl.col("text")).alias("text"))


def _cell_value(row: dict, column: str):
    kind = column_kind(column)
    return row[VALUE_FIELDS[kind]]


def _differs(frame: pl.DataFrame, left: str, right: str) -> pl.Expr:
    """Whether the figures ``<name>_<left>`` and ``<name>_<right>`` of each row disagree (rules of the engine)."""
    return (
        rules.numbers_differ(pl.col(f"number{left}"), pl.col(f"number{right}"))
        | rules.values_differ(pl.col(f"text{left}"), pl.col(f"text{right}"), numeric=False)
        | rules.values_differ(pl.col(f"flag{left}"), pl.col(f"flag{right}"), numeric=False)
    )


def _store_figures(collection, supplier, upload, figures: pl.DataFrame, user) -> tuple[Counts, int]:
    """Insert the delivery's figures, retire the department's earlier figures of the same cells, and open the
    conflicts: a cell the department's earlier version had otherwise, or another department has otherwise.
    Returns (the figures new, changed and unchanged from the department's earlier version, conflicts opened)."""
    if figures.is_empty():
        return Counts(), 0
    cells = ["enterprise_id", "column"]
    current = _figures_frame(
        CollectedFigure.objects.filter(collection=collection, current=True, column__in=upload.columns)
    ).join(figures.select(cells), on=cells, how="semi")
    new = figures.rename({name: f"{name}_new" for name in POLARS_TYPES})
    compared = current.join(new, on=cells, how="inner").with_columns(_differs(current, "", "_new").alias("differs"))
    own = compared.filter(pl.col("supplier_id") == supplier.pk)
    revised = own.filter("differs")
    others = compared.filter((pl.col("supplier_id") != supplier.pk) & pl.col("differs"))

    retired = own["figure_id"].to_list()
    for chunk in chunks(retired):
        CollectedFigure.objects.filter(pk__in=chunk).update(current=False)
    _insert_figures(figures, collection, supplier, upload)
    disputed = pl.concat([revised.select(*cells, pl.lit(Conflict.Kind.REVISED.value).alias("kind")),
                          others.select(*cells, pl.lit(Conflict.Kind.SOURCES.value).alias("kind"))])  # fmt: skip
    # A cell both revised and disputed by another department is one conflict: between departments.
    disputed = disputed.sort("kind", descending=False).unique(cells, keep="last", maintain_order=True)
    opened = _open_conflicts(collection, disputed, revised, user)
    counts = Counts(created=figures.height - own.height, updated=revised.height, unchanged=own.height - revised.height)
    return counts, opened


_FIGURE_COLUMNS = [
    "collection_id", "enterprise_id", "column", "number", "text", "flag", "supplier_id", "upload_id", "recorded_at",
    "current",
]  # fmt: skip


def _insert_figures(figures: pl.DataFrame, collection, supplier, upload) -> None:
    """Insert a delivery's figures in bulk (PostgreSQL with COPY, others with one prepared INSERT): rows written
    once and never edited need no model instances, which took most of a large workbook's time."""
    recorded_at = connection.ops.adapt_datetimefield_value(upload.uploaded_at)
    rows = figures.select(
        pl.lit(collection.pk, pl.Int64).alias("collection_id"),
        "enterprise_id",
        "column",
        "number",
        pl.col("text").fill_null(""),
        "flag",
        pl.lit(supplier.pk, pl.Int64).alias("supplier_id"),
        pl.lit(upload.pk, pl.Int64).alias("upload_id"),
        pl.lit(str(recorded_at)).alias("recorded_at"),
        pl.lit(True).alias("current"),
    )
    table = connection.ops.quote_name(CollectedFigure._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _FIGURE_COLUMNS)
    with connection.cursor() as cursor:
        for start in range(0, rows.height, 20_000):
            batch = rows.slice(start, 20_000)
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
                    copy.write(batch.write_csv(include_header=False, quote_style="non_numeric", null_value=""))
            else:
                placeholders = ", ".join(["%s"] * len(_FIGURE_COLUMNS))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", batch.rows())


def _candidates(collection: Collection, cells: pl.DataFrame, revised: pl.DataFrame) -> dict[tuple, list[dict]]:
    """The values in dispute per cell: every department's current figure, and a revised department's earlier one."""
    labels = _source_labels(collection)
    found: dict[tuple, list[dict]] = {}
    current = _figures_frame(
        CollectedFigure.objects.filter(collection=collection, current=True, column__in=cells["column"].unique().to_list())
    ).join(cells.select("enterprise_id", "column"), on=["enterprise_id", "column"], how="semi")
    earlier = _figures_frame(CollectedFigure.objects.filter(pk__in=revised["figure_id"].to_list())) if revised.height else None
    for frame, note in ((earlier, "（此前版本）"), (current, "")):
        if frame is None:
            continue
        for row in frame.sort("figure_id").iter_rows(named=True):
            found.setdefault((row["enterprise_id"], row["column"]), []).append(
                {"source": labels[row["upload_id"]] + note, "value": _cell_value(row, row["column"])}
            )
    return found


def _source_labels(collection: Collection) -> dict[int, str]:
    return {u.pk: u.source_label for u in collection.uploads.select_related("supplier")}


def _open_conflicts(collection, disputed: pl.DataFrame, revised: pl.DataFrame, user) -> int:
    """Create or reopen a conflict per disputed cell (a resolved one stays resolved when the new figure is
    the value chosen). Written in bulk, each with its history row."""
    if disputed.is_empty():
        return 0
    candidates = _candidates(collection, disputed, revised)
    existing = {
        (c.enterprise_id, c.column): c
        for c in Conflict.objects.filter(collection=collection, column__in=disputed["column"].unique().to_list(),
                                         enterprise_id__in=disputed["enterprise_id"].unique().to_list())
    }  # fmt: skip
    new, reopened = [], []
    for enterprise_id, column, kind in disputed.iter_rows():
        values = candidates.get((enterprise_id, column), [])
        conflict = existing.get((enterprise_id, column))
        if conflict is None:
            new.append(Conflict(collection=collection, enterprise_id=enterprise_id, column=column, kind=kind,
                                candidates=values))  # fmt: skip
            continue
        if conflict.status == Conflict.Status.RESOLVED and values and _same(column, values[-1]["value"], conflict.value):
            continue
        conflict.kind, conflict.candidates = kind, values
        conflict.status, conflict.resolved_by, conflict.resolved_at = Conflict.Status.OPEN, None, None
        reopened.append(conflict)
    bulk_create(Conflict, new, user=user)
    if reopened:
        Conflict.objects.bulk_update(reopened, ["kind", "candidates", "status", "resolved_by", "resolved_at"])
        write_history(Conflict.objects.filter(pk__in=[c.pk for c in reopened]), "~", user=user, reason="reopened")
    return len(new) + len(reopened)


def _same(column: str, a, b) -> bool:
    if column_kind(column) == NUMBER and a is not None and b is not None:
        return not pl.select(rules.numbers_differ(pl.lit(float(a)), pl.lit(float(b)))).item()
    return a == b


# --------------------------------------------------------------------------------------------------
# Conflicts


def parse_value(column: str, text: str):
    """A value typed by a person for ``column``, as the collection stores it; ``ValidationError`` otherwise."""
    text = (text or "").strip()
    kind = column_kind(column)
    if not text:
        raise ValidationError(gettext("Give the value."))
    try:
        if kind == NUMBER:
            return float(text.replace(",", ""))
        if kind == FLAG:
            return TRUE_FALSE[text.lower()]
        if kind == DATE:
            return date.fromisoformat(text).isoformat()
    except (ValueError, KeyError):
        raise ValidationError(
            gettext("“%(text)s” is not a valid value for %(column)s.") % {"text": text, "column": column_label(column)}
        ) from None
    return text


def can_resolve(user, conflict: Conflict) -> bool:
    return can_manage(user, conflict.collection) or can_edit_record(user, conflict.enterprise)


def resolve_conflict(conflict: Conflict, user, text: str, note: str = "") -> Conflict:
    """Choose the value of a disputed cell (audited: who, when, which value). The merge takes it; a
    collection already merged has it written into the enterprise's year at once."""
    if not can_resolve(user, conflict):
        raise PermissionDenied(gettext("You may not resolve conflicts of this enterprise."))
    value = parse_value(conflict.column, text)
    with transaction.atomic():
        conflict.value, conflict.note = value, (note or "").strip()[:200]
        conflict.status, conflict.resolved_by, conflict.resolved_at = Conflict.Status.RESOLVED, user, local_now()
        conflict._history_user = user
        conflict.save()
        if conflict.collection.merged_at is not None:
            _write_years(conflict.collection, {conflict.enterprise_id: {conflict.column: value}}, user, "conflict resolved")
    return conflict


def resolve_edit(collection: Collection, enterprise: Enterprise, column: str, user, text: str, note: str = "") -> Conflict:
    """An enterprise's figure edited after the merge differs from the collected one: record the cell as a
    conflict of that kind and resolve it with the value chosen (the collected one, the edited one, another)."""
    edits = {(e["enterprise_id"], e["column"]): e for e in edited_cells(collection, [enterprise.region_id])}
    edit = edits.get((enterprise.pk, column))
    with transaction.atomic():
        conflict, created = Conflict.objects.get_or_create(
            collection=collection, enterprise=enterprise, column=column,
            defaults={"kind": Conflict.Kind.EDITED, "candidates": edit["candidates"] if edit else []},
        )  # fmt: skip
        if not created and edit:
            conflict.kind, conflict.candidates = Conflict.Kind.EDITED, edit["candidates"]
        return resolve_conflict(conflict, user, text, note)


# --------------------------------------------------------------------------------------------------
# Merging and closing


def merged_figures(collection: Collection) -> pl.DataFrame:
    """The figure each cell takes: a resolved conflict's chosen value, else the current figure of the
    department with the highest priority for the column (the later delivery on a tie). Columns:
    enterprise_id, column, number, text, flag, source (where it came from)."""
    current = _figures_frame(CollectedFigure.objects.filter(collection=collection, current=True))
    suppliers = {s.pk: s for s in Supplier.objects.filter(pk__in=current["supplier_id"].unique().to_list())}
    priorities = pl.DataFrame(
        [(pk, column, s.priority(column)) for pk, s in suppliers.items() for column in s.columns],
        schema={"supplier_id": pl.Int64, "column": pl.Utf8, "priority": pl.Int64},
        orient="row",
    )
    labels = _source_labels(collection)
    ranked = current.join(priorities, on=["supplier_id", "column"], how="left").with_columns(pl.col("priority").fill_null(0))
    winners = (
        ranked.sort(["priority", "figure_id"], descending=True)
        .unique(["enterprise_id", "column"], keep="first", maintain_order=True)
        .with_columns(pl.col("upload_id").replace_strict(labels, default="", return_dtype=pl.Utf8).alias("source"))
        .select("enterprise_id", "column", *POLARS_TYPES, "source")
    )
    resolved = [
        {"enterprise_id": c.enterprise_id, "column": c.column, **_typed_value(c.column, c.value),
         "source": f"冲突裁定 · {c.resolved_by or ''} · {timezone.localtime(c.resolved_at):%Y-%m-%d %H:%M}"}
        for c in Conflict.objects.filter(collection=collection, status=Conflict.Status.RESOLVED).select_related("resolved_by")
    ]  # fmt: skip
    if not resolved:
        return winners
    chosen = pl.DataFrame(resolved, schema=winners.schema)
    return pl.concat([chosen, winners]).unique(["enterprise_id", "column"], keep="first", maintain_order=True)


def _typed_value(column: str, value) -> dict:
    typed = {"number": None, "text": None, "flag": None}
    typed[VALUE_FIELDS[column_kind(column)]] = value
    return typed


def _by_enterprise(merged: pl.DataFrame) -> dict[int, dict[str, object]]:
    values: dict[int, dict[str, object]] = {}
    for row in merged.iter_rows(named=True):
        values.setdefault(row["enterprise_id"], {})[row["column"]] = _cell_value(row, row["column"])
    return values


def _field_value(column: str, value):
    return date.fromisoformat(value) if value is not None and column_kind(column) == DATE else value


@dataclass
class MergeOutcome:
    updated: int = 0
    created: int = 0
    skipped: list[int] = field(default_factory=list)  # enterprises without a year and without land to create it


def merge_collection(collection: Collection, user) -> MergeOutcome:
    """Write the merged figures into the enterprises' years (creating a year that is missing), in bulk with
    their history rows by ``user``; only years whose figures change are written."""
    if not can_manage(user, collection):
        raise PermissionDenied(gettext("You may not merge this collection."))
    with transaction.atomic():
        outcome = _write_years(collection, _by_enterprise(merged_figures(collection)), user, "collection merged")
        collection.merged_at = local_now()
        collection._history_user = user
        collection.save(update_fields=["merged_at"])
    return outcome


def _write_years(collection: Collection, values: dict[int, dict[str, object]], user, reason: str) -> MergeOutcome:
    outcome = MergeOutcome()
    ids = sorted(values)
    existing = {}
    for chunk in chunks(ids):
        existing.update({y.enterprise_id: y for y in EnterpriseYear.objects.filter(year=collection.year, enterprise_id__in=chunk)})
    changed, changed_fields = [], set()
    for enterprise_id, cells in values.items():
        year = existing.get(enterprise_id)
        if year is None:
            continue
        differing = {c: _field_value(c, v) for c, v in cells.items() if getattr(year, c) != _field_value(c, v)}
        if differing:
            for column, value in differing.items():
                setattr(year, column, value)
            changed_fields |= set(differing)
            changed.append(year)
    if changed:
        EnterpriseYear.objects.bulk_update(changed, sorted(changed_fields), batch_size=UPDATE_BATCH_SIZE)
        for chunk in chunks([y.pk for y in changed]):
            write_history(EnterpriseYear.objects.filter(pk__in=chunk), "~", user=user, reason=reason)
    missing = [pk for pk in ids if pk not in existing]
    enterprises = Enterprise.objects.in_bulk(missing)
    new = []
    for pk in missing:
        cells = {c: _field_value(c, v) for c, v in values[pk].items() if v is not None}
        cells.setdefault("land_mu", enterprises[pk].land_mu)
        cells.setdefault("above_scale", enterprises[pk].above_scale)
        if not cells["land_mu"] or cells["land_mu"] <= 0:
            outcome.skipped.append(pk)
            continue
        new.append(EnterpriseYear(enterprise_id=pk, year=collection.year, **cells))
    bulk_create(EnterpriseYear, new, user=user)
    outcome.updated, outcome.created = len(changed), len(new)
    return outcome


def close_collection(collection: Collection, user, confirm: bool = False) -> MergeOutcome:
    """Close the collection once the operator confirms: its figures are merged into the enterprises' years,
    and it takes no more deliveries. Open conflicts are merged by the departments' priorities."""
    if not can_manage(user, collection):
        raise PermissionDenied(gettext("You may not close this collection."))
    if not confirm:
        raise ValidationError(gettext("Confirm that the collection is complete: closing merges its figures."))
    with transaction.atomic():
        locked = Collection.objects.select_for_update().get(pk=collection.pk)
        if not locked.is_open:
            raise ValidationError(gettext("%(collection)s is already closed.") % {"collection": locked})
        outcome = merge_collection(locked, user)
        locked.status, locked.closed_by, locked.closed_at = Collection.Status.CLOSED, user, local_now()
        locked._history_user = user
        locked.save(update_fields=["status", "closed_by", "closed_at"])
    collection.refresh_from_db()
    return outcome


# --------------------------------------------------------------------------------------------------
# What the pages show: completeness, anomalies, edits after the merge, unknown credit codes


def completeness(collection: Collection, region_ids: list[int] | None = None, suppliers=None) -> dict:
    """Per department and column of its remit: how many of the collection's enterprises have its figure."""
    region_ids = collection.region.descendant_ids() if region_ids is None else region_ids
    total = collection_enterprises(collection, region_ids).count()
    counts = dict(
        ((supplier, column), n)
        for supplier, column, n in CollectedFigure.objects.filter(
            collection=collection, current=True, enterprise__region_id__in=region_ids, enterprise__active=True
        )
        .values("supplier_id", "column")
        .annotate(n=Count("pk"))
        .values_list("supplier_id", "column", "n")
    )
    rows = []
    for supplier in suppliers_for(collection) if suppliers is None else suppliers:
        cells = [
            {"column": column, "label": column_label(column), "count": counts.get((supplier.pk, column), 0),
             "share": counts.get((supplier.pk, column), 0) / total if total else 0}
            for column in supplier.columns
        ]  # fmt: skip
        rows.append({"supplier": supplier, "columns": cells})
    return {"total": total, "suppliers": rows}


# Land checks: the parcels live in an app above this one, which registers how to sum them (its panels.py).
LandSource = Callable[[list[int]], dict[int, float]]
land_sources: list[tuple[LandSource, float]] = []


def register_land_source(tolerance: float):
    """Decorator: ``source(enterprise ids) -> {enterprise id: area of its parcels (mu)}``; land held differing
    from it by more than ``tolerance`` of it is an anomaly."""

    def decorator(source: LandSource) -> LandSource:
        land_sources.append((source, tolerance))
        return source

    return decorator


ANOMALY_FACTOR, ANOMALY_LAND, ANOMALY_VALUE_ADDED = "factor", "land", "value_added"


def anomalies(collection: Collection, region_ids: list[int] | None = None, merged: pl.DataFrame | None = None) -> list[dict]:
    """Collected figures that look wrong: a figure beyond the collection's factor of last year's stored one;
    land held differing from the enterprise's parcels; value added above revenue."""
    merged = merged_figures(collection) if merged is None else merged
    region_ids = collection.region.descendant_ids() if region_ids is None else region_ids
    in_scope = list(collection_enterprises(collection, region_ids).values_list("pk", flat=True))
    numbers = merged.filter(pl.col("number").is_not_null() & pl.col("enterprise_id").is_in(in_scope))
    found = []
    numeric = [c for c in COLLECTED_COLUMNS if column_kind(c) == NUMBER]
    last = pl.DataFrame(
        list(EnterpriseYear.objects.filter(year=collection.year - 1, enterprise_id__in=in_scope).values_list("enterprise_id", *numeric).iterator(5000)),
        schema={"enterprise_id": pl.Int64, **dict.fromkeys(numeric, pl.Float64)},
        orient="row",
    ).unpivot(index="enterprise_id", variable_name="column", value_name="last_year")
    factor = numbers.join(last, on=["enterprise_id", "column"], how="inner").filter(
        rules.factor_anomaly(pl.col("number"), pl.col("last_year"), collection.anomaly_factor)
    )
    for row in factor.iter_rows(named=True):
        found.append({"kind": ANOMALY_FACTOR, "enterprise_id": row["enterprise_id"], "column": row["column"],
                      "value": row["number"], "reference": row["last_year"]})  # fmt: skip
    wide = numbers.pivot(on="column", index="enterprise_id", values="number") if numbers.height else pl.DataFrame()
    if {"value_added", "revenue"} <= set(wide.columns):
        for row in wide.filter(rules.value_added_above_revenue(pl.col("value_added"), pl.col("revenue"))).iter_rows(named=True):
            found.append({"kind": ANOMALY_VALUE_ADDED, "enterprise_id": row["enterprise_id"], "column": "value_added",
                          "value": row["value_added"], "reference": row["revenue"]})  # fmt: skip
    if "land_mu" in wide.columns:
        held = wide.select("enterprise_id", "land_mu").drop_nulls()
        for source, tolerance in land_sources:
            parcels = source(held["enterprise_id"].to_list())
            if not parcels:
                continue
            compared = held.join(
                pl.DataFrame(list(parcels.items()), schema={"enterprise_id": pl.Int64, "parcels_mu": pl.Float64}, orient="row"),
                on="enterprise_id",
            ).filter(rules.land_differs(pl.col("land_mu"), pl.col("parcels_mu"), tolerance))
            for row in compared.iter_rows(named=True):
                found.append({"kind": ANOMALY_LAND, "enterprise_id": row["enterprise_id"], "column": "land_mu",
                              "value": row["land_mu"], "reference": row["parcels_mu"]})  # fmt: skip
    return found


def edited_cells(collection: Collection, region_ids: list[int] | None = None, merged: pl.DataFrame | None = None) -> list[dict]:
    """Since the merge, an enterprise's stored figure that differs from the collected one (edited by hand),
    compared column by column over whole columns."""
    if collection.merged_at is None:
        return []
    merged = merged_figures(collection) if merged is None else merged
    region_ids = collection.region.descendant_ids() if region_ids is None else region_ids
    columns = sorted(set(merged["column"].to_list()))
    if not columns:
        return []
    dtypes = {NUMBER: pl.Float64, FLAG: pl.Boolean, DATE: pl.Date, TEXT: pl.Utf8}
    stored = pl.DataFrame(
        list(EnterpriseYear.objects.filter(year=collection.year, enterprise__region_id__in=region_ids)
             .values_list("enterprise_id", *columns).iterator(5000)),
        schema={"enterprise_id": pl.Int64, **{c: dtypes[column_kind(c)] for c in columns}},
        orient="row",
    )  # fmt: skip
    found = []
    for column in columns:
        kind = column_kind(column)
        value = pl.col(column).cast(pl.Utf8) if kind == DATE else pl.col(column)
        if kind == TEXT:
            value = pl.when(value != "").then(value)
        cells = merged.filter(pl.col("column") == column).select(
            "enterprise_id", pl.col(VALUE_FIELDS[kind]).alias("_collected")
        )
        compared = stored.select("enterprise_id", value.alias("_stored")).join(cells, on="enterprise_id")
        edited = compared.filter(
            pl.col("_collected").is_not_null()
            & (rules.values_differ(pl.col("_stored"), pl.col("_collected"), numeric=kind == NUMBER)
               | pl.col("_stored").is_null())
        )  # fmt: skip
        for enterprise_id, stored_value, collected in edited.iter_rows():
            found.append({
                "enterprise_id": enterprise_id, "column": column, "collected": collected, "stored": stored_value,
                "candidates": [{"source": "归集值", "value": collected},
                               {"source": "企业年度数据（归集后修改）", "value": stored_value}],
            })  # fmt: skip
    return found


def unknown_codes(uploads) -> list[dict]:
    """The credit codes deliveries named that are no enterprise of their collection (row, code, delivery)."""
    return [{"upload": upload, **entry} for upload in uploads for entry in upload.unknown_codes]


# --------------------------------------------------------------------------------------------------
# For the evaluation runs


def overlapping_collections(region: Region, year: int):
    """The collections of ``year`` covering enterprises of ``region``: of it, a region inside it or above it."""
    return Collection.objects.filter(year=year, region_id__in=_related_region_ids(region))


def open_collection_problem(region: Region, year: int) -> str | None:
    """Why a run of ``region`` for ``year`` may not start yet: a collection of its figures is still open."""
    still_open = overlapping_collections(region, year).filter(status=Collection.Status.OPEN).select_related("region").first()
    if still_open is None:
        return None
    return gettext("%(collection)s is still open: close it (its figures are merged then) before the evaluation starts.") % {
        "collection": still_open
    }


SOURCE_PREFIX = "来源|"


def add_figure_sources(frame: pl.DataFrame, region: Region, year: int) -> pl.DataFrame:
    """The run's input with each collected figure's source next to it: a ``来源|<column>`` text column per
    collected column ("department · 报送#id · time", or the conflict's resolution); a stored figure that
    differs from the collected one says it was edited after the merge. Figures no collection delivered have none."""
    collections = list(overlapping_collections(region, year).filter(status=Collection.Status.CLOSED).order_by("closed_at"))
    if not collections or frame.is_empty():
        return frame
    merged = pl.concat([merged_figures(c) for c in collections]).unique(["enterprise_id", "column"], keep="last", maintain_order=True)
    merged = merged.filter(pl.col("enterprise_id").is_in(frame["enterprise_id"].implode()))
    added = []
    for column in [c for c in COLLECTED_COLUMNS if c in frame.columns]:
        cells = merged.filter(pl.col("column") == column)
        if cells.is_empty():
            continue
        kind = column_kind(column)
        target = VALUE_FIELDS[kind]
        collected = cells.select("enterprise_id", pl.col(target).alias("_collected"), pl.col("source").alias("_source"))
        joined = frame.select("enterprise_id", column).join(collected, on="enterprise_id", how="left", maintain_order="left")
        stored = pl.col(column).cast(pl.Utf8) if kind == DATE else pl.col(column)
        edited = rules.values_differ(stored, pl.col("_collected"), numeric=kind == NUMBER)
        label = (
            pl.when(pl.col("_source").is_null()).then(None)
            .when(edited).then(pl.format("归集后修改（归集值 {}）", pl.col("_collected").cast(pl.Utf8)))
            .otherwise(pl.col("_source"))
        )  # fmt: skip
        added.append(joined.select(label.alias(SOURCE_PREFIX + column)).to_series())
    return frame.with_columns(added) if added else frame
