"""Import of projects and of monthly reports from CSV or Excel, all-or-nothing, through mujun.core.imports.

Stages are not imported: a project moves through its stages with dates and evidence on its page (or the
API), so an imported project keeps its stage (a new one starts as planned).
"""

from collections import defaultdict
from datetime import date

import polars as pl
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from mujun.core.imports import (
    BOOL,
    DATE,
    INTEGER,
    LOOKUP,
    NUMBER,
    Column,
    Counts,
    Importer,
    ImportResult,
    Problem,
    region_lookup,
)
from mujun.core.bulk import chunks
from mujun.core.history import record_links, write_history
from mujun.core.scoping import editable_regions
from mujun.core.rules import field_validation, in_both_languages
from mujun.engine.projects import DATED_STAGES, PROJECT_RULES, REPORT_RULES
from mujun.projects.models import (
    Field,
    Level,
    MonthlyReport,
    Project,
    enterprise_outside_message,
    outside_county,
    below_earlier_message,
    parcels_outside_message,
    reported_message,
)
from mujun.projects.services import ABOVE_SCALE_REVENUE, mark_above_scale, refresh_progress
from mujun.regions.models import county_map

STAGE_HEADERS = {
    "signed": "签约", "landed": "落地", "construction": "开工", "completed": "竣工", "commissioned": "投产",
    "capacity": "达产", "above_scale": "上规",
}  # fmt: skip
LEVEL_NAMES = {"省重大": Level.PROVINCIAL, "省重点": Level.PROVINCIAL, "市重大": Level.MUNICIPAL, "市重点": Level.MUNICIPAL,
               "县级": Level.COUNTY, "县区": Level.COUNTY, **{v.value: v for v in Level}}  # fmt: skip
FIELD_NAMES = {
    "先进制造业基地": Field.MANUFACTURING, "科技创新强基": Field.INNOVATION, "交通强省": Field.TRANSPORT,
    "清洁能源保供": Field.ENERGY, "水网提升安澜": Field.WATER, "城镇有机更新": Field.URBAN,
    "农业农村优先": Field.AGRICULTURE, "文化旅游融合": Field.CULTURE, "民生设施": Field.LIVELIHOOD,
    **{v.value: v for v in Field},
}  # fmt: skip


def _choice(names: dict, what_zh: str, what_en: str):
    allowed = "、".join(k for k in names if not k.isascii())

    def validate(value: str) -> tuple[str, str] | None:
        if value in names:
            return None
        return f"{what_zh}应为{allowed}之一", f"{what_en} must be one of {', '.join(k for k in names if k.isascii())}"

    return validate


def enterprise_lookup() -> dict[str, int]:
    from mujun.enterprises.models import Enterprise

    return dict(Enterprise.objects.values_list("uscc", "pk"))


def project_lookup() -> dict[str, int]:
    return dict(Project.objects.values_list("code", "pk"))


class ProjectImporter(Importer):
    model = Project
    key = "code"
    columns = [
        Column("code", "项目编号", required=True, max_length=32),
        Column("name", "项目名称", required=True, max_length=128),
        Column("enterprise", "统一社会信用代码", LOOKUP, lookup=enterprise_lookup),
        Column("region", "所属区域", LOOKUP, required=True, lookup=region_lookup),
        Column("parcels", "地块编号"),
        Column("industry_code", "行业代码", max_length=5),
        Column("chain_tags", "产业链标签", max_length=200),
        Column("total_investment", "总投资(万元)", NUMBER, required=True),
        Column("fixed_asset_investment", "固定资产投资(万元)", NUMBER),
        Column("foreign_capital_usd", "实际利用外资(万美元)", NUMBER),
        Column("is_new", "是否新开工", BOOL, default="是"),
        Column("key_county", "县重点投资项目", BOOL, default="否"),
        Column("level", "项目层级", validate=_choice(LEVEL_NAMES, "项目层级", "level"), default="县级"),
        Column("field", "所属领域", validate=_choice(FIELD_NAMES, "所属领域", "field")),
        Column("batch", "批次", max_length=32),
        Column("plan_year", "计划年度", INTEGER, validate=field_validation(Project._meta.get_field("plan_year"))),
        Column("annual_plan", "年度计划投资(万元)", NUMBER),
        *[Column(f"planned_{stage}", f"计划{STAGE_HEADERS[stage]}日期", DATE) for stage in DATED_STAGES],
    ]
    unique_together = [("code",)]
    rules = PROJECT_RULES
    title = _("Import projects")

    def check(self, frame: pl.DataFrame) -> list[Problem]:
        problems = []
        if "parcels" in self.present:
            problems += self._unknown_parcels(frame)
        problems += self._outside_county(frame)
        return problems

    def _outside_county(self, frame: pl.DataFrame) -> list[Problem]:
        """The enterprise and parcels of a row lie in its project's county: the model's rule and message."""
        from mujun.enterprises.models import Enterprise
        from mujun.land.models import Parcel

        if "region" not in self.present:
            return []
        counties = county_map()
        problems = []
        if "enterprise" in self.present:
            column = self.column("enterprise")
            rows = frame.select("_row", "region", "enterprise").drop_nulls()
            enterprises = Enterprise.objects.in_bulk(rows["enterprise"].unique().to_list())
            for row, region, enterprise in rows.iter_rows():
                if enterprise in enterprises and outside_county(region, enterprises[enterprise].region_id, counties):
                    zh, en = in_both_languages(lambda: enterprise_outside_message(enterprises[enterprise]))  # noqa: B023
                    problems.append(Problem(row, column.name, column.header, zh, en))
        if "parcels" in self.present:
            column = self.column("parcels")
            rows = frame.select("_row", "region", _codes("parcels")).explode("parcels").drop_nulls()
            regions = dict(Parcel.objects.filter(code__in=rows["parcels"].unique().to_list()).values_list("code", "region_id"))
            outside: dict[int, list[str]] = {}
            for row, region, code in rows.iter_rows():
                if code in regions and outside_county(region, regions[code], counties):
                    outside.setdefault(row, []).append(code)
            for row, codes in outside.items():
                message = in_both_languages(lambda: parcels_outside_message(codes))  # noqa: B023
                problems.append(Problem(row, column.name, column.header, *message))
        return problems

    def _unknown_parcels(self, frame: pl.DataFrame) -> list[Problem]:
        from mujun.land.models import Parcel

        column = self.column("parcels")
        codes = frame.select("_row", _codes("parcels")).explode("parcels").drop_nulls()
        known = set(Parcel.objects.filter(code__in=codes["parcels"].unique().to_list()).values_list("code", flat=True))
        return [
            Problem(row, column.name, column.header, f"未找到地块“{code}”", f"parcel {code} not found")
            for row, code in codes.filter(~pl.col("parcels").is_in(list(known))).iter_rows()
        ]

    def save(self, frame: pl.DataFrame) -> ImportResult:
        fields = [c.name for c in self.columns if c.name in self.present and c.name not in ("code", "parcels")]
        mapped = [pl.col(name).fill_null("") for name in ("industry_code", "chain_tags", "batch") if name in fields]
        if "level" in fields:
            mapped.append(pl.col("level").replace_strict(LEVEL_NAMES, return_dtype=pl.Utf8))
        if "field" in fields:
            mapped.append(pl.col("field").replace_strict(FIELD_NAMES, default="", return_dtype=pl.Utf8).fill_null(""))
        values = frame.with_columns(mapped).rename({"region": "region_id", **({"enterprise": "enterprise_id"} if "enterprise" in fields else {})})
        names = [{"region": "region_id", "enterprise": "enterprise_id"}.get(f, f) for f in fields]
        upserted = self.upsert(Project, values.select("code", *names), key=("code",))
        relinked = set()
        if "parcels" in self.present:
            relinked = self._link_parcels(frame, dict(upserted.ids.select("code", "id").iter_rows()))
        self._record_links(relinked)
        if "enterprise" in self.present:
            self._above_scale(frame["enterprise"].drop_nulls().unique().to_list())
        return ImportResult(counts={Project._meta.verbose_name_plural: upserted.counts})

    @staticmethod
    def _link_parcels(frame: pl.DataFrame, project_ids: dict[str, int]) -> set[int]:
        """Replace the parcels of the projects the file lists parcels for; returns those whose parcels changed."""
        from mujun.land.models import Parcel

        codes = frame.select("code", _codes("parcels")).explode("parcels").drop_nulls()
        parcel_ids = dict(Parcel.objects.filter(code__in=codes["parcels"].unique().to_list()).values_list("code", "pk"))
        through = Project.parcels.through
        listed = [project_ids[c] for c in frame.filter(pl.col("parcels").is_not_null())["code"]]
        before = set(through.objects.filter(project_id__in=listed).values_list("project_id", "parcel_id"))
        after = {(project_ids[code], parcel_ids[parcel]) for code, parcel in codes.iter_rows()}
        through.objects.filter(project_id__in=listed).delete()
        through.objects.bulk_create(
            [through(project_id=project, parcel_id=parcel) for project, parcel in after], ignore_conflicts=True
        )
        return {project for project, _parcel in before ^ after}

    def _record_links(self, relinked: set[int]) -> None:
        """This import's history rows hold the projects' parcels too (rows and links written in bulk leave
        them out), and a project whose parcels alone changed gets a row of its own."""
        written = Project.history.filter(history_date=self.started, history_user=self.user)
        unrecorded = sorted(relinked - set(written.values_list("id", flat=True)))
        record_links(written)
        for chunk in chunks(unrecorded):
            write_history(Project.objects.filter(pk__in=chunk), "~", user=self.user, reason="import", date=self.started)

    @staticmethod
    def _above_scale(enterprise_ids: list[int]) -> None:
        """The check on import: enterprises already over the revenue threshold make their projects 上规."""
        from mujun.enterprises.models import EnterpriseYear

        latest = (
            EnterpriseYear.objects.filter(enterprise_id__in=enterprise_ids, revenue__gte=ABOVE_SCALE_REVENUE)
            .values("enterprise_id")
            .annotate(year=Max("year"))
        )
        by_year = defaultdict(list)  # one call per year, not per enterprise: each call reads the projects at capacity
        for row in latest:
            by_year[row["year"]].append(row["enterprise_id"])
        for year, enterprise_ids in by_year.items():
            mark_above_scale(enterprise_ids, year)


def _codes(name: str) -> pl.Expr:
    return pl.col(name).str.replace_all("[，;；、]", ",").str.split(",").list.eval(
        pl.element().str.strip_chars().filter(pl.element() != "")
    )


class MonthlyReportImporter(Importer):
    """Monthly reports of several projects; a month already reported is refused, not overwritten."""

    model = MonthlyReport
    key = ""
    region_column = ""
    columns = [
        Column("project", "项目编号", LOOKUP, required=True, lookup=project_lookup),
        Column("month", "月份", DATE, required=True),
        Column("invested_month", "当月完成投资(万元)", NUMBER, required=True),
        Column("invested_to_date", "累计完成投资(万元)", NUMBER, required=True),
        Column("notes", "进展情况"),
    ]
    unique_together = [("project", "month")]
    rules = REPORT_RULES
    title = _("Import monthly reports")

    def validate(self, raw):
        frame, problems = super().validate(raw)
        if "month" in frame.columns and frame.schema["month"] == pl.Date:
            frame = frame.with_columns(pl.col("month").dt.truncate("1mo"))
        return frame, problems

    def rule_problems(self, frame: pl.DataFrame) -> list[Problem]:
        # The month as stored (its first day), against the first day of this month.
        if "month" in self.present:
            frame = frame.with_columns(pl.col("month").dt.truncate("1mo"))
        return super().rule_problems(frame.with_columns(current_month=pl.lit(date.today().replace(day=1))))

    def check(self, frame: pl.DataFrame) -> list[Problem]:
        problems = []
        if not {"project", "month"} <= self.present:
            return problems
        keyed = frame.filter(pl.col("project").is_not_null() & pl.col("month").is_not_null()).with_columns(
            pl.col("month").dt.truncate("1mo")
        )
        project_column, month_column = self.column("project"), self.column("month")
        if self.user is not None and not self.user.is_city_admin:
            allowed = set(editable_regions(self.user).values_list("pk", flat=True))
            regions = dict(Project.objects.filter(pk__in=keyed["project"].unique().to_list()).values_list("pk", "region_id"))
            for row, project in keyed.select("_row", "project").iter_rows():
                if regions.get(project) not in allowed:
                    problems.append(Problem(row, "project", project_column.header, "不在您可编辑的区域内",
                                            "is outside the regions you may edit"))  # fmt: skip
        existing = set()
        for chunk in chunks(keyed["project"].unique().to_list()):
            existing.update(
                MonthlyReport.objects.filter(project_id__in=chunk, month__in=keyed["month"].unique().to_list()).values_list(
                    "project_id", "month"
                )
            )
        projects = Project.objects.in_bulk({project for project, _month in existing})
        for row, project, month in keyed.select("_row", "project", "month").iter_rows():
            if (project, month) in existing:
                message = in_both_languages(lambda: reported_message(projects[project], month))  # noqa: B023
                problems.append(Problem(row, "month", month_column.header, *message))
        if "invested_to_date" in self.present:
            problems += self._below_earlier(keyed)
        return problems

    def _below_earlier(self, keyed: pl.DataFrame) -> list[Problem]:
        """MonthlyReport.clean's rule: the investment to date not below the previous stored report's."""
        column = self.column("invested_to_date")
        rows = keyed.select("_row", "project", "month", "invested_to_date").drop_nulls()
        stored: dict[int, list[tuple]] = {}
        for chunk in chunks(rows["project"].unique().to_list()):
            reports = MonthlyReport.objects.filter(project_id__in=chunk).order_by("month")
            for project, month, to_date in reports.values_list("project_id", "month", "invested_to_date"):
                stored.setdefault(project, []).append((month, to_date))
        problems = []
        for row, project, month, to_date in rows.iter_rows():
            earlier = next((value for when, value in reversed(stored.get(project, [])) if when < month), None)
            if earlier is not None and to_date < earlier:
                message = in_both_languages(lambda: below_earlier_message(to_date, earlier))  # noqa: B023
                problems.append(Problem(row, column.name, column.header, *message))
        return problems

    def save(self, frame: pl.DataFrame) -> ImportResult:
        rows = frame.select(
            pl.col("project").alias("project_id"),
            "month",
            "invested_month",
            "invested_to_date",
            pl.col("notes").fill_null("") if "notes" in frame.columns else pl.lit("").alias("notes"),
            pl.lit(self.user.pk if self.user else None).alias("submitted_by_id"),
        )
        upserted = self.upsert(MonthlyReport, rows, key=("project_id", "month"))
        refresh_progress(frame["project"].unique().to_list())
        counts = upserted.counts if upserted.counts else Counts()
        return ImportResult(counts={MonthlyReport._meta.verbose_name_plural: counts})
