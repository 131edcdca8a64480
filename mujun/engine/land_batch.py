"""``mujun land classify INPUT --as-of DATE --output OUT [--findings FILE] [--thresholds JSON]``.

Classifies parcels into the five 未 without Django. Exit status 0 on success, 2 when the input is unusable
(every problem on standard error, nothing written), 1 when the result cannot be written.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import fields
from datetime import date
from pathlib import Path

from mujun.engine.batch import OUTPUT_FORMATS, write_atomically
from mujun.engine.io import TableError, read_table, write_table
from mujun.engine.text import command_language, in_language
from mujun.engine.land import (
    CATEGORY_LABELS,
    NUMBER_COLUMNS,
    PARCEL_COLUMNS,
    RESULT_HEADERS,
    Thresholds,
    classify,
    prepare,
    result_table,
)

FINDING_HEADERS = {
    "code": "地块编号",
    "category": "类别",
    "rule": "规则",
    "since": "起始日期",
    "held_days": "持续天数",
    "figures": "触发数据",
    "primary": "是否主要类别",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mujun land classify",
        description="Classify parcels into the five 未 of inefficient land (五未) as of a date.",
    )
    parser.add_argument(
        "input", help="parcels: .csv/.txt (UTF-8, GBK or UTF-16; commas or tabs), .xlsx/.xls or .parquet"
    )
    parser.add_argument("--as-of", required=True, type=date.fromisoformat, help="date of the classification")
    parser.add_argument("--output", required=True, help="one row per parcel: .csv, .xlsx or .parquet")
    parser.add_argument("--findings", help="one row per finding: .csv, .xlsx or .parquet")
    parser.add_argument(
        "--thresholds",
        help='JSON object of thresholds to change, e.g. {"idle_months": 24}; names: '
        + ", ".join(Thresholds.names()),
    )
    return parser


def _thresholds(text: str | None) -> Thresholds:
    if not text:
        return Thresholds()
    values = json.loads(text)
    known = {f.name for f in fields(Thresholds)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(', '.join(sorted(unknown)))  # the names the user gave that are no threshold
    return Thresholds(**values)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    language = command_language()
    outputs = [Path(args.output)] + ([Path(args.findings)] if args.findings else [])
    for path in outputs:
        if path.suffix.lower() not in OUTPUT_FORMATS:
            print(
                in_language(
                    f"不支持的输出格式 {path.name}：请使用 .csv、.xlsx 或 .parquet",
                    f"unsupported output format {path.name}: use .csv, .xlsx or .parquet",
                    language,
                ),
                file=sys.stderr,
            )
            return 2
    try:
        thresholds = _thresholds(args.thresholds)
    except (ValueError, TypeError) as error:
        print(in_language(f"阈值无效：{error}", f"invalid thresholds: {error}", language), file=sys.stderr)
        return 2
    try:
        table = read_table(args.input, headers=PARCEL_COLUMNS, numbers=NUMBER_COLUMNS)
    except TableError as error:
        print(error.message(language), file=sys.stderr)
        return 2
    # A misspelt header would silently drop a date and change the findings: say which columns are unused.
    unknown = [c for c in table.columns if c != "_row" and c not in PARCEL_COLUMNS]
    if unknown:
        names = "、".join(unknown)
        ignored = f"columns not recognised, ignored: {', '.join(unknown)}"
        print(in_language(f"以下列未被识别，已忽略：{names}", ignored, language), file=sys.stderr)
    frame, problems = prepare(table)
    if problems:
        for problem in problems:
            print(problem.message(language), file=sys.stderr)
        count = len(problems)
        print(in_language(f"共{count}个问题，未写出结果", f"{count} problem(s); no result written", language), file=sys.stderr)
        return 2
    classification = classify(frame, args.as_of, thresholds)
    writes = [
        (
            Path(args.output),
            lambda path: write_table(
                result_table(classification), path, format=Path(args.output).suffix.lstrip("."), headers=RESULT_HEADERS
            ),
        )
    ]
    if args.findings:
        writes.append(
            (
                Path(args.findings),
                lambda path: write_table(
                    classification.findings, path, format=Path(args.findings).suffix.lstrip("."), headers=FINDING_HEADERS
                ),
            )
        )
    try:
        write_atomically(writes)
    except (OSError, TableError) as error:
        reason = error.message(language) if isinstance(error, TableError) else str(error)
        print(in_language(f"无法写出结果：{reason}", f"cannot write the result: {reason}", language), file=sys.stderr)
        return 1
    counts = dict(classification.parcels.group_by("category").len().iter_rows())
    summary = " ".join(f"{label} {counts.get(key, 0)}" for key, label in CATEGORY_LABELS.items())
    print(f"{classification.parcels.height} parcels → {args.output} ({summary})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
