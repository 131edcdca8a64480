"""The per-mu benefit evaluation (spec/evaluation.md, "Computation, per group").

``prepare`` types and checks the input; ``evaluate`` runs steps 1–8 of the spec as Polars expressions over
whole columns (group-wise where the spec says "per group"), so a province's million enterprises take about
a second. ``summarise`` gives the per-region counts and sums of a result.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from mujun.engine.io import INPUT_COLUMNS, ROW_COLUMN
from mujun.engine.scheme import GRADES, POLICY_GRADES, Group, Indicator, Scheme, required_columns
from mujun.engine.uscc import uscc_problem, uscc_valid_expr

EVALUATED, EXEMPT, OUT_OF_SCOPE, INVALID = "evaluated", "exempt", "out_of_scope", "invalid"
STATUSES = (EVALUATED, EXEMPT, OUT_OF_SCOPE, INVALID)
EXEMPT_GRADE = "T"
INVALID_COLUMN = "_invalid"

TEXT_COLUMNS = ("uscc", "name", "region")
BOOLEAN_COLUMNS = ("above_scale", "major_violation")
DATE_COLUMNS = ("established_on", "land_acquired_on")
NUMBER_COLUMNS = (
    "land_mu", "tax", "value_added", "revenue", "energy_tce", "emission_eq", "rd_expense", "employees",
    "electricity_10k_kwh", "coefficient", "bonus",
)
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
    """One problem with one cell; ``message`` is "中文 / English"."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        zh, en = self._halves()
        header = INPUT_COLUMNS.get(self.column, self.column)
        return f"第{self.row}行 {header}：{zh} / row {self.row}, {self.column}: {en}"

    def cell_message(self) -> str:
        """The problem without the row number, as the result's reason for an invalid row."""
        zh, en = self._halves()
        return f"{INPUT_COLUMNS.get(self.column, self.column)}：{zh} / {self.column}: {en}"

    def _halves(self) -> tuple[str, str]:
        zh, _, en = self.message.partition(" / ")
        return zh, en or zh


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


@dataclass(frozen=True)
class _Coercion:
    """How a column is typed: the typed expression and where a non-empty cell did not parse."""

    typed: pl.Expr
    unparsed: pl.Expr | None
    zh: str
    en: str


def _blank_to_null(column: str) -> pl.Expr:
    text = pl.col(column).str.strip_chars()
    return pl.when(text != "").then(text)


def _number(column: str, dtype: pl.DataType) -> _Coercion:
    zh, en = "不是数字", "is not a number"
    if dtype.is_numeric():
        return _Coercion(pl.col(column).cast(pl.Float64).fill_nan(None), None, zh, en)
    if dtype != pl.String:
        return _Coercion(pl.col(column).cast(pl.Float64, strict=False), pl.lit(False), zh, en)
    text = _blank_to_null(column)
    parsed = text.cast(pl.Float64, strict=False)
    # Thousands separators (1,234.5) are common in exported spreadsheets; only retried where needed.
    parsed = pl.coalesce(parsed, text.str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False))
    finite = pl.when(parsed.is_finite()).then(parsed)
    return _Coercion(finite, text.is_not_null() & finite.is_null(), zh, en)


def _boolean(column: str, dtype: pl.DataType) -> _Coercion:
    zh, en = "应为 是/否", "must be 是/否, true/false or 1/0"
    if dtype == pl.Boolean:
        return _Coercion(pl.col(column), None, zh, en)
    if dtype.is_numeric():
        typed = pl.col(column).replace_strict({1: True, 0: False}, default=None, return_dtype=pl.Boolean)
        return _Coercion(typed, pl.col(column).is_not_null() & typed.is_null(), zh, en)
    text = _blank_to_null(column).str.to_lowercase()
    typed = text.replace_strict(TRUE_FALSE, default=None, return_dtype=pl.Boolean)
    return _Coercion(typed, text.is_not_null() & typed.is_null(), zh, en)


def _excel_serial_date(serial: pl.Expr) -> pl.Expr:
    in_range = (serial >= 1) & (serial <= EXCEL_LAST_SERIAL)
    return pl.when(in_range).then(pl.lit(EXCEL_EPOCH) + pl.duration(days=serial.floor().cast(pl.Int64)))


def _date(column: str, dtype: pl.DataType) -> _Coercion:
    zh, en = "不是日期（应为 YYYY-MM-DD）", "is not a date (expected YYYY-MM-DD)"
    if dtype == pl.Date:
        return _Coercion(pl.col(column), None, zh, en)
    if isinstance(dtype, pl.Datetime):
        return _Coercion(pl.col(column).dt.date(), None, zh, en)
    if dtype.is_numeric():
        typed = _excel_serial_date(pl.col(column).cast(pl.Float64))
        return _Coercion(typed, pl.col(column).is_not_null() & typed.is_null(), zh, en)
    text = _blank_to_null(column)
    # "2021-03-01", "2021-3-1" and Excel's "2021-03-01 00:00:00"; then 2021/03/01; then a serial number.
    typed = pl.coalesce(
        text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False),
        text.str.slice(0, 10).str.to_date("%Y/%m/%d", strict=False),
        _excel_serial_date(text.cast(pl.Float64, strict=False)),
    )
    return _Coercion(typed, text.is_not_null() & typed.is_null(), zh, en)


def _text(column: str, dtype: pl.DataType) -> _Coercion:
    source = pl.col(column) if dtype == pl.String else pl.col(column).cast(pl.String)
    text = source.str.strip_chars()
    return _Coercion(pl.when(text != "").then(text), None, "", "")


def _coercions(frame: pl.DataFrame, scheme: Scheme) -> dict[str, _Coercion]:
    schema = frame.schema
    kinds = {
        **dict.fromkeys(TEXT_COLUMNS, _text),
        **dict.fromkeys(BOOLEAN_COLUMNS, _boolean),
        **dict.fromkeys(DATE_COLUMNS, _date),
        **dict.fromkeys(NUMBER_COLUMNS, _number),
        **dict.fromkeys(required_columns(scheme), _number),
    }
    return {column: kind(column, schema[column]) for column, kind in kinds.items() if column in schema}


def _absent_column(column: str) -> pl.Expr:
    if column in TEXT_COLUMNS:
        dtype = pl.String
    elif column in BOOLEAN_COLUMNS:
        dtype = pl.Boolean
    elif column in DATE_COLUMNS:
        dtype = pl.Date
    else:
        dtype = pl.Float64
    return pl.lit(None, dtype=dtype).alias(column)


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
                message = "缺少此列，方案的指标要用到 / column is missing; the scheme's indicators need it"
            else:
                message = "缺少此列 / column is missing"
            problems.append(Problem(header_row, column, message))
    return problems


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
    coercions = _coercions(frame, scheme)
    absent = [
        _absent_column(column)
        for column in (*TEXT_COLUMNS, *BOOLEAN_COLUMNS, *DATE_COLUMNS, *NUMBER_COLUMNS)
        if column not in frame.columns
    ]
    flag_names = {column: f"_unparsed_{column}" for column, c in coercions.items() if c.unparsed is not None}
    typed = (
        frame.lazy()
        .with_columns(
            *(c.unparsed.alias(flag_names[column]) for column, c in coercions.items() if column in flag_names),
            *(c.typed.alias(column) for column, c in coercions.items()),
            *absent,
        )
        .with_columns(
            pl.col("above_scale").fill_null(pl.col("revenue") >= ABOVE_SCALE_MIN_REVENUE),
            pl.col("coefficient").fill_null(1.0),
            pl.col("bonus").fill_null(0.0),
        )
        .with_columns(
            uscc_valid_expr("uscc").alias("_uscc_valid"),
            pl.col("land_mu").is_null().alias("_land_missing"),
            (pl.col("land_mu") <= 0).fill_null(False).alias("_land_not_positive"),
            pl.col("above_scale").is_null().alias("_scale_missing"),
        )
        .with_columns(
            (pl.col("_uscc_valid") & pl.col("uscc").is_duplicated()).alias("_uscc_repeated"),
        )
        .with_columns(
            pl.any_horizontal(
                ~pl.col("_uscc_valid"),
                "_uscc_repeated",
                "_land_missing",
                "_land_not_positive",
                "_scale_missing",
                *flag_names.values(),
            ).alias("_bad")
        )
        .collect()
    )
    problems: list[Problem] = []
    reasons = pl.Series(INVALID_COLUMN, [None] * typed.height, dtype=pl.String)
    if typed["_bad"].any():
        problems, reasons = _row_problems(frame, typed, coercions, flag_names)
    checks = ["_uscc_valid", "_uscc_repeated", "_land_missing", "_land_not_positive", "_scale_missing", "_bad"]
    typed = typed.drop(*checks, *flag_names.values()).with_columns(reasons)
    return typed, problems


def _uscc_message(code: object) -> str:
    """uscc_problem's message without its leading "credit code", which the column already names."""
    zh, _, en = (uscc_problem(code) or "无效 / is invalid").partition(" / ")
    return f"{zh.removeprefix('统一社会信用代码')} / {en.removeprefix('credit code ')}"


def _row_problems(
    raw: pl.DataFrame, typed: pl.DataFrame, coercions: dict[str, _Coercion], flag_names: dict[str, str]
) -> tuple[list[Problem], pl.Series]:
    """Messages for the (few) bad rows, built in Python, and the ``_invalid`` reason column."""
    positions = typed.select(pl.arg_where(pl.col("_bad"))).to_series()
    bad = typed[positions]
    raw_bad = raw[positions]
    repeats: dict[str, list[int]] = defaultdict(list)
    for code, row in bad.filter(pl.col("_uscc_repeated")).select("uscc", ROW_COLUMN).iter_rows():
        repeats[code].append(row)
    column_order = {column: index for index, column in enumerate(raw.columns)}
    problems: list[Problem] = []
    reasons: list[str] = []
    for index, flags in enumerate(bad.iter_rows(named=True)):
        row = flags[ROW_COLUMN]
        found: list[Problem] = []
        if not flags["_uscc_valid"]:
            found.append(Problem(row, "uscc", _uscc_message(raw_bad["uscc"][index])))
        if flags["_uscc_repeated"]:
            others = "、".join(str(r) for r in repeats[flags["uscc"]] if r != row)
            others_en = ", ".join(str(r) for r in repeats[flags["uscc"]] if r != row)
            found.append(
                Problem(row, "uscc", f"与第{others}行重复 / repeats the credit code of row(s) {others_en}")
            )
        if flags["_land_missing"] and not flags.get(flag_names.get("land_mu", ""), False):
            found.append(Problem(row, "land_mu", "缺失 / is missing"))
        if flags["_land_not_positive"]:
            found.append(Problem(row, "land_mu", "必须大于0 / must be greater than 0"))
        if flags["_scale_missing"] and not flags.get(flag_names.get("above_scale", ""), False):
            found.append(
                Problem(row, "above_scale", "缺失，且无营业收入可判断 / is missing, and there is no revenue to tell")
            )
        for column, flag in flag_names.items():
            if flags[flag]:
                value = _quote(raw_bad[column][index])
                coercion = coercions[column]
                found.append(Problem(row, column, f"{value}{coercion.zh} / {value} {coercion.en}"))
        found.sort(key=lambda problem: column_order.get(problem.column, len(column_order)))
        problems.extend(found)
        reasons.append("; ".join(problem.cell_message() for problem in found))
    column = pl.Series(INVALID_COLUMN, [None] * typed.height, dtype=pl.String)
    column = column.scatter(positions, pl.Series(reasons, dtype=pl.String))
    return problems, column


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
    if benchmark is None or not benchmark > 0 or benchmark == float("inf"):
        return None
    return float(benchmark)


def _cutoff(as_of: date, years: int) -> date:
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:  # 29 February
        return as_of.replace(year=as_of.year - years, day=28)


def _group_expr(scheme: Scheme) -> pl.Expr:
    by_scale = {group.above_scale: group.id for group in scheme.groups}
    return pl.col("above_scale").replace_strict(by_scale, default=None, return_dtype=pl.String)


def _status_and_reason(scheme: Scheme, as_of: date) -> tuple[pl.Expr, pl.Expr]:
    scope = scheme.scope
    min_land = scope.below_scale_min_land_mu
    too_small = ~pl.col("above_scale") & (pl.col("land_mu") < min_land)
    new_enterprise = pl.col("established_on") > _cutoff(as_of, scope.new_enterprise_years)
    new_land = pl.col("land_acquired_on") > _cutoff(as_of, scope.new_land_years)
    conditions = [
        (pl.col(INVALID_COLUMN).is_not_null(), INVALID, pl.col(INVALID_COLUMN)),
        (
            pl.col("group").is_null(),
            OUT_OF_SCOPE,
            pl.when(pl.col("above_scale"))
            .then(pl.lit("方案没有规上企业分组 / the scheme has no group for above-scale enterprises"))
            .otherwise(pl.lit("方案没有规下企业分组 / the scheme has no group for below-scale enterprises")),
        ),
        (too_small.fill_null(False), OUT_OF_SCOPE, pl.lit(
            f"规下企业用地不足{min_land:g}亩 / below-scale enterprise with less than {min_land:g} mu"
        )),
        (new_enterprise.fill_null(False), EXEMPT, pl.lit(
            f"成立未满{scope.new_enterprise_years}年 / established less than "
            f"{scope.new_enterprise_years} years before the year-end"
        )),
        (new_land.fill_null(False), EXEMPT, pl.lit(
            f"新供地未满{scope.new_land_years}年 / land acquired less than "
            f"{scope.new_land_years} years before the year-end"
        )),
    ]
    status = pl.when(conditions[0][0]).then(pl.lit(conditions[0][1]))
    reason = pl.when(conditions[0][0]).then(conditions[0][2])
    for condition, status_value, reason_value in conditions[1:]:
        status = status.when(condition).then(pl.lit(status_value))
        reason = reason.when(condition).then(reason_value)
    return status.otherwise(pl.lit(EVALUATED)).alias("status"), reason.otherwise(pl.lit(None, pl.String)).alias("reason")


def _by_group(scheme: Scheme, pick) -> pl.Expr:
    """``pick(group)`` for rows of each group (an expression or None to skip the group), else null."""
    branches = [(group, pick(group)) for group in scheme.groups]
    branches = [(group, expr) for group, expr in branches if expr is not None]
    if not branches:
        return pl.lit(None)
    chain = pl.when(pl.col("group") == branches[0][0].id).then(branches[0][1])
    for group, expr in branches[1:]:
        chain = chain.when(pl.col("group") == group.id).then(expr)
    return chain


def evaluate(
    frame: pl.DataFrame, scheme: Scheme, *, skip_invalid: bool = False, as_of: date | None = None
) -> Evaluation:
    """Evaluate every row of ``frame`` under ``scheme`` (steps 1–8 of the spec).

    ``as_of`` is the date the exemption periods count back from: 31 December of the scheme's year
    unless given. Raises InvalidInput when rows are invalid, unless ``skip_invalid``: then those rows
    come out with status ``invalid`` and their reasons, and the others are evaluated without them.
    """
    typed, problems = prepare(frame, scheme)
    if problems and not skip_invalid:
        raise InvalidInput(problems)
    as_of = as_of or date(scheme.year, 12, 31)
    indicator_ids = scheme.indicator_ids()
    definitions: dict[str, Indicator] = {}
    for group in scheme.groups:
        for ind in group.indicators:
            definitions.setdefault(ind.id, ind)
    status, reason = _status_and_reason(scheme, as_of)
    valid = pl.col("status") != INVALID

    # Stage 1: group, status, indicator values (step 1 and 2).
    def value_in_group(indicator_id: str):
        return lambda group: (
            _value_expr(definitions[indicator_id]) if any(i.id == indicator_id for i in group.indicators) else None
        )

    stage1 = (
        typed.lazy()
        .with_columns(_group_expr(scheme).alias("group"))
        .with_columns(status, reason)
        .with_columns(
            pl.when(valid).then(_by_group(scheme, value_in_group(i))).cast(pl.Float64).alias(_value(i))
            for i in indicator_ids
        )
        .collect()
    )

    # Step 3: computed benchmarks, and each group's count for the share cuts.
    scalars = stage1.select(_benchmark_aggregations(scheme)).row(0, named=True)
    benchmarks: dict[str, dict[str, float | None]] = {}
    for group in scheme.groups:
        benchmarks[group.id] = {
            ind.id: _usable(scalars[f"benchmark|{group.id}|{ind.id}"] if isinstance(ind.benchmark, str) else ind.benchmark)
            for ind in group.indicators
        }

    evaluated = pl.col("status") == EVALUATED

    # Step 4: scores. Raw score first; the missing rule then needs the group's mean raw score.
    def raw_score(group: Group, ind: Indicator) -> pl.Expr:
        benchmark = benchmarks[group.id][ind.id]
        if benchmark is None:
            return pl.lit(None, dtype=pl.Float64)
        ratio = pl.col(_value(ind.id)) / benchmark
        return ratio.clip(0.0, ind.cap) * ind.weight

    def score_in_group(indicator_id: str):
        def pick(group: Group) -> pl.Expr | None:
            ind = next((i for i in group.indicators if i.id == indicator_id), None)
            if ind is None:
                return None
            raw = raw_score(group, ind)
            if ind.missing == "group_mean_score":
                has_value = evaluated & (pl.col("group") == group.id) & pl.col(_value(ind.id)).is_not_null()
                raw = raw.fill_null(raw.filter(has_value).mean())
            return raw.fill_null(0.0)

        return pick

    score_columns = [_score(indicator_id) for indicator_id in indicator_ids]
    total = pl.sum_horizontal(score_columns) * pl.col("coefficient") + pl.col("bonus")
    rank = pl.col("total").rank("min", descending=True).over("group").cast(pl.Int64)

    # Step 7: grades. Comparing min-rank with the cut gives the tie rule: a row tied with the last row
    # of a better grade has a rank within that grade's cut.
    def grade_in_group(group: Group) -> pl.Expr:
        grading = group.grading
        if grading.method == "share":
            cut_a, cut_b, cut_c = share_cuts(scalars[f"count|{group.id}"], group)
            measure, limits = pl.col("rank"), (cut_a, cut_b, cut_c)
            reaches = [measure <= limit for limit in limits]
        else:
            reaches = [pl.col("total") >= minimum for minimum in (grading.A, grading.B, grading.C)]
        expr = pl.when(reaches[0]).then(pl.lit("A"))
        for grade, condition in zip("BC", reaches[1:], strict=True):
            expr = expr.when(condition).then(pl.lit(grade))
        return expr.otherwise(pl.lit("D"))

    forced_groups = [group.id for group in scheme.groups if group.force_d_on_major_violation]
    forced_d = evaluated & pl.col("group").is_in(forced_groups) & pl.col("major_violation").fill_null(False)
    grade = (
        pl.when(pl.col("status") == EXEMPT)
        .then(pl.lit(EXEMPT_GRADE))
        .when(~evaluated)
        .then(pl.lit(None, dtype=pl.String))
        .when(forced_d)
        .then(pl.lit("D"))
        .otherwise(_by_group(scheme, grade_in_group))
    )
    forced_reason = "重大违法违规，定为D档 / major violation: graded D"

    policy_columns = []
    for key in scheme.policy_keys():
        mapping = {g: values[key] for g in POLICY_GRADES if key in (values := scheme.policies.get(g, {}))}
        dtype = {bool: pl.Boolean, float: pl.Float64, str: pl.String}[type(next(iter(mapping.values())))]
        policy_columns.append(pl.col("grade").replace_strict(mapping, default=None, return_dtype=dtype).alias(key))

    result = (
        stage1.lazy()
        .with_columns(
            pl.when(evaluated).then(_by_group(scheme, score_in_group(i))).cast(pl.Float64).alias(_score(i))
            for i in indicator_ids
        )
        .with_columns(pl.when(evaluated).then(total).alias("total"))
        .with_columns(rank.alias("rank"))
        .with_columns(grade.alias("grade"), pl.when(forced_d).then(pl.lit(forced_reason)).otherwise("reason").alias("reason"))
        .with_columns(policy_columns)
        .select(
            "uscc", "name", "region", "group", "status", "reason",
            *(column for i in indicator_ids for column in (_value(i), _score(i))),
            "total", "rank", "grade", *scheme.policy_keys(),
        )
        .collect()
    )
    return Evaluation(result=result, benchmarks=benchmarks, problems=problems)


def result_headers(scheme: Scheme) -> dict[str, str]:
    """Chinese headers of a result's columns, for the Excel report."""
    headers = {**INPUT_COLUMNS, **OUTPUT_HEADERS}
    for group in scheme.groups:
        for ind in group.indicators:
            headers.setdefault(_value(ind.id), f"{ind.label}")
            headers.setdefault(_score(ind.id), f"{ind.label}得分")
    return headers


def _as_number(frame: pl.DataFrame, column: str) -> pl.Expr:
    if column not in frame.columns:
        return pl.lit(None, dtype=pl.Float64).alias(column)
    return _number(column, frame.schema[column]).typed.alias(column)


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
