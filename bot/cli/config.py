"""`paretobot config show`: the configuration in force and where each part came from."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
from typing import Any

from bot.cli.common import out, print_json


def add_config_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    config = sub.add_parser("config", help="the configuration in force")
    verbs = config.add_subparsers(dest="verb", required=True)
    shown = verbs.add_parser(
        "show",
        parents=[common],
        help="where each config file is read from (team folder or packaged default), and the "
        "analysis policy in force",
    )
    shown.set_defaults(func=cmd_config_show)


def _flat(values: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in values.items():
        if isinstance(value, dict):
            rows += _flat(value, f"{prefix}{key}.")
        else:
            rows.append((prefix + key, value))
    return rows


def cmd_config_show(args: argparse.Namespace) -> int:
    from bot.config.show import show, shown_json, team_note

    shown = show()
    if args.json:
        print_json(shown_json(shown))
        return 0
    out.print(team_note(shown), markup=False)
    width = max(len(s.name) for s in shown.sources)
    for s in shown.sources:
        note = "  (not in the team folder: packaged default)" if s.fallback else ""
        out.print(f"  {s.name:<{width}}  {s.source:<7}  {s.path}{note}", markup=False)
    out.print("analysis policy in force:", markup=False)
    for key, value in _flat(shown.policy.model_dump(mode="json", exclude={"overrides"})):
        out.print(f"  {key} = {value}", markup=False)
    for i, o in enumerate(shown.policy.overrides):
        values = o.model_dump(mode="json", exclude={"match"}, exclude_none=True)
        settings = ", ".join(f"{k} = {v}" for k, v in values.items())
        out.print(
            f"  overrides[{i}] for configurations matching '{o.match}': {settings}", markup=False
        )
    return 0
