"""Subcommands over results: ingest, quarantine, frontier, compare, history, detect."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import CliError, err, out, print_json

if TYPE_CHECKING:
    from rich.table import Table

    from bot.analysis.history import History
    from bot.analysis.suspect import SuspectPoint
    from bot.app.ingest import FileResult
    from bot.ingest import Metadata
    from bot.model import Frontier

GATE_FAILED = 3  # exit code of `compare --fail-on` when a verdict of those kinds is found


def _t(value: object) -> str:
    """Text from result files in a printed line: one line, no control characters, no workflow
    command (report.plain), not shortened."""
    from bot import report

    return report.plain(value, 1000)


# ---- ingest -------------------------------------------------------------------------------------

META_OPTIONS = {
    "hardware": str,
    "gpus": int,
    "tp": int,
    "ep": int,
    "pp": int,
    "prefill_gpus": int,
    "decode_gpus": int,
    "framework": str,
    "framework_version": str,
    "framework_commit": str,
    "image": str,
    "image_digest": str,
    "model": str,
    "precision": str,
    "spec_method": str,
    "isl": int,
    "osl": int,
    "scenario": str,
    "run_id": str,
    "repeat": int,
}


def _metadata(args: argparse.Namespace) -> Metadata:
    from pydantic import ValidationError

    from bot.ingest import Metadata

    given = {k: getattr(args, k) for k in META_OPTIONS if getattr(args, k) is not None}
    for flag in ("dp_attention", "disagg"):
        if getattr(args, flag):
            given[flag] = True
    try:
        return Metadata(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        option = "--" + str(first["loc"][0]).replace("_", "-")
        raise CliError(f"{option}: {first['msg']}") from None


def cmd_ingest(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from bot import store
    from bot.app.ingest import ingest
    from bot.publish import actions

    options = _metadata(args)
    engine = store.open_store(args.db)
    report = ingest(engine, [Path(p) for p in args.paths], options, on_file=_file_printer(args))
    actions.emit(actions.ingest_step(report))
    summary = report.summary()
    if args.json:
        print_json(
            {
                "files": [f.json() for f in report.files],
                "runs": [asdict(r) for r in report.runs.values()],
                "summary": summary,
            }
        )
        return 1 if summary["error"] else 0
    for run in report.runs.values():
        out.print(f"run {_t(run.run_id)}: {_t(', '.join(run.folders))}", markup=False)
    if options.framework_version:
        out.print(
            f"--framework-version {options.framework_version} applied to "
            f"{summary['version_given_to']} file(s) that state no image tag (a file's own image "
            "tag is its version)",
            markup=False,
        )
    out.print(
        f"stored {summary['stored']} file(s) ({summary['points']} points), "
        f"{summary['duplicate']} already stored, {summary['copy']} copies, "
        f"{summary['error']} quarantined",
        markup=False,
    )
    return 1 if summary["error"] else 0


def _file_printer(args: argparse.Namespace) -> Callable[[FileResult], None]:
    """Errors are printed as they happen, even with --json (on stderr); the rest without it."""

    def show(result: FileResult) -> None:
        if result.status == "error":
            err.print(f"error  {_t(result.path)}: {_t(result.reason)}", markup=False)
        elif not args.json:
            _print_file(result)

    return show


def _print_file(result: FileResult) -> None:
    path, parsed, added, status = _t(result.path), result.parsed, result.added, result.status
    assert parsed is not None and added is not None
    run_id = _t(parsed.run_id)
    if status == "copy":
        of, of_run = _t(added.copy_of), _t(added.copy_run)
        err.print(
            f"copy   {path}: same bytes as {of} (run {of_run}); not counted as a new repeat"
            if not added.point_copies
            else f"copy   {path}: all {len(added.point_copies)} points are the same as stored "
            f"points of {of} (run {of_run}); not counted as a new repeat",
            markup=False,
        )
    else:
        detail = (
            f"{parsed.format}, {result.points} points" if status == "stored" else "already stored"
        )
        out.print(f"{status:<9} {path} ({detail})", markup=False)
        if status == "stored" and added.point_copies:
            concs = ", ".join(str(c.concurrency) for c in added.point_copies)
            err.print(
                f"copy   {path}: points at concurrency {concs} repeat stored points of "
                f"{_t(added.point_copies[0].of_path)}; not stored again",
                markup=False,
            )
    for down in parsed.failed_points if status == "stored" else ():
        err.print(
            f"warning {path}: concurrency {down.concurrency} of {_t(down.config.slug)} failed "
            f"({_t(down.cause)}: {_t(down.message)})",
            markup=False,
        )
    mismatch = parsed.provenance.commit_mismatch if parsed.provenance else ""
    if status == "stored" and mismatch:
        err.print(
            f"warning {path}: run {run_id} {mismatch}; its results stay filed under the commit "
            "asked for",
            markup=False,
        )
    if added.excluded_now:
        err.print(
            f"excluded run {run_id}: {_t(parsed.faulty)}; include it with "
            f"`paretobot runs include {run_id}`",
            markup=False,
        )
    for stat in parsed.run_stats if status == "stored" else ():
        if stat.succeeded < stat.total:
            err.print(
                f"warning {path}: {stat.total - stat.succeeded} of {stat.total} jobs on "
                f"{_t(stat.hardware)} failed in run '{run_id}'",
                markup=False,
            )


def cmd_quarantine(args: argparse.Namespace) -> int:
    from bot import store

    rows = store.quarantined(store.open_store(args.db))
    if args.json:
        print_json([r.__dict__ for r in rows])
    for r in [] if args.json else rows:
        out.print(f"{r.at:%Y-%m-%d %H:%M}  {_t(r.path)}: {_t(r.reason)}", markup=False)
    return 0


# ---- frontier -----------------------------------------------------------------------------------


def frontier_table(f: Frontier) -> Table:
    from rich.table import Table
    from rich.text import Text

    from bot import report

    tiers = list(f.points[0].cost_per_mtok) if f.points else []
    title = Text(f"{_t(f.config.slug)}  [{_t(f.build.label)}]")  # Text: no markup in names
    table = Table(title=title, title_justify="left")
    for name in ("conc", "tok/s/user", "tok/s/GPU", *[f"$/Mtok {t}" for t in tiers], "tok/s/MW"):
        table.add_column(name, justify="right")
    for p in f.points:
        costs = [report.num(p.cost_per_mtok[t]) for t in tiers]
        table.add_row(
            str(p.concurrency),
            report.num(p.interactivity),
            report.num(p.tput_per_gpu),
            *costs,
            report.num(p.tokens_per_mw),
        )
    return table


def cmd_frontier(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from bot import report, store
    from bot.app import judge

    engine = store.open_store(args.db)
    frontiers = judge.frontiers(engine, args.config, args.build)
    runs = judge.runs_by_id(engine)
    if args.json:
        print_json(
            [
                report.frontier_json(f)
                | {
                    "run_health": report.run_health(f.run_ids, runs),
                    "suspect": [asdict(p) for p in suspect],
                }
                for f, suspect in frontiers
            ]
        )
        return 0
    for f, suspect in frontiers:
        print_frontier(f, suspect)
        for line in report.run_health(f.run_ids, runs):
            out.print(f"  warning: {report.plain(line, 200)}", markup=False)
    return 0


def print_frontier(f: Frontier, suspect: Sequence[SuspectPoint] = ()) -> None:
    from bot import report

    out.print(frontier_table(f))
    out.print(f"  runs: {', '.join(report.plain(r) for r in f.run_ids)}", markup=False)
    for p in suspect:
        out.print(
            f"  left out: run {report.plain(p.run_id)}, concurrency {p.concurrency}: "
            f"{report.plain(p.reason, 300)}",
            markup=False,
        )


# ---- compare, history, detect -------------------------------------------------------------------


def cmd_compare(args: argparse.Namespace) -> int:
    from bot import report, store
    from bot.app import judge
    from bot.config import load_policy
    from bot.publish import actions

    fail_on = actions.parse_kinds(args.fail_on) if args.fail_on is not None else frozenset()
    engine = store.open_store(args.db)
    runs = judge.runs_by_id(engine)
    verdicts = judge.verdicts(engine, args.baseline, args.candidate, args.config, runs)
    markdown = report.verdicts_markdown(verdicts, load_policy(), runs)
    if args.json:
        print_json([report.verdict_json(v, runs) for v in verdicts])
    else:
        print(markdown, end="", flush=True)
    actions.emit(actions.compare_step(verdicts, markdown, fail_on))
    return GATE_FAILED if actions.gate_failed(verdicts, fail_on) else 0


def cmd_history(args: argparse.Namespace) -> int:
    from bot import report, store
    from bot.analysis.history import BY_BUILD
    from bot.app import judge

    histories = judge.histories(store.open_store(args.db), args.config, args.by)
    if args.json:
        print_json([report.history_json(h) for h in histories])
        return 0
    for h in histories:
        unit = "builds" if h.by == BY_BUILD else "runs by date"
        out.print(f"{_t(h.config.slug)}: {len(h.values)} {unit}, {h.measure}", markup=False)
        for note in h.notes:
            out.print(f"  note: {note}", markup=False)
        out.print(_series_table(h))
        for cp in h.changes:
            out.print(
                f"  {cp.change:+.1%} at {report.plain(h.values[cp.index].label)} "
                f"(#{cp.index}; p={cp.p_value:.2g}; "
                f"median {report.num(cp.before.median)} -> {report.num(cp.after.median)})",
                markup=False,
            )
        if not h.changes:
            out.print("  no change point", markup=False)
        drift = report.trend_line(h)
        if drift:
            out.print(f"  {drift}", markup=False)
        out.print(f"  {report.newest_line(h)}", markup=False)
    return 0


def _series_table(h: History) -> Table:
    from rich.table import Table

    from bot import report
    from bot.analysis.history import BY_BUILD

    table = Table(box=None, pad_edge=False)
    for name in (
        "#",
        "build" if h.by == BY_BUILD else "run",
        "date",
        "tok/s/GPU",
        "95% CI",
        "runs",
    ):
        table.add_column(name, justify="left" if name in ("build", "run", "date") else "right")
    for i, v in enumerate(h.values):
        interval = "–" if v.low is None else f"{report.num(v.low)}–{report.num(v.high)}"
        value = report.num(v.value) if v.value is not None else "failed: " + ", ".join(v.causes)
        table.add_row(
            str(i),
            report.plain(v.label),
            f"{v.at:%Y-%m-%d}" if v.at else "–",
            value,
            interval,
            str(v.runs),
        )
    return table


def cmd_detect(args: argparse.Namespace) -> int:
    from bot.analysis.changepoints import change_point_json, detect
    from bot.config import load_policy
    from bot.series import SeriesError, read_series
    from bot.text import num

    try:
        series = read_series(Path(args.csv), args.column)
    except SeriesError as exc:
        raise CliError(str(exc)) from None
    settings = load_policy().changepoints
    changes = detect(
        series.values,
        alpha=args.alpha or settings.alpha,
        min_size=args.min_size or settings.min_size,
        min_effect=args.min_effect,
    )
    if args.json:
        print_json(
            {
                "column": series.column,
                "rows": len(series.values),
                "missing": sum(v is None for v in series.values),
                "change_points": [change_point_json(cp, series.labels) for cp in changes],
            }
        )
        return 0
    for cp in changes:
        where = f" ({series.labels[cp.index]})" if series.labels else ""
        out.print(
            f"row {cp.index}{where}: {cp.change:+.1%}, p={cp.p_value:.2g}, "
            f"mean {num(cp.before.mean)} -> {num(cp.after.mean)}",
            markup=False,
        )
    if not changes:
        out.print("no change point", markup=False)
    return 0
