"""The five-wei classifier: the spec's rules on examples, its properties for any parcel (hypothesis),
and the ``mujun land classify`` batch command."""

from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mujun.engine import land_batch
from mujun.engine.land import (
    DATE_COLUMNS,
    STAGES,
    Thresholds,
    classify,
    figures_of,
    prepare,
)

AS_OF = date(2025, 12, 31)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# The stages at which each category can hold: a parcel's category follows its stage.
CATEGORY_STAGES = {
    "approved_not_supplied": {"approved"},
    "supplied_not_used": {"supplied", "started"},
    "used_not_exhausted": {"completed", "commissioned"},
    "built_not_commissioned": {"completed"},
    "commissioned_below_standard": {"commissioned"},
}


def parcels(*rows: dict) -> pl.DataFrame:
    schema = {"code": pl.String, "area_mu": pl.Float64, **{n: pl.Date for n in DATE_COLUMNS}}
    frame = pl.DataFrame([{"area_mu": 10.0, **row} for row in rows], schema_overrides=schema, infer_schema_length=None)
    return frame


def findings_of(frame: pl.DataFrame, as_of: date = AS_OF, **kwargs) -> dict[str, list[str]]:
    result = classify(frame, as_of, **kwargs).findings
    return {code: sorted(rules) for code, rules in result.group_by("code").agg("rule").iter_rows()}


def test_each_rule_of_the_table():
    frame = parcels(
        {"code": "approved", "approved_on": date(2024, 1, 1)},
        {"code": "idle", "approved_on": date(2023, 1, 1), "supplied_on": date(2023, 6, 1), "agreed_start_on": date(2024, 6, 1)},
        {"code": "idle-soon", "approved_on": date(2023, 1, 1), "supplied_on": date(2023, 6, 1), "agreed_start_on": date(2025, 6, 1)},
        {"code": "stopped", "supplied_on": date(2020, 1, 1), "started_on": date(2021, 1, 1),
         "stopped_since": date(2023, 1, 1), "developed_mu": 2.0},
        {"code": "stopped-but-developed", "supplied_on": date(2020, 1, 1), "started_on": date(2021, 1, 1),
         "stopped_since": date(2023, 1, 1), "developed_mu": 8.0},
        {"code": "sparse", "supplied_on": date(2020, 1, 1), "started_on": date(2020, 6, 1),
         "completed_on": date(2021, 6, 1), "commissioned_on": date(2021, 9, 1), "floor_area_m2": 3000.0},
        {"code": "not-commissioned", "supplied_on": date(2020, 1, 1), "started_on": date(2020, 6, 1),
         "completed_on": date(2024, 6, 1), "floor_area_m2": 20000.0},
        {"code": "below", "supplied_on": date(2015, 1, 1), "started_on": date(2015, 6, 1), "completed_on": date(2016, 6, 1),
         "commissioned_on": date(2017, 1, 1), "floor_area_m2": 20000.0, "committed_tax_per_mu": 30.0,
         "actual_tax_per_mu": 12.0, "holder_grade": "D"},
        {"code": "fine", "supplied_on": date(2015, 1, 1), "started_on": date(2015, 6, 1), "completed_on": date(2016, 6, 1),
         "commissioned_on": date(2017, 1, 1), "floor_area_m2": 20000.0, "committed_tax_per_mu": 30.0,
         "actual_tax_per_mu": 32.0, "holder_grade": "B"},
    )  # fmt: skip
    assert findings_of(frame) == {
        "approved": ["approved_not_supplied"],
        "idle": ["idle_not_started"],
        "stopped": ["stopped_underdeveloped"],
        "sparse": ["plot_ratio_below_required"],
        "not-commissioned": ["not_commissioned"],
        "below": ["below_tax_per_mu", "holder_graded_d"],
    }
    result = classify(frame, AS_OF)
    findings = result.findings.filter(pl.col("code") == "idle").row(0, named=True)
    assert findings["since"] == date(2025, 6, 1)  # one year after the agreed start
    assert findings["held_days"] == (AS_OF - date(2025, 6, 1)).days
    below = result.findings.filter(pl.col("rule") == "below_tax_per_mu").row(0, named=True)
    assert figures_of(below["figures"]) == {"actual_tax_per_mu": 12.0, "committed_tax_per_mu": 30.0}
    assert below["since"] == date(2020, 1, 1)  # 36 months after commissioning
    primary = dict(result.parcels.select("code", "category").iter_rows())
    assert primary["sparse"] == "used_not_exhausted" and primary["fine"] is None


def test_primary_category_is_the_first_in_table_order_and_all_findings_are_kept():
    frame = parcels(
        {"code": "both", "supplied_on": date(2019, 1, 1), "started_on": date(2019, 6, 1),
         "completed_on": date(2020, 1, 1), "floor_area_m2": 1000.0},
    )  # fmt: skip
    result = classify(frame, AS_OF)
    assert result.parcels.row(0, named=True)["category"] == "used_not_exhausted"
    assert sorted(result.findings["category"]) == ["built_not_commissioned", "used_not_exhausted"]


def test_county_thresholds_change_the_rules_for_that_county_only():
    supplied = {"approved_on": date(2023, 1, 1), "supplied_on": date(2024, 6, 1)}
    frame = parcels({"code": "a", "region": "吴兴区", **supplied}, {"code": "b", "region": "南浔区", **supplied})
    assert findings_of(frame) == {"a": ["idle_not_started"], "b": ["idle_not_started"]}
    lenient = {"南浔区": Thresholds(idle_months=24)}
    assert findings_of(frame, by_region=lenient) == {"a": ["idle_not_started"]}
    assert findings_of(frame, thresholds=Thresholds(idle_months=24)) == {}


def test_prepare_names_row_and_field_of_bad_cells_and_dates_out_of_order():
    raw = pl.DataFrame(
        {
            "code": ["A", "B", "B", None],
            "area_mu": ["10", "-1", "abc", "5"],
            "approved_on": ["2020-01-01", "2020-01-01", "2020-01-01", "2020-02-30"],
            "supplied_on": ["2019-01-01", None, None, None],
            "_row": [2, 3, 4, 5],
        }
    )
    _frame, problems = prepare(raw)
    messages = [str(p) for p in problems]
    assert "第2行 供地日期：不能早于批准日期" in messages
    assert "第3行 面积(亩)：必须大于0" in messages
    assert any(m.startswith("第4行 面积(亩)：不是数字") for m in messages)
    assert any(m.startswith("第3行 地块编号：地块编号重复") for m in messages)
    assert any(m.startswith("第5行 地块编号：必填") for m in messages)
    assert any(m.startswith("第5行 批准日期：不是日期") for m in messages)


# --- properties ----------------------------------------------------------------------------------------

day = st.dates(min_value=date(2010, 1, 1), max_value=date(2025, 12, 31))


@st.composite
def parcel(draw):
    """A parcel whose dates run in life-cycle order, stopping at a random stage."""
    steps = draw(st.integers(min_value=0, max_value=5))
    dates, current = {}, draw(day)
    for name in ["approved_on", "supplied_on", "started_on", "completed_on", "commissioned_on"][:steps]:
        dates[name] = current
        current += timedelta(days=draw(st.integers(min_value=0, max_value=900)))
    if "supplied_on" in dates and draw(st.booleans()):
        dates["agreed_start_on"] = dates["supplied_on"] + timedelta(days=draw(st.integers(0, 400)))
    if "started_on" in dates and "completed_on" not in dates and draw(st.booleans()):
        dates["stopped_since"] = dates["started_on"] + timedelta(days=draw(st.integers(0, 400)))
    figure = st.none() | st.floats(min_value=0, max_value=200)
    return {
        **dates,
        "area_mu": draw(st.floats(min_value=1, max_value=300)),
        "floor_area_m2": draw(st.none() | st.floats(min_value=0, max_value=300_000)),
        "developed_mu": draw(figure),
        "committed_investment_intensity": draw(figure),
        "actual_investment_intensity": draw(figure),
        "committed_tax_per_mu": draw(figure),
        "actual_tax_per_mu": draw(figure),
        "holder_grade": draw(st.sampled_from([None, "A", "B", "C", "D"])),
    }


def numbered(rows: list[dict]) -> pl.DataFrame:
    return parcels(*[{"code": f"P{i}", **row} for i, row in enumerate(rows)])


@FAST
@given(st.lists(parcel(), min_size=1, max_size=30), day)
def test_a_parcels_category_follows_its_stage(rows, as_of):
    result = classify(numbered(rows), as_of)
    stages = dict(result.parcels.select("code", "stage").iter_rows())
    assert set(stages.values()) <= set(STAGES)
    for code, category in result.findings.select("code", "category").iter_rows():
        assert stages[code] in CATEGORY_STAGES[category], (code, category, stages[code])


@FAST
@given(st.lists(parcel(), min_size=1, max_size=30), st.integers(min_value=1, max_value=4000))
def test_moving_the_date_forward_never_clears_a_finding_without_a_change_of_facts(rows, days_later):
    frame = numbered(rows)
    known = max((d for row in rows for n, d in row.items() if n in DATE_COLUMNS), default=date(2010, 1, 1))
    earlier = classify(frame, known).findings
    later = classify(frame, known + timedelta(days=days_later)).findings
    kept = earlier.join(later, on=["code", "rule"], how="anti")
    assert kept.is_empty(), kept
    same_since = earlier.join(later, on=["code", "rule"]).filter(pl.col("since") != pl.col("since_right"))
    assert same_since.is_empty()


# --- the batch command ---------------------------------------------------------------------------------


def test_batch_command_writes_results_and_findings(tmp_path, capsys):
    source = tmp_path / "parcels.csv"
    source.write_text("地块编号,面积(亩),批准日期,供地日期\nA,10,2020-01-01,\nB,5,2020-01-01,2021-01-01\n", encoding="utf-8")
    output, findings = tmp_path / "out.parquet", tmp_path / "findings.xlsx"
    code = land_batch.main([str(source), "--as-of", "2025-01-01", "--output", str(output), "--findings", str(findings)])
    assert code == 0
    result = pl.read_parquet(output)
    assert dict(result.select("code", "category").iter_rows()) == {"A": "批而未供", "B": "供而未用"}
    assert pl.read_excel(findings).height == 2
    assert "批而未供 1 供而未用 1" in capsys.readouterr().out


def test_batch_command_refuses_bad_rows_and_writes_nothing(tmp_path, capsys):
    source = tmp_path / "parcels.csv"
    source.write_text("地块编号,面积(亩),批准日期,供地日期\nA,0,2020-01-01,2019-01-01\n", encoding="utf-8")
    output = tmp_path / "out.csv"
    assert land_batch.main([str(source), "--as-of", "2025-01-01", "--output", str(output)]) == 2
    errors = capsys.readouterr().err
    assert "第2行 面积(亩)：必须大于0" in errors
    assert "第2行 供地日期：不能早于批准日期" in errors
    assert not output.exists()


@pytest.mark.parametrize("thresholds", ['{"idle_months": 240}'])
def test_batch_command_takes_thresholds(tmp_path, thresholds):
    source = tmp_path / "parcels.csv"
    source.write_text("地块编号,面积(亩),供地日期\nB,5,2021-01-01\n", encoding="utf-8")
    output = tmp_path / "out.csv"
    assert land_batch.main([str(source), "--as-of", "2025-01-01", "--output", str(output), "--thresholds", thresholds]) == 0
    assert pl.read_csv(output)["category"].to_list() == [None]


def test_batch_command_names_columns_it_does_not_know(tmp_path, capsys):
    source = tmp_path / "parcels.csv"
    source.write_text("code,region,area_mu,approved_on,actual_start_on\nHZ-1,吴兴区,30,2022-01-01,2022-05-01\n")
    assert land_batch.main([str(source), "--as-of", "2025-01-01", "--output", str(tmp_path / "out.csv")]) == 0
    assert "actual_start_on" in capsys.readouterr().err

