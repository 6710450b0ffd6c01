"""`paretobot changes`, `ack`, `ignore`, `note`, `reopen`: every detected change and its triage
state, and what people set."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
import getpass
import os
from datetime import UTC, datetime
from typing import Any

from bot.cli.common import CliError, out, print_json

_STATE_HELP = "new, acknowledged, attributed, ignored, fixed, or 'open' (the first three)"


def add_triage_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    changes = sub.add_parser(
        "changes", parents=[common], help="detected changes and their triage state"
    )
    changes.add_argument("--state", help=f"comma-separated: {_STATE_HELP}")
    changes.add_argument("--config", help="configuration pattern (substring or glob of the slug)")
    changes.set_defaults(func=cmd_changes)
    shown = changes.add_subparsers(dest="action")
    one = shown.add_parser("show", parents=[common], help="one change with everything done to it")
    one.add_argument("change", metavar="CHANGE", help="its id (6+ characters) or key")
    one.set_defaults(func=cmd_change_show)

    for name, text in (
        ("ack", "acknowledge a change: someone owns it"),
        ("ignore", "a known, accepted change: never alerted again (until --until)"),
        ("note", "add a note to a change, its state kept"),
        ("reopen", "make a change new again"),
    ):
        verb = sub.add_parser(name, parents=[common], help=text)
        verb.add_argument("change", metavar="CHANGE", help="its id (6+ characters) or key")
        verb.add_argument(
            "--reason", required=name != "reopen", default="", help="why (kept with who and when)"
        )
        verb.add_argument(
            "--by", help="who (default: $GITHUB_ACTOR, else the login of this machine)"
        )
        if name == "ignore":
            verb.add_argument("--until", help="the ignore lapses then: 30d, 2w or an ISO date")
        verb.set_defaults(func=cmd_triage, action=name)


def _states(text: str | None) -> list[str]:
    from bot.model import CHANGE_STATES, OPEN_STATES

    if not text:
        return []
    states: list[str] = []
    for word in (w.strip().lower() for w in text.split(",") if w.strip()):
        if word == "open":
            states += OPEN_STATES
        elif word in CHANGE_STATES:
            states.append(word)
        else:
            raise CliError(f"--state: '{word}' is not one of {_STATE_HELP}")
    return states


def _line(c: Any) -> str:
    from bot.report.triage import effect_text, state_text
    from bot.text import plain

    effect = effect_text(c)
    return (
        f"{c.id}  {c.kind:<11} {plain(c.config.slug, 160)}  "
        f"{plain(c.baseline.label, 60)} -> {plain(c.candidate.label, 60)}"
        + (f"  {effect}" if effect else "")
        + f"\n  state: {state_text(c)}"
    )


def cmd_changes(args: argparse.Namespace) -> int:
    from bot import store
    from bot.app.triage import listing
    from bot.report.triage import change_json

    found = listing(store.open_store(args.db), states=_states(args.state), config=args.config)
    if args.json:
        print_json([change_json(c) for c in found])
        return 0
    if not found:
        out.print(
            "no changes recorded"
            + (" in that selection" if args.state or args.config else "")
            + "; `paretobot publish` and `paretobot digest` record the changes they find",
            markup=False,
        )
    for c in found:
        out.print(_line(c), markup=False)
    return 0


def cmd_change_show(args: argparse.Namespace) -> int:
    from bot import store
    from bot.app.triage import find_one
    from bot.report.triage import change_json
    from bot.store import triage
    from bot.text import plain

    engine = store.open_store(args.db)
    c = find_one(engine, args.change)
    events = triage.events(engine, c.key)
    if args.json:
        print_json(change_json(c, events))
        return 0
    out.print(_line(c), markup=False)
    out.print(f"  {plain(c.sentence, 400)}", markup=False)
    if c.comment_url:
        out.print(f"  comment: {plain(c.comment_url, 300)}", markup=False)
    if c.runs:
        out.print(f"  runs: {plain(', '.join(c.runs), 400)}", markup=False)
    for e in events:
        who = f" by {plain(e.actor, 60)}" if e.actor else ""
        text = f": {plain(e.text, 300)}" if e.text else ""
        out.print(f"  {e.at:%Y-%m-%d %H:%M} {e.action}{who}{text}", markup=False)
    return 0


def _until(text: str | None) -> datetime | None:
    from bot.cli.common import parse_ahead

    # a date is taken as given: act refuses one in the past
    return parse_ahead(text, datetime.now(UTC)) if text else None


def actor_name(given: str | None) -> str:
    """Who acts: given, else $GITHUB_ACTOR (in Actions), else this machine's login."""
    if given:
        return given
    try:
        return os.environ.get("GITHUB_ACTOR") or getpass.getuser()
    except (KeyError, OSError):  # no login name (a container user without an entry)
        return ""


def cmd_triage(args: argparse.Namespace) -> int:
    from bot import store
    from bot.app.triage import act
    from bot.report.triage import change_json, state_text

    until = _until(getattr(args, "until", None))
    change = act(
        store.open_store(args.db),
        args.change,
        args.action,
        reason=args.reason,
        actor=actor_name(args.by),
        until=until,
    )
    if args.json:
        print_json(change_json(change))
    else:
        out.print(f"{change.id}: {state_text(change)}", markup=False)
    return 0
