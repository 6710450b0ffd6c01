"""`paretobot` subcommands: parse arguments, call one stage, print. No logic of its own."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from bot import report, store
from bot.analysis import select
from bot.analysis.changepoints import detect
from bot.analysis.frontier import frontier_of
from bot.analysis.history import history
from bot.analysis.noise import NoiseModel, noise_model
from bot.analysis.verdict import Verdict, judge
from bot.config import ConfigError, load_policy, load_prices
from bot.config.matrix import load_matrix
from bot.config.upstreams import load_rules, load_upstreams
from bot.dispatch import job_json
from bot.ingest import IngestError, Metadata, find_result_files, parse_file
from bot.model import ConfigKey, Frontier, UpstreamEvent
from bot.series import SeriesError, read_series
from bot.upstream import github as gh_api
from bot.upstream.events import EventError, read_event_file
from bot.watch import Handled, Report, watch_event, watch_once

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class CliError(Exception):
    """A user-facing failure: printed as one line, exit code 1."""


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


# ---- ingest -------------------------------------------------------------------------------------

_META_OPTIONS = {
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
    given = {k: getattr(args, k) for k in _META_OPTIONS if getattr(args, k) is not None}
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
    options = _metadata(args)
    engine = store.open_store(args.db)
    files, missing = find_result_files(Path(p) for p in args.paths)
    results = [{"path": str(p), "status": "error", "reason": why} for p, why in missing]
    for path, why in missing:
        err.print(f"error  {path}: {why}", markup=False)
    for path in files:
        results.append(_ingest_one(engine, path, options, quiet=args.json))
    counts = {s: sum(r["status"] == s for r in results) for s in ("stored", "duplicate", "error")}
    points = sum(r.get("points", 0) for r in results if r["status"] == "stored")
    if args.json:
        _print_json({"files": results, "summary": counts | {"points": points}})
    else:
        out.print(
            f"stored {counts['stored']} file(s) ({points} points), {counts['duplicate']} already "
            f"stored, {counts['error']} quarantined",
            markup=False,
        )
    return 1 if counts["error"] else 0


def _ingest_one(engine: Any, path: Path, options: Metadata, *, quiet: bool) -> dict[str, Any]:
    digest = None
    try:
        parsed = parse_file(path, options)
        digest = parsed.sha256
        stored = store.add_file(engine, parsed)
    except (IngestError, store.StoreError) as exc:
        store.quarantine(engine, str(path), digest, str(exc))
        err.print(f"error  {path}: {exc}", markup=False)
        return {"path": str(path), "status": "error", "reason": str(exc)}
    status = "stored" if stored else "duplicate"
    if not quiet:
        detail = f"{parsed.format}, {parsed.n_points} points" if stored else "already stored"
        out.print(f"{status:<9} {path} ({detail})", markup=False)
    for stat in parsed.run_stats:
        if stat.succeeded < stat.total and not quiet:
            err.print(
                f"warning {path}: {stat.total - stat.succeeded} of {stat.total} jobs on "
                f"{stat.hardware} failed in run '{parsed.run_id}'",
                markup=False,
            )
    return {"path": str(path), "status": status, "format": parsed.format, "points": parsed.n_points}


def cmd_quarantine(args: argparse.Namespace) -> int:
    rows = store.quarantined(store.open_store(args.db))
    if args.json:
        _print_json([r.__dict__ for r in rows])
    for r in [] if args.json else rows:
        out.print(f"{r.at:%Y-%m-%d %H:%M}  {r.path}: {r.reason}", markup=False)
    return 0


# ---- frontier -----------------------------------------------------------------------------------


def _grouped(args: argparse.Namespace) -> dict:
    sweeps = store.load_sweeps(store.open_store(args.db), config_pattern=args.config)
    if not sweeps:
        where = f" matching '{args.config}'" if args.config else ""
        raise CliError(f"no results stored{where}; load some with `paretobot ingest PATH`")
    return select.by_config(sweeps)


def _frontiers(args: argparse.Namespace) -> list[Frontier]:
    prices = load_prices()
    frontiers = []
    for sweeps in _grouped(args).values():
        if args.build:
            chosen = select.pick(sweeps, args.build)
        else:
            chosen = select.of_build(sweeps, select.latest_build(sweeps))
        chosen = [s for s in chosen if s.points]
        if chosen:
            frontiers.append(frontier_of(chosen, prices))
    if not frontiers:
        raise CliError(f"no stored sweep matches build '{args.build}'")
    return frontiers


def _frontier_table(f: Frontier) -> Table:
    tiers = list(f.points[0].cost_per_mtok) if f.points else []
    table = Table(title=f"{f.config.slug}  [{f.build.label}]", title_justify="left")
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
    frontiers = _frontiers(args)
    if args.json:
        _print_json([report.frontier_json(f) for f in frontiers])
        return 0
    for f in frontiers:
        out.print(_frontier_table(f))
    return 0


# ---- compare, history, detect -------------------------------------------------------------------


def _verdicts(args: argparse.Namespace) -> tuple[list[Verdict], dict[ConfigKey, NoiseModel]]:
    policy, prices = load_policy(), load_prices()
    verdicts, noise = [], {}
    for config, sweeps in _grouped(args).items():
        base, cand = select.pick(sweeps, args.baseline), select.pick(sweeps, args.candidate)
        if base and cand:
            noise[config] = noise_model(sweeps)
            verdicts.append(judge(base, cand, policy, noise[config], prices))
    if not verdicts:
        raise CliError(
            f"no configuration has results for both '{args.baseline}' and '{args.candidate}' "
            "(a build is named by version, image tag or commit prefix; a run by run:ID)"
        )
    return verdicts, noise


def cmd_compare(args: argparse.Namespace) -> int:
    verdicts, noise = _verdicts(args)
    if args.json:
        _print_json([report.verdict_json(v, noise[v.config]) for v in verdicts])
    else:
        print(report.verdicts_markdown(verdicts, load_policy(), noise), end="")
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    policy = load_policy()
    histories = [history(sweeps, policy) for sweeps in _grouped(args).values()]
    if args.json:
        _print_json([report.history_json(h) for h in histories])
        return 0
    for h in histories:
        out.print(f"{h.config.slug}: {len(h.builds)} builds, {h.measure}", markup=False)
        for cp in h.changes:
            label = h.builds[cp.index].build.label
            out.print(
                f"  {cp.change:+.1%} at {label} (build {cp.index}; p={cp.p_value:.2g}; "
                f"median {report.num(cp.before.median)} -> {report.num(cp.after.median)})",
                markup=False,
            )
        if not h.changes:
            out.print("  no change point", markup=False)
    return 0


def cmd_detect(args: argparse.Namespace) -> int:
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
        _print_json(
            {
                "column": series.column,
                "rows": len(series.values),
                "missing": sum(v is None for v in series.values),
                "change_points": [report.change_point_json(cp, series.labels) for cp in changes],
            }
        )
        return 0
    for cp in changes:
        where = f" ({series.labels[cp.index]})" if series.labels else ""
        out.print(
            f"row {cp.index}{where}: {cp.change:+.1%}, p={cp.p_value:.2g}, "
            f"mean {report.num(cp.before.mean)} -> {report.num(cp.after.mean)}",
            markup=False,
        )
    if not changes:
        out.print("no change point", markup=False)
    return 0


# ---- watch --------------------------------------------------------------------------------------


def _print_handled(h: Handled) -> None:
    e = h.event
    head = f"{e.upstream} {e.key} {report.md(e.title)[:80]!r}"
    if h.plan is None:
        out.print(f"{head}: ignored (touches no watched path or label)", markup=False)
        return
    jobs = h.plan.jobs
    out.print(f"{head}: {len(jobs)} job(s)", markup=False)
    for job in jobs:
        conc = f"{job.concurrencies[0]}-{job.concurrencies[-1]}" if job.concurrencies else "-"
        out.print(
            f"  {job.config.slug} on {job.runner}, conc {conc}, x{job.repeats}"
            f"  [{', '.join(job.reasons)}]",
            markup=False,
        )
    reasons = sorted({why for _, why in h.dropped})
    for why in reasons:
        count = sum(1 for _, w in h.dropped if w == why)
        out.print(f"  {count} more left out: {why}", markup=False)
    for key, outcome in h.dispatches:
        out.print(f"  dispatch {key}: {outcome}", markup=False)


def _handled_json(h: Handled) -> dict[str, Any]:
    e = h.event
    return {
        "upstream": e.upstream,
        "event": e.key,
        "title": e.title,
        "at": e.at.isoformat(),
        "ignored": h.plan is None,
        "jobs": [job_json(j) for j in h.plan.jobs] if h.plan else [],
        "dropped": [{"config": j.config.slug, "why": why} for j, why in h.dropped],
        "dispatches": [{"key": k, "outcome": o} for k, o in h.dispatches],
    }


def _delivered_event(args: argparse.Namespace) -> UpstreamEvent | None:
    """The event of `--event FILE` (a webhook payload), or None when it is no upstream event."""
    name = args.event_name or os.environ.get("GITHUB_EVENT_NAME", "")
    try:
        event = read_event_file(Path(args.event), name)
    except EventError as exc:
        raise CliError(str(exc)) from None
    if event is None:
        out.print(
            f"{args.event}: a '{name}' payload that is no release, tag or merge", markup=False
        )
    return event


def _print_report(args: argparse.Namespace, result: Report, dry_run: Path | None) -> None:
    if args.json:
        _print_json(
            {"handled": [_handled_json(h) for h in result.handled], "errors": result.errors}
        )
    else:
        for handled in result.handled:
            _print_handled(handled)
        if dry_run is not None:
            out.print(f"dry run: plans written to {dry_run}/", markup=False)
    for error in result.errors:
        err.print(f"paretobot: {error}", markup=False)


def cmd_watch(args: argparse.Namespace) -> int:
    config, rules, matrix = load_upstreams(), load_rules(), load_matrix()
    engine = store.open_store(args.db)
    gh = gh_api.connect(gh_api.settings_from_env())
    dry_run = Path(args.dry_run) if args.dry_run else None
    options = dict(dry_run=dry_run, settle_seconds=args.settle_seconds)
    if args.event:
        delivered = _delivered_event(args)
        result = Report()
        if delivered is not None:
            result = watch_event(engine, gh, delivered, config, rules, matrix, **options)
        _print_report(args, result, dry_run)
        return 1 if result.errors else 0
    while True:
        now = datetime.now(UTC)
        result = watch_once(engine, gh, config, rules, matrix, now, **options)
        _print_report(args, result, dry_run)
        if args.once:
            return 1 if result.errors else 0
        time.sleep(args.interval)


# ---- demo ---------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    """The main job on embedded defaults: ingest the bundled examples, show frontiers, compare."""
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or f"sqlite:///{tmp}/demo.db"
        base = argparse.Namespace(db=db, json=False, config=None, build=None)
        out.rule("ingest: the bundled example results (examples/)")
        ingest_args = argparse.Namespace(**vars(base), paths=[str(EXAMPLES)])
        ingest_args.__dict__.update({k: None for k in _META_OPTIONS})
        ingest_args.__dict__.update(dp_attention=False, disagg=False)
        cmd_ingest(ingest_args)
        out.rule("frontier: each configuration's latest build")
        cmd_frontier(base)
        out.rule("compare: the same vLLM 0.32.0 build run twice on a shared CPU")
        compare_args = argparse.Namespace(
            **vars(base) | {"config": "tiny"}, baseline="run:run-a", candidate="run:run-b"
        )
        cmd_compare(compare_args)
    return 0


# ---- argument parsing ---------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="SQLAlchemy URL (default: $PARETOBOT_DB or paretobot.db)")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    parser = argparse.ArgumentParser(prog="paretobot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", parents=[common], help="load result files or folders")
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    meta = ingest.add_argument_group("metadata a file lacks (overrides sidecars)")
    for name, kind in _META_OPTIONS.items():
        meta.add_argument("--" + name.replace("_", "-"), type=kind, dest=name)
    meta.add_argument("--dp-attention", action="store_true")
    meta.add_argument("--disagg", action="store_true")
    ingest.set_defaults(func=cmd_ingest)

    frontier = sub.add_parser("frontier", parents=[common], help="Pareto frontier(s)")
    frontier.add_argument("--config", help="configuration pattern (substring or glob of the slug)")
    frontier.add_argument("--build", help="build selector (default: latest stored build)")
    frontier.set_defaults(func=cmd_frontier)

    comp = sub.add_parser("compare", parents=[common], help="candidate frontier vs baseline")
    comp.add_argument("--baseline", required=True, help="build (version, tag, commit) or run:ID")
    comp.add_argument("--candidate", required=True, help="build (version, tag, commit) or run:ID")
    comp.add_argument("--config", help="configuration pattern (default: every common one)")
    comp.add_argument("--markdown", action="store_true", help="markdown table (the default)")
    comp.set_defaults(func=cmd_compare)

    watch = sub.add_parser("watch", parents=[common], help="poll upstreams, plan, dispatch")
    watch.add_argument("--once", action="store_true", help="one pass, then exit")
    watch.add_argument(
        "--dry-run",
        nargs="?",
        const="paretobot-plan",
        metavar="DIR",
        help="write the plans to DIR (default ./paretobot-plan) instead of dispatching",
    )
    watch.add_argument(
        "--event",
        metavar="FILE",
        help="handle one webhook payload (e.g. $GITHUB_EVENT_PATH) instead of polling",
    )
    watch.add_argument(
        "--event-name", help="its event name (default: $GITHUB_EVENT_NAME): release, push, ..."
    )
    watch.add_argument("--interval", type=float, default=1800, help="seconds between passes")
    watch.add_argument(
        "--settle-seconds",
        type=float,
        default=5.0,
        help="wait before concluding from the run list that a failed dispatch did not land",
    )
    watch.set_defaults(func=cmd_watch)

    hist = sub.add_parser("history", parents=[common], help="change points over all builds")
    hist.add_argument("--config", help="configuration pattern (default: every configuration)")
    hist.set_defaults(func=cmd_history)

    det = sub.add_parser("detect", parents=[common], help="change points of one series (CSV)")
    det.add_argument("--csv", required=True, help="CSV with a header line, one row per build")
    det.add_argument("--column", help="value column (default: the last one)")
    det.add_argument("--alpha", type=float, help="significance per test (configs/analysis.yaml)")
    det.add_argument("--min-size", type=int, help="fewest rows on each side of a change")
    det.add_argument("--min-effect", type=float, default=0.0, help="smallest relative change")
    det.set_defaults(func=cmd_detect)

    quar = sub.add_parser("quarantine", parents=[common], help="files refused, with reasons")
    quar.set_defaults(func=cmd_quarantine)

    demo = sub.add_parser("demo", parents=[common], help="the loop on the bundled examples")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except (
        CliError,
        ConfigError,
        store.StoreError,
        select.SelectionError,
        gh_api.UpstreamError,
    ) as exc:
        err.print(f"paretobot: {exc}", markup=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())
