import subprocess
import sys

import polars as pl
import pytest

from mujun.engine.batch import main
from mujun.engine.io import read_table, write_table
from mujun.engine.scheme import preset_toml
from mujun.engine.tests.factories import code, frame, row


@pytest.fixture
def input_csv(tmp_path):
    rows = [row(n, tax=100 + n, land_mu=10 + n % 7) for n in range(30)]
    rows += [row(40, above_scale="否", land_mu=8, tax=30), row(41, above_scale="否", land_mu=1)]
    path = tmp_path / "企业.csv"
    write_table(frame(rows).drop("_row"), path)
    return path


@pytest.fixture
def invalid_csv(tmp_path):
    rows = [row(1), row(2, land_mu="0"), row(3, tax="abc"), row(1, name="dup")]
    path = tmp_path / "bad.csv"
    write_table(frame(rows).drop("_row"), path)
    return path


def test_evaluates_a_csv_with_a_preset(input_csv, tmp_path, capsys):
    output = tmp_path / "result.csv"
    assert main([str(input_csv), "--scheme", "huangyan-2022", "--output", str(output)]) == 0
    result = read_table(output, headers={c: c for c in ("uscc", "status", "grade")})
    assert result.height == 32
    assert result["uscc"][0] == code(0)
    assert set(result["status"]) == {"evaluated", "out_of_scope"}
    assert "32 rows" in capsys.readouterr().out


def test_scheme_file_and_summary(input_csv, tmp_path):
    scheme = tmp_path / "scheme.toml"
    scheme.write_text(preset_toml("huangyan-2021"), encoding="utf-8")
    output, summary = tmp_path / "result.parquet", tmp_path / "summary.xlsx"
    assert main([str(input_csv), "--scheme", str(scheme), "--output", str(output), "--summary", str(summary)]) == 0
    assert pl.read_parquet(output).height == 32
    assert summary.exists()


def test_invalid_input_exits_2_lists_every_problem_and_writes_nothing(invalid_csv, tmp_path, capsys):
    output = tmp_path / "result.csv"
    assert main([str(invalid_csv), "--scheme", "huangyan-2022", "--output", str(output)]) == 2
    errors = capsys.readouterr().err
    assert "第2行 统一社会信用代码：与第5行重复 / row 2, uscc: repeats the credit code of row(s) 5" in errors
    assert "第3行 用地面积(亩)：必须大于0 / row 3, land_mu: must be greater than 0" in errors
    assert "第4行 实缴税金(万元)：「abc」不是数字 / row 4, tax: 「abc」 is not a number" in errors
    assert "第5行 统一社会信用代码：与第2行重复" in errors
    assert "4 problem(s); no result written" in errors
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_invalid_input_leaves_an_earlier_result_alone(invalid_csv, tmp_path):
    output = tmp_path / "result.csv"
    output.write_text("earlier result", encoding="utf-8")
    assert main([str(invalid_csv), "--scheme", "huangyan-2022", "--output", str(output)]) == 2
    assert output.read_text(encoding="utf-8") == "earlier result"


def test_skip_invalid_writes_valid_rows_and_marks_invalid_ones(invalid_csv, tmp_path, capsys):
    output = tmp_path / "result.csv"
    code_ = main([str(invalid_csv), "--scheme", "huangyan-2022", "--output", str(output), "--skip-invalid"])
    assert code_ == 0
    result = pl.read_csv(output)
    assert result["status"].to_list() == ["invalid", "invalid", "invalid", "invalid"]
    assert "row 3, land_mu: must be greater than 0" in capsys.readouterr().err


def test_skip_invalid_keeps_valid_rows_evaluated(tmp_path):
    path = tmp_path / "input.csv"
    write_table(frame([row(1), row(2, land_mu=-1), row(3)]).drop("_row"), path)
    output = tmp_path / "result.csv"
    assert main([str(path), "--scheme", "huangyan-2022", "--output", str(output), "--skip-invalid"]) == 0
    assert pl.read_csv(output)["status"].to_list() == ["evaluated", "invalid", "evaluated"]


@pytest.mark.parametrize("extension", ["csv", "parquet", "xlsx"])
def test_equal_input_gives_byte_equal_output(input_csv, tmp_path, extension):
    first, second = tmp_path / f"a.{extension}", tmp_path / f"b.{extension}"
    assert main([str(input_csv), "--scheme", "huangyan-2022", "--output", str(first)]) == 0
    assert main([str(input_csv), "--scheme", "huangyan-2022", "--output", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()


def test_bad_scheme_exits_2_with_its_problems(input_csv, tmp_path, capsys):
    scheme = tmp_path / "scheme.toml"
    scheme.write_text(preset_toml("huangyan-2022").replace("weight = 30", 'weight = "30分"'), encoding="utf-8")
    output = tmp_path / "result.csv"
    assert main([str(input_csv), "--scheme", str(scheme), "--output", str(output)]) == 2
    assert "group above, indicator tax_per_mu: weight is not a number" in capsys.readouterr().err
    assert not output.exists()


def test_unknown_scheme_and_unreadable_input_exit_2(input_csv, tmp_path, capsys):
    output = tmp_path / "result.csv"
    assert main([str(input_csv), "--scheme", "nowhere-2022", "--output", str(output)]) == 2
    assert "cannot read scheme file nowhere-2022" in capsys.readouterr().err
    assert main([str(tmp_path / "missing.csv"), "--scheme", "huangyan-2022", "--output", str(output)]) == 2
    assert "cannot read file" in capsys.readouterr().err
    (tmp_path / "garbage.xlsx").write_bytes(b"\x00\x01 not excel")
    assert main([str(tmp_path / "garbage.xlsx"), "--scheme", "huangyan-2022", "--output", str(output)]) == 2
    assert "the Excel file cannot be read" in capsys.readouterr().err
    assert main([str(input_csv), "--scheme", "huangyan-2022", "--output", str(tmp_path / "r.json")]) == 2
    assert "unsupported output format" in capsys.readouterr().err
    assert not output.exists()


def test_the_mujun_command_runs_evaluate_without_django(input_csv, invalid_csv, tmp_path):
    output = tmp_path / "result.csv"
    script = (
        "import sys; from mujun.cli import main; status = main(sys.argv[1:]); "
        "print('django loaded' if 'django' in sys.modules else 'no django'); sys.exit(status)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "evaluate", str(input_csv), "--scheme", "huangyan-2022",
         "--output", str(output)],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("no django")
    assert output.exists()
    command = [sys.executable, "-m", "mujun.cli", "evaluate"]
    done = subprocess.run(
        [*command, str(invalid_csv), "--scheme", "huangyan-2022", "--output", str(tmp_path / "x.csv")],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 2
    assert "row 3, land_mu: must be greater than 0" in done.stderr
    assert not (tmp_path / "x.csv").exists()
