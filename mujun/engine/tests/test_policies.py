"""Policies with history and money: [[policies.escalate]], [[policies.amounts]] and consecutive_d_years."""

import polars as pl
import pytest

from mujun.engine.batch import main
from mujun.engine.evaluation import evaluate, result_headers
from mujun.engine.scheme import SchemeError, parse_scheme, scheme_to_toml
from mujun.engine.tests.factories import code, frame, huangyan_2022, one_indicator_scheme, row

HAINING = """
[policies.A]
land_use_tax_reduction = 1.0
[policies.C]
electricity_surcharge_yuan_per_kwh = 0.1
[policies.D]
electricity_surcharge_yuan_per_kwh = 0.3
credit_restricted = true

[[policies.escalate]]
grade = "D"
consecutive_years = 3
electricity_surcharge_yuan_per_kwh = 0.4

[[policies.escalate]]
grade = "D"
consecutive_years = 5
credit_restricted = true

[[policies.amounts]]
id = "electricity_surcharge_yuan"
label = "差别化电价加价金额(元)"
rate = "electricity_surcharge_yuan_per_kwh"
quantity = "electricity_10k_kwh"
factor = 10000
"""


def haining(policies: str = HAINING):
    return one_indicator_scheme(policies=policies)


def problems_of(policies: str) -> list[str]:
    with pytest.raises(SchemeError) as error:
        haining(policies)
    return error.value.messages("zh")


def firms(last_prior: int | None, first_prior: int | None = 0) -> pl.DataFrame:
    """Twenty above-scale firms, tax per mu 200 down to 10: under the 20/40/35/5 shares the first is A and the
    last (row 19) D; ``*_prior``: their prior_d_years."""
    priors = [first_prior] + [0] * 18 + [last_prior]
    return frame([row(n, tax=10 * (20 - n), land_mu=1, prior_d_years=p) for n, p in enumerate(priors)])


def test_the_scheme_reads_escalations_and_amounts_and_writes_them_back():
    scheme = haining()
    assert [(e.grade, e.consecutive_years, e.values) for e in scheme.escalations] == [
        ("D", 3, {"electricity_surcharge_yuan_per_kwh": 0.4}),
        ("D", 5, {"credit_restricted": True}),
    ]
    amount = scheme.amounts[0]
    assert (amount.id, amount.rate, amount.quantity, amount.factor) == (
        "electricity_surcharge_yuan", "electricity_surcharge_yuan_per_kwh", "electricity_10k_kwh", 10000.0
    )
    assert parse_scheme(scheme_to_toml(scheme)) == scheme
    assert "electricity_10k_kwh" in __import__("mujun.engine.scheme", fromlist=["x"]).required_columns(scheme)


@pytest.mark.parametrize(
    ("policies", "expected"),
    [
        (HAINING.replace('rate = "electricity_surcharge_yuan_per_kwh"', 'rate = "gas_price"'),
         "政策金额 electricity_surcharge_yuan 的费率政策 gas_price 不是方案中的政策"),
        (HAINING.replace('rate = "electricity_surcharge_yuan_per_kwh"', 'rate = "credit_restricted"'),
         "credit_restricted 不是数值政策"),
        (HAINING.replace('quantity = "electricity_10k_kwh"', 'quantity = "steam_t"'),
         "政策金额 electricity_surcharge_yuan 的数量列 steam_t 不是已知的数值输入列"),
        (HAINING.replace('quantity = "electricity_10k_kwh"', 'quantity = "name"'), "name 不是已知的数值输入列"),
        (HAINING.replace("consecutive_years = 3", "consecutive_years = 0"), "第1项逐年加码政策的连续年数必须是正整数"),
        (HAINING.replace("consecutive_years = 3", "consecutive_years = -2"), "连续年数必须是正整数"),
        (HAINING.replace("consecutive_years = 3", "consecutive_years = 5"), "与另一项相同（D档连续5年）"),
        (HAINING.replace("consecutive_years = 3", 'consecutive_years = "三"'), "连续年数缺失或不是整数"),
        (HAINING.replace('grade = "D"\nconsecutive_years = 3', 'grade = "C"\nconsecutive_years = 3'),
         '第1项逐年加码政策的等级必须是 "D"'),
        (HAINING.replace("electricity_surcharge_yuan_per_kwh = 0.4", "water_surcharge_yuan_per_t = 1.0"),
         "water_surcharge_yuan_per_t 不是[policies.D]中的政策"),
        (HAINING.replace("electricity_surcharge_yuan_per_kwh = 0.4", 'electricity_surcharge_yuan_per_kwh = "高"'),
         "electricity_surcharge_yuan_per_kwh类型与C档不同"),
        (HAINING.replace("factor = 10000", "factor = 0"), "换算系数必须大于0"),
        (HAINING.replace('id = "electricity_surcharge_yuan"', 'id = "grade"'), "编号与输出列或政策重名"),
        (HAINING.replace('id = "electricity_surcharge_yuan"', 'id = "credit_restricted"'), "与输出列或政策重名"),
        (HAINING + '\n[[policies.amounts]]\nid = "electricity_surcharge_yuan"\nrate = "electricity_surcharge_yuan_per_kwh"'
         '\nquantity = "water_t"\n', "政策金额 electricity_surcharge_yuan 的编号重复"),
        (HAINING.replace("factor = 10000", "factor = 10000\nunit = 1"), "有未知的设置项 unit"),
        ('[policies]\nescalate = 3\n', "逐年加码政策必须是表数组"),
        ("[policies.D]\nconsecutive_d_years = 1\n", "consecutive_d_years 不可用作列名"),
    ],
)
def test_a_bad_policy_rule_is_refused_naming_the_field(policies, expected):
    problems = problems_of(policies)
    assert any(expected in problem for problem in problems), problems


def test_problems_are_in_english_too():
    policies = HAINING.replace('quantity = "electricity_10k_kwh"', 'quantity = "steam_t"')
    with pytest.raises(SchemeError) as error:
        haining(policies)
    assert "policies.amounts electricity_surcharge_yuan: quantity steam_t is not a known numeric input column" in (
        error.value.messages("en")
    )


def test_escalation_follows_the_years_running_and_amounts_are_rate_times_quantity():
    result = evaluate(firms(2, first_prior=None), haining()).result
    last = result.row(19, named=True)
    assert last["grade"] == "D" and last["consecutive_d_years"] == 3
    assert last["electricity_surcharge_yuan_per_kwh"] == 0.4
    assert last["electricity_surcharge_yuan"] == pytest.approx(0.4 * 200 * 10000)
    assert last["credit_restricted"] is True
    # Not D this year: the run of D years ends whatever came before.
    first = result.row(0, named=True)
    assert first["grade"] == "A" and first["consecutive_d_years"] == 0
    assert first["electricity_surcharge_yuan_per_kwh"] is None and first["electricity_surcharge_yuan"] is None
    assert first["land_use_tax_reduction"] == 1.0


@pytest.mark.parametrize(("prior", "rate"), [(None, 0.3), (0, 0.3), (1, 0.3), (2, 0.4), (7, 0.4)])
def test_d_rate_by_years_running(prior, rate):
    result = evaluate(firms(prior), haining()).result.row(19, named=True)
    assert result["consecutive_d_years"] == (prior or 0) + 1
    assert result["electricity_surcharge_yuan_per_kwh"] == rate


def test_an_amount_is_null_without_its_figure_and_for_rows_not_graded():
    rows = [row(n, tax=10 * (20 - n), land_mu=1) for n in range(20)]
    rows[19]["electricity_10k_kwh"] = None
    rows.append(row(20, above_scale="否", land_mu=1))  # 规下 under 3 mu: out of scope
    result = evaluate(frame(rows), haining()).result
    assert result["grade"][19] == "D" and result["electricity_surcharge_yuan"][19] is None
    assert result["status"][20] == "out_of_scope"
    assert result.row(20, named=True)["consecutive_d_years"] is None
    assert result["electricity_surcharge_yuan"][20] is None


def test_output_columns_and_headers():
    scheme = haining()
    result = evaluate(firms(0), scheme).result
    assert result.columns[result.columns.index("grade") + 1 :] == [
        "consecutive_d_years", "land_use_tax_reduction", "electricity_surcharge_yuan_per_kwh", "credit_restricted",
        "electricity_surcharge_yuan",
    ]
    headers = result_headers(scheme)
    assert headers["consecutive_d_years"] == "连续D档年数"
    assert headers["electricity_surcharge_yuan"] == "差别化电价加价金额(元)"


def test_a_scheme_without_escalations_or_amounts_keeps_its_output():
    result = evaluate(frame([row(n) for n in range(5)]), huangyan_2022()).result
    assert "consecutive_d_years" not in result.columns
    assert result.columns[-5:] == [
        "land_use_tax_reduction", "electricity_surcharge_yuan_per_kwh", "water_surcharge_yuan_per_t",
        "sewage_surcharge_yuan_per_t", "credit_restricted",
    ]


def test_a_bad_prior_d_years_is_a_row_problem():
    from mujun.engine.evaluation import InvalidInput

    with pytest.raises(InvalidInput) as error:
        evaluate(firms(-1), haining())
    assert "第21行 此前连续D档年数" in str(error.value)


def test_the_batch_command_evaluates_a_scheme_with_escalations_and_amounts(tmp_path):
    scheme_file = tmp_path / "haining.toml"
    scheme_file.write_text(scheme_to_toml(haining()), encoding="utf-8")
    source = tmp_path / "input.csv"
    firms(3).drop("_row").write_csv(source)
    output = tmp_path / "result.csv"
    assert main([str(source), "--scheme", str(scheme_file), "--output", str(output)]) == 0
    written = pl.read_csv(output)
    last = written.row(19, named=True)
    assert last["uscc"] == code(19) and last["grade"] == "D"
    assert last["consecutive_d_years"] == 4 and last["electricity_surcharge_yuan"] == pytest.approx(0.4 * 200 * 10000)
    # The Excel report names the new columns in Chinese.
    workbook = tmp_path / "result.xlsx"
    assert main([str(source), "--scheme", str(scheme_file), "--output", str(workbook)]) == 0
    header = pl.read_excel(workbook).columns
    assert "连续D档年数" in header and "差别化电价加价金额(元)" in header
