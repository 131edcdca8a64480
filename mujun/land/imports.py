"""Import of parcels from Excel/CSV (the core mechanism) and from GeoJSON.

A GeoJSON FeatureCollection becomes the same table: each feature's properties map onto the columns (by
English name or Chinese header) and its geometry fills the boundary column, so both go through the same
checks — self-intersecting or empty polygons, dates out of order, an area disagreeing with the boundary,
an unknown region — and are stored all-or-nothing.
"""

from __future__ import annotations

import json

import polars as pl
from django import forms
from django.utils.translation import gettext_lazy as _

from mujun.core.imports import (
    DATE,
    LOOKUP,
    NUMBER,
    TEXT,
    Column,
    ImportFailed,
    Importer,
    ImportResult,
    Problem,
    region_lookup,
)
from mujun.core.bulk import json_text
from mujun.core.rules import in_both_languages
from mujun.engine.io import normalise_header
from mujun.engine.land import DATE_COLUMNS, NUMBER_COLUMNS, PARCEL_COLUMNS, PARCEL_RULES
from mujun.land.geometry import area_mu, area_problem, parse_boundary
from mujun.land.models import Parcel

GEOJSON_EXTENSIONS = (".geojson", ".json")
BOUNDARY_HEADER = "边界(GeoJSON)"
# Columns of the workbook that are not parcel fields of the same name.
NOT_FIELDS = {"holder_uscc", "holder_grade", "boundary"}


def enterprise_lookup() -> dict[str, int]:
    from mujun.enterprises.models import Enterprise

    return dict(Enterprise.objects.values_list("uscc", "pk"))


def boundary_problem(text: str) -> tuple[str, str] | None:
    if parse_boundary(text)[1] is None:
        return None
    return in_both_languages(lambda: parse_boundary(text)[1])


def _column(name: str) -> Column:
    header = PARCEL_COLUMNS[name]
    if name == "code":
        return Column(name, header, required=True, max_length=32)
    if name == "region":
        return Column(name, header, LOOKUP, required=True, lookup=region_lookup)
    if name == "holder_uscc":
        return Column(name, header, LOOKUP, lookup=enterprise_lookup)
    if name in DATE_COLUMNS:
        return Column(name, header, DATE)
    if name in NUMBER_COLUMNS:
        return Column(name, header, NUMBER, required=name == "area_mu")
    return Column(name, header, TEXT, max_length=128 if name == "name" else 32)


class ParcelImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("Excel workbook, CSV or GeoJSON FeatureCollection; Chinese or English headers or properties"),
    )


class ParcelImporter(Importer):
    model = Parcel
    key = "code"
    columns = [
        *[_column(name) for name in PARCEL_COLUMNS if name != "holder_grade"],
        Column("boundary", BOUNDARY_HEADER, TEXT, validate=boundary_problem),
    ]
    unique_together = [("code",)]
    rules = PARCEL_RULES
    form_class = ParcelImportForm
    title = _("Import parcels")

    def read(self, source, filename: str | None = None) -> pl.DataFrame:
        if filename and filename.lower().endswith(GEOJSON_EXTENSIONS):
            return self.read_geojson(source)
        return super().read(source, filename)

    def read_geojson(self, source) -> pl.DataFrame:
        """Features as rows of text cells (``_row`` = the feature's number), the geometry as boundary."""
        data = source.read() if hasattr(source, "read") else source
        try:
            collection = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ImportFailed([Problem(1, "", "", f"不是有效的GeoJSON：{error}", f"not valid GeoJSON: {error}")])
        features = collection.get("features") if isinstance(collection, dict) else None
        if not isinstance(features, list):
            raise ImportFailed([Problem(1, "", "", "应为GeoJSON要素集合（FeatureCollection）", "must be a GeoJSON FeatureCollection")])
        names = {normalise_header(c.name): c.name for c in self.columns}
        names.update({normalise_header(c.header): c.name for c in self.columns})
        rows = []
        for number, feature in enumerate(features, start=1):
            properties = (feature or {}).get("properties") or {}
            row = {names[normalise_header(k)]: None if v is None else str(v) for k, v in properties.items() if normalise_header(k) in names}
            geometry = (feature or {}).get("geometry")
            row["boundary"] = json.dumps(geometry) if geometry is not None else None
            row["_row"] = number
            rows.append(row)
        schema = {c.name: pl.String for c in self.columns} | {"_row": pl.Int64}
        return pl.DataFrame(rows, schema=schema)

    def check(self, frame: pl.DataFrame) -> list[Problem]:
        problems = []
        if "boundary" in self.present and "area_mu" in self.present:
            column = self.column("area_mu")
            for row, text, stated in frame.select("_row", "boundary", "area_mu").iter_rows():
                geometry, trouble = parse_boundary(text)
                if geometry is None or trouble:
                    continue
                boundary_mu = area_mu(geometry)
                if area_problem(stated, boundary_mu):
                    zh, en = in_both_languages(lambda: area_problem(stated, boundary_mu))  # noqa: B023
                    problems.append(Problem(row, column.name, column.header, zh, en))
        return problems

    def save(self, frame: pl.DataFrame) -> ImportResult:
        present = [c.name for c in self.columns if c.name in self.present and c.name not in ("code", *NOT_FIELDS)]
        text_defaults = {"name": "", "land_use": "industrial"}  # text fields store these for none
        values = [pl.col(name).fill_null(text_defaults[name]) if name in text_defaults else pl.col(name) for name in present]
        values = [value.alias("region_id") if name == "region" else value for name, value in zip(present, values)]
        if "holder_uscc" in self.present:
            values.append(pl.col("holder_uscc").alias("holder_id"))
        if "boundary" in self.present:
            geometries = [parse_boundary(text)[0] for text in frame["boundary"]]
            values.append(pl.Series("boundary", [json_text(g) for g in geometries], dtype=pl.Utf8))
            values.append(pl.Series("boundary_area_mu", [area_mu(g) if g else None for g in geometries], dtype=pl.Float64))
        rows = frame.select("code", *values)
        parcels = self.upsert(Parcel, rows, key=("code",))
        return ImportResult(counts={Parcel._meta.verbose_name_plural: parcels.counts})
