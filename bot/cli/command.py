"""`paretobot command`: answer a maintainer's `/paretobot ...` comment (an `issue_comment` payload,
e.g. $GITHUB_EVENT_PATH in .github/workflows/commands.yml)."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from bot.cli.common import CliError, err, out, print_json


def add_command_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    command = sub.add_parser(
        "command",
        parents=[common],
        help="answer a /paretobot command in a GitHub comment (only from people with write access)",
    )
    source = command.add_mutually_exclusive_group(required=True)
    source.add_argument("--event", metavar="FILE", help="one issue_comment payload (JSON)")
    source.add_argument(
        "--poll",
        action="store_true",
        help="answer every unanswered command on --repo's issues and pull requests since --since",
    )
    command.add_argument("--repo", help="with --poll: OWNER/NAME (default: $GITHUB_REPOSITORY)")
    command.add_argument(
        "--since",
        default="2h",
        help="with --poll: how far back to look, e.g. 2h, 1d or an ISO time (default 2h)",
    )
    command.add_argument(
        "--event-name",
        help="its event name (default: $GITHUB_EVENT_NAME, else issue_comment); others are ignored",
    )
    command.add_argument(
        "--dry-run",
        metavar="DIR",
        type=Path,
        help="write the reply (and any bench plan) to DIR; change, dispatch and post nothing",
    )
    command.add_argument(
        "--settle-seconds",
        type=float,
        default=5.0,
        help="wait before concluding from the run list that a failed dispatch did not land",
    )
    command.set_defaults(func=cmd_command)


def cmd_command(args: argparse.Namespace) -> int:
    from bot import store
    from bot.app.commands import Context, answer, read_event_file
    from bot.config.matrix import load_matrix
    from bot.config.upstreams import load_upstreams
    from bot.github import api as gh_api
    from bot.github import threads
    from bot.text import plain

    event = None
    if args.event:
        name = args.event_name or os.environ.get("GITHUB_EVENT_NAME") or "issue_comment"
        event = read_event_file(Path(args.event), name)
        if event is None:
            out.print(f"{args.event}: a '{plain(name)}' event that is no new or edited comment")
            return 0
    repo = args.repo or os.environ.get("GITHUB_REPOSITORY", "")
    if args.poll and not repo:
        raise CliError("--poll needs --repo OWNER/NAME (or $GITHUB_REPOSITORY)")
    ctx = Context(
        engine=store.open_store(args.db),
        gh=gh_api.connect(gh_api.settings_from_env()),
        dispatch_gh=gh_api.connect(threads.dispatch_settings()),
        config=load_upstreams(),
        matrix=load_matrix(),
        dry_run=args.dry_run,
        settle_seconds=args.settle_seconds,
    )
    if event is None:
        from datetime import UTC, datetime

        from bot.app.commands import poll
        from bot.cli.common import parse_since

        results = poll(ctx, repo, parse_since(args.since, datetime.now(UTC)))
        if args.json:
            print_json([_json(r) for r in results])
        for result in [] if args.json else results:
            _print(args, result)
        if not results and not args.json:
            out.print(f"{repo}: no unanswered command since {plain(args.since)}", markup=False)
        return 1 if any(r.error for r in results) else 0
    result = answer(ctx, event)
    if args.json:
        print_json(_json(result))
        return 0
    _print(args, result)
    return 0


def _json(result: Any) -> dict[str, Any]:
    event = result.event
    return {
        "comment": event.comment_id,
        "repo": event.repo,
        "issue": event.number,
        "author": event.login,
        "silent": result.silent_because or None,
        "lines": [
            {"verb": ln.verb, "accepted": ln.accepted, "text": ln.text} for ln in result.lines
        ],
        "posted": result.posted or None,
        "url": result.url or None,
        "dispatches": list(result.dispatched),
        "reply": result.reply or None,
        "error": result.error or None,
    }


def _print(args: argparse.Namespace, result: Any) -> None:
    from bot.text import plain

    event = result.event
    where = f"{event.repo}#{event.number} comment {event.comment_id} by {plain(event.login)}"
    if result.error:
        err.print(f"paretobot: {where}: {plain(result.error, 300)}", markup=False)
        return
    if result.silent_because:
        out.print(f"{where}: no reply ({result.silent_because})", markup=False)
        return
    for line in result.lines:
        verdict = "done" if line.accepted else "refused"
        out.print(f"{where}: {line.verb} {verdict}: {plain(line.text, 300)}", markup=False)
    if args.dry_run is not None:
        out.print(f"dry run: reply written to {args.dry_run}/", markup=False)
    else:
        out.print(f"reply {result.posted}: {plain(result.url, 200)}", markup=False)
