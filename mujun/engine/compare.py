"""The policy simulator (issue 12 item 4): two schemes on the same input, side by side.

``compare`` evaluates the input under each scheme (the public ``evaluate``, nothing of its inside) and
tells what the second changes: the grade transition matrix, the changes per region and per group, the
enterprises whose grade changes, and the money each differentiated policy involves under each scheme
(surcharge yuan collected, land-use-tax relief granted). Money is the schemes' ``[[policies.amounts]]``;
a scheme that sets a standard rate without saying how much money it makes gets the platform's standard
amount for it (:data:`STANDARD_AMOUNTS`), as long as the input has the figure it multiplies.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date

import polars as pl

from mujun.engine.evaluation import EXEMPT_GRADE, Evaluation, evaluate
from mujun.engine.policies import Amount
from mujun.engine.scheme import GRADES, Scheme

FIRST, SECOND = "first", "second"
NOT_GRADED = "-"  # out of scope or invalid: no grade at all
GRADE_CATEGORIES = (*GRADES, EXEMPT_GRADE, NOT_GRADED)
UP, DOWN, OTHER = "up", "down", "other"  # better grade, worse grade, into or out of A–D

# How the platform turns a policy rate into money (the demo city's [[policies.amounts]] are these).
STANDARD_AMOUNTS = (
    Amount("electricity_surcharge_yuan", "差别化电价加价金额(元)", "electricity_surcharge_yuan_per_kwh",
           "electricity_10k_kwh", 10_000.0),
    Amount("water_surcharge_yuan", "差别化水价加价金额(元)", "water_surcharge_yuan_per_t", "water_t"),
    Amount("sewage_surcharge_yuan", "污水处理费加价金额(元)", "sewage_surcharge_yuan_per_t", "water_t"),
    Amount("land_use_tax_relief_yuan", "城镇土地使用税减免金额(元)", "land_use_tax_reduction", "land_use_tax", 10_000.0),
)  # fmt: skip
# Rates whose money the enterprise keeps (relief granted) rather than pays (surcharge collected).
RELIEF_RATES = frozenset({"land_use_tax_reduction"})
SURCHARGE, RELIEF = "surcharge", "relief"


def amount_kind(amount: Amount) -> str:
    return RELIEF if amount.rate in RELIEF_RATES else SURCHARGE


def with_standard_amounts(scheme: Scheme, columns: list[str] | set[str]) -> Scheme:
    """``scheme`` with the standard amount of each standard rate it sets but counts no money for, where the
    input (``columns``) has the figure to multiply. Grades do not change: amounts only follow them."""
    counted = {amount.rate for amount in scheme.amounts}
    taken = {amount.id for amount in scheme.amounts} | set(scheme.policy_keys())
    extra = tuple(
        amount
        for amount in STANDARD_AMOUNTS
        if amount.rate in scheme.policy_keys()
        and amount.rate not in counted
        and amount.id not in taken
        and amount.quantity in columns
    )
    return dataclasses.replace(scheme, amounts=(*scheme.amounts, *extra)) if extra else scheme


@dataclass
class Comparison:
    """Two evaluations of one input and what differs. Frames use English column ids; ``HEADERS`` names
    them in Chinese for the workbook."""

    first_scheme: Scheme
    second_scheme: Scheme
    first: Evaluation
    second: Evaluation
    rows: pl.DataFrame  # one per input row: uscc, name, region, group_*, grade_*, total_*, rank_*, change
    transitions: pl.DataFrame  # grade_first, grade_second, enterprises (every pair of GRADE_CATEGORIES)
    amounts: list[Amount]  # every amount of either scheme, by id, first scheme's first

    def transition_matrix(self) -> pl.DataFrame:
        """Wide: one row per first grade, one column per second grade, with row totals."""
        wide = self.transitions.pivot(
            on="grade_second", index="grade_first", values="enterprises", sort_columns=False
        )
        return wide.with_columns(pl.sum_horizontal(GRADE_CATEGORIES).alias("total"))

    def changed(self) -> pl.DataFrame:
        """The enterprises whose grade differs, best total under the second scheme first."""
        order = pl.col("change").replace_strict({UP: 0, DOWN: 1, OTHER: 2}, return_dtype=pl.Int64)
        return self.rows.filter(pl.col("change").is_not_null()).sort(
            order, "region", "total_second", descending=[False, False, True], nulls_last=True
        )

    def _breakdown(self, by: str) -> pl.DataFrame:
        money = [
            pl.col(f"{kind}_{side}").sum().alias(f"{kind}_{side}")
            for kind in (SURCHARGE, RELIEF)
            for side in (FIRST, SECOND)
        ]
        return (
            self.rows.group_by(by)
            .agg(
                pl.len().alias("enterprises"),
                *(
                    (pl.col(f"grade_{side}") == grade).sum().alias(f"{grade}_{side}")
                    for grade in GRADES
                    for side in (FIRST, SECOND)
                ),
                (pl.col("change") == UP).sum().alias(UP),
                (pl.col("change") == DOWN).sum().alias(DOWN),
                (pl.col("change") == OTHER).sum().alias(OTHER),
                *money,
            )
            .with_columns(pl.col(pl.UInt32).cast(pl.Int64))
            .sort(by, nulls_last=True)
        )

    def by_region(self) -> pl.DataFrame:
        return self._breakdown("region")

    def by_group(self) -> pl.DataFrame:
        """Per group of the first scheme (an enterprise it leaves ungrouped counts under an empty group)."""
        labels = {group.id: group.label for group in self.first_scheme.groups}
        frame = self._breakdown("group_first")
        return frame.with_columns(
            pl.col("group_first").replace_strict(labels, default=None, return_dtype=pl.String).alias("group_label")
        ).select("group_first", "group_label", pl.exclude("group_first", "group_label"))

    def money(self) -> pl.DataFrame:
        """Per policy amount: yuan under each scheme, the difference, and how many enterprises it concerns."""
        records = []
        for amount in self.amounts:
            sides = {}
            for side, evaluation in ((FIRST, self.first), (SECOND, self.second)):
                if amount.id not in evaluation.result.columns:  # a policy the other scheme has not
                    sides[side] = (0.0, 0)
                    continue
                yuan = evaluation.result.get_column(amount.id).fill_null(0.0)
                sides[side] = (float(yuan.sum()), int((yuan != 0).sum()))
            records.append(
                {
                    "policy": amount.id,
                    "label": amount.label,
                    "kind": amount_kind(amount),
                    "yuan_first": sides[FIRST][0],
                    "yuan_second": sides[SECOND][0],
                    "difference": sides[SECOND][0] - sides[FIRST][0],
                    "enterprises_first": sides[FIRST][1],
                    "enterprises_second": sides[SECOND][1],
                }
            )
        schema = {
            "policy": pl.String, "label": pl.String, "kind": pl.String, "yuan_first": pl.Float64,
            "yuan_second": pl.Float64, "difference": pl.Float64, "enterprises_first": pl.Int64,
            "enterprises_second": pl.Int64,
        }  # fmt: skip
        return pl.DataFrame(records, schema=schema)

    def counts(self) -> dict[str, int]:
        change = self.rows.get_column("change")
        return {
            "enterprises": self.rows.height,
            "changed": int(change.is_not_null().sum()),
            UP: int((change == UP).sum()),
            DOWN: int((change == DOWN).sum()),
            OTHER: int((change == OTHER).sum()),
        }


def _grade_category(grade: pl.Expr) -> pl.Expr:
    return grade.fill_null(NOT_GRADED)


def _money_by_kind(evaluation: Evaluation, amounts: list[Amount], kind: str) -> pl.Expr:
    present = evaluation.result.columns
    columns = [pl.col(a.id).fill_null(0.0) for a in amounts if amount_kind(a) == kind and a.id in present]
    return pl.sum_horizontal(columns) if columns else pl.lit(0.0)


def compare(
    frame: pl.DataFrame,
    first: Scheme,
    second: Scheme,
    *,
    skip_invalid: bool = False,
    as_of: date | None = None,
) -> Comparison:
    """Evaluate ``frame`` under both schemes and line the results up row by row (each result has one row per
    input row, in input order). Both count the exemptions back from the same day: ``as_of``, else 31 December
    of the first scheme's year. Raises InvalidInput as ``evaluate`` does."""
    as_of = as_of or date(first.year, 12, 31)
    first = with_standard_amounts(first, frame.columns)
    second = with_standard_amounts(second, frame.columns)
    one = evaluate(frame, first, skip_invalid=skip_invalid, as_of=as_of)
    two = evaluate(frame, second, skip_invalid=skip_invalid, as_of=as_of)
    by_id: dict[str, Amount] = {}
    for amount in (*first.amounts, *second.amounts):
        by_id.setdefault(amount.id, amount)
    amounts = list(by_id.values())

    rank = {grade: position for position, grade in enumerate(GRADES)}
    sides = []
    for side, evaluation in ((FIRST, one), (SECOND, two)):
        sides.append(
            evaluation.result.select(
                pl.col("group").alias(f"group_{side}"),
                _grade_category(pl.col("grade")).alias(f"grade_{side}"),
                pl.col("total").alias(f"total_{side}"),
                pl.col("rank").alias(f"rank_{side}"),
                *(_money_by_kind(evaluation, amounts, kind).alias(f"{kind}_{side}") for kind in (SURCHARGE, RELIEF)),
            )
        )
    before = pl.col("grade_first").replace_strict(rank, default=None, return_dtype=pl.Int64)
    after = pl.col("grade_second").replace_strict(rank, default=None, return_dtype=pl.Int64)
    change = (
        pl.when(pl.col("grade_first") == pl.col("grade_second"))
        .then(pl.lit(None, pl.String))
        .when(after < before)
        .then(pl.lit(UP))
        .when(after > before)
        .then(pl.lit(DOWN))
        .otherwise(pl.lit(OTHER))
    )
    rows = pl.concat([one.result.select("uscc", "name", "region"), *sides], how="horizontal").with_columns(
        change.alias("change")
    )
    categories = pl.DataFrame(
        {"grade_first": [g for g in GRADE_CATEGORIES for _ in GRADE_CATEGORIES],
         "grade_second": [g for _ in GRADE_CATEGORIES for g in GRADE_CATEGORIES]}
    )  # fmt: skip
    counted = rows.group_by("grade_first", "grade_second").agg(pl.len().cast(pl.Int64).alias("enterprises"))
    transitions = categories.join(
        counted, on=["grade_first", "grade_second"], how="left", maintain_order="left"
    ).with_columns(pl.col("enterprises").fill_null(0))
    return Comparison(first, second, one, two, rows, transitions, amounts)


# --- the workbook -----------------------------------------------------------------------------------

SHEETS = {"summary": "汇总", "region": "按区域", "group": "按分组", "changed": "等级变化企业", "money": "政策金额"}
CATEGORY_NAMES = {NOT_GRADED: "未定级"}
CHANGE_NAMES = {UP: "上升", DOWN: "下降", OTHER: "进出评级"}
KIND_NAMES = {SURCHARGE: "加价收取", RELIEF: "减免让利"}
SIDE_NAMES = {FIRST: "方案一", SECOND: "方案二"}


def _side_headers(names: dict[str, str]) -> dict[str, str]:
    return {f"{key}_{side}": f"{name}（{SIDE_NAMES[side]}）" for key, name in names.items() for side in SIDE_NAMES}


HEADERS = {
    "uscc": "统一社会信用代码",
    "name": "企业名称",
    "region": "所属区域",
    "enterprises": "企业数",
    "group_label": "分组名称",
    "change": "变化",
    UP: "等级上升",
    DOWN: "等级下降",
    OTHER: "进出评级",
    "policy": "政策",
    "label": "名称",
    "kind": "类别",
    "difference": "差额（方案二减方案一）",
    "total": "合计",
    "grade": "方案一等级",
    **_side_headers({
        "group": "分组", "grade": "等级", "total": "总分", "rank": "排名", "yuan": "金额(元)", "enterprises": "涉及企业数",
        SURCHARGE: "加价金额(元)", RELIEF: "减免金额(元)", **{grade: f"{grade}档" for grade in GRADES},
    }),  # fmt: skip
    **{grade: f"方案二：{grade}" for grade in (*GRADES, EXEMPT_GRADE)},
    NOT_GRADED: "方案二：未定级",
}


def _named(column: str, names: dict[str, str]) -> pl.Expr:
    return pl.col(column).replace(names)


def workbook_sheets(comparison: Comparison) -> tuple[dict[str, pl.DataFrame], dict[str, str], dict[str, list[str]]]:
    """Sheets (汇总 = the transition matrix, by region, by group, changed enterprises, policy money) under
    Chinese headers (:data:`HEADERS`), their titles and the summary's notes, for ``io.write_workbook``."""
    matrix = comparison.transition_matrix().with_columns(_named("grade_first", CATEGORY_NAMES)).rename(
        {"grade_first": "grade"}
    )
    counts = comparison.counts()
    changed = comparison.changed().with_columns(
        _named("change", CHANGE_NAMES), _named("grade_first", CATEGORY_NAMES), _named("grade_second", CATEGORY_NAMES)
    )
    sheets = {
        SHEETS["summary"]: matrix,
        SHEETS["region"]: comparison.by_region(),
        SHEETS["group"]: comparison.by_group(),
        SHEETS["changed"]: changed,
        SHEETS["money"]: comparison.money().with_columns(_named("kind", KIND_NAMES)),
    }
    sheets = {
        name: frame.rename({column: HEADERS[column] for column in frame.columns if column in HEADERS})
        for name, frame in sheets.items()
    }
    first, second = comparison.first_scheme.name, comparison.second_scheme.name
    titles = {SHEETS["summary"]: f"等级转移矩阵：方案一「{first}」→ 方案二「{second}」"}
    notes = {
        SHEETS["summary"]: [
            f"企业{counts['enterprises']}家，等级变化{counts['changed']}家：上升{counts[UP]}家，下降{counts[DOWN]}家，"
            f"进出评级{counts[OTHER]}家。",
            "行为方案一的等级，列为方案二的等级；T为暂不评价（新设企业或新供地），未定级为不在评价范围或数据无效。",
        ]
    }
    return sheets, titles, notes
