"""Evaluation schemes: a county's rules for one year, read from TOML (see spec/evaluation.md, "Scheme").

``parse_scheme`` validates the whole file and reports every problem at once, each in Chinese and English
and naming the group, the indicator and the field, so whoever edits a scheme can fix it in one pass.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from mujun.engine.groups import (
    FLAG_COLUMNS, SECTORS, SELECTION_KEYS, Adjustment, Selection, describe_selection, points_column, selection_within,
)
from mujun.engine.io import INPUT_COLUMNS
from mujun.engine.policies import (
    AMOUNT_KEYS, CONSECUTIVE_D_YEARS, ESCALATING_GRADES, ESCALATION_KEYS, PRIOR_D_YEARS, Amount, Escalation,
)
from mujun.engine.text import ProblemsError, Text

GRADES = ("A", "B", "C", "D")
POLICY_GRADES = ("A", "B", "C", "D", "T")
BENCHMARK_KINDS = ("ratio_of_sums", "mean", "median")
MISSING_MODES = ("zero", "group_mean_score")
GRADING_METHODS = ("share", "threshold")

# Columns of the input that hold text, flags or dates; an indicator cannot divide by them.
NON_NUMERIC_COLUMNS = frozenset(
    {"uscc", "name", "region", "above_scale", "established_on", "land_acquired_on", "major_violation",
     "industry_code", "landlord_uscc", "tenant", "high_tech", "safety_accident"}
)
# Output columns an indicator or policy must not shadow.
RESERVED_OUTPUT_COLUMNS = frozenset({"uscc", "name", "region", "group", "status", "reason", "total", "rank", "grade"})

PRESETS: dict[str, str] = {
    "huangyan-2022": "黄岩区2022年度方案",
    "huangyan-2021": "黄岩区2021年度方案",
    "yiwu-2022": "义乌市2022年度方案（规上分四个行业组）",
    "cixi-2022": "慈溪市2022年度方案（四张名单）",
}
PRESET_DIR = Path(__file__).with_name("presets")

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SchemeError(ProblemsError):
    """A scheme that cannot be used; ``problems`` lists every reason, each a :class:`Text`."""


@dataclass(frozen=True)
class Scope:
    below_scale_min_land_mu: float = 3.0
    new_enterprise_years: int = 2
    new_land_years: int = 3
    # A tenant's figures are added to its landlord's row for the landlord's evaluation (Cixi).
    merge_tenants: bool = False


@dataclass(frozen=True)
class Grading:
    """``share``: A–D are shares of the group (summing to 1); ``threshold``: A–C are minimum totals."""

    method: Literal["share", "threshold"]
    A: float
    B: float
    C: float
    D: float | None = None

    def cumulative_shares(self) -> tuple[Decimal, Decimal, Decimal]:
        """Exact decimal shares of A, A+B and A+B+C (0.2 + 0.4 is 0.6 here, not 0.6000000000000001)."""
        a, b, c = (Decimal(repr(share)) for share in (self.A, self.B, self.C))
        return a, a + b, a + b + c


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    numerator: str
    denominator: str | None
    weight: float
    benchmark: float | str
    cap: float | None = None
    missing: Literal["zero", "group_mean_score"] = "zero"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.numerator,) if self.denominator is None else (self.numerator, self.denominator)


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    selection: Selection
    grading: Grading
    indicators: tuple[Indicator, ...]
    force_d_on_major_violation: bool = False
    adjustments: tuple[Adjustment, ...] = ()  # the group's own; the scheme's apply to every group

    @property
    def above_scale(self) -> bool | None:
        """The group's 规上 condition: True, False, or None when it takes both."""
        return self.selection.above_scale

    def selection_text(self) -> Text:
        """The group's conditions in words, in Chinese and English (for the scheme page)."""
        return describe_selection(self.selection)


@dataclass(frozen=True)
class Scheme:
    name: str
    year: int
    scope: Scope
    groups: tuple[Group, ...]
    policies: dict[str, dict[str, float | str | bool]] = field(default_factory=dict)
    # [[policies.escalate]] and [[policies.amounts]] (mujun/engine/policies.py)
    escalations: tuple[Escalation, ...] = ()
    amounts: tuple[Amount, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()  # [[adjustments]]: every group's

    def group_adjustments(self, group: Group) -> tuple[Adjustment, ...]:
        """The adjustments applying to ``group``: the scheme's, then its own."""
        return (*self.adjustments, *group.adjustments)

    def adjustment_ids(self) -> list[str]:
        """Every adjustment id, the scheme's first, then each group's in order of first appearance."""
        return list(dict.fromkeys(a.id for a in (*self.adjustments, *(a for g in self.groups for a in g.adjustments))))

    def indicator_ids(self) -> list[str]:
        """Every indicator id of every group, in order of first appearance (groups may share one)."""
        return list(dict.fromkeys(ind.id for group in self.groups for ind in group.indicators))

    def policy_keys(self) -> list[str]:
        return list(dict.fromkeys(key for grade in POLICY_GRADES for key in self.policies.get(grade, {})))


def required_columns(scheme: Scheme) -> set[str]:
    """The input columns the scheme's indicators (and its policy amounts and numeric adjustments) name."""
    return {column for group in scheme.groups for ind in group.indicators for column in ind.columns} | {
        amount.quantity for amount in scheme.amounts
    } | {
        adjustment.column
        for adjustment in (*scheme.adjustments, *(a for group in scheme.groups for a in group.adjustments))
        if adjustment.column not in FLAG_COLUMNS
    }


# --- validation -------------------------------------------------------------------------------------

FIELD_NAMES_ZH = {
    "name": "名称",
    "year": "年度",
    "scope": "评价范围",
    "groups": "分组",
    "policies": "差别化政策",
    "below_scale_min_land_mu": "规下企业最小用地面积",
    "new_enterprise_years": "新设企业年限",
    "new_land_years": "新供地年限",
    "id": "编号",
    "label": "名称",
    "above_scale": "是否规上",
    "grading": "分档",
    "method": "分档方法",
    "force_d_on_major_violation": "重大违法违规定为D档",
    "indicators": "指标",
    "numerator": "分子",
    "denominator": "分母",
    "weight": "权重",
    "benchmark": "基准值",
    "cap": "上限倍数",
    "missing": "缺失值处理",
    **{grade: f"{grade}档" for grade in POLICY_GRADES},
    "escalate": "逐年加码政策",
    "amounts": "政策金额",
    "grade": "等级",
    "consecutive_years": "连续年数",
    "rate": "费率政策",
    "quantity": "数量列",
    "factor": "换算系数",
    "merge_tenants": "合并租赁企业数据",
    "select": "选择条件",
    "industry_prefixes": "行业代码前缀",
    "sector": "产业类别",
    "land_mu_min": "用地面积下限",
    "land_mu_max": "用地面积上限",
    "regions": "所属区域",
    "tenant": "租赁企业",
    "adjustments": "加减分项",
    "column": "列",
    "points": "分值",
    "min": "下限",
    "max": "上限",
}


@dataclass(frozen=True)
class _Where:
    zh: str
    en: str

    @staticmethod
    def group(group_id: str) -> _Where:
        return _Where(f"分组 {group_id} ", f"group {group_id}")

    def indicator(self, indicator_id: str) -> _Where:
        return _Where(f"{self.zh}指标 {indicator_id} ", f"{self.en}, indicator {indicator_id}")

    def adjustment(self, adjustment_id: str) -> _Where:
        return _Where(f"{self.zh}加减分项 {adjustment_id} ", f"{self.en}, adjustment {adjustment_id}")


_SCHEME = _Where("方案", "scheme")


class _Checker:
    """Collects problems while reading the TOML and returns safe defaults so reading can go on."""

    def __init__(self) -> None:
        self.problems: list[Text] = []

    def add(self, where: _Where, field_name: str, zh: str, en: str) -> None:
        field_zh = FIELD_NAMES_ZH.get(field_name, field_name)
        self.problems.append(Text(f"{where.zh}的{field_zh}{zh}", f"{where.en}: {field_name} {en}"))

    def unknown_keys(self, where: _Where, table: dict, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                self.problems.append(Text(f"{where.zh}有未知的设置项 {key}", f"{where.en}: unknown setting {key}"))

    def table(self, where: _Where, table: dict, key: str) -> dict:
        value = table.get(key, {})
        if not isinstance(value, dict):
            self.add(where, key, "必须是表", "must be a table")
            return {}
        return value

    def number(
        self,
        where: _Where,
        table: dict,
        key: str,
        *,
        default: float | None = None,
        required: bool = True,
        minimum: float | None = None,
        positive: bool = False,
    ) -> float | None:
        if key not in table:
            if required and default is None:
                self.add(where, key, "缺失", "is missing")
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.add(where, key, "不是数字", "is not a number")
            return default
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            self.add(where, key, "不是有限数字", "is not a finite number")
            return default
        if positive and value <= 0:
            self.add(where, key, "必须大于0", "must be greater than 0")
        elif minimum is not None and value < minimum:
            self.add(where, key, f"不能小于{minimum:g}", f"must not be less than {minimum:g}")
        return value

    def integer(self, where: _Where, table: dict, key: str, *, default: int, minimum: int = 0) -> int:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(where, key, "必须是整数", "must be a whole number")
            return default
        if value < minimum:
            self.add(where, key, f"不能小于{minimum}", f"must not be less than {minimum}")
        return value

    def text(self, where: _Where, table: dict, key: str, *, default: str | None = None) -> str | None:
        if key not in table:
            if default is None:
                self.add(where, key, "缺失", "is missing")
            return default
        value = table[key]
        if not isinstance(value, str) or not value.strip():
            self.add(where, key, "必须是非空文本", "must be non-empty text")
            return default
        return value.strip()

    def identifier(self, where: _Where, table: dict, key: str) -> str | None:
        value = self.text(where, table, key)
        if value is not None and not _IDENTIFIER.match(value):
            self.add(
                where, key, "只能由英文字母、数字和下划线组成", "must consist of ASCII letters, digits and underscores"
            )
        return value

    def tables(self, where: _Where, key: str, raw: list) -> Iterator[tuple[int, dict]]:
        """The entries of an array of tables ([[groups]], [[groups.indicators]] …), numbered from 1; an entry
        that is not a table is a problem and is passed over."""
        for position, table in enumerate(raw, start=1):
            if isinstance(table, dict):
                yield position, table
            else:
                self.add(where, key, f"第{position}项必须是表", f"entry {position} must be a table")

    def boolean(self, where: _Where, table: dict, key: str, *, default: bool | None = None) -> bool | None:
        if key not in table:
            if default is None:
                self.add(where, key, "缺失", "is missing")
            return default
        value = table[key]
        if not isinstance(value, bool):
            self.add(where, key, "必须是 true 或 false", "must be true or false")
            return default
        return value


def parse_scheme(text: str) -> Scheme:
    """Read and validate a scheme; raises SchemeError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SchemeError([Text(f"方案不是有效的TOML：{error}", f"scheme is not valid TOML: {error}")]) from None
    check = _Checker()
    check.unknown_keys(_SCHEME, data, {"name", "year", "scope", "groups", "policies", "adjustments"})
    name = check.text(_SCHEME, data, "name") or ""
    year = data.get("year")
    if isinstance(year, bool) or not isinstance(year, int):
        check.add(_SCHEME, "year", "必须是整数年份", "must be a whole year such as 2022")
        year = 0
    elif not 1949 <= year <= 2200:
        check.add(_SCHEME, "year", "超出合理范围", "is out of range")

    scope = _parse_scope(check, check.table(_SCHEME, data, "scope"))
    groups = _parse_groups(check, data.get("groups"))
    adjustments = _parse_adjustments(check, _Where("方案", "scheme"), data.get("adjustments"))
    _check_adjustment_ids(check, adjustments, groups)
    policies, escalations, amounts = _parse_policies(check, check.table(_SCHEME, data, "policies"), groups)
    if check.problems:
        raise SchemeError(check.problems)
    return Scheme(
        name=name, year=year, scope=scope, groups=groups, policies=policies, escalations=escalations, amounts=amounts,
        adjustments=adjustments,
    )


def _parse_scope(check: _Checker, table: dict) -> Scope:
    where = _Where("评价范围", "scope")
    check.unknown_keys(
        where, table, {"below_scale_min_land_mu", "new_enterprise_years", "new_land_years", "merge_tenants"}
    )
    defaults = Scope()
    return Scope(
        below_scale_min_land_mu=check.number(
            where, table, "below_scale_min_land_mu", default=defaults.below_scale_min_land_mu, minimum=0
        ),
        new_enterprise_years=check.integer(where, table, "new_enterprise_years", default=defaults.new_enterprise_years),
        new_land_years=check.integer(where, table, "new_land_years", default=defaults.new_land_years),
        merge_tenants=bool(check.boolean(where, table, "merge_tenants", default=defaults.merge_tenants)),
    )


def _parse_groups(check: _Checker, raw: Any) -> tuple[Group, ...]:
    if not isinstance(raw, list) or not raw:
        check.add(_SCHEME, "groups", "缺失：至少需要一个 [[groups]]", "are missing: at least one [[groups]] is needed")
        return ()
    groups: list[Group] = []
    definitions: dict[str, tuple[str, str | None, str]] = {}  # indicator id -> numerator, denominator, group
    for position, table in check.tables(_SCHEME, "groups", raw):
        group_id = table.get("id") if isinstance(table.get("id"), str) else f"#{position}"
        where = _SCHEME.group(group_id)
        check.unknown_keys(
            where,
            table,
            {
                "id", "label", "above_scale", "select", "grading", "force_d_on_major_violation", "indicators",
                "adjustments",
            },  # fmt: skip
        )
        group_id = check.identifier(where, table, "id") or group_id
        label = check.text(where, table, "label", default=group_id)
        selection = _parse_selection(check, where, table)
        grading = _parse_grading(check, where, table.get("grading"))
        force_d = check.boolean(where, table, "force_d_on_major_violation", default=False)
        indicators = _parse_indicators(check, where, table.get("indicators"), group_id, definitions)
        adjustments = _parse_adjustments(check, where, table.get("adjustments"))
        groups.append(Group(group_id, label, selection, grading, indicators, force_d, adjustments))

    seen_ids: set[str] = set()
    for group in groups:
        if group.id in seen_ids:
            check.add(_SCHEME.group(group.id), "id", "重复", "is repeated")
        seen_ids.add(group.id)
    _check_overlaps(check, groups)
    return tuple(groups)


def _check_overlaps(check: _Checker, groups: list[Group]) -> None:
    """A group whose conditions select only rows another group selects too would never grade anyone: refused,
    naming both. Groups that may share rows only by the data are checked row by row in the evaluation."""
    for index, group in enumerate(groups):
        for other in groups[index + 1 :]:
            if selection_within(group.selection, other.selection) or selection_within(other.selection, group.selection):
                words = describe_selection(group.selection), describe_selection(other.selection)
                check.problems.append(
                    Text(
                        f"分组 {group.id}（{words[0].zh}）与分组 {other.id}（{words[1].zh}）的选择条件重叠："
                        "同一企业会同时属于两个分组；请用 [groups.select] 的条件把它们分开",
                        f"groups {group.id} ({words[0].en}) and {other.id} ({words[1].en}) select the same "
                        "enterprises: tell them apart with [groups.select] conditions",
                    )
                )


def _parse_selection(check: _Checker, where: _Where, table: dict) -> Selection:
    """``[groups.select]``, and the group-level ``above_scale`` it replaces (still read, as select.above_scale)."""
    raw = check.table(where, table, "select")
    here = _Where(f"{where.zh}选择条件", f"{where.en}, select")
    check.unknown_keys(here, raw, set(SELECTION_KEYS))
    above_scale = check.boolean(here, raw, "above_scale", default=False) if "above_scale" in raw else None
    if "above_scale" in table:
        if above_scale is not None:
            check.add(where, "above_scale", "与 select.above_scale 重复：只写一处", "repeats select.above_scale: give it once")
        above_scale = check.boolean(where, table, "above_scale", default=False)
    prefixes = _text_list(check, here, raw, "industry_prefixes")
    for prefix in prefixes or ():
        if not prefix.isdigit() or len(prefix) > 4 or not prefix.isascii():
            check.add(
                here, "industry_prefixes", f"中的 {prefix} 不是1至4位数字（GB/T 4754 行业代码的开头，不含门类字母）",
                f"entry {prefix} is not 1 to 4 digits (the start of a GB/T 4754 code, without the section letter)",
            )  # fmt: skip
    sector = raw.get("sector")
    if sector is not None and sector not in SECTORS:
        check.add(here, "sector", "必须是 industry 或 service", "must be industry or service")
        sector = None
    low = check.number(here, raw, "land_mu_min", required=False, minimum=0)
    high = check.number(here, raw, "land_mu_max", required=False, positive=True)
    if low is not None and high is not None and low >= high:
        check.add(here, "land_mu_min", "必须小于用地面积上限", "must be less than land_mu_max")
    tenant = check.boolean(here, raw, "tenant", default=False) if "tenant" in raw else None
    return Selection(
        above_scale=above_scale,
        industry_prefixes=prefixes,
        sector=sector,
        land_mu_min=low,
        land_mu_max=high,
        regions=_text_list(check, here, raw, "regions"),
        tenant=tenant,
    )


def _text_list(check: _Checker, where: _Where, table: dict, key: str) -> tuple[str, ...] | None:
    if key not in table:
        return None
    value = table[key]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        check.add(where, key, "必须是非空文本的非空列表", "must be a non-empty list of non-empty texts")
        return None
    return tuple(dict.fromkeys(v.strip() for v in value))


def _parse_adjustments(check: _Checker, where: _Where, raw: Any) -> tuple[Adjustment, ...]:
    """``[[adjustments]]`` (the scheme's) or ``[[groups.adjustments]]`` (a group's)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        check.add(where, "adjustments", "必须是 [[adjustments]] 表的列表", "must be a list of [[adjustments]] tables")
        return ()
    adjustments: list[Adjustment] = []
    seen: set[str] = set()
    for position, table in check.tables(where, "adjustments", raw):
        adjustment_id = table.get("id") if isinstance(table.get("id"), str) else f"#{position}"
        here = where.adjustment(adjustment_id)
        check.unknown_keys(here, table, {"id", "label", "column", "points", "min", "max"})
        adjustment_id = check.identifier(here, table, "id") or adjustment_id
        if adjustment_id in seen:
            check.add(here, "id", "重复", "is repeated")
        seen.add(adjustment_id)
        if adjustment_id in RESERVED_OUTPUT_COLUMNS:
            check.add(here, "id", "与输出列重名", "clashes with an output column")
        label = check.text(here, table, "label", default=adjustment_id)
        column = check.text(here, table, "column") or ""
        points = check.number(here, table, "points")
        low = check.number(here, table, "min", required=False)
        high = check.number(here, table, "max", required=False)
        if column in FLAG_COLUMNS:
            if low is not None or high is not None:
                check.add(here, "min", "不适用：是/否列在为“是”时加减分", "does not apply: a yes/no column applies where it is yes")
        elif column in NON_NUMERIC_COLUMNS:
            check.add(here, "column", f"{column} 不是数值列或是/否列", f"{column} is neither a numeric nor a yes/no column")
        elif column and low is None and high is None:
            check.add(here, "min", "缺失：数值列须给出 min 或 max", "is missing: a numeric column needs min or max")
        elif low is not None and high is not None and low >= high:
            check.add(here, "min", "必须小于上限", "must be less than max")
        adjustments.append(Adjustment(adjustment_id, label, column, points or 0.0, low, high))
    return tuple(adjustments)


def _check_adjustment_ids(check: _Checker, scheme_wide: tuple[Adjustment, ...], groups: tuple[Group, ...]) -> None:
    """An adjustment's output column ``<id>_points`` is one per id: a group's id must not repeat a scheme-wide
    one, and must not clash with an indicator's output columns."""
    shared = {a.id for a in scheme_wide}
    indicator_columns = {f"{ind.id}_{suffix}" for g in groups for ind in g.indicators for suffix in ("value", "score")}
    for group in groups:
        for adjustment in group.adjustments:
            if adjustment.id in shared:
                check.add(
                    _SCHEME.group(group.id).adjustment(adjustment.id), "id", "与方案的 [[adjustments]] 重复",
                    "repeats an id of the scheme's [[adjustments]]",
                )  # fmt: skip
    for adjustment in (*scheme_wide, *(a for g in groups for a in g.adjustments)):
        if points_column(adjustment.id) in indicator_columns:
            check.add(_SCHEME.adjustment(adjustment.id), "id", "与指标的输出列重名", "clashes with an indicator's output column")


def _parse_grading(check: _Checker, where: _Where, raw: Any) -> Grading:
    fallback = Grading("share", 0.2, 0.4, 0.35, 0.05)
    if not isinstance(raw, dict):
        check.add(where, "grading", "缺失或不是表", "is missing or not a table")
        return fallback
    where = _Where(f"{where.zh}分档", f"{where.en}, grading")
    method = raw.get("method")
    if method not in GRADING_METHODS:
        check.add(where, "method", "必须是 share 或 threshold", "must be share or threshold")
        return fallback
    if method == "share":
        check.unknown_keys(where, raw, {"method", *GRADES})
        shares = {}
        for grade in GRADES:
            share = check.number(where, raw, grade, required=grade != "D", minimum=0)
            if share is not None and share > 1:
                check.add(where, grade, "不能大于1", "must not be greater than 1")
            shares[grade] = share
        known = [Decimal(repr(shares[grade])) for grade in GRADES if shares[grade] is not None]
        total = sum(known, Decimal(0))
        if shares["D"] is None:
            if shares["A"] is not None and shares["B"] is not None and shares["C"] is not None:
                if total > 1:
                    check.add(where, "A", "至D档比例之和超过1", "to C shares add up to more than 1")
                shares["D"] = float(Decimal(1) - total)
        elif len(known) == 4 and total != 1:
            check.add(where, "A", f"至D档比例之和为{total}，应为1", f"to D shares add up to {total}, not 1")
        return Grading("share", *(shares[grade] or 0.0 for grade in GRADES))
    check.unknown_keys(where, raw, {"method", "A", "B", "C"})
    minimums = {grade: check.number(where, raw, grade) for grade in ("A", "B", "C")}
    if None not in minimums.values() and not minimums["A"] >= minimums["B"] >= minimums["C"]:
        check.add(where, "A", "至C档最低分必须依次不增", "to C minimums must not increase from A to C")
    return Grading("threshold", *(minimums[grade] or 0.0 for grade in ("A", "B", "C")))


def _parse_indicators(
    check: _Checker,
    where: _Where,
    raw: Any,
    group_id: str,
    definitions: dict[str, tuple[str, str | None, str]],
) -> tuple[Indicator, ...]:
    if not isinstance(raw, list) or not raw:
        check.add(where, "indicators", "缺失：至少需要一个指标", "are missing: at least one indicator is needed")
        return ()
    indicators: list[Indicator] = []
    seen: set[str] = set()
    for position, table in check.tables(where, "indicators", raw):
        indicator_id = table.get("id") if isinstance(table.get("id"), str) else f"#{position}"
        here = where.indicator(indicator_id)
        check.unknown_keys(
            here, table, {"id", "label", "numerator", "denominator", "weight", "benchmark", "cap", "missing"}
        )
        indicator_id = check.identifier(here, table, "id") or indicator_id
        if indicator_id in seen:
            check.add(here, "id", "在本分组中重复", "is repeated in this group")
        seen.add(indicator_id)
        if indicator_id in RESERVED_OUTPUT_COLUMNS:
            check.add(here, "id", "与输出列重名", "clashes with an output column")
        label = check.text(here, table, "label", default=indicator_id)
        numerator = check.text(here, table, "numerator")
        denominator = check.text(here, table, "denominator", default="") or None
        for key, column in (("numerator", numerator), ("denominator", denominator)):
            if column in NON_NUMERIC_COLUMNS:
                check.add(here, key, f"{column} 不是数值列", f"{column} is not a numeric column")
        weight = check.number(here, table, "weight", minimum=0)
        benchmark = _parse_benchmark(check, here, table)
        cap = check.number(here, table, "cap", required=False, positive=True)
        missing = table.get("missing", "zero")
        if missing not in MISSING_MODES:
            check.add(here, "missing", "必须是 zero 或 group_mean_score", "must be zero or group_mean_score")
            missing = "zero"
        previous = definitions.get(indicator_id)
        if previous is not None and previous[2] != group_id and previous[:2] != (numerator, denominator):
            check.add(
                here,
                "numerator",
                f"、分母与分组 {previous[2]} 的同名指标不一致",
                f"and denominator differ from the indicator of the same id in group {previous[2]}",
            )
        definitions.setdefault(indicator_id, (numerator, denominator, group_id))
        indicators.append(
            Indicator(indicator_id, label, numerator or "", denominator, weight or 0.0, benchmark, cap, missing)
        )
    return tuple(indicators)


def _parse_benchmark(check: _Checker, where: _Where, table: dict) -> float | str:
    value = table.get("benchmark")
    if isinstance(value, str):
        if value not in BENCHMARK_KINDS:
            check.add(
                where,
                "benchmark",
                "必须是正数或 ratio_of_sums、mean、median 之一",
                "must be a positive number or one of ratio_of_sums, mean, median",
            )
            return "ratio_of_sums"
        return value
    number = check.number(where, table, "benchmark", positive=True)
    return 1.0 if number is None else number


def _parse_policies(
    check: _Checker, table: dict, groups: tuple[Group, ...]
) -> tuple[dict[str, dict[str, float | str | bool]], tuple[Escalation, ...], tuple[Amount, ...]]:
    """``[policies.<grade>]`` tables, then ``[[policies.escalate]]`` and ``[[policies.amounts]]``."""
    where = _Where("差别化政策", "policies")
    check.unknown_keys(where, table, {*POLICY_GRADES, "escalate", "amounts"})
    indicator_columns = {
        f"{ind.id}_{suffix}" for group in groups for ind in group.indicators for suffix in ("value", "score")
    }
    taken = RESERVED_OUTPUT_COLUMNS | indicator_columns | {CONSECUTIVE_D_YEARS}
    kinds: dict[str, tuple[type, str]] = {}
    policies: dict[str, dict[str, float | str | bool]] = {}
    for grade in POLICY_GRADES:
        if grade not in table:
            continue
        values = table[grade]
        here = _Where(f"{grade}档政策", f"policies.{grade}")
        if not isinstance(values, dict):
            check.add(where, grade, "必须是表", "must be a table")
            continue
        policies[grade] = {}
        for key, value in values.items():
            if not _IDENTIFIER.match(key) or key in taken:
                check.problems.append(
                    Text(f"{here.zh}的名称 {key} 不可用作列名", f"{here.en}: {key} cannot be used as a column name")
                )
            value = _policy_value(check, here, key, value, kinds, grade)
            if value is not None:
                policies[grade][key] = value
    escalations = _parse_escalations(check, where, table.get("escalate", []), policies, kinds)
    amounts = _parse_amounts(check, where, table.get("amounts", []), policies, kinds, taken)
    return policies, escalations, amounts


def _policy_value(
    check: _Checker, here: _Where, key: str, value: Any, kinds: dict[str, tuple[type, str]], grade: str
) -> float | str | bool | None:
    """A policy value typed, or None (with a problem) when it is not a number, text or flag, or its type differs
    from the same key's elsewhere (``kinds``: key -> type and where first seen)."""
    if isinstance(value, bool):
        kind = bool
    elif isinstance(value, (int, float)):
        kind, value = float, float(value)
    elif isinstance(value, str):
        kind = str
    else:
        check.add(here, key, "必须是数字、文本或 true/false", "must be a number, text or true/false")
        return None
    if key in kinds and kinds[key][0] is not kind:
        check.add(here, key, f"类型与{kinds[key][1]}档不同", f"has a different type than in grade {kinds[key][1]}")
        return None
    kinds.setdefault(key, (kind, grade))
    return value


def _entries(check: _Checker, where: _Where, raw: Any, key: str) -> list[tuple[int, dict]]:
    if not isinstance(raw, list):
        check.add(where, key, "必须是表数组（[[policies.%s]]）" % key, f"must be an array of tables ([[policies.{key}]])")
        return []
    entries = []
    for position, entry in enumerate(raw, start=1):
        if isinstance(entry, dict):
            entries.append((position, entry))
        else:
            check.add(where, key, f"第{position}项必须是表", f"entry {position} must be a table")
    return entries


def _parse_escalations(
    check: _Checker, where: _Where, raw: Any, policies: dict, kinds: dict[str, tuple[type, str]]
) -> tuple[Escalation, ...]:
    escalations: list[Escalation] = []
    seen: set[tuple[str, int]] = set()
    for position, entry in _entries(check, where, raw, "escalate"):
        here = _Where(f"第{position}项逐年加码政策", f"policies.escalate entry {position}")
        grade = entry.get("grade")
        if grade not in ESCALATING_GRADES:
            check.add(
                here, "grade", "必须是 \"D\"：只有连续D档的年数有记录", 'must be "D": only years graded D running are recorded'
            )
            grade = "D"
        years = entry.get("consecutive_years")
        if isinstance(years, bool) or not isinstance(years, int):
            check.add(here, "consecutive_years", "缺失或不是整数", "is missing or not a whole number")
            years = 0
        elif years < 1:
            check.add(here, "consecutive_years", "必须是正整数", "must be a whole number greater than 0")
        elif (grade, years) in seen:
            check.add(
                here,
                "consecutive_years",
                f"与另一项相同（{grade}档连续{years}年）",
                f"repeats another entry ({grade}, {years} years)",
            )
        seen.add((grade, years))
        values: dict[str, float | str | bool] = {}
        for key, value in entry.items():
            if key in ESCALATION_KEYS:
                continue
            if key not in policies.get(grade, {}):
                check.problems.append(
                    Text(
                        f"{here.zh}的 {key} 不是[policies.{grade}]中的政策：加码只能改变该档已有的政策",
                        f"{here.en}: {key} is not a policy of [policies.{grade}]; an escalation changes only "
                        "the grade's own policies",
                    )
                )
                continue
            value = _policy_value(check, here, key, value, kinds, grade)
            if value is not None:
                values[key] = value
        if not any(key not in ESCALATION_KEYS for key in entry):
            check.add(here, "escalate", "没有给出任何政策值", "gives no policy value")
        escalations.append(Escalation(grade, years, values))
    return tuple(escalations)


def _parse_amounts(
    check: _Checker,
    where: _Where,
    raw: Any,
    policies: dict,
    kinds: dict[str, tuple[type, str]],
    taken: frozenset[str] | set[str],
) -> tuple[Amount, ...]:
    numeric_columns = set(INPUT_COLUMNS) - NON_NUMERIC_COLUMNS - {PRIOR_D_YEARS}
    policy_keys = {key for values in policies.values() for key in values}
    amounts: list[Amount] = []
    seen: set[str] = set()
    for position, entry in _entries(check, where, raw, "amounts"):
        amount_id = entry.get("id") if isinstance(entry.get("id"), str) else f"#{position}"
        here = _Where(f"政策金额 {amount_id} ", f"policies.amounts {amount_id}")
        check.unknown_keys(here, entry, set(AMOUNT_KEYS))
        amount_id = check.identifier(here, entry, "id") or amount_id
        if amount_id in seen:
            check.add(here, "id", "重复", "is repeated")
        elif amount_id in taken or amount_id in policy_keys or amount_id in INPUT_COLUMNS:
            check.add(here, "id", "与输出列或政策重名", "clashes with an output column or a policy")
        seen.add(amount_id)
        label = check.text(here, entry, "label", default=amount_id)
        rate = check.text(here, entry, "rate")
        if rate is not None and rate not in policy_keys:
            check.add(here, "rate", f" {rate} 不是方案中的政策", f"{rate} is not a policy of the scheme")
        elif rate is not None and kinds[rate][0] is not float:
            check.add(here, "rate", f" {rate} 不是数值政策", f"{rate} is not a numeric policy")
        quantity = check.text(here, entry, "quantity")
        if quantity is not None and quantity not in numeric_columns:
            check.add(here, "quantity", f" {quantity} 不是已知的数值输入列", f"{quantity} is not a known numeric input column")
        factor = check.number(here, entry, "factor", default=1.0, positive=True)
        amounts.append(Amount(amount_id, label or amount_id, rate or "", quantity or "", factor or 1.0))
    return tuple(amounts)


def load_scheme(path: str | Path) -> Scheme:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise SchemeError([Text(f"无法读取方案文件 {path}：{error}", f"cannot read scheme file {path}: {error}")]) from None
    return parse_scheme(text)


def preset_toml(preset_id: str) -> str:
    if preset_id not in PRESETS:
        raise SchemeError(
            [Text(f"没有名为 {preset_id} 的预设方案", f"there is no preset scheme {preset_id}; presets: {', '.join(PRESETS)}")]
        )
    return (PRESET_DIR / f"{preset_id}.toml").read_text(encoding="utf-8")


# --- writing ----------------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return repr(value)


def _inline_table(pairs: dict[str, Any]) -> str:
    return "{ " + ", ".join(f"{key} = {_toml_value(value)}" for key, value in pairs.items()) + " }"


def _adjustment_lines(adjustment: Adjustment, indent: str) -> list[str]:
    pairs = {"id": adjustment.id, "label": adjustment.label, "column": adjustment.column, "points": adjustment.points}
    pairs.update({key: value for key in ("min", "max") if (value := getattr(adjustment, key)) is not None})
    return [f"{indent}{key} = {_toml_value(value)}" for key, value in pairs.items()]


def scheme_to_toml(scheme: Scheme) -> str:
    """The scheme as TOML that ``parse_scheme`` reads back to an equal scheme."""
    lines = [
        f"name = {_toml_value(scheme.name)}",
        f"year = {scheme.year}",
        "",
        "[scope]",
        f"below_scale_min_land_mu = {_toml_value(scheme.scope.below_scale_min_land_mu)}",
        f"new_enterprise_years = {scheme.scope.new_enterprise_years}",
        f"new_land_years = {scheme.scope.new_land_years}",
    ]
    if scheme.scope.merge_tenants:
        lines.append("merge_tenants = true")
    for adjustment in scheme.adjustments:
        lines += ["", "[[adjustments]]", *_adjustment_lines(adjustment, "")]
    for group in scheme.groups:
        grading = {"method": group.grading.method, "A": group.grading.A, "B": group.grading.B, "C": group.grading.C}
        if group.grading.method == "share":
            grading["D"] = group.grading.D
        lines += [
            "",
            "[[groups]]",
            f"id = {_toml_value(group.id)}",
            f"label = {_toml_value(group.label)}",
            f"grading = {_inline_table(grading)}",
            f"force_d_on_major_violation = {_toml_value(group.force_d_on_major_violation)}",
        ]
        if given := group.selection.given():
            lines += ["", "  [groups.select]", *(f"  {key} = {_toml_value(value)}" for key, value in given.items())]
        for ind in group.indicators:
            lines += [
                "",
                "  [[groups.indicators]]",
                f"  id = {_toml_value(ind.id)}",
                f"  label = {_toml_value(ind.label)}",
                f"  numerator = {_toml_value(ind.numerator)}",
            ]
            if ind.denominator is not None:
                lines.append(f"  denominator = {_toml_value(ind.denominator)}")
            lines += [f"  weight = {_toml_value(ind.weight)}", f"  benchmark = {_toml_value(ind.benchmark)}"]
            if ind.cap is not None:
                lines.append(f"  cap = {_toml_value(ind.cap)}")
            lines.append(f"  missing = {_toml_value(ind.missing)}")
        for adjustment in group.adjustments:
            lines += ["", "  [[groups.adjustments]]", *_adjustment_lines(adjustment, "  ")]
    for grade in POLICY_GRADES:
        if grade in scheme.policies:
            lines += ["", f"[policies.{grade}]"]
            lines += [f"{key} = {_toml_value(value)}" for key, value in scheme.policies[grade].items()]
    for escalation in scheme.escalations:
        lines += [
            "",
            "[[policies.escalate]]",
            f"grade = {_toml_value(escalation.grade)}",
            f"consecutive_years = {escalation.consecutive_years}",
        ]
        lines += [f"{key} = {_toml_value(value)}" for key, value in escalation.values.items()]
    for amount in scheme.amounts:
        lines += ["", "[[policies.amounts]]"]
        keys = ("id", "label", "rate", "quantity", "factor")
        lines += [f"{key} = {_toml_value(getattr(amount, key))}" for key in keys]
    return "\n".join(lines) + "\n"
