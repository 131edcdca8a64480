"""Import of the evaluation input table (the spec's columns, one row per enterprise) for a year.

Each row creates or updates the Enterprise (by credit code) and its EnterpriseYear for the year given by
a 年度/year column or chosen in the form.
"""

import polars as pl
from django import forms
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from mujun.core.imports import (
    BOOL,
    DATE,
    INTEGER,
    LOOKUP,
    NUMBER,
    Column,
    ImportForm,
    Importer,
    ImportResult,
    Problem,
    chunks,
    region_lookup,
)
from mujun.engine.io import INPUT_COLUMNS
from mujun.engine.uscc import uscc_problem
from mujun.enterprises.models import FIRST_YEAR, LAST_YEAR, Enterprise, EnterpriseYear
from mujun.enterprises.signals import enterprise_years_imported

# Fields of the enterprise itself; every other figure belongs to the year.
ENTERPRISE_FIELDS = ["name", "region", "industry_code", "above_scale", "land_mu", "established_on"]
YEAR_FIELDS = [
    "above_scale",
    "land_mu",
    "tax",
    "value_added",
    "revenue",
    "energy_tce",
    "emission_eq",
    "rd_expense",
    "employees",
    "electricity_10k_kwh",
    "land_acquired_on",
    "major_violation",
    "coefficient",
    "bonus",
]
KINDS = {"above_scale": BOOL, "major_violation": BOOL, "established_on": DATE, "land_acquired_on": DATE}
REQUIRED = {"uscc", "name", "region", "above_scale", "land_mu"}
DEFAULTS = {"major_violation": "否", "coefficient": "1", "bonus": "0"}


def _input_column(name: str) -> Column:
    """A column of the spec's input table; any not named otherwise is a number."""
    header = INPUT_COLUMNS[name]
    if name == "uscc":
        return Column(name, header, required=True, max_length=18, validate=uscc_problem)
    if name == "name":
        return Column(name, header, required=True, max_length=128)
    if name == "region":
        return Column(name, header, LOOKUP, required=True, lookup=region_lookup)
    return Column(
        name,
        header,
        KINDS.get(name, NUMBER),
        required=name in REQUIRED,
        positive=name == "land_mu",
        default=DEFAULTS.get(name),
    )


class EnterpriseImportForm(ImportForm):
    year = forms.IntegerField(
        label=_("Year"),
        required=False,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        help_text=_("The evaluation year of the figures, unless the file has a 年度 (year) column"),
    )


class EnterpriseImporter(Importer):
    model = Enterprise
    key = "uscc"
    columns = [
        Column("year", "年度", INTEGER, required=True, positive=True),
        *[_input_column(name) for name in INPUT_COLUMNS if name in ENTERPRISE_FIELDS + YEAR_FIELDS + ["uscc"]],
        Column("industry_code", "行业代码", max_length=5),
    ]
    unique_together = [("uscc", "year")]
    form_class = EnterpriseImportForm
    title = _("Import enterprises and yearly figures")

    def check(self, frame: pl.DataFrame) -> list[Problem]:
        column = self.column("year")
        if "year" not in self.present:
            return []
        wrong = frame.filter(~pl.col("year").is_between(FIRST_YEAR, LAST_YEAR))
        return [
            Problem(
                row, column.name, column.header,
                f"应在{FIRST_YEAR}至{LAST_YEAR}之间", f"must be between {FIRST_YEAR} and {LAST_YEAR}",
            )
            for row in wrong["_row"]
        ]

    def save(self, frame: pl.DataFrame) -> ImportResult:
        # An enterprise's own fields follow its latest year: a file of an earlier year (or the earlier
        # rows of a file of several years) does not turn its name, land or size back.
        latest = frame.sort("year", "_row").unique("uscc", keep="last", maintain_order=True)
        stored_years = self._latest_stored_years(latest["uscc"].to_list())
        current = latest.filter(
            pl.col("year") >= pl.col("uscc").replace_strict(stored_years, default=0, return_dtype=pl.Int64)
        )
        enterprise_fields = [name for name in ENTERPRISE_FIELDS if name in self.present]
        enterprises = self.upsert(
            Enterprise,
            current.select("uscc", *enterprise_fields).rename({"region": "region_id"}).to_dicts(),
            key=("uscc",),
        )
        enterprises.counts.unchanged += latest.height - current.height
        enterprise_ids = {uscc: pk for (uscc,), pk in enterprises.pks.items()}
        enterprise_ids.update(self._enterprise_ids(latest.filter(~pl.col("uscc").is_in(current["uscc"].implode()))))
        year_fields = [name for name in YEAR_FIELDS if name in self.present]
        years = self.upsert(
            EnterpriseYear,
            frame.select(
                pl.col("uscc").replace_strict(enterprise_ids, return_dtype=pl.Int64).alias("enterprise_id"),
                pl.col("year"),
                *year_fields,
            ).to_dicts(),
            key=("enterprise_id", "year"),
        )
        written = frame.select(
            pl.col("year"), pl.col("uscc").replace_strict(enterprise_ids, return_dtype=pl.Int64).alias("id")
        )
        enterprise_years_imported.send(
            sender=EnterpriseYear,
            years={year: ids for year, ids in written.group_by("year").agg("id").iter_rows()},
        )
        return ImportResult(
            counts={
                Enterprise._meta.verbose_name_plural: enterprises.counts,
                EnterpriseYear._meta.verbose_name_plural: years.counts,
            }
        )

    @staticmethod
    def _latest_stored_years(usccs: list[str]) -> dict[str, int]:
        latest = {}
        for chunk in chunks(usccs):
            latest.update(
                EnterpriseYear.objects.filter(enterprise__uscc__in=chunk)
                .values("enterprise__uscc")
                .annotate(latest=Max("year"))
                .values_list("enterprise__uscc", "latest")
            )
        return latest

    @staticmethod
    def _enterprise_ids(frame: pl.DataFrame) -> dict[str, int]:
        ids = {}
        for chunk in chunks(frame["uscc"].to_list()):
            ids.update(Enterprise.objects.filter(uscc__in=chunk).values_list("uscc", "pk"))
        return ids
