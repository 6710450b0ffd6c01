"""`paretobot runs`: each run with its health (failed jobs, failure records, copies), and triage."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import out, print_json


def add_runs_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    runs = sub.add_parser("runs", parents=[common], help="runs with health and triage")
    runs.add_argument("--config", help="only runs with results of matching configurations")
    runs.set_defaults(func=cmd_runs)
    actions = runs.add_subparsers(dest="action")
    exclude = actions.add_parser("exclude", parents=[common], help="leave a run out of analysis")
    exclude.add_argument("run", metavar="RUN")
    exclude.add_argument("--reason", required=True, help="why (shown by `paretobot runs`)")
    exclude.set_defaults(func=cmd_exclude)
    include = actions.add_parser("include", parents=[common], help="take an excluded run back")
    include.add_argument("run", metavar="RUN")
    include.set_defaults(func=cmd_include)


def cmd_runs(args: argparse.Namespace) -> int:
    from bot import store
    from bot.app.runs import run_rows
    from bot.report import plain

    rows = run_rows(store.open_store(args.db), args.config)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        out.print("no runs stored; load some with `paretobot ingest PATH`", markup=False)
    for row in rows:
        flag = f"  EXCLUDED: {plain(row['exclude_reason'], 200)}" if row["excluded"] else ""
        when = f"{row['date']} ({row['date_source']})" if row["date"] else "date unknown"
        out.print(
            f"{plain(row['run_id'], 200)}  {plain(when, 200)}  {len(row['builds'])} build(s), "
            f"{len(row['configurations'])} configuration(s), {row['points']} points{flag}",
            markup=False,
        )
        for key in ("url", "runner", "host", "artifact"):
            if row[key]:  # text from a runner record: one line, no control characters
                out.print(f"  {key}: {plain(row[key], 200)}", markup=False)
        commits = ", ".join(f"{k} {plain(v[:40])}" for k, v in row["commits"].items() if v)
        if commits:
            out.print(f"  commit: {commits}", markup=False)
        if row["commit_mismatch"]:
            out.print(f"  COMMIT MISMATCH: {row['commit_mismatch']}", markup=False)
        for hardware, jobs in row["jobs"].items():
            failed = jobs["total"] - jobs["succeeded"]
            out.print(
                f"  jobs on {plain(hardware)}: {failed} of {jobs['total']} failed", markup=False
            )
        for slug, concs in row["failed_configurations"].items():
            where = f" at concurrency {', '.join(map(str, concs))}" if concs else ""
            out.print(f"  failed: {plain(slug, 300)}{where}", markup=False)
        for path in row["copies"]:
            out.print(f"  copy (not counted): {plain(path, 1000)}", markup=False)
    return 0


def cmd_exclude(args: argparse.Namespace) -> int:
    from bot import store
    from bot.report import plain

    engine = store.open_store(args.db)
    store.exclude_run(engine, args.run, args.reason)
    out.print(f"excluded run {plain(args.run)}: {plain(args.reason.strip(), 200)}", markup=False)
    return 0


def cmd_include(args: argparse.Namespace) -> int:
    from bot import store
    from bot.report import plain

    engine = store.open_store(args.db)
    store.include_run(engine, args.run)
    out.print(f"included run {plain(args.run)}", markup=False)
    return 0
