"""The differentiated-policy lists of a run: who applies each policy, and the list each of them receives.

``RECIPIENTS`` declares, once, every agency a run's policies go to: the policies that put a firm on its
list and the columns of the workbook it expects, in its own Chinese words. The policy lists page and the
workbooks are derived from it: a recipient whose policies the run's scheme does not have gets no list, and
a column whose policy or amount the scheme lacks is left out. Figures (electricity, water, tax) are the
ones the run used: they come from its input snapshot, not from today's records.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import polars as pl
from django.utils.translation import gettext_lazy as _

from mujun.engine.policies import CONSECUTIVE_D_YEARS
from mujun.evaluation.models import Run
from mujun.evaluation.services import load_snapshot, policy_name, stored_policy_columns, stored_results

# Firms of a list shown on the page; its workbook holds them all.
PAGE_ROWS = 200
# Where a column's values come from.
RESULT, FIGURE, POLICY, AMOUNT = "result", "figure", "policy", "amount"


@dataclass(frozen=True)
class Column:
    """One column of a recipient's workbook: ``header`` (file content, Chinese) and its source: a result
    field (name, uscc, region, grade, consecutive_d_years), an input ``figure`` of the run (× ``scale``), a
    ``policy`` value, or the ``amount`` whose rate is that policy."""

    header: str
    source: str
    key: str
    scale: float = 1.0

    @property
    def name(self) -> str:
        """The column's name in the list's frame, unique within a recipient."""
        return f"{self.source}|{self.key}"


NAME = Column("户名", RESULT, "name")
USCC = Column("统一社会信用代码", RESULT, "uscc")
REGION = Column("所属区域", RESULT, "region")
GRADE = Column("评价等级", RESULT, "grade")
D_YEARS = Column("连续D档年数", RESULT, CONSECUTIVE_D_YEARS)


@dataclass(frozen=True)
class Recipient:
    id: str
    name: str  # on the page, in the user's language
    agency: str  # file content: who receives the workbook
    title: str  # file content: the list's name, its sheet and file name
    policies: tuple[str, ...]  # a firm is on the list where any of these is not 0 / false
    columns: tuple[Column, ...]

    @property
    def sheet(self) -> str:
        return self.title[:31]


RECIPIENTS = (
    Recipient(
        "power",
        _("Power company: electricity surcharge"),
        "供电公司",
        "差别化电价",
        ("electricity_surcharge_yuan_per_kwh",),
        (
            NAME, USCC, REGION, GRADE,
            Column("用电量(万千瓦时)", FIGURE, "electricity_10k_kwh"),
            Column("加价标准(元/千瓦时)", POLICY, "electricity_surcharge_yuan_per_kwh"),
            Column("加价金额(元)", AMOUNT, "electricity_surcharge_yuan_per_kwh"),
            D_YEARS,
        ),
    ),
    Recipient(
        "water",
        _("Water company: water and sewage surcharges"),
        "供水公司",
        "差别化水价和污水处理费",
        ("water_surcharge_yuan_per_t", "sewage_surcharge_yuan_per_t"),
        (
            NAME, USCC, REGION, GRADE,
            Column("用水量(吨)", FIGURE, "water_t"),
            Column("水价加价标准(元/吨)", POLICY, "water_surcharge_yuan_per_t"),
            Column("水价加价金额(元)", AMOUNT, "water_surcharge_yuan_per_t"),
            Column("污水处理费加价标准(元/吨)", POLICY, "sewage_surcharge_yuan_per_t"),
            Column("污水处理费加价金额(元)", AMOUNT, "sewage_surcharge_yuan_per_t"),
            D_YEARS,
        ),
    ),
    Recipient(
        "tax",
        _("Tax bureau: land-use tax relief"),
        "税务局",
        "城镇土地使用税减免",
        ("land_use_tax_reduction",),
        (
            Column("纳税人名称", RESULT, "name"), USCC, REGION, GRADE,
            Column("应纳税额(元)", FIGURE, "land_use_tax", scale=10_000),  # stored in 万元
            Column("减免比例", POLICY, "land_use_tax_reduction"),
            Column("减免金额(元)", AMOUNT, "land_use_tax_reduction"),
        ),
    ),
    Recipient(
        "banks",
        _("Banks: no new credit"),
        "金融机构",
        "限制新增授信",
        ("credit_restricted",),
        (
            Column("企业名称", RESULT, "name"), USCC, REGION, GRADE,
            Column("限制新增授信", POLICY, "credit_restricted"),
            D_YEARS,
        ),
    ),
    Recipient(
        "energy",
        _("Development and economy bureaus: energy quotas"),
        "发改、经信部门",
        "用能指标限制",
        ("energy_quota_reduction", "energy_quota_restricted"),
        (
            Column("企业名称", RESULT, "name"), USCC, REGION, GRADE,
            Column("综合能耗(吨标准煤)", FIGURE, "energy_tce"),
            Column("新增用能指标压减比例", POLICY, "energy_quota_reduction"),
            Column("压减用能指标(吨标准煤)", AMOUNT, "energy_quota_reduction"),
            Column("限制新增用能指标", POLICY, "energy_quota_restricted"),
            D_YEARS,
        ),
    ),
)
RECIPIENT_BY_ID = {recipient.id: recipient for recipient in RECIPIENTS}
# Policies some recipient receives; the others keep a list per grade and policy (services.policy_lists).
RECEIVED_POLICIES = frozenset(key for recipient in RECIPIENTS for key in recipient.policies)


@dataclass
class RecipientList:
    """One recipient's list for a run: its columns present in the run, and the firms on it."""

    recipient: Recipient
    columns: list[Column]
    frame: pl.DataFrame  # one column per ``Column.name``, plus ``enterprise_id``

    @property
    def count(self) -> int:
        return self.frame.height

    @property
    def totals(self) -> list[tuple[str, float]]:
        """(header, sum) of each amount column: the money the list involves."""
        return [(c.header, self.frame[c.name].sum()) for c in self.columns if c.source == AMOUNT]

    @property
    def repeated_d(self) -> int:
        """Firms on the list graded D more than one year running."""
        if CONSECUTIVE_D_YEARS not in self.frame.columns:
            return 0
        return self.frame.filter(pl.col(CONSECUTIVE_D_YEARS) > 1).height

    @cached_property
    def rows(self) -> list[tuple]:
        """The first PAGE_ROWS firms, as the page shows them (the workbook has all)."""
        return self.frame.head(PAGE_ROWS).select(c.name for c in self.columns).rows()

    @property
    def shown_all(self) -> bool:
        return self.count <= PAGE_ROWS

    def workbook_frame(self) -> pl.DataFrame:
        """The list as the recipient's sheet: Chinese headers, money to the fen, 是/否 for flags."""
        money = [c.name for c in self.columns if c.source == AMOUNT or c.scale != 1.0]
        return (
            self.frame.select(c.name for c in self.columns)
            .with_columns(pl.col(money).round(2))
            .with_columns(
                pl.col(pl.Boolean).replace_strict({True: "是", False: "否"}, default=None, return_dtype=pl.Utf8)
            )
            .rename({c.name: c.header for c in self.columns})
        )

    def totals_frame(self) -> pl.DataFrame:
        """The second sheet: the list, who receives it, how many firms and the sums."""
        return pl.DataFrame(
            {
                "名单": [self.recipient.title],
                "接收单位": [self.recipient.agency],
                "企业数": [self.count],
                **{f"{header}合计": [round(total or 0.0, 2)] for header, total in self.totals},
            }
        )

    def sheets(self) -> dict[str, pl.DataFrame]:
        return {self.recipient.sheet: self.workbook_frame(), "汇总": self.totals_frame()}

    def filename(self, run: Run) -> str:
        return f"{run.name}-{self.recipient.title}名单({self.recipient.agency}).xlsx"


def _demanding(dtype: pl.DataType, key: str) -> pl.Expr:
    """Where the policy asks something of the firm: a number other than 0, a true flag, a non-empty text."""
    value = pl.col(key)
    if dtype == pl.Boolean:
        return value.fill_null(False)
    if dtype == pl.Utf8:
        return value.fill_null("") != ""
    return value.fill_null(0) != 0


def recipient_lists(run: Run) -> list[RecipientList]:
    """The run's list for every recipient whose policies its scheme has (possibly with no firm on it)."""
    policy_types = stored_policy_columns(run)
    recipients = [r for r in RECIPIENTS if any(key in policy_types for key in r.policies)]
    if not recipients or not run.has_results:
        return []
    amounts = {amount["rate"]: amount["id"] for amount in (run.summary or {}).get("amounts", [])}
    results = stored_results(run, run.results.exclude(grade=""))
    figures = {c.key for r in recipients for c in r.columns if c.source == FIGURE}
    snapshot = load_snapshot(run) if run.input_snapshot else pl.DataFrame(schema={"enterprise_id": pl.Int64})
    present = [figure for figure in sorted(figures) if figure in snapshot.columns]
    figures_used = snapshot.select("enterprise_id", *present)
    results = results.join(figures_used, on="enterprise_id", how="left", maintain_order="left")

    def source(column: Column) -> pl.Expr | None:
        if column.source == RESULT:
            # Consecutive D years only where the scheme counts them (escalations or amounts).
            counted = column.key != CONSECUTIVE_D_YEARS or CONSECUTIVE_D_YEARS in policy_types
            return pl.col(column.key) if counted else None
        if column.source == FIGURE:
            return (pl.col(column.key).cast(pl.Float64) * column.scale) if column.key in present else None
        if column.source == POLICY:
            return pl.col(column.key) if column.key in policy_types else None
        return pl.col(amounts[column.key]) if column.key in amounts else None

    lists = []
    for recipient in recipients:
        on_list = pl.any_horizontal(_demanding(policy_types[k], k) for k in recipient.policies if k in policy_types)
        columns = [(column, expr) for column in recipient.columns if (expr := source(column)) is not None]
        frame = results.filter(on_list).select(
            "enterprise_id",
            *([pl.col(CONSECUTIVE_D_YEARS)] if CONSECUTIVE_D_YEARS in policy_types else []),
            *(expr.alias(column.name) for column, expr in columns),
        )
        # The longest D runs first, then the most money: what the recipient checks first.
        order = [CONSECUTIVE_D_YEARS] if CONSECUTIVE_D_YEARS in frame.columns else []
        order += [column.name for column, _ in columns if column.source == AMOUNT]
        if order:
            frame = frame.sort(order, descending=True, nulls_last=True, maintain_order=True)
        lists.append(RecipientList(recipient, [column for column, _ in columns], frame))
    return lists


def recipient_list(run: Run, recipient_id: str) -> RecipientList:
    """KeyError when there is no such recipient or the run's scheme gives it nothing."""
    for item in recipient_lists(run):
        if item.recipient.id == recipient_id:
            return item
    raise KeyError(recipient_id)


@dataclass
class GradeList:
    """The enterprises of one grade with all its policies, or with one policy no recipient receives."""

    grade: str
    key: str | None  # None: every policy of the grade
    value: object
    count: int

    @property
    def name(self) -> str:
        return policy_name(self.key) if self.key else ""


def grade_lists(run: Run) -> list[GradeList]:
    """Per grade the list with all its policies (the county's own record), and a list for each policy that no
    recipient receives (a policy the scheme names itself)."""
    counts = run.summary.get("grades", {})
    lists = []
    for grade, values in run.summary.get("policies", {}).items():
        lists.append(GradeList(grade, None, None, counts.get(grade, 0)))
        # A zero surcharge or a false restriction asks nothing of anybody: no list for it.
        lists += [
            GradeList(grade, key, value, counts.get(grade, 0))
            for key, value in values.items()
            if value not in (0, False, "") and key not in RECEIVED_POLICIES
        ]
    return lists
