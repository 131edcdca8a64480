"""``mujun compare INPUT --scheme A --scheme B --output OUT.xlsx [--skip-invalid] [--as-of DATE]``.

The policy simulator without Django: the input evaluated under two schemes, written as one workbook (汇总:
the grade transition matrix; 按区域; 按分组; 等级变化企业; 政策金额). Exit status as ``mujun evaluate``'s: 0
on success, 2 when a scheme or the input is unusable (every problem on standard error, nothing written), 1
when the workbook cannot be written.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from mujun.engine.batch import fail, scheme_argument, write_atomically
from mujun.engine.compare import compare, workbook_sheets
from mujun.engine.evaluation import InvalidInput
from mujun.engine.io import TableError, read_table, write_workbook
from mujun.engine.scheme import PRESETS, SchemeError
from mujun.engine.text import command_language, in_language


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mujun compare",
        description="Evaluate one input under two schemes and compare grades and policy money (政策模拟).",
    )
    parser.add_argument("input", help="enterprises: .csv/.txt, .xlsx/.xls or .parquet, as for mujun evaluate")
    parser.add_argument(
        "--scheme", action="append", required=True,
        help=f"scheme TOML file or preset id ({', '.join(PRESETS)}); give it twice: first, then second",
    )  # fmt: skip
    parser.add_argument("--output", required=True, help="the comparison workbook (.xlsx)")
    parser.add_argument("--skip-invalid", action="store_true", help="leave invalid rows out instead of stopping")
    parser.add_argument(
        "--as-of", type=date.fromisoformat,
        help="date both evaluations count the exemption periods back from "
        "(default: 31 December of the first scheme's year)",
    )  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    language = command_language()
    output = Path(args.output)
    if len(args.scheme) != 2:
        fail(in_language(
            f"需要两个方案（--scheme 给出了{len(args.scheme)}次）",
            f"two schemes are needed (--scheme was given {len(args.scheme)} times)", language,
        ))  # fmt: skip
        return 2
    if output.suffix.lower() != ".xlsx":
        fail(in_language(f"输出文件应为 .xlsx：{output.name}", f"the output must be .xlsx: {output.name}", language))
        return 2
    if not output.parent.is_dir():
        fail(in_language(f"输出目录不存在：{output.parent}", f"output folder does not exist: {output.parent}", language))
        return 2
    schemes = []
    for position, argument in enumerate(args.scheme, start=1):
        try:
            schemes.append(scheme_argument(argument))
        except SchemeError as error:
            prefix = in_language(f"方案{position}（{argument}）：", f"scheme {position} ({argument}): ", language)
            fail([prefix + message for message in error.messages(language)])
            return 2
    try:
        frame = read_table(args.input)
    except TableError as error:
        fail(error.message(language))
        return 2
    try:
        comparison = compare(frame, *schemes, skip_invalid=args.skip_invalid, as_of=args.as_of)
    except InvalidInput as error:
        fail([problem.message(language) for problem in error.problems])
        count = len(error.problems)
        fail(in_language(f"共{count}个问题，未写出结果", f"{count} problem(s); no result written", language))
        return 2
    sheets, titles, notes = workbook_sheets(comparison)
    try:
        write_atomically(
            [(output, lambda path: write_workbook(sheets, path, titles=titles, notes=notes))]
        )
    except (OSError, TableError) as error:
        reason = error.message(language) if isinstance(error, TableError) else str(error)
        fail(in_language(f"无法写出结果：{reason}", f"cannot write the result: {reason}", language))
        return 1
    counts = comparison.counts()
    print(
        f"{counts['enterprises']} rows → {args.output} "
        f"(changed {counts['changed']}: up {counts['up']}, down {counts['down']}, other {counts['other']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
