import io
import os
import re
import subprocess
import sys

import openpyxl
import polars as pl
import pytest

from mujun.engine import land_batch
from mujun.engine.batch import main
from mujun.engine.io import read_table, write_table
from mujun.engine.scheme import preset_toml
from mujun.engine.tests.factories import code, frame, row


CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def english(monkeypatch):
    """The commands speak English when the environment's language is English."""
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")


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
    assert "第2行 统一社会信用代码：与第5行重复" in errors
    assert "第3行 用地面积(亩)：必须大于0" in errors
    assert "第4行 实缴税金(万元)：「abc」不是数字" in errors
    assert "第5行 统一社会信用代码：与第2行重复" in errors
    assert "共4个问题，未写出结果" in errors
    assert not re.search(r"[A-Za-z]{3,} [a-z]{2,}", errors)  # Chinese only: no English sentence


def test_problems_are_in_english_when_the_environment_is_english(english, invalid_csv, tmp_path, capsys):
    assert main([str(invalid_csv), "--scheme", "huangyan-2022", "--output", str(tmp_path / "result.csv")]) == 2
    errors = capsys.readouterr().err
    assert "row 3, land_mu: must be greater than 0" in errors
    assert "4 problem(s); no result written" in errors
    assert not CJK.search(errors.replace("「abc」", ""))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_invalid_input_leaves_an_earlier_result_alone(invalid_csv, tmp_path):
    output = tmp_path / "result.csv"
    output.write_text("earlier result", encoding="utf-8")
    assert main([str(invalid_csv), "--scheme", "huangyan-2022", "--output", str(output)]) == 2
    assert output.read_text(encoding="utf-8") == "earlier result"


def test_skip_invalid_writes_valid_rows_and_marks_invalid_ones(english, invalid_csv, tmp_path, capsys):
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


def test_bad_scheme_exits_2_with_its_problems(english, input_csv, tmp_path, capsys):
    scheme = tmp_path / "scheme.toml"
    scheme.write_text(preset_toml("huangyan-2022").replace("weight = 30", 'weight = "30分"'), encoding="utf-8")
    output = tmp_path / "result.csv"
    assert main([str(input_csv), "--scheme", str(scheme), "--output", str(output)]) == 2
    assert "group above, indicator tax_per_mu: weight is not a number" in capsys.readouterr().err
    assert not output.exists()


def test_unknown_scheme_and_unreadable_input_exit_2(english, input_csv, tmp_path, capsys):
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
        capture_output=True, text=True, check=False, env={**os.environ, "LC_ALL": "en_US.UTF-8"},
    )
    assert done.returncode == 2
    assert "row 3, land_mu: must be greater than 0" in done.stderr
    assert not (tmp_path / "x.csv").exists()


# -- every input the commands may be given (issue 8, item 9) -------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "gb18030"])
def test_evaluates_what_excel_saves_as_unicode_or_tab_separated_text(input_csv, tmp_path, encoding):
    """Excel's "Unicode text" is UTF-16 with tabs; "Text (tab-delimited)" on Chinese Windows is GBK."""
    table = pl.read_csv(input_csv, infer_schema=False)
    text = io.StringIO()
    table.write_csv(text, separator="\t")
    source = tmp_path / "企业.txt"
    source.write_bytes(text.getvalue().encode(encoding))
    output = tmp_path / "result.csv"
    assert main([str(source), "--scheme", "huangyan-2022", "--output", str(output)]) == 0
    assert pl.read_csv(output, infer_schema=False)["uscc"].to_list() == table["uscc"].to_list()


UNREADABLE = {  # file name: (content, what the message says)
    "garbage.csv": (bytes(range(256)) * 40, "unknown text encoding"),
    "empty.csv": (b"", "the file is empty"),
    "utf16-without-bom.csv": ("统一社会信用代码,企业名称\n".encode("utf-16-le"), "not a text table"),
    "empty.xlsx": (b"", "the file is empty"),
    "text.xlsx": ("统一社会信用代码,企业名称\n".encode(), "not an Excel workbook"),
    "broken.xlsx": (b"PK\x03\x04 not really a zip", "not an Excel workbook"),
    "formula.xlsx": (None, "has no saved result"),  # written below
    "missing.csv": (None, "cannot read file"),
}


def unreadable_input(tmp_path, name: str):
    path = tmp_path / name
    if name == "formula.xlsx":  # openpyxl saves formulas without their results
        book = openpyxl.Workbook()
        book.active.append(["地块编号", "统一社会信用代码", "面积(亩)", "用地面积(亩)", "实缴税金(万元)"])
        book.active.append(["A", code(1), "=1+1", "=1+1", "=1+1"])
        book.save(path)
    elif name != "missing.csv":
        path.write_bytes(UNREADABLE[name][0])
    return path


@pytest.mark.parametrize("name", UNREADABLE)
@pytest.mark.parametrize("command", [main, land_batch.main], ids=["evaluate", "land classify"])
def test_unreadable_input_exits_2_with_a_message_and_no_traceback(english, tmp_path, capsys, name, command):
    source, output = unreadable_input(tmp_path, name), tmp_path / "result.csv"
    options = ["--scheme", "huangyan-2022"] if command is main else ["--as-of", "2025-01-01"]
    assert command([str(source), *options, "--output", str(output)]) == 2  # an exception would fail the test
    assert UNREADABLE[name][1] in capsys.readouterr().err
    assert not output.exists()


def _chinese_csv(path, rows: list[dict]):
    """The rows written under the Chinese headers of the input columns, as a county's spreadsheet has them."""
    from mujun.engine.io import INPUT_COLUMNS

    table = frame(rows).drop("_row")
    write_table(table.rename({name: INPUT_COLUMNS[name] for name in table.columns}), path)
    return path


def test_evaluates_chinese_headers_with_the_yiwu_groups_and_adjustments(tmp_path):
    rows = [row(n, industry_code=("1810", "C2614", "3435", "2034")[n % 4], tax=100 + n) for n in range(20)]
    rows += [
        row(30, industry_code="1711", safety_accident="是", high_tech="否"),
        row(31, industry_code="1711", high_tech="是"),
        row(32, above_scale="否", land_mu=5, tax=40),
        row(33, industry_code="5211"),  # a 规上 service firm: no group of the scheme
    ]
    source = _chinese_csv(tmp_path / "义乌.csv", rows)
    assert "行业代码" in source.read_text(encoding="utf-8-sig").splitlines()[0]
    output = tmp_path / "result.csv"
    assert main([str(source), "--scheme", "yiwu-2022", "--output", str(output)]) == 0
    result = {r["uscc"]: r for r in pl.read_csv(output, infer_schema_length=None).iter_rows(named=True)}
    assert [result[code(n)]["group"] for n in range(4)] == ["textile", "chemical", "machinery", "other"]
    assert result[code(30)]["safety_accident_points"] == -5 and result[code(31)]["high_tech_points"] == 3
    assert result[code(32)]["group"] == "below"
    assert (result[code(33)]["status"], result[code(33)]["reason"]) == ("out_of_scope", "不属于方案的任何分组")


def test_evaluates_chinese_headers_with_the_cixi_lists_and_tenants(tmp_path):
    rows = [
        row(1, land_mu=20, tax=200),
        row(2, above_scale="否", land_mu=5, tax=50),
        row(3, above_scale="否", land_mu=2, tax=30),
        row(4, above_scale="否", land_mu=1, tax=20, tenant="是", landlord_uscc=code(1)),
    ]
    output = tmp_path / "result.xlsx"
    assert main([str(_chinese_csv(tmp_path / "慈溪.csv", rows)), "--scheme", "cixi-2022", "--output", str(output)]) == 0
    sheet = openpyxl.load_workbook(output).active
    header = [cell.value for cell in sheet[1]]
    groups = [sheet.cell(row=r, column=header.index("分组") + 1).value for r in range(2, 6)]
    assert groups == ["above", "below_large", "below_small", "tenants"]
    tax_per_mu = [sheet.cell(row=r, column=header.index("亩均税收") + 1).value for r in (2, 5)]
    assert tax_per_mu == [pytest.approx(220 / 21), pytest.approx(20)]  # the landlord's with its tenant's figures


def test_a_row_in_two_groups_stops_the_command_naming_the_enterprise(tmp_path, capsys):
    scheme = tmp_path / "scheme.toml"
    # Huangyan's 规下 group made the county's instead: a 规上 firm of the county meets both groups' conditions.
    below = 'id = "below"\nlabel = "规下企业"\nabove_scale = false\n'
    assert below in preset_toml("huangyan-2022")
    scheme.write_text(
        preset_toml("huangyan-2022").replace(below, 'id = "below"\nlabel = "规下企业"\nselect = { regions = ["黄岩区"] }\n'),
        encoding="utf-8",
    )
    source = _chinese_csv(tmp_path / "in.csv", [row(1, name="黄岩模具有限公司")])
    code_ = main([str(source), "--scheme", str(scheme), "--output", str(tmp_path / "out.csv")])
    errors = capsys.readouterr().err
    assert code_ == 2, errors
    assert "第2行 分组：企业「黄岩模具有限公司」" in errors and "分组 above（规上企业）和分组 below（规下企业）" in errors
