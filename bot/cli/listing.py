"""`paretobot configs` and `paretobot builds`: what is stored, to find what to compare."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
import shlex
from typing import Any

from bot.cli.common import out, print_json
from bot.text import plain

FILTER_HELP = "case-insensitive; a substring, or a glob with * ? ["


def add_listing_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    configs = sub.add_parser(
        "configs", parents=[common], help="stored configurations, with builds, runs and points"
    )
    configs.add_argument("--config", metavar="PATTERN", help=f"of the slug ({FILTER_HELP})")
    for name in ("model", "hardware", "precision", "framework"):
        configs.add_argument(f"--{name}", help=FILTER_HELP)
    configs.set_defaults(func=cmd_configs)

    builds = sub.add_parser(
        "builds", parents=[common], help="stored builds, with the selector `compare` accepts"
    )
    builds.add_argument(
        "--config", metavar="PATTERN", help=f"only builds measured on these ({FILTER_HELP})"
    )
    builds.add_argument("--framework", help=FILTER_HELP)
    builds.set_defaults(func=cmd_builds)


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    """Columns as wide as their widest cell; numbers (`right`) aligned right."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()
        for row in [header, *rows]
    ]


def _selector(value: str | None) -> str:
    """The selector as it pastes into a shell (quoted where it needs it), or why there is none."""
    return shlex.quote(plain(value, 120)) if value else "(none: differs only by image digest)"


def cmd_configs(args: argparse.Namespace) -> int:
    from bot import store
    from bot.app.listing import config_rows, empty_note

    engine = store.open_store(args.db)
    rows = config_rows(
        engine,
        args.config,
        model=args.model,
        hardware=args.hardware,
        precision=args.precision,
        framework=args.framework,
    )
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        out.print(empty_note(engine, "configurations"), markup=False)
        return 0
    table = [
        [
            plain(r["slug"], 200),  # a model name from a result file: one safe line
            str(r["builds"]),
            str(r["runs"]),
            str(r["points"]),
            plain(r["latest_build"]["label"], 60),
            r["last_run"] or "unknown",
            f"{r['failed_sweeps']} sweep(s)" if r["failures"] else "-",
        ]
        for r in rows
    ]
    header = ["CONFIGURATION", "BUILDS", "RUNS", "POINTS", "LATEST BUILD", "LAST RUN", "FAILURES"]
    out.print("\n".join(_table(header, table, right={1, 2, 3})), markup=False)  # one call: fast
    out.print(
        f"{len(rows)} configuration(s); `paretobot builds --config PATTERN` lists the builds "
        "of some, with the selector `paretobot compare` takes",
        markup=False,
    )
    return 0


def cmd_builds(args: argparse.Namespace) -> int:
    from bot import store
    from bot.app.listing import build_rows, empty_note

    engine = store.open_store(args.db)
    rows = build_rows(engine, args.config, framework=args.framework)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        out.print(empty_note(engine, "builds"), markup=False)
        return 0
    table = [
        [
            plain(r["label"], 60),
            plain(r["framework"], 30),
            str(r["configurations"]),
            str(r["runs"]),
            r["first_run"] or "unknown",
            r["last_run"] or "unknown",
            _selector(r["selector"]),
        ]
        for r in rows
    ]
    header = ["BUILD", "FRAMEWORK", "CONFIGS", "RUNS", "FIRST RUN", "LAST RUN", "SELECTOR"]
    out.print("\n".join(_table(header, table, right={2, 3})), markup=False)
    out.print(
        f"{len(rows)} build(s), first stored first; compare two with "
        "`paretobot compare --baseline SELECTOR --candidate SELECTOR`",
        markup=False,
    )
    return 0
