"""``mujun composite DATA --meta META --pipeline PIPELINE.toml --output OUT``.

Builds a composite index as COINr does (see :mod:`mujun.engine.composite`) without Django. Exit status 0
on success, 2 when the metadata, the data or the pipeline is unusable (every problem on standard error,
nothing written), 1 when the result cannot be written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mujun.engine.batch import OUTPUT_FORMATS, write_atomically
from mujun.engine.composite import META_COLUMNS, UNIT, CompositeError, composite, load_pipeline
from mujun.engine.io import TableError, read_table, write_table
from mujun.engine.text import command_language, in_language


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mujun composite",
        description="Build a composite index (COINr's steps: denominate, impute, treat, normalise, aggregate).",
    )
    parser.add_argument("data", help="one row per unit: uCode, the indicators, group and denominator columns (.csv, .xlsx, .parquet)")
    parser.add_argument("--meta", required=True, help="indicator metadata in COINr's iMeta layout: " + ", ".join(META_COLUMNS))
    parser.add_argument("--pipeline", required=True, help="TOML file with one table per step")
    parser.add_argument("--output", required=True, help="result: uCode, every indicator after the last step, every aggregate")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    language = command_language()

    def fail(lines: list[str]) -> int:
        for line in lines:
            print(line, file=sys.stderr)
        return 2

    output = Path(args.output)
    if output.suffix.lower() not in OUTPUT_FORMATS:
        zh = f"不支持的输出格式 {output.name}：请使用 .csv、.xlsx 或 .parquet"
        return fail([in_language(zh, f"unsupported output format {output.name}: use .csv, .xlsx or .parquet", language)])
    if not output.parent.is_dir():
        zh = f"输出目录不存在：{output.parent}"
        return fail([in_language(zh, f"output folder does not exist: {output.parent}", language)])
    try:
        pipeline = load_pipeline(args.pipeline)
    except FileNotFoundError:
        return fail([in_language(f"找不到流程文件：{args.pipeline}", f"pipeline file not found: {args.pipeline}", language)])
    except (OSError, UnicodeDecodeError) as error:
        return fail([in_language(f"无法读取流程文件：{error}", f"cannot read the pipeline: {error}", language)])
    except CompositeError as error:
        return fail(error.messages(language))
    try:
        meta = read_table(args.meta, headers={name: name for name in META_COLUMNS})
        data = read_table(args.data, headers={UNIT: UNIT})
    except TableError as error:
        return fail([error.message(language)])
    try:
        result = composite(pipeline, data, meta).result
    except CompositeError as error:
        count = len(error.problems)
        return fail([*error.messages(language), in_language(f"共{count}个问题，未写出结果", f"{count} problem(s); no result written", language)])
    try:
        write_atomically([(output, lambda path: write_table(result, path, format=output.suffix.lstrip(".")))])
    except (OSError, TableError) as error:
        reason = error.message(language) if isinstance(error, TableError) else str(error)
        print(in_language(f"无法写出结果：{reason}", f"cannot write the result: {reason}", language), file=sys.stderr)
        return 1
    print(f"{result.height} units, {result.width - 1} columns → {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
