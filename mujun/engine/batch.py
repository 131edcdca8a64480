"""``mujun evaluate INPUT --scheme SCHEME --output RESULT [--summary SUMMARY] [--skip-invalid]``.

Runs without Django. Exit status 0 on success, 2 when the scheme or the input is unusable (every problem
on standard error, nothing written), 1 when the result cannot be written. Results are written to a
temporary file next to the target and renamed at the end, so a failed run never leaves a partial file.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from mujun.engine.evaluation import (
    SUMMARY_HEADERS,
    InvalidInput,
    evaluate,
    number_columns,
    result_headers,
    summarise,
)
from mujun.engine.io import TableError, read_table, write_table
from mujun.engine.text import command_language, in_language
from mujun.engine.scheme import PRESETS, Scheme, SchemeError, load_scheme, parse_scheme, preset_toml

OUTPUT_FORMATS = {".csv", ".xlsx", ".parquet"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mujun evaluate",
        description="Evaluate enterprises' per-mu benefit (亩均效益综合评价) from a CSV, Excel or Parquet file.",
    )
    parser.add_argument(
        "input", help="enterprises: .csv/.txt (UTF-8, GBK or UTF-16; commas or tabs), .xlsx/.xls or .parquet"
    )
    parser.add_argument(
        "--scheme", required=True, help=f"scheme TOML file, or a preset id: {', '.join(PRESETS)}"
    )
    parser.add_argument("--output", required=True, help="result file: .csv, .xlsx or .parquet")
    parser.add_argument("--summary", help="per-region summary file: .csv, .xlsx or .parquet")
    parser.add_argument(
        "--skip-invalid",
        action="store_true",
        help="evaluate the valid rows and list invalid ones with status 'invalid' instead of stopping",
    )
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        help="date the exemption periods count back from (default: 31 December of the scheme's year)",
    )
    return parser


def scheme_argument(argument: str) -> Scheme:
    """A scheme file, or the id of a preset (huangyan-2022 …)."""
    if not Path(argument).exists() and argument in PRESETS:
        return parse_scheme(preset_toml(argument))
    return load_scheme(argument)


def fail(lines: list[str] | str) -> None:
    for line in [lines] if isinstance(lines, str) else lines:
        print(line, file=sys.stderr)


def _reason(error: Exception, language: str) -> str:
    return error.message(language) if isinstance(error, TableError) else str(error)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(writes: list[tuple[Path, Callable[[str], None]]]) -> None:
    """Write every file to a temporary sibling, then rename them all: all files appear or none."""
    temporaries: list[tuple[str, Path]] = []
    try:
        for target, write in writes:
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=target.suffix)
            os.close(handle)
            os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; the result is not
            temporaries.append((temporary, target))
            write(temporary)
        for temporary, target in temporaries:
            os.replace(temporary, target)
    finally:
        for temporary, _ in temporaries:
            if os.path.exists(temporary):
                os.unlink(temporary)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    language = command_language()
    outputs = [Path(args.output)] + ([Path(args.summary)] if args.summary else [])
    for path in outputs:
        if path.suffix.lower() not in OUTPUT_FORMATS:
            fail(
                in_language(
                    f"不支持的输出格式 {path.name}：请使用 .csv、.xlsx 或 .parquet",
                    f"unsupported output format {path.name}: use .csv, .xlsx or .parquet",
                    language,
                )
            )
            return 2
        if not path.parent.is_dir():
            fail(in_language(f"输出目录不存在：{path.parent}", f"output folder does not exist: {path.parent}", language))
            return 2
    try:
        scheme = scheme_argument(args.scheme)
    except SchemeError as error:
        fail(error.messages(language))
        return 2
    try:
        frame = read_table(args.input, numbers=number_columns(scheme))
    except TableError as error:
        fail(error.message(language))
        return 2
    try:
        evaluation = evaluate(frame, scheme, skip_invalid=args.skip_invalid, as_of=args.as_of)
    except InvalidInput as error:
        fail([problem.message(language) for problem in error.problems])
        count = len(error.problems)
        fail(in_language(f"共{count}个问题，未写出结果", f"{count} problem(s); no result written", language))
        return 2
    if evaluation.problems:
        fail([problem.message(language) for problem in evaluation.problems])
        count = len(evaluation.problems)
        fail(
            in_language(
                f"已跳过{count}个问题所在的行", f"rows with {count} problem(s) were skipped (status invalid)", language
            )
        )
    result = evaluation.result
    writes = [
        (
            Path(args.output),
            lambda path: write_table(
                result, path, format=Path(args.output).suffix.lstrip("."), headers=result_headers(scheme)
            ),
        )
    ]
    if args.summary:
        summary = summarise(result, frame)
        writes.append(
            (
                Path(args.summary),
                lambda path: write_table(
                    summary, path, format=Path(args.summary).suffix.lstrip("."), headers=SUMMARY_HEADERS
                ),
            )
        )
    try:
        write_atomically(writes)
    except (OSError, TableError) as error:
        reason = _reason(error, language)
        fail(in_language(f"无法写出结果：{reason}", f"cannot write the result: {reason}", language))
        return 1
    counts = dict(result.group_by("grade").len().iter_rows())
    graded = " ".join(f"{grade} {counts.get(grade, 0)}" for grade in ("A", "B", "C", "D", "T"))
    print(f"{result.height} rows → {args.output} ({graded})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
