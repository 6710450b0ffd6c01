"""`paretobot export`: stored results out as CSV, Parquet or JSON lines."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import CliError, out, print_json
from bot.text import plain

# spelled here too (not imported from bot.app.export, which loads SQLAlchemy) for --help
FORMATS = ("csv", "jsonl", "parquet")
WHATS = ("points", "sweeps", "frontiers", "comparisons", "history")


def add_export_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    export = sub.add_parser(
        "export",
        parents=[common],
        help="stored results as CSV, JSON lines or Parquet",
        description="Stored results as a table. `--what points` (the default) is paretobot's "
        "own format: `paretobot ingest` reads it back, point for point (docs/formats.md).",
    )
    export.add_argument(
        "--format", choices=FORMATS, required=True, help="parquet needs paretobot[parquet]"
    )
    export.add_argument(
        "--what", choices=WHATS, default="points", help="which table (default: points)"
    )
    export.add_argument("--config", help="configuration pattern (substring or glob of the slug)")
    export.add_argument(
        "--build", help="build selector (points, sweeps; frontiers: default latest build)"
    )
    export.add_argument("--run", help="only this run's results (points, sweeps)")
    export.add_argument("--baseline", help="comparisons: the baseline build (or run:ID)")
    export.add_argument("--candidate", help="comparisons: the candidate build (or run:ID)")
    export.add_argument(
        "--by", choices=("build", "date"), default="build", help="history: per build or per run"
    )
    export.add_argument(
        "-o", "--output", metavar="FILE", help="write FILE (default: stdout; parquet needs it)"
    )
    export.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from bot import store
    from bot.app.export import export

    if args.json and not args.output:
        raise CliError("--json reports on a file written with -o; without -o stdout is the data")
    target = Path(args.output) if args.output else sys.stdout
    engine = store.open_store(args.db)
    try:
        table = export(
            engine, args.format, target, args.what, config=args.config, build=args.build,
            run=args.run, baseline=args.baseline, candidate=args.candidate, by=args.by,
        )  # fmt: skip
    except BrokenPipeError:  # `paretobot export ... | head`: the reader had enough
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that Python's exit flush cannot fail again
        return 1
    if not args.output:
        return 0  # stdout was the data itself
    # the data went to a file: say what went there
    kinds = [row[1] for row in table.rows] if args.what == "points" else []
    summary = {
        "what": args.what, "format": args.format, "output": args.output,
        "rows": len(table.rows), "points": kinds.count("point") if kinds else None,
        "sweeps_without_points": kinds.count("sweep") if kinds else None,
    }  # fmt: skip
    if args.json:
        print_json(summary)
        return 0
    what = f"{len(table.rows)} {args.what} rows"
    if kinds:
        failed = summary["sweeps_without_points"]
        what = f"{summary['points']} points" + (
            f" and {failed} sweeps without points" if failed else ""
        )
    out.print(f"exported {what} to {plain(args.output, 300)} ({args.format})", markup=False)
    return 0
