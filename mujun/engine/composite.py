"""Composite indicators as COINr builds them: pure Polars, no Django.

Inputs are COINr's two tables. The data: one row per unit, ``uCode``, the indicators and any group and
denominator columns. The metadata (``iMeta``): one row per column, ``Level, iCode, iName, Direction,
Weight, Unit, Target, Denominator, Parent, Type`` with Type ``Indicator`` (level 1), ``Aggregate`` (levels
2 and up, the tree of pillars, sub-indices and the index), ``Group``, ``Denominator`` or ``Other``.

The pipeline is five named steps, run in this order, each a function ``step(config, frame, inputs)`` of
its table of the pipeline (``None`` when the pipeline leaves it out: the frame passes through) and the
previous step's frame (``uCode`` and one column per indicator), returning a :class:`Stage` — its name,
its frame and a log of what it did to each column:

* ``denominate`` — each indicator divided by the data column its metadata names as Denominator;
* ``impute`` — missing values filled by the mean or median of the column, or of the unit's group;
* ``treat`` — outliers: a column whose |skew| and kurtosis both reach the thresholds is winsorised (the
  extreme point of the skewed side set to the next one, repeatedly, up to ``winmax`` points), and if that
  does not bring it within them the original column is log-transformed instead (COINr's ``Treat``);
* ``normalise`` — onto a common scale after turning negative indicators round (Direction −1);
* ``aggregate`` — weighted means up the metadata's tree, level by level; missing values are left out and
  the weights of the rest rescaled, as COINr's ``a_amean``/``a_gmean``/``a_hmean`` do.

:func:`run` keeps every stage (:class:`Run`), so a result can be regenerated with a changed pipeline from
the first step that changed (:meth:`Run.regenerate`, COINr's ``Regen``) and two runs compared
(:func:`compare`). Skewness and kurtosis are the bias-corrected sample statistics (Excel's SKEW and KURT,
e1071 type 2) that COINr uses.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, NamedTuple

import polars as pl

from mujun.engine.text import ProblemsError, Text

UNIT = "uCode"
ROW = "_row"
META_COLUMNS = ("Level", "iCode", "iName", "Direction", "Weight", "Unit", "Target", "Denominator", "Parent", "Type")
REQUIRED_META = ("Level", "iCode", "Direction", "Weight", "Parent", "Type")  # Target, Denominator, iName optional
TYPES = ("Indicator", "Aggregate", "Group", "Denominator", "Other")
MISSING = ("", "NA", "N/A", "NaN", "nan", "null")  # empty cells, and R's and Excel's ways of writing "no value"
GOALPOSTS = ("goalpost_lower", "goalpost_upper")  # optional iMeta columns, as COINr names them
STEPS = ("denominate", "impute", "treat", "normalise", "aggregate")
RAW = "raw"


class Problem(NamedTuple):
    """One problem with the metadata, the data or the pipeline, at a row and column where it has one."""

    where: str  # "metadata", "data" or "pipeline"
    row: int | None
    column: str | None
    text: Text

    def message(self, language: str | None = None) -> str:
        places = {"metadata": Text("元数据", "metadata"), "data": Text("数据", "data"), "pipeline": Text("流程", "pipeline")}
        place = places[self.where]
        zh = place.zh + (f"第{self.row}行" if self.row is not None else "") + (f" {self.column}" if self.column else "")
        en = place.en + (f" row {self.row}" if self.row is not None else "") + (f", {self.column}" if self.column else "")
        return Text(f"{zh}：{self.text.zh}", f"{en}: {self.text.en}").message(language)


class CompositeError(ProblemsError):
    """Inputs or a pipeline that cannot be used; ``problems`` lists every reason."""


# -- the pipeline ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Denominate:
    pass


@dataclass(frozen=True)
class Impute:
    method: str = "mean"  # COINr's default i_mean
    group: str | None = None

    METHODS = ("group_mean", "group_median", "mean", "median", "none")


@dataclass(frozen=True)
class Treat:
    method: str = "winsorise"
    winmax: int = 5
    skew_threshold: float = 2.0
    kurt_threshold: float = 3.5
    # When winsorising fails: "log" is COINr's log_CT, log(x − min + 0.01·range); "log_plus" its log_CT_plus,
    # which mirrors it for a negative skew; "none" keeps the winsorised column.
    transform: str = "log"

    METHODS = ("winsorise", "none")
    TRANSFORMS = ("log", "log_plus", "none")


@dataclass(frozen=True)
class Normalise:
    method: str = "minmax"
    range: tuple[float, float] = (0.0, 100.0)  # minmax, percentile_rank and goalposts' scale
    mean_sd: tuple[float, float] = (0.0, 1.0)  # zscore
    cap: bool = False  # distance_to_target: a value past the target scores 1, not more
    ties: str = "min"  # percentile_rank: tied values share the lowest ("min", COINr) or highest ("max") rank
    truncate: bool = True  # goalposts: values outside the posts score at the post

    METHODS = ("minmax", "zscore", "rank", "percentile_rank", "distance_to_target", "goalposts", "none")


@dataclass(frozen=True)
class Aggregate:
    method: str = "arithmetic"
    # A unit with fewer than this share of an aggregate's children gets no value for it (COINr's dat_thresh).
    data_threshold: float | None = None

    METHODS = ("arithmetic", "geometric", "harmonic")


STEP_CONFIGS: dict[str, type] = {
    "denominate": Denominate, "impute": Impute, "treat": Treat, "normalise": Normalise, "aggregate": Aggregate,
}  # fmt: skip


@dataclass(frozen=True)
class Pipeline:
    """One table per step; a step left out (``None``) passes its frame through unchanged."""

    denominate: Denominate | None = None
    impute: Impute | None = None
    treat: Treat | None = None
    normalise: Normalise | None = None
    aggregate: Aggregate | None = None

    def step(self, name: str):
        return getattr(self, name)


def _pipeline_problem(column: str, zh: str, en: str) -> Problem:
    return Problem("pipeline", None, column, Text(zh, en))


def _config_value(step: str, key: str, value: Any, default: Any) -> tuple[Any, Problem | None]:
    name = f"[{step}] {key}"
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value, None
        return None, _pipeline_problem(name, "应为 true 或 false", "must be true or false")
    if isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value, None
        return None, _pipeline_problem(name, "应为不小于0的整数", "must be a whole number, 0 or more")
    if isinstance(default, float) or (default is None and key == "data_threshold"):
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            if key == "data_threshold" and not 0 <= value <= 1:
                return None, _pipeline_problem(name, "应在0到1之间", "must be between 0 and 1")
            return float(value), None
        return None, _pipeline_problem(name, "应为数字", "must be a number")
    if isinstance(default, tuple):
        if (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        ):
            low, high = float(value[0]), float(value[1])
            if key == "range" and not low < high:
                return None, _pipeline_problem(name, "下限应小于上限", "the lower bound must be below the upper")
            if key == "mean_sd" and not high > 0:
                return None, _pipeline_problem(name, "标准差应大于0", "the standard deviation must be above 0")
            return (low, high), None
        return None, _pipeline_problem(name, "应为两个数字，如 [0, 100]", "must be two numbers, e.g. [0, 100]")
    if isinstance(value, str) and value:
        return value, None
    return None, _pipeline_problem(name, "应为文字", "must be text")


def parse_pipeline(text: str) -> Pipeline:
    """A pipeline from TOML (one table per step); :class:`CompositeError` lists every problem."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CompositeError([_pipeline_problem("", f"不是有效的TOML：{error}", f"not valid TOML: {error}")]) from error
    problems: list[Problem] = []
    steps: dict[str, Any] = {}
    for step, table in document.items():
        if step not in STEP_CONFIGS:
            problems.append(
                _pipeline_problem(f"[{step}]", f"未知步骤，可用：{'、'.join(STEPS)}", f"unknown step; use {', '.join(STEPS)}")
            )
            continue
        if not isinstance(table, dict):
            problems.append(_pipeline_problem(f"[{step}]", "应为表", "must be a table"))
            continue
        config_class = STEP_CONFIGS[step]
        defaults = config_class()
        known = {f.name: getattr(defaults, f.name) for f in fields(config_class)}
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key not in known:
                names = ", ".join(known) or "—"
                problems.append(_pipeline_problem(f"[{step}] {key}", f"未知设置，可用：{names}", f"unknown key; known: {names}"))
                continue
            parsed, problem = _config_value(step, key, value, known[key])
            if problem:
                problems.append(problem)
            else:
                values[key] = parsed
        config = replace(defaults, **values)
        for key, choices in (("method", "METHODS"), ("transform", "TRANSFORMS")):
            allowed = getattr(config_class, choices, None)
            if allowed and getattr(config, key) not in allowed:
                problems.append(
                    _pipeline_problem(
                        f"[{step}] {key}",
                        f"未知方法 {getattr(config, key)}，可用：{'、'.join(allowed)}",
                        f"unknown method {getattr(config, key)}; use {', '.join(allowed)}",
                    )
                )
        if step == "impute" and config.method.startswith("group_") and not config.group:
            problems.append(_pipeline_problem("[impute] group", "按组插补须指明分组列", "group imputation needs a group column"))
        if step == "normalise" and config.ties not in ("min", "max"):
            problems.append(_pipeline_problem("[normalise] ties", "应为 min 或 max", "must be min or max"))
        steps[step] = config
    if problems:
        raise CompositeError(problems)
    return Pipeline(**steps)


def load_pipeline(path) -> Pipeline:
    with open(path, encoding="utf-8") as file:
        return parse_pipeline(file.read())


# -- metadata and data ----------------------------------------------------------------------------------------


METADATA_SCHEMA = {
    "Level": pl.Int64, "iCode": pl.String, "Direction": pl.Float64, "Weight": pl.Float64, "Target": pl.Float64,
    "Denominator": pl.String, "Parent": pl.String, "Type": pl.String,
}  # fmt: skip


@dataclass(frozen=True)
class Metadata:
    """The checked ``iMeta``: every indicator and aggregate row, in the file's order."""

    table: pl.DataFrame  # METADATA_SCHEMA's columns (+ extra columns such as the goalposts)

    @classmethod
    def of(cls, rows: list[Mapping[str, Any]]) -> Metadata:
        """Metadata a program builds (a tree known to be sound), without :func:`read_metadata`'s checks."""
        return cls(pl.DataFrame([{name: row.get(name) for name in METADATA_SCHEMA} for row in rows], schema=METADATA_SCHEMA))

    @property
    def indicators(self) -> list[str]:
        return self.table.filter(pl.col("Type") == "Indicator")["iCode"].to_list()

    @property
    def aggregates(self) -> list[str]:
        """Aggregates from the lowest level up (the order they are computed in)."""
        rows = self.table.filter(pl.col("Type") == "Aggregate").with_row_index("_order")
        return rows.sort("Level", "_order")["iCode"].to_list()

    @property
    def top_level(self) -> int:
        return int(self.table["Level"].max())

    def column(self, name: str) -> dict[str, Any]:
        return dict(zip(self.table["iCode"], self.table[name]))

    def children(self, level: int) -> dict[str, list[str]]:
        """Each parent's children at ``level``, parents in metadata order."""
        rows = self.table.filter(pl.col("Level") == level)
        grouped: dict[str, list[str]] = {}
        for code, parent in zip(rows["iCode"], rows["Parent"]):
            grouped.setdefault(parent, []).append(code)
        return grouped


def _numbers(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Text cells as floats (missing words as null); other cells null, to be reported by :func:`_not_numbers`."""
    return frame.with_columns(
        pl.when(pl.col(c).cast(pl.String).str.strip_chars().is_in(MISSING))
        .then(None)
        .otherwise(pl.col(c).cast(pl.String).str.strip_chars())
        .cast(pl.Float64, strict=False)
        .alias(c)
        for c in columns
    )


def _not_numbers(raw: pl.DataFrame, typed: pl.DataFrame, columns: list[str], where: str) -> list[Problem]:
    problems = []
    for column in columns:
        text = raw[column].cast(pl.String).str.strip_chars()
        bad = typed[column].is_null() & text.is_not_null() & ~text.is_in(MISSING)
        bad = bad | typed[column].is_infinite().fill_null(False) | typed[column].is_nan().fill_null(False)
        for row, value in zip(raw.filter(bad)[ROW], raw.filter(bad)[column]):
            problems.append(Problem(where, row, column, Text(f"“{value}”不是数字", f"“{value}” is not a number")))
    return problems


def _with_rows(frame: pl.DataFrame) -> pl.DataFrame:
    if ROW in frame.columns:
        return frame
    return frame.with_columns(pl.int_range(2, pl.len() + 2, dtype=pl.Int64).alias(ROW))  # line 1 is the header


def read_metadata(raw: pl.DataFrame) -> Metadata:
    """Check an ``iMeta`` table (text cells, as :func:`mujun.engine.io.read_table` gives them)."""
    raw = _with_rows(raw)
    missing = [c for c in REQUIRED_META if c not in raw.columns]
    if missing:
        raise CompositeError(
            [Problem("metadata", None, c, Text("缺少此列", "column missing")) for c in missing]
        )
    raw = raw.with_columns(pl.col(c).cast(pl.String).str.strip_chars() for c in raw.columns if c != ROW)
    for optional in ("Target", "Denominator", "iName"):
        if optional not in raw.columns:
            raw = raw.with_columns(pl.lit(None, pl.String).alias(optional))
    problems: list[Problem] = []
    reported: set[tuple[int, str]] = set()  # cells already reported as no number get no second message

    def problem(row: int, column: str, zh: str, en: str) -> None:
        if (row, column) not in reported:
            problems.append(Problem("metadata", row, column, Text(zh, en)))

    for row, code in zip(raw[ROW], raw["iCode"]):
        if not code:
            problem(row, "iCode", "代码为空", "code is empty")
    for code, count in raw.filter(pl.col("iCode").is_not_null())["iCode"].value_counts().iter_rows():
        if count > 1:
            for row in raw.filter(pl.col("iCode") == code)[ROW]:
                problem(row, "iCode", f"代码 {code} 重复", f"code {code} appears more than once")
    for row, kind in zip(raw[ROW], raw["Type"]):
        if kind not in TYPES:
            problem(
                row, "Type", f"类型“{kind or ''}”无效，可用：{'、'.join(TYPES)}",
                f"type “{kind or ''}” is not one of {', '.join(TYPES)}",
            )  # fmt: skip
    tree = raw.filter(pl.col("Type").is_in(["Indicator", "Aggregate"]))
    numeric = ["Level", "Direction", "Weight", "Target", *[c for c in GOALPOSTS if c in raw.columns]]
    typed = _numbers(tree, numeric)
    unreadable = _not_numbers(tree, typed, numeric, "metadata")
    problems += unreadable
    reported.update((p.row, p.column) for p in unreadable)
    codes_of_type = {kind: set(raw.filter(pl.col("Type") == kind)["iCode"]) for kind in TYPES}
    levels = dict(zip(typed["iCode"], typed["Level"]))
    for row in typed.iter_rows(named=True):
        line, code, kind, level = row[ROW], row["iCode"], row["Type"], row["Level"]
        if level is None or level != int(level) or level < 1:
            if raw.filter(pl.col(ROW) == line)["Level"][0] in MISSING:
                problem(line, "Level", "层级为空", "level is empty")
            elif level is not None:
                problem(line, "Level", "层级应为不小于1的整数", "level must be a whole number, 1 or more")
        elif kind == "Indicator" and level != 1:
            problem(line, "Level", "指标的层级应为1", "an indicator's level must be 1")
        elif kind == "Aggregate" and level < 2:
            problem(line, "Level", "汇总项的层级应不小于2", "an aggregate's level must be 2 or more")
        parent = row["Parent"]
        if kind == "Indicator" and row["Direction"] not in (1.0, -1.0):
            problem(line, "Direction", "方向应为1或-1", "direction must be 1 or -1")
        if parent and (row["Weight"] is None or row["Weight"] < 0):  # the top aggregate needs no weight
            problem(line, "Weight", "权重应为不小于0的数字", "weight must be a number, 0 or more")
        if parent:
            if parent not in codes_of_type["Aggregate"]:
                problem(line, "Parent", f"上级 {parent} 不是汇总项", f"parent {parent} is not an aggregate")
            elif level is not None and levels.get(parent) is not None and levels[parent] != level + 1:
                problem(line, "Parent", f"上级 {parent} 应在第{int(level) + 1}层", f"parent {parent} must be at level {int(level) + 1}")
        elif kind == "Indicator" or (level is not None and typed["Level"].max() is not None and level < typed["Level"].max()):
            problem(line, "Parent", "上级为空", "parent is empty")
        denominator = row["Denominator"]
        if denominator and denominator not in codes_of_type["Denominator"]:
            problem(
                line, "Denominator", f"分母 {denominator} 不是类型为 Denominator 的行",
                f"denominator {denominator} is not a row of type Denominator",
            )  # fmt: skip
    parents = set(typed["Parent"].drop_nulls())
    for row, code, kind in zip(typed[ROW], typed["iCode"], typed["Type"]):
        if kind == "Aggregate" and code not in parents:
            problem(row, "iCode", f"汇总项 {code} 没有下级", f"aggregate {code} has no children")
    if typed.filter(pl.col("Type") == "Indicator").height == 0:
        problems.append(Problem("metadata", None, "Type", Text("没有类型为 Indicator 的行", "no row of type Indicator")))
    if problems:
        raise CompositeError(problems)
    extra = [c for c in raw.columns if c not in META_COLUMNS and c != ROW]  # e.g. the goalposts
    table = typed.select(
        pl.col("Level").cast(pl.Int64), "iCode", "Direction", "Weight", "Target", "Denominator", "Parent", "Type", *extra
    )
    return Metadata(table)


@dataclass(frozen=True)
class Inputs:
    """The checked data: ``indicators`` (uCode and one Float64 column per indicator) and ``units`` (uCode,
    the group and denominator columns), rows in the same order."""

    meta: Metadata
    indicators: pl.DataFrame
    units: pl.DataFrame


def read_inputs(data: pl.DataFrame, meta: Metadata) -> Inputs:
    """Check the data table against the metadata: uCode present and unique, every indicator and
    denominator column present, every cell a number or empty."""
    data = _with_rows(data)
    problems: list[Problem] = []
    codes = meta.indicators
    denominators = meta.table.filter(pl.col("Type") == "Indicator")["Denominator"].drop_nulls().unique().to_list()
    for column in [UNIT, *codes, *sorted(denominators)]:
        if column not in data.columns:
            problems.append(Problem("data", None, column, Text("缺少此列", "column missing")))
    if problems:
        raise CompositeError(problems)
    units = data[UNIT].cast(pl.String).str.strip_chars()
    for row, code in zip(data[ROW], units):
        if not code:
            problems.append(Problem("data", row, UNIT, Text("单元代码为空", "unit code is empty")))
    for code, count in units.drop_nulls().value_counts().iter_rows():
        if count > 1 and code:
            for row in data.filter(units == code)[ROW]:
                problems.append(Problem("data", row, UNIT, Text(f"单元代码 {code} 重复", f"unit code {code} appears more than once")))
    numeric = [*codes, *sorted(denominators)]
    typed = _numbers(data, numeric)
    problems += _not_numbers(data, typed, numeric, "data")
    for column in denominators:
        for row in typed.filter(pl.col(column) == 0)[ROW]:
            problems.append(Problem("data", row, column, Text("分母为0", "denominator is 0")))
    if problems:
        raise CompositeError(problems)
    typed = typed.with_columns(units.alias(UNIT))
    others = [c for c in data.columns if c not in (UNIT, ROW, *codes)]
    return Inputs(meta, typed.select(UNIT, *codes), typed.select(UNIT, ROW, *others))


# -- the steps --------------------------------------------------------------------------------------------------


class Stage(NamedTuple):
    """A step's result: its name, its frame (uCode and the columns) and its log (one row per column)."""

    name: str
    frame: pl.DataFrame
    log: pl.DataFrame


def _passed(name: str, frame: pl.DataFrame) -> Stage:
    return Stage(name, frame, pl.DataFrame({"iCode": [], "action": []}, schema={"iCode": pl.String, "action": pl.String}))


def denominate(config: Denominate | None, frame: pl.DataFrame, inputs: Inputs) -> Stage:
    """Divide each indicator by its Denominator column (COINr's ``Denominate``)."""
    if config is None:
        return _passed("denominate", frame)
    by = {code: d for code, d in inputs.meta.column("Denominator").items() if d and code in frame.columns}
    result = frame.with_columns(pl.col(code) / inputs.units[d] for code, d in by.items())
    log = pl.DataFrame({"iCode": list(by), "denominator": list(by.values())}, schema={"iCode": pl.String, "denominator": pl.String})
    return Stage("denominate", result, log)


def impute(config: Impute | None, frame: pl.DataFrame, inputs: Inputs) -> Stage:
    """Fill missing values (COINr's ``i_mean``, ``i_median``, ``i_mean_grp``, ``i_median_grp``). A unit
    without a group keeps its gaps; a group without any value leaves its units' gaps open."""
    if config is None or config.method == "none":
        return _passed("impute", frame)
    columns = [c for c in frame.columns if c != UNIT]
    if config.method.startswith("group_"):
        if config.group not in inputs.units.columns:
            raise CompositeError([Problem("data", None, config.group, Text("缺少插补所用的分组列", "the group column to impute by is missing"))])
        group = inputs.units[config.group].cast(pl.String)
        working = frame.with_columns(group.alias("__group"))
        statistic = (lambda c: pl.col(c).mean()) if config.method == "group_mean" else (lambda c: pl.col(c).median())
        filled = working.with_columns(
            pl.when(pl.col("__group").is_null()).then(pl.col(c)).otherwise(pl.col(c).fill_null(statistic(c).over("__group")))
            for c in columns
        ).drop("__group")
    else:
        statistic = (lambda c: pl.col(c).mean()) if config.method == "mean" else (lambda c: pl.col(c).median())
        filled = frame.with_columns(pl.col(c).fill_null(statistic(c)) for c in columns)
    log = pl.DataFrame(
        {
            "iCode": columns,
            "imputed": [frame[c].null_count() - filled[c].null_count() for c in columns],
            "still_missing": [filled[c].null_count() for c in columns],
        },
        schema={"iCode": pl.String, "imputed": pl.Int64, "still_missing": pl.Int64},
    )
    return Stage("impute", filled, log)


def skew_kurtosis(values: pl.Series) -> tuple[float | None, float | None]:
    """Sample skewness and excess kurtosis, bias-corrected (Excel's SKEW and KURT); None when undefined
    (fewer than 3 or 4 values, or all equal)."""
    present = values.drop_nulls()
    skew = present.skew(bias=False) if present.len() >= 3 else None
    kurt = present.kurtosis(fisher=True, bias=False) if present.len() >= 4 else None
    defined = [v if v is not None and math.isfinite(v) else None for v in (skew, kurt)]
    return defined[0], defined[1]


def _passes(values: pl.Series, config: Treat) -> bool | None:
    """COINr's check_SkewKurt: passes unless both |skew| and kurtosis reach their thresholds; None when
    they cannot be computed (COINr then leaves the column untreated)."""
    skew, kurt = skew_kurtosis(values)
    if skew is None or kurt is None:
        return None
    return abs(skew) < config.skew_threshold or kurt < config.kurt_threshold


def winsorise(values: pl.Series, config: Treat) -> tuple[pl.Series, list[int], list[int]]:
    """COINr's ``winsorise``: while the column fails the check and fewer than ``winmax`` points have been
    winsorised, set the extreme value(s) on the skewed side (high for skew ≥ 0) to the next value in. The
    count is the points currently tied at the winsorised extremes, as COINr counts. Returns the column and
    the positions winsorised high and low."""
    values = values.clone()  # scatter writes in place: the caller's column stays as it was
    high: list[int] = []
    low: list[int] = []
    passing = _passes(values, config)
    while passing is False and len(high) + len(low) < config.winmax:
        skew, _ = skew_kurtosis(values)
        positions = pl.int_range(0, values.len(), eager=True)
        if skew >= 0:
            extreme = values.max()
            at = positions.filter(values == extreme)
            replacement = values.filter(values != extreme).max()
            high = at.to_list()
        else:
            extreme = values.min()
            at = positions.filter(values == extreme)
            replacement = values.filter(values != extreme).min()
            low = at.to_list()
        if replacement is None:  # every value equal: nothing left to winsorise
            break
        values = values.scatter(at, replacement)
        passing = _passes(values, config)
    return values, high, low


def log_transform(values: pl.Series, skew_aware: bool) -> pl.Series:
    """COINr's ``log_CT``: log(x − min + 0.01·(max − min)); ``skew_aware`` (``log_CT_plus``) mirrors it,
    −log(max + a − x), for a column skewed to the left."""
    low, high = values.min(), values.max()
    shift = 0.01 * (high - low)
    skew, _ = skew_kurtosis(values)
    if skew_aware and not (skew is not None and skew > 0):
        return -((high + shift) - values).log()
    return (values - low + shift).log()


def treat(config: Treat | None, frame: pl.DataFrame, inputs: Inputs) -> Stage:
    """Outlier treatment column by column (COINr's ``Treat`` with winsorise, then the log transform of
    the original column when winsorising does not pass)."""
    columns = [c for c in frame.columns if c != UNIT]
    if config is None or config.method == "none":
        return _passed("treat", frame)
    units = frame[UNIT]
    treated: dict[str, pl.Series] = {}
    rows = []
    for column in columns:
        original = frame[column]
        skew, kurt = skew_kurtosis(original)
        passing = _passes(original, config)
        action, high, low, result = "none", [], [], original
        if passing is None:
            action = "not_checked"
        elif not passing:
            winsorised, high, low = winsorise(original, config)
            result, action = winsorised, "winsorise"
            after = _passes(winsorised, config)
            if after is None:  # winsorised to a constant: COINr hands the column back untreated
                result, action, high, low = original, "not_checked", [], []
            elif not after and config.transform != "none":
                result = log_transform(original, skew_aware=config.transform == "log_plus")
                action, high, low = config.transform, [], []
        treated[column] = result.alias(column)
        after_skew, after_kurt = skew_kurtosis(result)
        rows.append(
            {
                "iCode": column, "action": action, "winsorised": len(high) + len(low),
                "high": ",".join(units.gather(high).to_list()), "low": ",".join(units.gather(low).to_list()),
                "skew_before": skew, "kurtosis_before": kurt, "skew_after": after_skew, "kurtosis_after": after_kurt,
                "passes": _passes(result, config),
            }
        )  # fmt: skip
    log_schema = {
        "iCode": pl.String, "action": pl.String, "winsorised": pl.Int64, "high": pl.String, "low": pl.String,
        "skew_before": pl.Float64, "kurtosis_before": pl.Float64, "skew_after": pl.Float64,
        "kurtosis_after": pl.Float64, "passes": pl.Boolean,
    }  # fmt: skip
    return Stage("treat", frame.with_columns(treated.values()), pl.DataFrame(rows, schema=log_schema))


def _normalised(config: Normalise, column: str, x: pl.Expr, meta: dict[str, dict[str, Any]]) -> pl.Expr:
    """One column's normalisation; ``x`` is already multiplied by its direction."""
    low, high = config.range
    if config.method == "minmax":
        spread = x.max() - x.min()
        # Polars divides by a scalar as a product with its reciprocal, which overflows for a subnormal
        # spread; a power of two scales both sides exactly first (the offsets are no larger than the spread).
        exact = pl.when(spread < 1e-300).then(pl.lit(2.0**600)).otherwise(pl.lit(1.0))
        return pl.when(spread > 0).then((x - x.min()) * exact / (spread * exact) * (high - low) + low)
    if config.method == "zscore":
        mean, sd = config.mean_sd
        return (x - x.mean()) / x.std(ddof=1) * sd + mean
    if config.method == "rank":
        return x.rank("min").cast(pl.Float64)
    if config.method == "percentile_rank":
        # (rank − 1) / (n − 1) as COINr's n_prank, scaled onto the range; a lone value ranks first.
        ranked = x.rank(config.ties).cast(pl.Float64)
        count = x.count()
        share = pl.when(count > 1).then((ranked - 1) / (count - 1)).otherwise(pl.lit(1.0))
        return pl.when(x.is_not_null()).then(share * (high - low) + low)
    direction = meta["Direction"][column]
    if config.method == "distance_to_target":
        target = meta["Target"][column] * direction  # the target turned round with its indicator, as COINr does
        y = (x - x.min()) / (target - x.min())
        return pl.min_horizontal(y, pl.lit(1.0)) if config.cap else y
    if config.method == "goalposts":
        lower, upper = meta["goalpost_lower"][column], meta["goalpost_upper"][column]
        start, end = (lower, upper) if direction == 1 else (-upper, -lower)
        y = (x - start) / (end - start)
        if config.truncate:
            y = y.clip(0.0, 1.0)
        return y * (high - low) + low
    return x


def normalise(config: Normalise | None, frame: pl.DataFrame, inputs: Inputs) -> Stage:
    """Bring the indicators onto one scale after multiplying each by its direction (COINr's ``Normalise``
    with n_minmax, n_zscore, n_rank, n_prank, n_dist2targ and n_goalposts)."""
    columns = [c for c in frame.columns if c != UNIT]
    if config is None:
        return _passed("normalise", frame)
    table = inputs.meta.table
    meta = {name: dict(zip(table["iCode"], table[name])) for name in table.columns if name != "iCode"}
    required = {"distance_to_target": ("Target",), "goalposts": ("goalpost_lower", "goalpost_upper")}.get(config.method, ())
    problems = [
        Problem(
            "metadata", None, name,
            Text(f"{config.method} 需要指标 {column} 的此项", f"{config.method} needs it for indicator {column}"),
        )  # fmt: skip
        for name in required
        for column in columns
        if meta.get(name, {}).get(column) is None
    ]
    problems += [
        Problem(
            "metadata", None, "goalpost_upper",
            Text(f"指标 {column} 的上门柱应大于下门柱", f"indicator {column}'s upper goalpost must be above its lower"),
        )  # fmt: skip
        for column in columns
        if config.method == "goalposts" and not problems and meta["goalpost_upper"][column] <= meta["goalpost_lower"][column]
    ]
    if problems:
        raise CompositeError(problems)
    directions = meta["Direction"]
    result = frame.with_columns(
        _normalised(config, c, pl.col(c) * directions[c], meta).cast(pl.Float64).alias(c) for c in columns
    )
    distinct = frame.select(pl.col(columns).drop_nulls().n_unique()).row(0) if columns else ()
    log = pl.DataFrame(
        {
            "iCode": columns,
            "direction": [int(directions[c]) for c in columns],
            "min": result.select(pl.col(columns).min()).row(0) if columns else [],
            "max": result.select(pl.col(columns).max()).row(0) if columns else [],
            "note": ["range 0: no values" if config.method == "minmax" and n == 1 else "" for n in distinct],
        },
        schema={"iCode": pl.String, "direction": pl.Int64, "min": pl.Float64, "max": pl.Float64, "note": pl.String},
    )
    return Stage("normalise", result, log)


def _weighted_mean(method: str, values: list[pl.Expr], weights: list[float]) -> pl.Expr:
    """Weighted mean over the values present (the weights of missing ones left out)."""
    present = [v.is_not_null().cast(pl.Float64) * w for v, w in zip(values, weights)]
    total_weight = pl.sum_horizontal(present)
    if method == "arithmetic":
        combined = pl.sum_horizontal([v * w for v, w in zip(values, weights)]) / total_weight
    elif method == "geometric":
        combined = (pl.sum_horizontal([v.log() * w for v, w in zip(values, weights)]) / total_weight).exp()
    else:
        combined = total_weight / pl.sum_horizontal([w / v for v, w in zip(values, weights)])
    return pl.when(total_weight > 0).then(combined)


def aggregate(config: Aggregate | None, frame: pl.DataFrame, inputs: Inputs) -> Stage:
    """Aggregate up the metadata's tree, level by level, each aggregate the weighted mean of its
    children (COINr's ``Aggregate`` with a_amean, a_gmean or a_hmean)."""
    if config is None:
        return _passed("aggregate", frame)
    meta = inputs.meta
    weights = meta.column("Weight")
    rows = []
    result = frame
    for level in range(2, meta.top_level + 1):
        children = meta.children(level - 1)
        if config.method in ("geometric", "harmonic"):
            problems = []
            for parent, codes in children.items():
                for code in codes:
                    bad = result.filter(pl.col(code) <= 0 if config.method == "geometric" else pl.col(code) == 0)
                    mean = "几何" if config.method == "geometric" else "调和"
                    for unit in bad[UNIT].head(5):  # a few examples say enough
                        text = Text(
                            f"单元 {unit} 的值不大于0，无法用{mean}平均汇总（可将标准化区间设为 [1, 100]）",
                            f"unit {unit}'s value is not above 0 and cannot enter a {config.method} mean "
                            "(normalise onto e.g. [1, 100])",
                        )
                        problems.append(Problem("data", None, code, text))
            if problems:
                raise CompositeError(problems)
        expressions = []
        for parent, codes in children.items():
            values = [pl.col(c) for c in codes]
            combined = _weighted_mean(config.method, values, [float(weights[c]) for c in codes])
            if config.data_threshold is not None:
                share = pl.sum_horizontal([v.is_not_null().cast(pl.Float64) for v in values]) / len(codes)
                combined = pl.when(share >= config.data_threshold).then(combined)
            expressions.append(combined.alias(parent))
            rows.append({"iCode": parent, "level": level, "children": ",".join(codes), "method": config.method})
        result = result.with_columns(expressions)
    # An aggregate without children (a tree built by code over no values) is there, empty.
    result = result.with_columns(pl.lit(None, pl.Float64).alias(a) for a in meta.aggregates if a not in result.columns)
    order = [c for c in frame.columns] + meta.aggregates
    log = pl.DataFrame(rows, schema={"iCode": pl.String, "level": pl.Int64, "children": pl.String, "method": pl.String})
    return Stage("aggregate", result.select(order), log)


STEP_FUNCTIONS: dict[str, Callable[[Any, pl.DataFrame, Inputs], Stage]] = {
    "denominate": denominate, "impute": impute, "treat": treat, "normalise": normalise, "aggregate": aggregate,
}  # fmt: skip


# -- runs -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A pipeline's run: the raw stage and one stage per step, in order, and the pipeline that made them
    (the log a run is regenerated from)."""

    pipeline: Pipeline
    inputs: Inputs
    stages: tuple[Stage, ...] = field(default=())
    reused: tuple[str, ...] = ()  # the steps a regeneration took over from the earlier run

    def stage(self, name: str) -> Stage:
        return next(stage for stage in self.stages if stage.name == name)

    def frame(self, name: str) -> pl.DataFrame:
        return self.stage(name).frame

    @property
    def result(self) -> pl.DataFrame:
        """uCode, every indicator after the last step and every aggregate."""
        return self.stages[-1].frame

    def regenerate(self, pipeline: Pipeline) -> Run:
        """The run with ``pipeline``: stages before the first changed step are kept, the rest recomputed."""
        kept = [self.stages[0]]
        for name, stage in zip(STEPS, self.stages[1:]):
            if pipeline.step(name) != self.pipeline.step(name):
                break
            kept.append(stage)
        return _continue(pipeline, self.inputs, kept)

    def write_log(self) -> str:
        """A line per step: computed or reused, and its part of the pipeline (None: left out)."""
        return "\n".join(
            f"{name}: {'reused' if name in self.reused else 'computed'}; {self.pipeline.step(name)!r}" for name in STEPS
        )


def _continue(pipeline: Pipeline, inputs: Inputs, stages: list[Stage]) -> Run:
    reused = tuple(stage.name for stage in stages[1:])
    for name in STEPS[len(stages) - 1 :]:
        stages.append(STEP_FUNCTIONS[name](pipeline.step(name), stages[-1].frame, inputs))
    return Run(pipeline, inputs, tuple(stages), reused)


def run(pipeline: Pipeline, inputs: Inputs) -> Run:
    return _continue(pipeline, inputs, [Stage(RAW, inputs.indicators, _passed(RAW, inputs.indicators).log)])


def compare(first: Run, second: Run, column: str | None = None) -> pl.DataFrame:
    """Per unit: a column's value and rank in each run (the top aggregate by default), the difference of
    values and the change of rank (positive: better in the second run)."""
    column = column or (first.inputs.meta.aggregates[-1] if first.inputs.meta.aggregates else first.result.columns[-1])
    ranked = [
        run.result.select(
            UNIT,
            pl.col(column).alias(f"value_{n}"),
            pl.col(column).rank("min", descending=True).cast(pl.Int64).alias(f"rank_{n}"),
        )
        for n, run in (("first", first), ("second", second))
    ]
    return (
        ranked[0]
        .join(ranked[1], on=UNIT, how="full", coalesce=True)
        .with_columns(
            difference=pl.col("value_second") - pl.col("value_first"),
            rank_change=pl.col("rank_first") - pl.col("rank_second"),
        )
        .sort("rank_second", nulls_last=True)
    )


def composite(pipeline: Pipeline, data: pl.DataFrame, meta: pl.DataFrame) -> Run:
    """Check the tables and run the pipeline: the one entry for the command and the web."""
    checked = read_metadata(meta)
    return run(pipeline, read_inputs(data, checked))


def metadata_from(rows: list[Mapping[str, Any]]) -> pl.DataFrame:
    """An iMeta table from rows of Python values (as text cells, the way a file gives them)."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return pl.DataFrame(
        {c: [None if row.get(c) is None else str(row.get(c)) for row in rows] for c in columns},
        schema={c: pl.String for c in columns},
    )
