"""`paretobot watch`: poll upstreams (or take one webhook payload), plan, dispatch."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import CliError, err, out, print_json

if TYPE_CHECKING:
    from bot.model import UpstreamEvent
    from bot.watch import Handled, Report

# ---- watch --------------------------------------------------------------------------------------


def print_handled(h: Handled) -> None:
    from bot import report

    e = h.event
    head = f'{e.upstream} {e.key} "{report.plain(e.title)}"'
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
    for d in h.dispatches:
        out.print(
            f"  dispatch {d.key} ({report.plain(d.candidate)} against "
            f"{report.plain(d.baseline)}): {d.outcome}",
            markup=False,
        )


def _delivered_event(args: argparse.Namespace) -> UpstreamEvent | None:
    """The event of `--event FILE` (a webhook payload), or None when it is no upstream event."""
    from bot.github.events import EventError, read_event_file

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
        print_json({"handled": [h.json() for h in result.handled], "errors": result.errors})
    else:
        for handled in result.handled:
            print_handled(handled)
        if dry_run is not None:
            out.print(f"dry run: plans written to {dry_run}/", markup=False)
    for error in result.errors:
        err.print(f"paretobot: {error}", markup=False)


def cmd_watch(args: argparse.Namespace) -> int:
    from bot import store
    from bot.config.matrix import load_matrix
    from bot.config.upstreams import load_rules, load_upstreams
    from bot.github import api as gh_api
    from bot.watch import Context, Report, watch_event, watch_once

    dry_run = Path(args.dry_run) if args.dry_run else None
    ctx = Context(
        engine=store.open_store(args.db),
        gh=gh_api.connect(gh_api.settings_from_env()),
        config=load_upstreams(),
        rules=load_rules(),
        matrix=load_matrix(),
        dry_run=dry_run,
        settle_seconds=args.settle_seconds,
    )
    if args.event:
        delivered = _delivered_event(args)
        result = watch_event(ctx, delivered) if delivered is not None else Report()
        _print_report(args, result, dry_run)
        return 1 if result.errors else 0
    while True:
        result = watch_once(ctx, datetime.now(UTC))
        _print_report(args, result, dry_run)
        if args.once:
            return 1 if result.errors else 0
        time.sleep(args.interval)
