"""The five 未 of inefficient industrial land (五未), as of a date. Polars in, Polars out; no Django.

``classify(parcels, as_of, thresholds)`` reads one row per parcel (the columns of :data:`PARCEL_COLUMNS`,
typed) and returns every parcel's stage and primary category, and every finding: its category, the rule,
the figures that triggered it (JSON) and since when it has held. A date after ``as_of`` has not happened
yet, so the same facts can be classified as of any date; with the facts fixed, moving the date forward
never clears a finding (each rule is "a date plus a period has passed").

Thresholds are defaults a county may change: pass a :class:`Thresholds` for all parcels, and optionally
one per region (keyed by the ``region`` column's value).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import date

import polars as pl
import polars.selectors  # noqa: F401  (pl.selectors)

from mujun.engine.evaluation import coercion
from mujun.engine.rules import Rule, greater_than_zero, not_before, not_negative
from mujun.engine.text import in_language

SQUARE_METRES_PER_MU = 10000 / 15

# English column → the Chinese header users know; used by the batch command, the import and the export.
PARCEL_COLUMNS: dict[str, str] = {
    "code": "地块编号",
    "name": "地块名称",
    "region": "所属区域",
    "holder_uscc": "用地企业统一社会信用代码",
    "area_mu": "面积(亩)",
    "land_use": "土地用途",
    "land_price": "土地出让价款(万元)",
    "approved_on": "批准日期",
    "supplied_on": "供地日期",
    "agreed_start_on": "约定开工日期",
    "agreed_completion_on": "约定竣工日期",
    "started_on": "实际开工日期",
    "completed_on": "竣工验收日期",
    "commissioned_on": "投产日期",
    "stopped_since": "停止开发日期",
    "floor_area_m2": "建筑面积(平方米)",
    "plot_ratio_required": "规定容积率",
    "building_density": "建筑密度",
    "developed_mu": "已开发面积(亩)",
    "committed_investment_intensity": "承诺投资强度(万元/亩)",
    "committed_output_per_mu": "承诺亩均产值(万元)",
    "committed_tax_per_mu": "承诺亩均税收(万元)",
    "committed_energy_per_value_added": "承诺单位增加值能耗(吨标准煤/万元)",
    "committed_emissions_per_value_added": "承诺单位增加值排放(吨当量/万元)",
    "actual_investment_intensity": "实际投资强度(万元/亩)",
    "actual_output_per_mu": "实际亩均产值(万元)",
    "actual_tax_per_mu": "实际亩均税收(万元)",
    "actual_energy_per_value_added": "实际单位增加值能耗(吨标准煤/万元)",
    "actual_emissions_per_value_added": "实际单位增加值排放(吨当量/万元)",
    # The 标准地 contract's breach terms (mujun.engine.acceptance): what a missed indicator costs.
    "contract_deposit": "履约保证金(万元)",
    "price_difference_per_point": "投资强度每差1个百分点补缴差价(万元)",
    "recovery_below_share": "低于承诺该比例收回土地",
    "holder_grade": "企业评价等级",
}
DATE_COLUMNS = [
    "approved_on",
    "supplied_on",
    "agreed_start_on",
    "agreed_completion_on",
    "started_on",
    "completed_on",
    "commissioned_on",
    "stopped_since",
]
NUMBER_COLUMNS = [
    "area_mu",
    "land_price",
    "floor_area_m2",
    "plot_ratio_required",
    "building_density",
    "developed_mu",
    "committed_investment_intensity",
    "committed_output_per_mu",
    "committed_tax_per_mu",
    "committed_energy_per_value_added",
    "committed_emissions_per_value_added",
    "actual_investment_intensity",
    "actual_output_per_mu",
    "actual_tax_per_mu",
    "actual_energy_per_value_added",
    "actual_emissions_per_value_added",
    "contract_deposit",
    "price_difference_per_point",
    "recovery_below_share",
]
TEXT_COLUMNS = ["code", "name", "region", "holder_uscc", "land_use", "holder_grade"]
# The life cycle in order: each pair (earlier, later) must not be reversed.
DATE_ORDER = [
    ("approved_on", "supplied_on"),
    ("supplied_on", "started_on"),
    ("started_on", "completed_on"),
    ("completed_on", "commissioned_on"),
    ("agreed_start_on", "agreed_completion_on"),
    ("supplied_on", "agreed_start_on"),
    ("started_on", "stopped_since"),
]

AGREED_DATES = ["agreed_start_on", "agreed_completion_on"]

CATEGORIES = [
    "approved_not_supplied",
    "supplied_not_used",
    "used_not_exhausted",
    "built_not_commissioned",
    "commissioned_below_standard",
]
CATEGORY_LABELS = {
    "approved_not_supplied": "批而未供",
    "supplied_not_used": "供而未用",
    "used_not_exhausted": "用而未尽",
    "built_not_commissioned": "建而未投",
    "commissioned_below_standard": "投而未达标",
}
STAGES = ["planned", "approved", "supplied", "started", "completed", "commissioned"]
# rule → (category, 中文 description)
RULES: dict[str, tuple[str, str]] = {
    "approved_not_supplied": ("approved_not_supplied", "已批准未供地"),
    "idle_not_started": ("supplied_not_used", "超过约定开工日期（未约定的自供地起）满期限未开工"),
    "stopped_underdeveloped": ("supplied_not_used", "已开工但开发面积或投资不足且停止开发满期限"),
    "plot_ratio_below_required": ("used_not_exhausted", "竣工后实际容积率低于规定"),
    "not_commissioned": ("built_not_commissioned", "竣工满期限未投产"),
    "below_investment_intensity": ("commissioned_below_standard", "投资强度低于承诺"),
    "below_output_per_mu": ("commissioned_below_standard", "亩均产值低于承诺"),
    "below_tax_per_mu": ("commissioned_below_standard", "亩均税收低于承诺"),
    "holder_graded_d": ("commissioned_below_standard", "用地企业评价为D类"),
}


# Labels of the figures a finding carries (the input columns' headers, and the derived shares).
FIGURE_LABELS = {
    **PARCEL_COLUMNS,
    "plot_ratio": "实际容积率",
    "plot_ratio_required": "规定容积率",
    "developed_share": "已开发面积比例",
    "investment_share": "已完成投资比例",
}


@dataclass(frozen=True)
class ContractIndicator:
    """A 标准地 contract indicator: the parcel's committed and actual columns, and which way is better."""

    committed: str
    actual: str
    lower_is_better: bool = False


# The contract indicators in the order the acceptance lists them; the five-wei rules below name the first three.
CONTRACT_INDICATORS: dict[str, ContractIndicator] = {
    "investment_intensity": ContractIndicator("committed_investment_intensity", "actual_investment_intensity"),
    "output_per_mu": ContractIndicator("committed_output_per_mu", "actual_output_per_mu"),
    "tax_per_mu": ContractIndicator("committed_tax_per_mu", "actual_tax_per_mu"),
    "energy_per_value_added": ContractIndicator(
        "committed_energy_per_value_added", "actual_energy_per_value_added", lower_is_better=True
    ),
    "emissions_per_value_added": ContractIndicator(
        "committed_emissions_per_value_added", "actual_emissions_per_value_added", lower_is_better=True
    ),
}


def misses(indicator: str) -> pl.Expr:
    """True where the actual value falls short of the commitment (lower is better for energy and emissions);
    null where either is missing. The one rule of 投而未达标 and of the 标准地 acceptance."""
    spec = CONTRACT_INDICATORS[indicator]
    committed, actual = pl.col(spec.committed), pl.col(spec.actual)
    return actual > committed if spec.lower_is_better else actual < committed


@dataclass(frozen=True)
class Thresholds:
    """The settings of the five-wei rules; the defaults are the spec's."""

    idle_months: int = 12
    stopped_months: int = 12
    min_developed_share: float = 1 / 3
    min_investment_share: float = 0.25
    default_min_plot_ratio: float = 1.0
    commissioning_months: int = 12
    operating_period_months: int = 36
    grade_d_below_standard: bool = True

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]


@dataclass(frozen=True)
class Classification:
    """``parcels``: code, stage, category (primary, null if none), category_since;
    ``findings``: code, category, rule, since, held_days, figures (JSON text), primary."""

    parcels: pl.DataFrame
    findings: pl.DataFrame


@dataclass(frozen=True)
class Problem:
    row: int
    field: str
    zh: str
    en: str

    def message(self, language: str | None = None) -> str:
        header = PARCEL_COLUMNS.get(self.field, self.field)
        return in_language(f"第{self.row}行 {header}：{self.zh}", f"row {self.row}, {self.field}: {self.en}", language)

    def __str__(self) -> str:
        return self.message()


class InvalidParcels(ValueError):
    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems[:20]))
        self.problems = problems


# --- typing and checking the input -------------------------------------------------------------------


def prepare(raw: pl.DataFrame) -> tuple[pl.DataFrame, list[Problem]]:
    """Type the text cells of a parcels table as the evaluation engine types its input, and list every
    problem: unreadable cells, missing code or area, an area not above 0, dates out of order."""
    problems: list[Problem] = []
    if "_row" not in raw.columns:
        raw = raw.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_row"))
    for name in ("code", "area_mu"):
        if name not in raw.columns:
            problems.append(Problem(0, name, f"缺少必填列“{PARCEL_COLUMNS[name]}”", f"missing required column {name}"))
    if problems:
        return raw, problems
    typed = [pl.col("_row")]
    unreadable: list[tuple[str, str, str]] = []  # (column, 中文, English) of cells that could not be read
    for name in raw.columns:
        kind = "date" if name in DATE_COLUMNS else "number" if name in NUMBER_COLUMNS else None
        if kind is None:
            if name in TEXT_COLUMNS:
                text = pl.col(name).cast(pl.String).str.strip_chars()
                typed.append(pl.when(text != "").then(text).alias(name))
            continue
        conversion = coercion(kind, name, raw.schema[name])
        typed += [conversion.typed.alias(name), conversion.unparsed.alias(f"__unread_{name}")]
        unreadable.append((name, conversion.zh, conversion.en))
    frame = raw.select(typed)
    frame = frame.with_columns(pl.lit(None, pl.Date).alias(n) for n in DATE_COLUMNS if n not in frame.columns)
    frame = frame.with_columns(pl.lit(None, pl.Float64).alias(n) for n in NUMBER_COLUMNS if n not in frame.columns)
    frame = frame.with_columns(pl.lit(None, pl.String).alias(n) for n in TEXT_COLUMNS if n not in frame.columns)
    checks = [(name, pl.col(f"__unread_{name}"), zh, en) for name, zh, en in unreadable]
    checks += [
        ("code", pl.col("code").is_null(), "必填，不能为空", "is required"),
        ("area_mu", pl.col("area_mu").is_null() & ~pl.col("__unread_area_mu"), "必填，不能为空", "is required"),
        ("code", pl.col("code").is_duplicated() & pl.col("code").is_not_null(), "地块编号重复", "repeats another row's code"),
    ]
    for name, mask, zh, en in checks:
        problems += [Problem(row, name, zh, en) for row in frame.filter(mask.fill_null(False))["_row"]]
    frame = frame.drop(pl.selectors.starts_with("__unread_"))
    problems += rule_problems(frame)
    problems.sort(key=lambda p: (p.row, list(PARCEL_COLUMNS).index(p.field) if p.field in PARCEL_COLUMNS else 99))
    return frame, problems


# A parcel's own rules: the batch, the import and the model (form and API) all evaluate these.
PARCEL_RULES: list[Rule] = [
    greater_than_zero("area_mu"),
    not_negative("land_price"),
    *[not_before(earlier, later, PARCEL_COLUMNS[earlier], earlier) for earlier, later in DATE_ORDER],
]


# The 标准地 contract's terms (the acceptance's amounts).
CONTRACT_RULES: list[Rule] = [
    not_negative("committed_emissions_per_value_added"),
    not_negative("contract_deposit"),
    not_negative("price_difference_per_point"),
    Rule(
        "recovery_below_share", {"recovery_below_share": pl.Float64},
        (pl.col("recovery_below_share") <= 0) | (pl.col("recovery_below_share") > 1),
        "应大于0且不超过1", "must be above 0 and at most 1",
    ),  # fmt: skip
]
PARCEL_RULES += CONTRACT_RULES


# A disposal case's closing (the model's clean(), through the closing service).
CASE_RULES: list[Rule] = [not_negative("area_disposed_mu")]


def rule_problems(frame: pl.DataFrame) -> list[Problem]:
    """Rows breaking a parcel rule (a later step dated before an earlier one, an area not above 0)."""
    return [Problem(row, rule.field, rule.zh, rule.en) for rule in PARCEL_RULES for row in rule.broken_rows(frame)]


# --- classification ----------------------------------------------------------------------------------


def _thresholds_frame(default: Thresholds, by_region: Mapping[str, Thresholds] | None) -> pl.DataFrame | None:
    if not by_region:
        return None
    rows = [{"region": region, **asdict(t)} for region, t in by_region.items()]
    schema = {"region": pl.String, **{n: pl.Float64 for n in Thresholds.names()}}
    schema["grade_d_below_standard"] = pl.Boolean
    return pl.DataFrame(rows, schema=schema).rename({n: f"t_{n}" for n in Thresholds.names()})


def months_after(day: pl.Expr, months: int | tuple[pl.Expr, set[int]]) -> pl.Expr:
    """``day`` plus a number of months: a constant, or a column with a few distinct values (one offset
    each: far cheaper than formatting an offset per row)."""
    if isinstance(months, int):
        return day.dt.offset_by(f"{months}mo")
    column, values = months
    shifted = pl.lit(None, pl.Date)
    for value in sorted(values):
        shifted = pl.when(column == value).then(day.dt.offset_by(f"{value}mo")).otherwise(shifted)
    return shifted



def classify(
    parcels: pl.DataFrame,
    as_of: date,
    thresholds: Thresholds = Thresholds(),
    by_region: Mapping[str, Thresholds] | None = None,
) -> Classification:
    """Stage, primary category and findings of every parcel as of ``as_of`` (see the module's doc)."""
    frame = parcels
    for name in DATE_COLUMNS:
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.Date).alias(name))
    for name in NUMBER_COLUMNS:
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.Float64).alias(name))
    if "holder_grade" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("holder_grade"))
    if "region" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("region"))

    table = _thresholds_frame(thresholds, by_region)

    def setting(name: str):
        value = getattr(thresholds, name)
        if table is None:
            return value
        column = pl.col(f"t_{name}").fill_null(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return column, {int(v) for v in table[f"t_{name}"].drop_nulls()} | {value}
        return column

    def setting_expr(name: str) -> pl.Expr:
        value = setting(name)
        return value if isinstance(value, pl.Expr) else pl.lit(value)

    day = pl.lit(as_of, pl.Date)
    # A date after as_of has not happened yet; the agreed dates are the contract's terms, known from the start.
    lf = frame.lazy().select(
        "code",
        "region",
        "area_mu",
        *NUMBER_COLUMNS[1:],
        "holder_grade",
        *[pl.when(pl.col(n) <= day).then(pl.col(n)).alias(n) for n in DATE_COLUMNS if n not in AGREED_DATES],
        *AGREED_DATES,
    )
    if table is not None:
        lf = lf.join(table.lazy(), on="region", how="left")

    approved, supplied = pl.col("approved_on").is_not_null(), pl.col("supplied_on").is_not_null()
    started, completed = pl.col("started_on").is_not_null(), pl.col("completed_on").is_not_null()
    commissioned = pl.col("commissioned_on").is_not_null()
    stage = (
        pl.when(commissioned).then(pl.lit("commissioned"))
        .when(completed).then(pl.lit("completed"))
        .when(started).then(pl.lit("started"))
        .when(supplied).then(pl.lit("supplied"))
        .when(approved).then(pl.lit("approved"))
        .otherwise(pl.lit("planned"))
    )  # fmt: skip
    plot_ratio = pl.col("floor_area_m2") / (pl.col("area_mu") * SQUARE_METRES_PER_MU)
    developed_share = pl.col("developed_mu") / pl.col("area_mu")
    investment_share = pl.col("actual_investment_intensity") / pl.col("committed_investment_intensity")
    required_ratio = pl.col("plot_ratio_required").fill_null(setting_expr("default_min_plot_ratio"))

    idle_from = pl.coalesce("agreed_start_on", "supplied_on")
    idle_since = months_after(idle_from, setting("idle_months"))
    stopped_since = months_after(pl.col("stopped_since"), setting("stopped_months"))
    commissioning_since = months_after(pl.col("completed_on"), setting("commissioning_months"))
    operating_since = months_after(pl.col("commissioned_on"), setting("operating_period_months"))
    past_operating = commissioned & (operating_since <= day)

    # rule → (applies, since, figures)
    rules: dict[str, tuple[pl.Expr, pl.Expr, dict[str, pl.Expr]]] = {
        "approved_not_supplied": (
            approved & ~supplied,
            pl.col("approved_on"),
            {"approved_on": pl.col("approved_on")},
        ),
        "idle_not_started": (
            supplied & ~started & (idle_since <= day),
            idle_since,
            {"supplied_on": pl.col("supplied_on"), "agreed_start_on": pl.col("agreed_start_on")},
        ),
        "stopped_underdeveloped": (
            started
            & ~completed
            & (stopped_since <= day)
            & (
                (developed_share < setting_expr("min_developed_share"))
                | (investment_share < setting_expr("min_investment_share"))
            ),
            stopped_since,
            {
                "stopped_since": pl.col("stopped_since"),
                "developed_share": developed_share,
                "investment_share": investment_share,
            },
        ),
        "plot_ratio_below_required": (
            completed & (plot_ratio < required_ratio),
            pl.col("completed_on"),
            {"plot_ratio": plot_ratio, "plot_ratio_required": required_ratio},
        ),
        "not_commissioned": (
            completed & ~commissioned & (commissioning_since <= day),
            commissioning_since,
            {"completed_on": pl.col("completed_on")},
        ),
        "below_investment_intensity": (
            past_operating & misses("investment_intensity"),
            operating_since,
            {
                "actual_investment_intensity": pl.col("actual_investment_intensity"),
                "committed_investment_intensity": pl.col("committed_investment_intensity"),
            },
        ),
        "below_output_per_mu": (
            past_operating & misses("output_per_mu"),
            operating_since,
            {
                "actual_output_per_mu": pl.col("actual_output_per_mu"),
                "committed_output_per_mu": pl.col("committed_output_per_mu"),
            },
        ),
        "below_tax_per_mu": (
            past_operating & misses("tax_per_mu"),
            operating_since,
            {"actual_tax_per_mu": pl.col("actual_tax_per_mu"), "committed_tax_per_mu": pl.col("committed_tax_per_mu")},
        ),
        "holder_graded_d": (
            past_operating & setting_expr("grade_d_below_standard") & (pl.col("holder_grade") == "D"),
            operating_since,
            {"holder_grade": pl.col("holder_grade")},
        ),
    }
    flagged = lf.with_columns(
        stage.alias("stage"),
        *[applies.fill_null(False).alias(f"r_{rule}") for rule, (applies, _since, _figures) in rules.items()],
        *[since.alias(f"s_{rule}") for rule, (_applies, since, _figures) in rules.items()],
    )
    category_flags = {
        category: pl.any_horizontal([pl.col(f"r_{r}") for r, (c, _) in RULES.items() if c == category])
        for category in CATEGORIES
    }
    primary = pl.lit(None, pl.String)
    primary_since = pl.lit(None, pl.Date)
    for category in reversed(CATEGORIES):
        # A category holds since the earliest of its rules that apply.
        since = pl.min_horizontal(
            [pl.when(pl.col(f"r_{r}")).then(pl.col(f"s_{r}")) for r, (c, _) in RULES.items() if c == category]
        )
        primary = pl.when(category_flags[category]).then(pl.lit(category)).otherwise(primary)
        primary_since = pl.when(category_flags[category]).then(since).otherwise(primary_since)
    flagged = flagged.with_columns(primary.alias("category"), primary_since.alias("category_since")).collect()

    finding_frames = []
    for rule, (_applies, _since, figures) in rules.items():
        category = RULES[rule][0]
        hits = flagged.lazy().filter(pl.col(f"r_{rule}"))
        finding_frames.append(
            hits.select(
                "code",
                pl.lit(category).alias("category"),
                pl.lit(rule).alias("rule"),
                pl.col(f"s_{rule}").alias("since"),
                (day - pl.col(f"s_{rule}")).dt.total_days().alias("held_days"),
                pl.struct(**figures).struct.json_encode().alias("figures"),
                (pl.col("category") == category).alias("primary"),
            )
        )
    findings = pl.concat(pl.collect_all(finding_frames), how="vertical")
    result = flagged.select("code", "stage", "category", "category_since")
    return Classification(result, findings)


def figures_of(text: str | None) -> dict:
    return json.loads(text) if text else {}


# Headers of the batch command's output.
RESULT_HEADERS = {
    "code": "地块编号",
    "stage": "阶段",
    "category": "主要类别",
    "category_since": "类别起始日期",
    "rules": "触发规则",
    "findings": "认定情况",
}


def result_table(classification: Classification) -> pl.DataFrame:
    """One row per parcel for the batch output: its stage, primary category and every finding in words."""
    described = classification.findings.with_columns(
        (
            pl.col("category").replace_strict(CATEGORY_LABELS)
            + "："
            + pl.col("rule").replace_strict({r: zh for r, (_c, zh) in RULES.items()})
            + "（自"
            + pl.col("since").dt.to_string("%Y-%m-%d")
            + "，"
            + pl.col("figures")
            + "）"
        ).alias("text")
    )
    per_parcel = described.group_by("code").agg(
        pl.col("rule").str.join(";").alias("rules"), pl.col("text").str.join("；").alias("findings")
    )
    return classification.parcels.join(per_parcel, on="code", how="left", maintain_order="left").with_columns(
        pl.col("category").replace_strict(CATEGORY_LABELS, default=None)
    )
