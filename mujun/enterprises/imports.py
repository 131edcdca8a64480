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
    region_lookup,
)
from mujun.core.bulk import keys_in, stored_frame, values_table
from mujun.core.validators import FIRST_YEAR, LAST_YEAR
from mujun.core.rules import field_validation, in_both_languages
from mujun.engine.io import INPUT_COLUMNS
from mujun.engine.uscc import uscc_problem, uscc_valid_expr
from mujun.enterprises.models import (
    ENTERPRISE_FIELDS,
    LAND_RULES,
    YEAR_FIGURES,
    Enterprise,
    EnterpriseYear,
    deactivated_message,
)
from mujun.enterprises.signals import enterprise_years_imported

KINDS = {
    "above_scale": BOOL, "major_violation": BOOL, "tenant": BOOL, "high_tech": BOOL, "safety_accident": BOOL,
    "established_on": DATE, "land_acquired_on": DATE,
}  # fmt: skip
REQUIRED = {"uscc", "name", "region", "above_scale", "land_mu"}
DEFAULTS = {
    "major_violation": "否", "tenant": "否", "high_tech": "否", "safety_accident": "否", "coefficient": "1",
    "bonus": "0",
}  # fmt: skip


def _optional_uscc_problem(text: str):
    """A credit code that may be left blank (the landlord's) is checked like the enterprise's own when given."""
    return uscc_problem(text) if text else None


def _input_column(name: str) -> Column:
    """A column of the spec's input table; any not named otherwise is a number."""
    header = INPUT_COLUMNS[name]
    if name == "uscc":
        return Column(name, header, required=True, max_length=18, validate=uscc_problem, valid=uscc_valid_expr)
    if name == "name":
        return Column(name, header, required=True, max_length=128)
    if name == "landlord_uscc":
        return Column(name, header, max_length=18, validate=_optional_uscc_problem, valid=uscc_valid_expr, default="")
    if name == "industry_code":
        return Column(name, header, max_length=5, default="")
    if name == "region":
        return Column(name, header, LOOKUP, required=True, lookup=region_lookup)
    return Column(
        name,
        header,
        KINDS.get(name, NUMBER),
        required=name in REQUIRED,
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
        Column("year", "年度", INTEGER, required=True, validate=field_validation(EnterpriseYear._meta.get_field("year"))),
        *[_input_column(name) for name in INPUT_COLUMNS if name in ENTERPRISE_FIELDS + YEAR_FIGURES + ["uscc"]],
    ]
    unique_together = [("uscc", "year")]
    rules = LAND_RULES
    form_class = EnterpriseImportForm
    title = _("Import enterprises and yearly figures")

    def rule_problems(self, frame: pl.DataFrame) -> list[Problem]:
        """The land rule, and EnterpriseYear.clean's: a deactivated enterprise takes no new year."""
        problems = super().rule_problems(frame)
        if not {"uscc", "year"} <= self.present:
            return problems
        rows = frame.select("_row", "uscc", "year").drop_nulls()
        column = self.column("uscc")
        # Deactivated enterprises are few: all of them, then the file's rows naming one.
        closed = {e.uscc: e for e in Enterprise.objects.filter(active=False)}
        rows = rows.filter(pl.col("uscc").is_in(list(closed)))
        stored = set(
            EnterpriseYear.objects.filter(enterprise__uscc__in=rows["uscc"].unique().to_list()).values_list(
                "enterprise__uscc", "year"
            )
        )
        for row, code, year in rows.iter_rows():
            if (code, year) not in stored:
                message = in_both_languages(lambda: deactivated_message(closed[code]))  # noqa: B023
                problems.append(Problem(row, column.name, column.header, *message))
        return problems

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
            Enterprise, current.select("uscc", *enterprise_fields).rename({"region": "region_id"}), key=("uscc",)
        )
        enterprises.counts.unchanged += latest.height - current.height
        # Every enterprise of the file with its id: those just written, and those whose fields an earlier
        # year left alone. Joined, not looked up in a dictionary (1,000,000 rows: seconds of Python objects).
        left_alone = latest.filter(~pl.col("uscc").is_in(current["uscc"].implode()))
        stored = stored_frame(Enterprise, left_alone, ("uscc",), [])
        enterprise_ids = pl.concat([enterprises.ids.select("uscc", "id"), stored.select("uscc", "id")])
        enterprise_ids = enterprise_ids.rename({"id": "enterprise_id"})
        frame = frame.join(enterprise_ids, on="uscc", how="left", maintain_order="left")
        year_fields = [name for name in YEAR_FIGURES if name in self.present]
        years = self.upsert(
            EnterpriseYear, frame.select("enterprise_id", "year", *year_fields), key=("enterprise_id", "year")
        )
        enterprise_years_imported.send(
            sender=EnterpriseYear,
            years={year: ids for year, ids in frame.group_by("year").agg("enterprise_id").iter_rows()},
        )
        return ImportResult(
            counts={
                Enterprise._meta.verbose_name_plural: enterprises.counts,
                EnterpriseYear._meta.verbose_name_plural: years.counts,
            }
        )

    @staticmethod
    def _latest_stored_years(usccs: list[str]) -> dict[str, int]:
        if not EnterpriseYear.objects.exists():  # a first import: no table of codes to build and join
            return {}
        with values_table("usccs", pl.DataFrame({"uscc": usccs}, schema={"uscc": pl.Utf8})) as table:
            return dict(
                EnterpriseYear.objects.filter(enterprise__uscc__in=keys_in(table, "uscc"))
                .values("enterprise__uscc")
                .annotate(latest=Max("year"))
                .values_list("enterprise__uscc", "latest")
            )
