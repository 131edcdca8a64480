"""The per-mu benefit evaluation (spec/evaluation.md, "Computation, per group").

``prepare`` types and checks the input; ``evaluate`` runs steps 1–8 of the spec as Polars expressions over
whole columns (group-wise where the spec says "per group"), so a province's million enterprises take about
a second. ``summarise`` gives the per-region counts and sums of a result.

The steps are named functions over Polars frames (``scope_step`` … ``policies_step``, see ``STEPS``), each
reading its part of the scheme (``STEP_PARTS``); a ``Pipeline`` keeps every step's frame and a log, so a run
can be regenerated from any step under a changed scheme or frame, and two variants compared (``compare``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from mujun.engine.groups import adjustment_expr, points_column, selection_expr
from mujun.engine.io import INPUT_COLUMNS, ROW_COLUMN
from mujun.engine.policies import CONSECUTIVE_D_YEARS, PRIOR_D_YEARS, policy_columns, policy_output_columns
from mujun.engine.rules import greater_than_zero
from mujun.engine.scheme import GRADES, Group, Indicator, Scheme, required_columns
from mujun.engine.text import in_language
from mujun.engine.uscc import uscc_problem, uscc_valid_expr

EVALUATED, EXEMPT, OUT_OF_SCOPE, INVALID = "evaluated", "exempt", "out_of_scope", "invalid"
STATUSES = (EVALUATED, EXEMPT, OUT_OF_SCOPE, INVALID)
EXEMPT_GRADE = "T"
GRADE_LETTERS = (*GRADES, EXEMPT_GRADE)
INVALID_COLUMN = "_invalid"

TEXT_COLUMNS = ("uscc", "name", "region", "industry_code", "landlord_uscc")
BOOLEAN_COLUMNS = ("above_scale", "major_violation", "tenant", "high_tech", "safety_accident")
DATE_COLUMNS = ("established_on", "land_acquired_on")
NUMBER_COLUMNS = (
    "land_mu", "tax", "value_added", "revenue", "energy_tce", "emission_eq", "rd_expense", "employees",
    "electricity_10k_kwh", "coefficient", "bonus", "water_t", "land_use_tax", PRIOR_D_YEARS,
)
# Flags that are false unless the input says otherwise (a blank cell is "no").
FALSE_UNLESS_GIVEN = ("tenant", "high_tech", "safety_accident")
# 规上: annual main business revenue of at least 20 million yuan, used when 是否规上 is left empty.
ABOVE_SCALE_MIN_REVENUE = 2000.0

TRUE_FALSE = {
    "是": True, "否": False, "true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False,
    "yes": True, "no": False, "y": True, "n": False, "t": True, "f": False, "√": True, "×": False,
}
EXCEL_EPOCH = date(1899, 12, 30)  # serial day 1 is 1900-01-01 with Excel's leap-year bug kept
EXCEL_LAST_SERIAL = 2_958_465  # 9999-12-31

OUTPUT_HEADERS = {
    "group": "分组",
    "status": "状态",
    "reason": "原因",
    "total": "总分",
    "rank": "排名",
    "grade": "等级",
}
SUMMARY_HEADERS = {
    "region": "所属区域",
    "enterprises": "企业数",
    "evaluated": "参评企业数",
    **{grade: f"{grade}档" for grade in (*GRADES, EXEMPT_GRADE)},
    "out_of_scope": "不在评价范围",
    "invalid": "数据无效",
    "land_mu": "参评用地(亩)",
    "tax": "参评实缴税金(万元)",
    "tax_per_mu": "亩均税收(万元/亩)",
}


@dataclass(frozen=True)
class Problem:
    """One problem with one cell."""

    row: int
    column: str
    zh: str
    en: str

    def message(self, language: str | None = None) -> str:
        header = INPUT_COLUMNS.get(self.column) or OUTPUT_HEADERS.get(self.column, self.column)
        return in_language(f"第{self.row}行 {header}：{self.zh}", f"row {self.row}, {self.column}: {self.en}", language)

    def __str__(self) -> str:
        return self.message()

    def cell_message(self, language: str | None = None) -> str:
        """The problem without the row number, as the result's reason for an invalid row."""
        header = INPUT_COLUMNS.get(self.column) or OUTPUT_HEADERS.get(self.column, self.column)
        return in_language(f"{header}：{self.zh}", f"{self.column}: {self.en}", language)


class InvalidInput(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass
class Evaluation:
    result: pl.DataFrame
    benchmarks: dict[str, dict[str, float | None]]
    problems: list[Problem] = field(default_factory=list)


# --- typing the input -----------------------------------------------------------------------------


def _quote(raw: object) -> str:
    """A cell's text for a message; the separator " / " is kept out of the Chinese half."""
    return f"「{str(raw).replace(' / ', '/')}」"


def _strip(text: pl.Expr) -> pl.Expr:
    stripped = text.str.strip_chars()
    return pl.when(stripped != "").then(stripped)


def _finite(number: pl.Expr) -> pl.Expr:
    return pl.when(number.is_finite()).then(number)


def _excel_serial_date(serial: pl.Expr) -> pl.Expr:
    in_range = (serial >= 1) & (serial <= EXCEL_LAST_SERIAL)
    return pl.when(in_range).then(pl.lit(EXCEL_EPOCH) + pl.duration(days=serial.floor().cast(pl.Int64)))


def _careful_date(text: pl.Expr) -> pl.Expr:
    day = _strip(text).str.slice(0, 10)  # Excel's "2021-03-01 00:00:00" as text
    return pl.coalesce(
        day.str.to_date("%Y-%m-%d", strict=False),
        day.str.to_date("%Y/%m/%d", strict=False),
        _excel_serial_date(_strip(text).cast(pl.Float64, strict=False)),
    )


@dataclass(frozen=True)
class _Kind:
    """How the text of one kind of column becomes typed.

    ``fast`` reads the common spelling over the whole column; ``careful`` reads every accepted spelling
    (spaces around, thousands separators, 2021/3/1, Excel serial dates, 是/否 in any case …) and runs
    only on a column where ``fast`` left cells unread, so clean files pay for the cheap pass alone.
    """

    dtype: pl.DataType
    is_native: Callable[[pl.DataType], bool]
    native: Callable[[pl.Expr], pl.Expr]
    fast: Callable[[pl.Expr], pl.Expr]
    careful: Callable[[pl.Expr], pl.Expr]
    zh: str
    en: str

    def unread(self, typed: pl.Expr) -> pl.Expr:
        return typed.is_null()


class _NumberKind(_Kind):
    def unread(self, typed: pl.Expr) -> pl.Expr:
        return ~typed.is_finite().fill_null(False)  # "nan" and "inf" parse, but are no figures


NUMBER = _NumberKind(
    pl.Float64,
    lambda dtype: dtype.is_numeric(),
    lambda column: column.cast(pl.Float64).fill_nan(None),
    lambda text: text.cast(pl.Float64, strict=False),
    lambda text: _finite(_strip(text).str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False)),
    "不是数字",
    "is not a number",
)
# The fast pass reads every accepted spelling as written in lower, upper or title case (TRUE, True, Yes …):
# county files mix them, and one unread cell would send the whole column through the careful pass.
TRUE_FALSE_AS_WRITTEN = {
    variant: value for text, value in TRUE_FALSE.items() for variant in (text, text.upper(), text.title())
}
BOOLEAN = _Kind(
    pl.Boolean,
    lambda dtype: dtype == pl.Boolean,
    lambda column: column,
    lambda text: text.replace_strict(TRUE_FALSE_AS_WRITTEN, default=None, return_dtype=pl.Boolean),
    lambda text: _strip(text).str.to_lowercase().replace_strict(TRUE_FALSE, default=None, return_dtype=pl.Boolean),
    "应为 是/否",
    "must be 是/否, true/false or 1/0",
)
DATE = _Kind(
    pl.Date,
    lambda dtype: dtype == pl.Date or isinstance(dtype, pl.Datetime),
    lambda column: column.cast(pl.Date),
    lambda text: text.str.to_date("%Y-%m-%d", strict=False),
    _careful_date,
    "不是日期（应为 YYYY-MM-DD）",
    "is not a date (expected YYYY-MM-DD)",
)


@dataclass(frozen=True)
class Coercion:
    """The engine's typing of one column, for other importers that must accept what the engine accepts.

    ``typed``: the typed values; ``unparsed``: true where a non-empty cell could not be read, with the
    problem as ``zh`` / ``en``.
    """

    typed: pl.Expr
    unparsed: pl.Expr
    zh: str
    en: str


COERCION_KINDS = {"number": NUMBER, "boolean": BOOLEAN, "date": DATE}


def coercion(kind: str, column: str, dtype: pl.DataType = pl.String) -> Coercion:
    """How ``column`` of ``dtype`` is typed as a number, boolean (是/否 …) or date, as ``prepare`` does."""
    spec = COERCION_KINDS[kind]
    if spec.is_native(dtype):
        return Coercion(spec.native(pl.col(column)), pl.lit(False), spec.zh, spec.en)
    text = pl.col(column) if dtype == pl.String else pl.col(column).cast(pl.String)
    typed = spec.careful(text)
    return Coercion(typed, _strip(text).is_not_null() & spec.unread(typed), spec.zh, spec.en)


def _column_kinds(scheme: Scheme) -> dict[str, _Kind]:
    return {
        **dict.fromkeys(BOOLEAN_COLUMNS, BOOLEAN),
        **dict.fromkeys(DATE_COLUMNS, DATE),
        **dict.fromkeys(NUMBER_COLUMNS, NUMBER),
        **dict.fromkeys(sorted(required_columns(scheme)), NUMBER),
    }


def number_columns(scheme: Scheme) -> set[str]:
    """The columns ``prepare`` types as numbers: a reader may hand them over as numbers already."""
    return {column for column, kind in _column_kinds(scheme).items() if kind is NUMBER}


def _as_text(frame_schema: pl.Schema, column: str) -> pl.Expr:
    return pl.col(column) if frame_schema[column] == pl.String else pl.col(column).cast(pl.String)


def _unread_flag(column: str) -> str:
    return f"_unread|{column}"


def _type_columns(frame: pl.DataFrame, scheme: Scheme) -> tuple[pl.DataFrame, dict[str, _Kind]]:
    """Typed columns (absent optional ones as nulls) and an ``_unread|<column>`` flag per parsed column."""
    schema = frame.schema
    kinds = {column: kind for column, kind in _column_kinds(scheme).items() if column in schema}
    parsed = {column: kind for column, kind in kinds.items() if not kind.is_native(schema[column])}
    fast = []
    for column, kind in kinds.items():
        if column in parsed:
            text = _as_text(schema, column)
            typed = kind.fast(text)
            fast += [typed.alias(column), (text.is_not_null() & kind.unread(typed)).alias(_unread_flag(column))]
        else:
            fast.append(kind.native(pl.col(column)).alias(column))
    absent = [
        pl.lit(None, dtype=kind.dtype).alias(column)
        for column, kind in _column_kinds(scheme).items()
        if column not in schema
    ]
    text_columns = [
        _strip(_as_text(schema, column)).alias(column) if column in schema else pl.lit(None, pl.String).alias(column)
        for column in TEXT_COLUMNS
    ]
    typed = frame.lazy().with_columns(*fast, *absent, *text_columns).collect()
    flagged = [column for column in parsed if typed[_unread_flag(column)].any()] if parsed else []
    if flagged:
        careful = []
        for column in flagged:
            kind, flag, text = kinds[column], pl.col(_unread_flag(column)), pl.col(f"_text|{column}")
            careful_value = kind.careful(text)
            careful += [
                pl.when(flag).then(careful_value).otherwise(pl.col(column)).alias(column),
                (flag & _strip(text).is_not_null() & kind.unread(careful_value)).alias(_unread_flag(column)),
            ]
        typed = (
            typed.lazy()
            .with_columns(frame.select(_as_text(schema, c).alias(f"_text|{c}") for c in flagged))
            .with_columns(careful)
            .drop(f"_text|{c}" for c in flagged)
            .collect()
        )
    return typed, parsed


def _header_row(frame: pl.DataFrame) -> int:
    if ROW_COLUMN in frame.columns and frame.height:
        return max(int(frame[ROW_COLUMN].min()) - 1, 1)
    return 1


def _missing_columns(frame: pl.DataFrame, scheme: Scheme) -> list[Problem]:
    header_row = _header_row(frame)
    problems = []
    needed = ["uscc", "land_mu"] + sorted(required_columns(scheme) - {"uscc", "land_mu"})
    if "revenue" not in frame.columns:
        needed.insert(1, "above_scale")  # otherwise 规上 follows from revenue
    for column in needed:
        if column not in frame.columns:
            if column in required_columns(scheme):
                message = ("缺少此列，方案的指标要用到", "column is missing; the scheme's indicators need it")
            else:
                message = ("缺少此列", "column is missing")
            problems.append(Problem(header_row, column, *message))
    return problems


# Land used, above 0: the evaluation refuses a row without it, as the enterprises' forms, API and import do.
LAND_MU_POSITIVE = greater_than_zero("land_mu")
ROW_CHECKS = (
    "_uscc_invalid", "_uscc_repeated", "_land_missing", "_land_not_positive", "_scale_missing",
    "_landlord_invalid", "_prior_d_invalid",
)


def prepare(frame: pl.DataFrame, scheme: Scheme) -> tuple[pl.DataFrame, list[Problem]]:
    """Type the input and check every row.

    Returns the typed frame (every known column present, with ``_row`` and ``_invalid``: the reasons a
    row is invalid, null for a valid row) and the problems, ordered by row. Raises InvalidInput when a
    column the evaluation needs is missing altogether, since then no row can be evaluated.
    """
    missing = _missing_columns(frame, scheme)
    if missing:
        raise InvalidInput(missing)
    if ROW_COLUMN not in frame.columns:  # e.g. built from the database: number rows as a file would
        frame = frame.with_columns(pl.int_range(2, pl.len() + 2, dtype=pl.Int64).alias(ROW_COLUMN))
    typed, parsed = _type_columns(frame, scheme)
    unread_flags = [_unread_flag(column) for column in parsed]
    typed = (
        typed.lazy()
        .with_columns(
            pl.col("above_scale").fill_null(pl.col("revenue") >= ABOVE_SCALE_MIN_REVENUE),
            pl.col("coefficient").fill_null(1.0),
            pl.col("bonus").fill_null(0.0),
        )
        .with_columns(
            (~uscc_valid_expr("uscc")).alias("_uscc_invalid"),
            pl.col("land_mu").is_null().alias("_land_missing"),
            LAND_MU_POSITIVE.broken.fill_null(False).alias("_land_not_positive"),
            pl.col("above_scale").is_null().alias("_scale_missing"),
            # The landlord's credit code is checked as the enterprise's own is, when given.
            (pl.col("landlord_uscc").is_not_null() & ~uscc_valid_expr("landlord_uscc")).alias("_landlord_invalid"),
            (
                (pl.col(PRIOR_D_YEARS) < 0) | (pl.col(PRIOR_D_YEARS) != pl.col(PRIOR_D_YEARS).floor())
            ).fill_null(False).alias("_prior_d_invalid"),
        )
        .with_columns(
            pl.col(FALSE_UNLESS_GIVEN).fill_null(False),
            pl.when(~pl.col("_prior_d_invalid")).then(pl.col(PRIOR_D_YEARS)).fill_null(0).cast(pl.Int64),
        )
        # Hashes first: exact text comparison only for the few candidates, below.
        .with_columns((~pl.col("_uscc_invalid") & pl.col("uscc").hash().is_duplicated()).alias("_uscc_repeated"))
        .collect()
    )
    candidates = typed.select(pl.arg_where(pl.col("_uscc_repeated"))).to_series()
    if len(candidates):
        exact = typed["uscc"].gather(candidates).is_duplicated()
        typed = typed.with_columns(typed["_uscc_repeated"].scatter(candidates, exact))
    bad = typed.select(pl.any_horizontal(*ROW_CHECKS, *unread_flags)).to_series()
    problems: list[Problem] = []
    reasons = pl.Series(INVALID_COLUMN, [None] * typed.height, dtype=pl.String)
    if bad.any():
        problems, reasons = _row_problems(frame, typed, bad, parsed)
    typed = typed.drop(*ROW_CHECKS, *unread_flags).with_columns(reasons)
    return typed, problems


def _uscc_message(code: object) -> tuple[str, str]:
    """uscc_problem's message without its leading "credit code", which the column already names."""
    zh, en = uscc_problem(code) or ("无效", "is invalid")
    return zh.removeprefix("统一社会信用代码"), en.removeprefix("credit code ")


def _row_problems(
    raw: pl.DataFrame, typed: pl.DataFrame, bad: pl.Series, parsed: dict[str, _Kind]
) -> tuple[list[Problem], pl.Series]:
    """Messages for the (few) bad rows, built in Python, and the ``_invalid`` reason column."""
    positions = bad.arg_true()
    flags_of_bad = typed[positions]
    raw_bad = raw[positions]
    repeats: dict[str, list[int]] = defaultdict(list)
    for code, row in flags_of_bad.filter(pl.col("_uscc_repeated")).select("uscc", ROW_COLUMN).iter_rows():
        repeats[code].append(row)
    column_order = {column: index for index, column in enumerate(raw.columns)}
    problems: list[Problem] = []
    reasons: list[str] = []
    for index, flags in enumerate(flags_of_bad.iter_rows(named=True)):
        row = flags[ROW_COLUMN]
        found: list[Problem] = []
        if flags["_uscc_invalid"]:
            found.append(Problem(row, "uscc", *_uscc_message(raw_bad["uscc"][index])))
        if flags["_uscc_repeated"]:
            others = [str(r) for r in repeats[flags["uscc"]] if r != row]
            found.append(
                Problem(
                    row, "uscc", f"与第{'、'.join(others)}行重复", f"repeats the credit code of row(s) {', '.join(others)}"
                )
            )
        if flags["_land_missing"] and not flags.get(_unread_flag("land_mu")):
            found.append(Problem(row, "land_mu", "缺失", "is missing"))
        if flags["_land_not_positive"]:
            found.append(Problem(row, "land_mu", LAND_MU_POSITIVE.zh, LAND_MU_POSITIVE.en))
        if flags["_landlord_invalid"]:
            found.append(Problem(row, "landlord_uscc", *_uscc_message(raw_bad["landlord_uscc"][index])))
        if flags["_prior_d_invalid"]:
            found.append(Problem(row, PRIOR_D_YEARS, "应为不小于0的整数", "must be a whole number, 0 or more"))
        if flags["_scale_missing"] and not flags.get(_unread_flag("above_scale")):
            found.append(
                Problem(row, "above_scale", "缺失，且无营业收入可判断", "is missing, and there is no revenue to tell")
            )
        for column, kind in parsed.items():
            if flags[_unread_flag(column)]:
                value = _quote(raw_bad[column][index])
                found.append(Problem(row, column, f"{value}{kind.zh}", f"{value} {kind.en}"))
        found.sort(key=lambda problem: column_order.get(problem.column, len(column_order)))
        problems.extend(found)
        reasons.append("; ".join(problem.cell_message() for problem in found))
    column = pl.Series(INVALID_COLUMN, [None] * typed.height, dtype=pl.String)
    return problems, column.scatter(positions, pl.Series(reasons, dtype=pl.String))


# --- the evaluation -----------------------------------------------------------------------------


def _round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def share_cuts(count: int, group: Group) -> tuple[int, int, int]:
    """Last rank position of A, B and C among ``count`` rows: round half up on exact decimals."""
    return tuple(_round_half_up(count * share) for share in group.grading.cumulative_shares())


def _value_expr(indicator: Indicator) -> pl.Expr:
    numerator = pl.col(indicator.numerator)
    if indicator.denominator is None:
        return numerator
    denominator = pl.col(indicator.denominator)
    return pl.when(denominator > 0).then(numerator / denominator)


def _value(indicator_id: str) -> str:
    return f"{indicator_id}_value"


def _score(indicator_id: str) -> str:
    return f"{indicator_id}_score"


def _benchmark(indicator_id: str) -> str:
    return f"{indicator_id}_benchmark"


def _benchmark_aggregations(scheme: Scheme) -> list[pl.Expr]:
    """Scalar expressions over stage one: each computed benchmark and each group's evaluated count."""
    aggregations = []
    for group in scheme.groups:
        evaluated = (pl.col("status") == EVALUATED) & (pl.col("group") == group.id)
        aggregations.append(evaluated.sum().alias(f"count|{group.id}"))
        for ind in group.indicators:
            if not isinstance(ind.benchmark, str):
                continue
            has_value = evaluated & pl.col(_value(ind.id)).is_not_null()
            value = pl.col(_value(ind.id)).filter(has_value)
            if ind.benchmark == "ratio_of_sums":
                numerator = pl.col(ind.numerator).filter(has_value).sum()
                denominator = pl.col(ind.denominator).filter(has_value).sum() if ind.denominator else pl.lit(1.0)
                expr = numerator / denominator
            elif ind.benchmark == "mean":
                expr = value.mean()
            else:
                expr = value.median()
            aggregations.append(expr.cast(pl.Float64).alias(f"benchmark|{group.id}|{ind.id}"))
    return aggregations


def _usable(benchmark: float | None) -> float | None:
    """A benchmark that can divide: positive and finite, else None (then every value scores as missing)."""
    # A subnormal benchmark (a group whose every tax is 1e-310) has no finite reciprocal: scores would be inf.
    if benchmark is None or not benchmark > 0 or benchmark == float("inf") or 1.0 / benchmark == float("inf"):
        return None
    return float(benchmark)


def _cutoff(as_of: date, years: int) -> date:
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:  # 29 February
        return as_of.replace(year=as_of.year - years, day=28)


NO_GROUP_REASON = "不属于方案的任何分组"
# Figures of a tenant added to its landlord's under ``scope.merge_tenants``: amounts over the year, not rates.
MERGED_FIGURES = (
    "land_mu", "tax", "value_added", "revenue", "energy_tce", "emission_eq", "rd_expense", "employees",
    "electricity_10k_kwh", "water_t", "land_use_tax",
)
NOT_MERGED = frozenset({"coefficient", "bonus", PRIOR_D_YEARS})


def _group_expr(scheme: Scheme) -> pl.Expr:
    """The group whose conditions the row meets; null for none, and for several (the row is then invalid)."""
    matches = [selection_expr(group.selection) for group in scheme.groups]
    chain = pl.when(pl.sum_horizontal(matches) != 1).then(pl.lit(None, pl.String))
    for group, match in zip(scheme.groups, matches, strict=True):
        chain = chain.when(match).then(pl.lit(group.id))
    return chain.otherwise(pl.lit(None, pl.String))


def _group_overlaps(typed: pl.DataFrame, scheme: Scheme) -> tuple[pl.DataFrame, list[Problem]]:
    """Rows whose figures meet the conditions of two groups or more: invalid, each problem naming the
    enterprise and the groups (the scheme's conditions failed to keep them apart)."""
    if len(scheme.groups) < 2:
        return typed, []
    matches = typed.select(selection_expr(group.selection).alias(str(n)) for n, group in enumerate(scheme.groups))
    several = matches.select(pl.sum_horizontal(pl.all()) > 1).to_series()
    if not several.any():
        return typed, []
    positions = several.arg_true()
    rows = typed[positions].select(ROW_COLUMN, "uscc", "name")
    problems = []
    for (row, code, name), matched in zip(rows.iter_rows(), matches[positions].iter_rows(), strict=True):
        groups = [group for group, hit in zip(scheme.groups, matched, strict=True) if hit]
        problems.append(
            Problem(
                row,
                "group",
                f"企业「{name or ''}」（{code or ''}）同时符合"
                + "和".join(f"分组 {g.id}（{g.label}）" for g in groups)
                + "的条件；每家企业只能属于一个分组，请修改方案的分组条件",
                f"enterprise {name or ''} ({code or ''}) meets the conditions of groups "
                + " and ".join(f"{g.id} ({g.label})" for g in groups)
                + "; an enterprise belongs to one group: change the scheme's group conditions",
            )
        )
    reasons = typed[INVALID_COLUMN].gather(positions).to_list()
    combined = [
        "; ".join(part for part in (reason, problem.cell_message()) if part)
        for reason, problem in zip(reasons, problems, strict=True)
    ]
    column = typed[INVALID_COLUMN].scatter(positions, pl.Series(combined, dtype=pl.String))
    return typed.with_columns(column), problems


def _merge_tenants(rows: pl.LazyFrame, scheme: Scheme) -> pl.LazyFrame:
    """``scope.merge_tenants``: each valid tenant's figures (tenant = 是, its landlord's credit code given)
    are added to its landlord's row, so the landlord is evaluated on its whole site; the tenant keeps its own
    figures. A figure the landlord lacks stays missing."""
    figures = [
        *MERGED_FIGURES,
        *sorted(required_columns(scheme) - set(MERGED_FIGURES) - NOT_MERGED),
    ]
    tenants = (
        rows.filter(
            pl.col("tenant"),
            pl.col("landlord_uscc").is_not_null(),
            pl.col("landlord_uscc") != pl.col("uscc"),
            pl.col("status") != INVALID,
        )
        .group_by("landlord_uscc")
        .agg(pl.col(figures).sum().name.prefix("_tenants|"))
    )
    landlord = pl.col("status") != INVALID
    return (
        rows.join(tenants, left_on="uscc", right_on="landlord_uscc", how="left", maintain_order="left")
        .with_columns(
            pl.when(landlord & pl.col(f"_tenants|{column}").is_not_null())
            .then(pl.col(column) + pl.col(f"_tenants|{column}"))
            .otherwise(pl.col(column))
            .alias(column)
            for column in figures
        )
        .drop(f"_tenants|{column}" for column in figures)
    )


def _points_expr(scheme: Scheme, adjustment_id: str) -> pl.Expr:
    """An adjustment's points on each evaluated row of a group it applies to (0 where its condition does not
    hold); null for other rows."""

    def pick(group: Group) -> pl.Expr | None:
        found = next((a for a in scheme.group_adjustments(group) if a.id == adjustment_id), None)
        if found is None:
            return None
        return pl.when(adjustment_expr(found)).then(pl.lit(found.points)).otherwise(pl.lit(0.0))

    return pl.when(EVALUATED_ROW).then(_by_group(scheme, pick)).cast(pl.Float64)


def _status_and_reason(scheme: Scheme, as_of: date) -> tuple[pl.Expr, pl.Expr]:
    """Step 1: the first rule that applies sets a row's status and reason; no rule: evaluated."""
    scope = scheme.scope
    min_land, enterprise_years, land_years = (
        scope.below_scale_min_land_mu, scope.new_enterprise_years, scope.new_land_years
    )
    # Reasons are data of the result, which is official and in Chinese, as its headers are.
    no_group = pl.lit(NO_GROUP_REASON)
    too_small = f"规下企业用地不足{min_land:g}亩"
    new_enterprise = f"成立未满{enterprise_years}年"
    new_land = f"新供地未满{land_years}年"
    rules = [
        (pl.col(INVALID_COLUMN).is_not_null(), INVALID, pl.col(INVALID_COLUMN)),
        (pl.col("group").is_null(), OUT_OF_SCOPE, no_group),
        (~pl.col("above_scale") & (pl.col("land_mu") < min_land), OUT_OF_SCOPE, pl.lit(too_small)),
        (pl.col("established_on") > _cutoff(as_of, enterprise_years), EXEMPT, pl.lit(new_enterprise)),
        (pl.col("land_acquired_on") > _cutoff(as_of, land_years), EXEMPT, pl.lit(new_land)),
    ]
    status, reason = pl, pl
    for condition, status_value, reason_value in rules:
        status = status.when(condition.fill_null(False)).then(pl.lit(status_value))
        reason = reason.when(condition.fill_null(False)).then(reason_value)
    return (
        status.otherwise(pl.lit(EVALUATED)).alias("status"),
        reason.otherwise(pl.lit(None, pl.String)).alias("reason"),
    )


def _by_group(scheme: Scheme, pick: Callable[[Group], pl.Expr | None]) -> pl.Expr:
    """``pick(group)`` on the rows of each group (None: the group has nothing to pick), else null."""
    branches = [(group.id, expr) for group in scheme.groups if (expr := pick(group)) is not None]
    if not branches:
        return pl.lit(None)
    chain = pl.when(pl.col("group") == branches[0][0]).then(branches[0][1])
    for group_id, expr in branches[1:]:
        chain = chain.when(pl.col("group") == group_id).then(expr)
    return chain


def _indicator(group: Group, indicator_id: str) -> Indicator | None:
    return next((ind for ind in group.indicators if ind.id == indicator_id), None)


EVALUATED_ROW = pl.col("status") == EVALUATED


def indicator_score(value, reciprocal, weight, cap: float | None):
    """Step 4's rule, on Polars expressions and NumPy arrays alike (robustness scores many draws at once):
    weight × min(value / benchmark, cap), not below 0, given the benchmark's reciprocal."""
    return (value * reciprocal).clip(0.0, cap) * weight


def total_of(score_sum, coefficient, bonus, points=None):
    """Step 5's rule, on Polars expressions and NumPy arrays alike: Σ scores × coefficient + bonus + points."""
    total = score_sum * coefficient + bonus
    return total if points is None else total + points


def grade_reaches(group: Group, count: int, rank, total) -> list:
    """Step 7's conditions for A, B and C in ``group`` of ``count`` evaluated rows, on Polars expressions and
    NumPy arrays alike. Comparing the min-rank with a share cut gives the tie rule: a row tied with the last
    row of a better grade has a rank within that grade's cut."""
    grading = group.grading
    if grading.method == "share":
        return [rank <= cut for cut in share_cuts(count, group)]
    return [total >= minimum for minimum in (grading.A, grading.B, grading.C)]


def _score_expr(group: Group, ind: Indicator, benchmark: float | None) -> pl.Expr:
    """Step 4: weight × min(value / benchmark, cap), not below 0; a missing value by the missing rule."""
    if benchmark is None:
        raw = pl.lit(None, dtype=pl.Float64)
    else:
        # Multiply by the reciprocal, never `column / scalar`: Polars divides a one-row chunk (or morsel of
        # the streaming engine) exactly but a longer one by multiplying with the reciprocal, so equal values
        # could score 1 ulp apart depending on where their rows fall, and the exact tie rule (steps 6 and 7)
        # would then rank and grade equal enterprises by their row order. One multiplication is the same
        # for every row, wherever it is.
        raw = indicator_score(pl.col(_value(ind.id)), 1.0 / benchmark, ind.weight, ind.cap)
    if ind.missing == "group_mean_score":
        has_value = EVALUATED_ROW & (pl.col("group") == group.id) & pl.col(_value(ind.id)).is_not_null()
        raw = raw.fill_null(raw.filter(has_value).mean())
    return raw.fill_null(0.0)


def _grade_code_expr(scheme: Scheme, counts: dict[str, int]) -> pl.Expr:
    """Step 7 as a position in GRADE_LETTERS (A B C D T), so that letters and policies are look-ups."""

    def code(letter: str) -> pl.Expr:
        return pl.lit(GRADE_LETTERS.index(letter), pl.UInt32)

    def in_group(group: Group) -> pl.Expr:
        reaches = grade_reaches(group, counts[group.id], pl.col("rank"), pl.col("total"))
        chain = pl.when(reaches[0]).then(code("A"))
        for letter, condition in zip("BC", reaches[1:], strict=True):
            chain = chain.when(condition).then(code(letter))
        return chain.otherwise(code("D"))

    return (
        pl.when(pl.col("status") == EXEMPT)
        .then(code(EXEMPT_GRADE))
        .when(~EVALUATED_ROW)
        .then(pl.lit(None, pl.UInt32))
        .when(_forced_d(scheme))
        .then(code("D"))
        .otherwise(_by_group(scheme, in_group))
    )


def _forced_d(scheme: Scheme) -> pl.Expr:
    forcing = [group.id for group in scheme.groups if group.force_d_on_major_violation]
    return EVALUATED_ROW & pl.col("group").is_in(forcing) & pl.col("major_violation").fill_null(False)


def _by_grade(values: list, dtype: pl.DataType) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=dtype)).gather(pl.col("_grade"))


def _policy_columns(scheme: Scheme) -> list[pl.Expr]:
    """Step 8: each graded row carries its grade's policy values (null where its grade has none), escalated
    by its consecutive D years, and the money amounts (mujun/engine/policies.py)."""
    return policy_columns(scheme, _by_grade(list(GRADE_LETTERS), pl.String))


# --- the steps ------------------------------------------------------------------------------------
# Each step is a function over Polars frames that reads its part of the scheme (``STEP_PARTS``) and returns
# the frame named after it. The row steps return lazy frames, so that a whole evaluation is still two
# queries (up to the values, then from the scores on) however it is cut into steps.

STEPS = ("scope", "values", "benchmarks", "scores", "totals", "ranks", "grades", "policies")
FORCED_D_REASON = "重大违法违规，定为D档"


def scope_step(typed: pl.LazyFrame, scheme: Scheme, as_of: date) -> pl.LazyFrame:
    """Step 1: each row's group, status and reason; under ``scope.merge_tenants`` each landlord's row
    carries its tenants' figures too."""
    return (
        typed.with_columns(_group_expr(scheme).alias("group"))
        .with_columns(*_status_and_reason(scheme, as_of))
        .pipe(_merge_tenants if scheme.scope.merge_tenants else lambda rows, _: rows, scheme)
    )


def values_step(scoped: pl.LazyFrame, scheme: Scheme) -> pl.LazyFrame:
    """Step 2: ``<indicator>_value`` by the indicator of the row's group; null on invalid rows."""

    def value_in(indicator_id: str) -> pl.Expr:
        return _by_group(scheme, lambda group: _value_expr(ind) if (ind := _indicator(group, indicator_id)) else None)

    return scoped.with_columns(
        pl.when(pl.col("status") != INVALID).then(value_in(i)).cast(pl.Float64).alias(_value(i))
        for i in scheme.indicator_ids()
    )


def benchmarks_step(valued: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """Step 3: one row per group: its evaluated count (for the share cuts) and ``<indicator>_benchmark``, the
    benchmark its scores divide by — the number given or the one computed over the group's evaluated rows;
    null where the group has no such indicator or the benchmark cannot divide."""
    scalars = valued.select(_benchmark_aggregations(scheme)).row(0, named=True)
    indicator_ids = scheme.indicator_ids()
    rows = []
    for group in scheme.groups:
        own = {ind.id: ind for ind in group.indicators}
        rows.append(
            {
                "group": group.id,
                "evaluated": scalars[f"count|{group.id}"],
                **{
                    _benchmark(i): None if i not in own else _usable(
                        scalars[f"benchmark|{group.id}|{i}"] if isinstance(own[i].benchmark, str) else own[i].benchmark
                    )
                    for i in indicator_ids
                },
            }
        )
    schema = {"group": pl.String, "evaluated": pl.Int64, **{_benchmark(i): pl.Float64 for i in indicator_ids}}
    return pl.DataFrame(rows, schema=schema)


def benchmark_values(benchmarks: pl.DataFrame, scheme: Scheme) -> dict[str, dict[str, float | None]]:
    """The benchmarks frame as {group: {indicator: benchmark}}, each group with its own indicators."""
    by_group = {row["group"]: row for row in benchmarks.iter_rows(named=True)}
    return {
        group.id: {ind.id: by_group[group.id][_benchmark(ind.id)] for ind in group.indicators} for group in scheme.groups
    }


def scores_step(valued: pl.LazyFrame, scheme: Scheme, benchmarks: pl.DataFrame) -> pl.LazyFrame:
    """Step 4: ``<indicator>_score`` of evaluated rows from their values, the benchmarks frame and the
    indicators' weights, caps and missing rules."""
    values = benchmark_values(benchmarks, scheme)

    def score_in(indicator_id: str) -> pl.Expr:
        def pick(group: Group) -> pl.Expr | None:
            ind = _indicator(group, indicator_id)
            return None if ind is None else _score_expr(group, ind, values[group.id][ind.id])

        return pl.when(EVALUATED_ROW).then(_by_group(scheme, pick)).cast(pl.Float64)

    return valued.with_columns(score_in(i).alias(_score(i)) for i in scheme.indicator_ids())


def totals_step(scored: pl.LazyFrame, scheme: Scheme) -> pl.LazyFrame:
    """Step 5: the adjustments' points and total = Σ scores × coefficient + bonus + points."""
    adjustment_ids = scheme.adjustment_ids()
    total = total_of(
        pl.sum_horizontal(_score(i) for i in scheme.indicator_ids()),
        pl.col("coefficient"),
        pl.col("bonus"),
        pl.sum_horizontal(points_column(a) for a in adjustment_ids) if adjustment_ids else None,
    )
    return scored.with_columns(_points_expr(scheme, a).alias(points_column(a)) for a in adjustment_ids).with_columns(
        pl.when(EVALUATED_ROW).then(total).alias("total")
    )


def ranks_step(totalled: pl.LazyFrame, scheme: Scheme) -> pl.LazyFrame:
    """Step 6: rank within the group, highest total first, ties sharing the smaller rank."""
    return totalled.with_columns(pl.col("total").rank("min", descending=True).over("group").cast(pl.Int64).alias("rank"))


def grades_step(ranked: pl.LazyFrame, scheme: Scheme, benchmarks: pl.DataFrame) -> pl.LazyFrame:
    """Step 7: ``grade`` (and its position in GRADE_LETTERS as ``_grade``) by the groups' grading, the share
    cuts counted from the benchmarks frame's evaluated counts; a major violation forces D where the group
    says so, and says so in the reason."""
    counts = dict(benchmarks.select("group", "evaluated").iter_rows())
    return ranked.with_columns(
        _grade_code_expr(scheme, counts).alias("_grade"),
        pl.when(_forced_d(scheme)).then(pl.lit(FORCED_D_REASON)).otherwise("reason").alias("reason"),
    ).with_columns(_by_grade(list(GRADE_LETTERS), pl.String).alias("grade"))


def policies_step(graded: pl.LazyFrame, scheme: Scheme) -> pl.LazyFrame:
    """Step 8: each graded row's policy values and amounts."""
    return graded.with_columns(*_policy_columns(scheme))


def result_columns(scheme: Scheme) -> list[str]:
    """The output's columns, in order (spec "Output")."""
    return [
        "uscc", "name", "region", "group", "status", "reason",
        *(column for i in scheme.indicator_ids() for column in (_value(i), _score(i))),
        *(points_column(a) for a in scheme.adjustment_ids()),
        "total", "rank", "grade", *policy_output_columns(scheme),
    ]  # fmt: skip


def _groups_part(scheme: Scheme, fields: Callable[[Group], object]) -> tuple:
    return tuple((group.id, fields(group)) for group in scheme.groups)


# What each step reads of the scheme (and the input step: the columns typed). A regeneration under another
# scheme reuses every step before the first whose part differs.
STEP_PARTS: dict[str, Callable[[Scheme], object]] = {
    "input": lambda s: sorted(required_columns(s)),
    "scope": lambda s: (
        s.year, s.scope, _groups_part(s, lambda g: g.selection),
        sorted(required_columns(s)) if s.scope.merge_tenants else None,
    ),
    "values": lambda s: (s.indicator_ids(), _groups_part(s, lambda g: [(i.id, i.numerator, i.denominator) for i in g.indicators])),
    "benchmarks": lambda s: _groups_part(s, lambda g: [(i.id, i.benchmark) for i in g.indicators]),
    "scores": lambda s: _groups_part(s, lambda g: [(i.id, i.weight, i.cap, i.missing) for i in g.indicators]),
    "totals": lambda s: (s.adjustments, _groups_part(s, lambda g: g.adjustments)),
    "ranks": lambda s: (),
    "grades": lambda s: _groups_part(s, lambda g: (g.grading, g.force_d_on_major_violation)),
    "policies": lambda s: (s.policies, s.escalations, s.amounts),
}  # fmt: skip


@dataclass(frozen=True)
class LogEntry:
    """One step of a pipeline: computed here (with the part of the scheme it read), or reused from the
    pipeline it was regenerated from; ``replaced`` when its frame was given instead of computed."""

    step: str
    computed: bool
    part: object
    replaced: bool = False


class Pipeline:
    """An evaluation kept step by step, after COINr's coin: every step's frame (``frame(step)``) and a log of
    what each step read, so that it can be regenerated from any step under a changed scheme or with a
    replaced frame (``regenerate``), and two variants compared (``compare``).

    Build one with :meth:`run`; ``evaluate`` is ``Pipeline.run(…).evaluation()``.
    """

    def __init__(
        self, raw: pl.DataFrame, scheme: Scheme, as_of: date, skip_invalid: bool, frames: dict, log: list[LogEntry]
    ):
        self.raw, self.scheme, self.as_of, self.skip_invalid = raw, scheme, as_of, skip_invalid
        self._frames, self.log = frames, log

    @classmethod
    def run(
        cls, frame: pl.DataFrame, scheme: Scheme, *, skip_invalid: bool = False, as_of: date | None = None
    ) -> Pipeline:
        """Type and check ``frame`` and run every step (see ``evaluate`` for the arguments)."""
        pipeline = cls(frame, scheme, as_of or date(scheme.year, 12, 31), skip_invalid, {}, [])
        pipeline._run_from("input")
        return pipeline

    # The steps' frames: "input" is the typed input and "problems" its problems, then one frame per STEPS.
    def _compute(self, step: str) -> object:
        frames, scheme = self._frames, self.scheme
        match step:
            case "input":
                typed, problems = prepare(self.raw, scheme)
                typed, overlaps = _group_overlaps(typed, scheme)
                if overlaps:  # stable sort: a row's own problems keep their order
                    problems = sorted([*problems, *overlaps], key=lambda problem: problem.row)
                if problems and not self.skip_invalid:
                    raise InvalidInput(problems)
                frames["problems"] = problems
                return typed
            case "scope":
                return scope_step(frames["input"].lazy(), scheme, self.as_of)
            case "values":  # collected: the benchmarks and the scores both read it
                return values_step(frames["scope"], scheme).collect()
            case "benchmarks":
                return benchmarks_step(frames["values"], scheme)
            case "scores":
                return scores_step(frames["values"].lazy(), scheme, frames["benchmarks"])
            case "totals":
                return totals_step(frames["scores"], scheme)
            case "ranks":
                return ranks_step(frames["totals"], scheme)
            case "grades":
                return grades_step(frames["ranks"], scheme, frames["benchmarks"])
            case "policies":
                return policies_step(frames["grades"], scheme)
        raise ValueError(f"unknown step {step!r}")

    def _run_from(self, first: str, replaced: dict[str, pl.DataFrame] | None = None) -> None:
        order = ("input", *STEPS)
        for step in order[order.index(first) :]:
            if replaced and step in replaced:
                self._frames[step] = replaced[step]
            else:
                self._frames[step] = self._compute(step)
            part = STEP_PARTS[step](self.scheme)
            self.log.append(LogEntry(step, computed=True, part=part, replaced=bool(replaced and step in replaced)))
        self._frames["result"] = self._frames["policies"].select(result_columns(self.scheme)).collect()

    @property
    def problems(self) -> list[Problem]:
        return self._frames["problems"]

    @property
    def result(self) -> pl.DataFrame:
        return self._frames["result"]

    def frame(self, step: str) -> pl.DataFrame:
        """The frame ``step`` returned ("input": the typed input), collected (and kept) if it was lazy."""
        frame = self._frames[step]
        if isinstance(frame, pl.LazyFrame):
            frame = self._frames[step] = frame.collect()
        return frame

    def benchmarks(self) -> dict[str, dict[str, float | None]]:
        return benchmark_values(self._frames["benchmarks"], self.scheme)

    def evaluation(self) -> Evaluation:
        return Evaluation(result=self.result, benchmarks=self.benchmarks(), problems=self.problems)

    def first_changed_step(self, scheme: Scheme) -> str | None:
        """The first step whose part of ``scheme`` differs from this pipeline's (None: none does)."""
        for step in ("input", *STEPS):
            if STEP_PARTS[step](scheme) != STEP_PARTS[step](self.scheme):
                return step
        return None

    def regenerate(
        self, scheme: Scheme | None = None, *, start: str | None = None, frames: dict[str, pl.DataFrame] | None = None
    ) -> Pipeline:
        """A new pipeline under ``scheme`` (default: this one's), reusing this one's frames before the first
        step whose part of the scheme changed, or before ``start``, or before the first of ``frames`` — frames
        given for steps (say a benchmarks frame with other benchmarks) that are taken instead of computed."""
        scheme = scheme or self.scheme
        order = ("input", *STEPS)
        candidates = [step for step in (self.first_changed_step(scheme), start, *(frames or ())) if step]
        first = min(candidates, key=order.index) if candidates else None
        if first is None:  # nothing changes: the same frames
            first = "policies"
        kept = order[: order.index(first)]
        copy = Pipeline(
            self.raw, scheme, self.as_of, self.skip_invalid,
            {step: self._frames[step] for step in (*kept, "problems")},
            [LogEntry(step, computed=False, part=STEP_PARTS[step](scheme)) for step in kept],
        )  # fmt: skip
        copy._run_from(first, frames)
        return copy

    def write_log(self) -> str:
        """The log as text, a line per step: computed or reused, and what it read of the scheme."""
        lines = []
        for entry in self.log:
            how = "replaced" if entry.replaced else "computed" if entry.computed else "reused"
            lines.append(f"{entry.step}: {how}; {entry.part!r}")
        return "\n".join(lines)


def compare(first: Pipeline, second: Pipeline, columns: tuple[str, ...] = ("total", "rank", "grade")) -> pl.DataFrame:
    """The rows of two variants over the same input whose ``columns`` of the result differ: the row number,
    uscc and each column under both as ``<column>`` and ``<column>_other``."""
    left, right = first.result, second.result
    if left.height != right.height:
        raise ValueError("the two pipelines evaluated different inputs")
    both = pl.concat(
        [
            first.frame("input").select(ROW_COLUMN),
            left.select("uscc", *columns),
            right.select(pl.col(columns).name.suffix("_other")),
        ],
        how="horizontal",
    )
    return both.filter(pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}_other")) for c in columns))


def evaluate(
    frame: pl.DataFrame, scheme: Scheme, *, skip_invalid: bool = False, as_of: date | None = None
) -> Evaluation:
    """Evaluate every row of ``frame`` under ``scheme`` (steps 1–8 of the spec).

    ``as_of`` is the date the exemption periods count back from: 31 December of the scheme's year
    unless given. Raises InvalidInput when rows are invalid, unless ``skip_invalid``: then those rows
    come out with status ``invalid`` and their reasons, and the others are evaluated without them.
    """
    return Pipeline.run(frame, scheme, skip_invalid=skip_invalid, as_of=as_of).evaluation()


# Chinese names of the differentiated policies the presets use; a scheme may name others (shown by key).
POLICY_HEADERS = {
    "land_use_tax_reduction": "城镇土地使用税减免比例",
    "electricity_surcharge_yuan_per_kwh": "差别化电价加价(元/千瓦时)",
    "water_surcharge_yuan_per_t": "差别化水价加价(元/吨)",
    "sewage_surcharge_yuan_per_t": "污水处理费加价(元/吨)",
    "credit_restricted": "限制新增授信",
    "energy_quota_restricted": "限制新增用能指标",
    "energy_quota_reduction": "新增用能指标压减比例",
    CONSECUTIVE_D_YEARS: "连续D档年数",
}


def result_headers(scheme: Scheme) -> dict[str, str]:
    """Chinese headers of a result's columns, for the Excel report."""
    headers = {**INPUT_COLUMNS, **OUTPUT_HEADERS, **POLICY_HEADERS}
    for group in scheme.groups:
        for ind in group.indicators:
            headers.setdefault(_value(ind.id), f"{ind.label}")
            headers.setdefault(_score(ind.id), f"{ind.label}得分")
    for adjustment in (*scheme.adjustments, *(a for group in scheme.groups for a in group.adjustments)):
        headers.setdefault(points_column(adjustment.id), adjustment.label)
    headers.update({amount.id: amount.label for amount in scheme.amounts})
    return headers


def _as_number(frame: pl.DataFrame, column: str) -> pl.Expr:
    if column not in frame.columns:
        return pl.lit(None, dtype=pl.Float64).alias(column)
    return coercion("number", column, frame.schema[column]).typed.alias(column)


def summarise(result: pl.DataFrame, input: pl.DataFrame) -> pl.DataFrame:
    """Per region: enterprises, counts per status and grade, and land, tax and tax per mu (ratio of sums)
    of the evaluated enterprises. ``input`` is the frame that was evaluated, raw or typed, row for row."""
    figures = input.select(_as_number(input, "land_mu"), _as_number(input, "tax"))
    frame = pl.concat([result.select("region", "status", "grade"), figures], how="horizontal")
    evaluated = pl.col("status") == EVALUATED
    return (
        frame.group_by("region")
        .agg(
            pl.len().alias("enterprises"),
            evaluated.sum().alias("evaluated"),
            *((pl.col("grade") == grade).sum().alias(grade) for grade in (*GRADES, EXEMPT_GRADE)),
            (pl.col("status") == OUT_OF_SCOPE).sum().alias("out_of_scope"),
            (pl.col("status") == INVALID).sum().alias("invalid"),
            pl.col("land_mu").filter(evaluated).sum().alias("land_mu"),
            pl.col("tax").filter(evaluated).sum().alias("tax"),
        )
        .with_columns(
            pl.when(pl.col("land_mu") > 0).then(pl.col("tax") / pl.col("land_mu")).alias("tax_per_mu"),
            pl.col(pl.UInt32).cast(pl.Int64),
        )
        .sort("region", nulls_last=True)
    )
