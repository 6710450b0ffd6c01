"""`paretobot store check`: what is wrong with a store, without changing it."""

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
