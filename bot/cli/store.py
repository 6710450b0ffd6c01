"""`paretobot store check`: what is wrong with a store, without changing it; `paretobot prune`:
the one way results leave it."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import out, print_json


def add_store_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    group = sub.add_parser("store", help="the store itself")
    actions = group.add_subparsers(dest="action", required=True)
    check = actions.add_parser(
        "check", parents=[common], help="what is wrong with the store (changes nothing)"
    )
    check.set_defaults(func=cmd_check)

    prune = sub.add_parser(
        "prune",
        parents=[common],
        help="delete old runs nothing refers to (open bisections and each configuration's "
        "latest build always stay)",
    )
    prune.add_argument(
        "--older-than", required=True, help="runs before this: 90d, 12w or an ISO date"
    )
    prune.add_argument(
        "--keep",
        default="releases,baselines,changes",
        help="also keep (comma-separated): releases, baselines (pinned ones), changes (the runs "
        "and builds of recorded changes); default: all three, 'none' for none of them",
    )
    prune.add_argument(
        "--pin", action="append", default=[], metavar="BUILD", help="keep this build's runs too"
    )
    prune.add_argument("--dry-run", action="store_true", help="say what would go, delete nothing")
    prune.set_defaults(func=cmd_prune)


def cmd_check(args: argparse.Namespace) -> int:
    """Exit 0 when paretobot can use the store as it is (warnings allowed), 1 otherwise."""
    from dataclasses import asdict

    from bot.report import plain
    from bot.store import database_url
    from bot.store.check import ERROR, check_store

    findings = check_store(database_url(args.db))
    if args.json:
        print_json([asdict(f) for f in findings])
    else:
        for f in findings:
            out.print(f"{f.level:<8}{f.topic}: {plain(f.text, 500)}", markup=False)
    return 1 if any(f.level == ERROR for f in findings) else 0


def cmd_prune(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from bot.app.retention import prune
    from bot.cli.common import parse_since
    from bot.store import open_store

    keep = [] if args.keep.strip().lower() == "none" else [
        k.strip().lower() for k in args.keep.split(",") if k.strip()
    ]  # fmt: skip
    cutoff = parse_since(args.older_than, datetime.now(UTC), "--older-than")
    done = prune(
        open_store(args.db), older_than=cutoff, keep=keep, pins=args.pin, dry_run=args.dry_run
    )
    if args.json:
        print_json(
            {
                "cutoff": done.cutoff.isoformat(),
                "dry_run": done.dry_run,
                "deleted": done.deleted,
                "kept": done.kept,
                "rows": done.rows,
            }
        )
        return 0
    verb = "would delete" if done.dry_run else "deleted"
    rows = ", ".join(f"{n} {t}" for t, n in done.rows.items() if n and t != "runs")
    out.print(
        f"{verb} {len(done.deleted)} run(s) from before {done.cutoff:%Y-%m-%d}"
        + (f" ({rows})" if rows else ""),
        markup=False,
    )
    for why, runs in done.kept.items():
        out.print(f"kept {len(runs)} older run(s): {why}", markup=False)
    return 0
