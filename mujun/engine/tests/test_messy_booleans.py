"""Yes/no columns as county files spell them (issue 11, item 4): 是/否, true/false in any case, 1/0, blanks,
mixed in one column, read from a CSV file with Chinese or English headers."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mujun.engine.evaluation import TRUE_FALSE, InvalidInput, evaluate, number_columns, prepare
from mujun.engine.io import INPUT_COLUMNS, read_table
from mujun.engine.tests.factories import frame, huangyan_2022, row

SPELLINGS = [(variant, value) for text, value in TRUE_FALSE.items() for variant in dict.fromkeys([text, text.upper(), text.title()])]


def typed_flags(cells: list[str | None], column: str = "major_violation") -> list[bool | None]:
    rows = [row(number, **{column: cell}) for number, cell in enumerate(cells, start=1)]
    typed, problems = prepare(frame(rows), huangyan_2022())
    assert problems == []
    return typed[column].to_list()


@pytest.mark.parametrize(("spelling", "value"), SPELLINGS)
def test_every_spelling_in_every_case_is_read(spelling, value):
    assert typed_flags([spelling, f"  {spelling} "]) == [value, value]


def test_a_blank_is_missing_not_an_error_and_a_blank_scale_follows_from_revenue():
    assert typed_flags([None, "", " "]) == [None, None, None]  # no violation recorded: never forced to D
    rows = [row(1, above_scale=None, revenue="5000"), row(2, above_scale="", revenue="100"), row(3, above_scale=" ")]
    typed, problems = prepare(frame(rows), huangyan_2022())
    assert problems == []
    assert typed["above_scale"].to_list() == [True, False, True]  # row 3 keeps the factory's revenue, 5000


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([*SPELLINGS, (None, None), ("", None)]), min_size=1, max_size=30))
def test_mixed_spellings_in_one_column_read_as_each_cell_alone(cells):
    expected = [value for _, value in cells]
    assert typed_flags([text for text, _ in cells]) == expected


@pytest.mark.parametrize("bad", ["是的", "yes!", "2", "-1", "T R U E", "✓"])
def test_any_other_value_is_an_error_naming_row_and_column(bad):
    rows = [row(1, major_violation="TRUE"), row(2, major_violation="否"), row(3, major_violation=bad)]
    with pytest.raises(InvalidInput) as raised:
        evaluate(frame(rows), huangyan_2022())
    (problem,) = raised.value.problems
    assert (problem.row, problem.column) == (4, "major_violation")  # the header is line 1
    assert f"「{bad}」" in problem.message("en") and "must be 是/否, true/false or 1/0" in problem.message("en")
    assert problem.message("zh").startswith("第4行 重大违法违规")


@pytest.mark.parametrize("headers", ["zh", "en"])
def test_a_messy_csv_with_either_headers_evaluates_like_the_clean_one(tmp_path, headers):
    spelled = [("是", "否"), ("TRUE", "false"), ("1", "0"), ("True", "FALSE"), (None, None), ("否", "1")]
    clean = {"是": "是", "TRUE": "是", "1": "是", "True": "是", "否": "否", "false": "否", "0": "否", "FALSE": "否"}
    messy_rows = [
        row(n, above_scale=scale, major_violation=violation) for n, (scale, violation) in enumerate(spelled, 1)
    ]
    clean_rows = [
        row(n, above_scale=clean.get(scale, "是"), major_violation=clean.get(violation, "否"))
        for n, (scale, violation) in enumerate(spelled, 1)
    ]
    names = INPUT_COLUMNS if headers == "zh" else {}
    paths = []
    for label, rows in (("messy", messy_rows), ("clean", clean_rows)):
        path = tmp_path / f"{label}.csv"
        frame(rows).drop("_row").rename(names, strict=False).write_csv(path)
        paths.append(path)
    scheme = huangyan_2022()
    messy, clean_result = (
        evaluate(read_table(path, numbers=number_columns(scheme)), scheme).result for path in paths
    )
    assert messy.equals(clean_result)
    assert messy["status"].to_list() == ["evaluated"] * 6
    assert messy.select(pl.col("grade") == "D").to_series().to_list()[-1]  # row 6: a violation, forced to D
