"""Subcommands that publish: publish (comments and changelog entries for a comparison) and
digest (the weekly summary, as markdown, JSON or a static HTML page)."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.common import CliError, err, out, parse_since, parse_when, print_json
from bot.text import plain

if TYPE_CHECKING:
    from bot.app.publish import Target
    from bot.notify import Delivery
    from bot.publish import Outcome


def add_publish_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    pub = sub.add_parser(
        "publish", parents=[common], help="comment on the tracking issue, write changelog entries"
    )
    pub.add_argument("--baseline", required=True, help="build (version, tag, commit) or run:ID")
    pub.add_argument("--candidate", required=True, help="build (version, tag, commit) or run:ID")
    pub.add_argument("--config", help="configuration pattern (default: every common one)")
    _targets(pub)
    pub.add_argument(
        "--changelog",
        metavar="PATH",
        help="perf-changelog.yaml to append to (a .jsonl twin and "
        "CHANGELOG-perf.md are kept beside it)",
    )
    pub.add_argument(
        "--attribute",
        action="store_true",
        help="name the upstream PR behind each change (ranking, or a finished bisection); "
        "builds need commits",
    )
    pub.add_argument("--repo-upstream", help="upstream repository for --attribute")
    pub.set_defaults(func=cmd_publish)

    dig = sub.add_parser("digest", parents=[common], help="weekly digest of changes")
    dig.add_argument("--since", default="7d", help="window start: 7d, 24h, 2w or an ISO date")
    dig.add_argument("--until", help="window end, ISO date or time (default: now)")
    dig.add_argument("--config", help="configuration pattern (default: every configuration)")
    dig.add_argument("--html", metavar="FILE", help="also write a static HTML page with plots")
    dig.add_argument(
        "--bisections",
        metavar="FILE",
        help="JSON list of open bisections (config, baseline, candidate, remaining)",
    )
    _targets(dig)
    dig.set_defaults(func=cmd_digest)


def _targets(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", help="benchmark repo OWNER/NAME (default: $GITHUB_REPOSITORY)")
    parser.add_argument("--issue", type=int, help="tracking issue or pull request to comment on")
    parser.add_argument(
        "--dry-run",
        nargs="?",
        const="paretobot-posts",
        metavar="DIR",
        help="write every post to DIR (default ./paretobot-posts) instead of calling GitHub",
    )
    parser.add_argument(
        "--mention-authors", action="store_true", help="let comments @-mention PR authors"
    )


def _target(args: argparse.Namespace) -> Target:
    from bot.app.publish import Target

    dry_run = Path(args.dry_run) if args.dry_run else None
    return Target.of(args.repo, args.issue, dry_run, args.mention_authors)


def print_outcomes(outcomes: list[Outcome]) -> None:
    for o in outcomes:
        out.print(
            f"{o.status:<9} {o.what:<9} {o.target} {o.url or o.detail}".rstrip(), markup=False
        )


def failures(outcomes: list[Outcome]) -> int:
    """1 when a comment could not be posted (one line on stderr says so), else 0: what did go
    (the other comments, the changelog entries) is kept, and a rerun posts what is missing."""
    failed = [o for o in outcomes if o.status == "failed"]
    for o in failed:
        err.print(f"paretobot: {o.what} comment not posted: {o.detail}", markup=False)
    if failed:
        err.print(
            f"paretobot: {len(failed)} comment(s) not posted, the rest was written: "
            "rerun to post them",
            markup=False,
        )
    return 1 if failed else 0


def cmd_publish(args: argparse.Namespace) -> int:
    from bot import store
    from bot.app import judge
    from bot.app.attribute import Options
    from bot.app.publish import publish_changes
    from bot.config import load_policy
    from bot.notify import delivery_json
    from bot.publish import outcome_json
    from bot.report.comment import change_key, headline

    target = _target(args)
    engine = store.open_store(args.db)
    verdicts = judge.verdicts(engine, args.baseline, args.candidate, args.config)
    attribute = Options(repo=args.repo_upstream) if args.attribute else None
    changelog = Path(args.changelog) if args.changelog else None
    published = publish_changes(engine, verdicts, target, changelog=changelog, attribute=attribute)
    if args.json:
        confidence = load_policy().confidence
        print_json(
            {
                "changes": [
                    {
                        "key": change_key(v.config, v.baseline, v.candidate),
                        "verdict": v.kind,
                        "headline": headline(v, confidence=confidence, markdown=False),
                    }
                    for v in verdicts
                ],
                "outcomes": [outcome_json(o) for o in published.outcomes],
                "alerts": [delivery_json(d) for d in published.deliveries],
            }
        )
    else:
        print_outcomes(published.outcomes)
        print_deliveries(published.deliveries)
    return failures(published.outcomes) or alert_failures(published.deliveries)


def print_deliveries(deliveries: list[Delivery], console: Any = out) -> None:
    """One line per alert delivery: channel, status, change key, detail (never an address)."""
    for d in deliveries:
        console.print(
            f"{d.status:<9} alert     {plain(d.channel, 80)} {plain(d.key, 200)} "
            f"{plain(d.detail, 300)}".rstrip(),
            markup=False,
        )


def alert_failures(deliveries: list[Delivery]) -> int:
    """1 when an alert could not be delivered (said on stderr; the change stays owed and the
    next publish or digest sends it again), else 0."""
    failed = [d for d in deliveries if d.status == "failed"]
    if failed:
        err.print(
            f"paretobot: {len(failed)} alert(s) not delivered, the rest was sent: the next "
            "publish or digest tries again",
            markup=False,
        )
    return 1 if failed else 0


def _bisections(path: str | None) -> list[Any] | None:
    if not path:
        return None
    try:
        items = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CliError(f"--bisections: cannot read {path}: {exc}") from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise CliError("--bisections: expected a JSON list of objects")
    return items


def cmd_digest(args: argparse.Namespace) -> int:
    from bot import store
    from bot.app.alerts import alert_new
    from bot.app.digest import digest_of, publish_digest
    from bot.notify import delivery_json
    from bot.publish import actions, outcome_json
    from bot.report.digest import digest_json

    target = _target(args)
    until = parse_when(args.until) if args.until else datetime.now(UTC)
    engine = store.open_store(args.db)
    digest = digest_of(
        engine,
        since=parse_since(args.since, until),
        until=until,
        config=args.config,
        bisections=_bisections(args.bisections),
    )
    html = Path(args.html) if args.html else None
    outcomes, text = publish_digest(digest, target, html=html)
    deliveries = alert_new(engine, digest.recorded, runs=digest.runs, dry_run=target.dry_run)
    actions.emit(actions.digest_step(text))
    if args.json:
        print_json(
            digest_json(digest)
            | {
                "outcomes": [outcome_json(o) for o in outcomes],
                "alerts": [delivery_json(d) for d in deliveries],
            }
        )
    elif outcomes or target.dry_run:
        print_outcomes(outcomes)
        print_deliveries(deliveries)
    else:
        print(text, end="")
        print_deliveries(deliveries, err)
    return failures(outcomes) or alert_failures(deliveries)
