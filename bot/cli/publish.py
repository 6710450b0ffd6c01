"""Subcommands that publish: publish (comments and changelog entries for a comparison) and
digest (the weekly summary, as markdown, JSON or a static HTML page)."""

from __future__ import annotations

import argparse
import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot import publish, store
from bot.attribution import driver
from bot.attribution.attribute import ATTRIBUTABLE
from bot.cli.attribute import attribution_for
from bot.cli.common import CliError, out, print_json
from bot.cli.results import verdicts_for
from bot.config import load_policy, load_prices
from bot.model import as_utc
from bot.report.digest import digest_html, digest_json, digest_markdown
from bot.report.publish import change_key, headline
from bot.upstream import github as gh_api

_SPAN = re.compile(r"(\d+)\s*([hdw])")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


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


def _target(args: argparse.Namespace) -> tuple[str | None, int | None]:
    repo = args.repo or os.environ.get("GITHUB_REPOSITORY") or None
    if repo and not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        raise CliError(f"--repo: '{repo}' is not OWNER/NAME")
    if args.issue is not None and not repo:
        raise CliError("--issue needs --repo OWNER/NAME (or $GITHUB_REPOSITORY)")
    return repo, args.issue


def _report(outcomes: list[publish.Outcome]) -> None:
    for o in outcomes:
        out.print(f"{o.status:<9} {o.what:<9} {o.target} {o.url}".rstrip(), markup=False)


def cmd_publish(args: argparse.Namespace) -> int:
    repo, issue = _target(args)
    if not (repo and issue) and not args.changelog:
        raise CliError(
            "nothing to publish to: give --repo OWNER/NAME --issue N (the tracking issue) "
            "and/or --changelog PATH"
        )
    verdicts = verdicts_for(args)
    policy = load_policy()
    settings = gh_api.settings_from_env()
    attributions = {
        v.config: attribution_for(args, v)[0]
        for v in verdicts
        if args.attribute and v.kind in ATTRIBUTABLE
    }
    posts = [
        post
        for v in verdicts
        for post in publish.change_posts(
            v,
            attributions.get(v.config),
            repo=repo,
            issue=issue,
            policy=policy,
            mentions=args.mention_authors,
        )
    ]
    if args.dry_run:
        outcomes = publish.write_dry_run(Path(args.dry_run), posts)
        urls = [publish.issue_url(settings.api_url, p.repo, p.issue) for p in posts]
    else:
        outcomes = publish.post_all(gh_api.connect(settings), posts) if posts else []
        urls = [o.url for o in outcomes]
    links: dict[str, list[str]] = {}
    for post, url in zip(posts, urls, strict=True):
        links.setdefault(post.key, []).extend([url] if url else [])
    if args.changelog:
        files = publish.ChangelogFiles(Path(args.changelog))
        if args.dry_run:
            files = files.copied_to(Path(args.dry_run))
        for v in verdicts:
            key = change_key(v.config, v.baseline, v.candidate)
            outcomes += publish.record_change(
                files,
                v,
                attributions.get(v.config),
                links=links.get(key, []),
                confidence=policy.confidence,
            )
    if args.json:
        print_json(
            {
                "changes": [
                    {
                        "key": change_key(v.config, v.baseline, v.candidate),
                        "verdict": v.kind,
                        "headline": headline(v, confidence=policy.confidence, markdown=False),
                    }
                    for v in verdicts
                ],
                "outcomes": [publish.outcome_json(o) for o in outcomes],
            }
        )
    else:
        _report(outcomes)
    return 0


def parse_since(text: str, until: datetime) -> datetime:
    """'7d', '24h', '2w' before `until`, or an ISO date or time (naive is UTC)."""
    span = _SPAN.fullmatch(text.strip().lower())
    if span:
        return until - timedelta(**{_UNITS[span.group(2)]: int(span.group(1))})
    return parse_when(text, "--since")


def parse_when(text: str, option: str = "--until") -> datetime:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CliError(f"{option}: '{text}' is not 7d, 24h, 2w or an ISO date") from None
    return as_utc(when)


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


def _open_bisections(args: argparse.Namespace) -> list[Any]:
    """The bisections still running, from the store."""
    engine = store.open_store(args.db)
    return [driver.load(engine, key) for key in store.load_bisections(engine, status="running")]


def cmd_digest(args: argparse.Namespace) -> int:
    repo, issue = _target(args)
    until = parse_when(args.until) if args.until else datetime.now(UTC)
    since = parse_since(args.since, until)
    if since >= until:
        raise CliError("--since must be before --until")
    sweeps = store.load_sweeps(store.open_store(args.db), config_pattern=args.config)
    digest = publish.gather_digest(
        sweeps,
        since=since,
        until=until,
        policy=load_policy(),
        prices=load_prices(),
        bisections=_bisections(args.bisections) or _open_bisections(args),
    )
    if args.html:
        Path(args.html).parent.mkdir(parents=True, exist_ok=True)
        Path(args.html).write_text(digest_html(digest), encoding="utf-8")
    outcomes: list[publish.Outcome] = []
    if args.dry_run:
        folder = Path(args.dry_run)
        folder.mkdir(parents=True, exist_ok=True)
        text = digest_markdown(digest, mentions=args.mention_authors)
        (folder / "digest.md").write_text(text, encoding="utf-8")
        if repo and issue:
            post = publish.digest_post(digest, repo, issue, mentions=args.mention_authors)
            outcomes = publish.write_dry_run(folder, [post])
    elif repo and issue:
        post = publish.digest_post(digest, repo, issue, mentions=args.mention_authors)
        outcomes = publish.post_all(gh_api.connect(gh_api.settings_from_env()), [post])
    if args.json:
        print_json(digest_json(digest) | {"outcomes": [publish.outcome_json(o) for o in outcomes]})
    elif outcomes or args.dry_run:
        _report(outcomes)
    else:
        print(digest_markdown(digest, mentions=args.mention_authors), end="")
    return 0
