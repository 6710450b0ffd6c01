"""Publishing as a use case: for each verdict, the comment on the tracking issue (and the culprit's
attribution when asked) and the changelog entry, sent to GitHub or, in a dry run, written to a
folder. Reruns with the same evidence change nothing (bot/publish)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.analysis.verdict import Verdict
from bot.app import triage
from bot.app.alerts import alert_new
from bot.app.attribute import Options, attribution_for
from bot.app.judge import runs_by_id
from bot.config import load_policy
from bot.errors import ParetobotError
from bot.github import api as gh_api
from bot.model import CHANGE_KINDS, Attribution
from bot.notify import Delivery
from bot.publish import Outcome, change_posts, issue_url, post_all, write_dry_run
from bot.publish.changelog import ChangelogFiles, record_change
from bot.report.comment import change_key


class TargetError(ParetobotError):
    """Where to publish is missing or malformed."""


@dataclass(frozen=True)
class Target:
    """Where posts go: the tracking issue (or PR) of the benchmark repository; with `dry_run`, a
    folder that receives every post instead of GitHub."""

    repo: str | None = None
    issue: int | None = None
    dry_run: Path | None = None
    mentions: bool = False  # let comments @-mention PR authors

    @classmethod
    def of(
        cls,
        repo: str | None,
        issue: int | None,
        dry_run: Path | None = None,
        mentions: bool = False,
    ) -> Target:
        """Checked; the repository defaults to $GITHUB_REPOSITORY as in Actions."""
        repo = repo or os.environ.get("GITHUB_REPOSITORY") or None
        if repo and not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
            raise TargetError(f"--repo: '{repo}' is not OWNER/NAME")
        if issue is not None and not repo:
            raise TargetError("--issue needs --repo OWNER/NAME (or $GITHUB_REPOSITORY)")
        return cls(repo, issue, dry_run, mentions)


@dataclass(frozen=True)
class Published:
    outcomes: list[Outcome]
    attributions: dict[str, Attribution]  # by change key
    recorded: triage.Recorded | None = None  # the changes as stored, with their triage state
    deliveries: list[Delivery] = field(default_factory=list)  # alerts sent (bot/notify.py)


def publish_changes(
    engine: Engine,
    verdicts: Sequence[Verdict],
    target: Target,
    *,
    changelog: Path | None = None,
    attribute: Options | None = None,
    attributions: Mapping[str, Attribution] | None = None,
) -> Published:
    """Comment on every change and record it in the changelog; with `attribute`, name the PR
    behind it first (a decisive ranking or a finished bisection). A comment that fails is a
    "failed" outcome and the changelog entries are written all the same."""
    if not (target.repo and target.issue) and changelog is None:
        raise TargetError(
            "nothing to publish to: give --repo OWNER/NAME --issue N (the tracking issue) "
            "and/or --changelog PATH"
        )
    policy = load_policy()
    runs = runs_by_id(engine)  # links to the CI runs, and the job to reproduce
    attributions = dict(attributions or {}) | {  # given (the demo's), or found now
        change_key(v.config, v.baseline, v.candidate): attribution_for(engine, v, attribute)[0]
        for v in verdicts
        if attribute is not None and v.kind in CHANGE_KINDS
    }

    def attribution(v: Verdict) -> Attribution | None:
        return attributions.get(change_key(v.config, v.baseline, v.candidate))

    # recorded before posting, so that each comment shows the change's triage state
    recorded = triage.record(
        engine, verdicts, confidence=policy.confidence, attributions=attributions
    )
    states = {c.key: c for c in recorded.changes}
    posts = [
        post
        for v in verdicts
        for post in change_posts(
            v, attribution(v), repo=target.repo, issue=target.issue, policy=policy,
            mentions=target.mentions, runs=runs,
            triage=states.get(change_key(v.config, v.baseline, v.candidate)),
        )
    ]  # fmt: skip
    if target.dry_run is not None:
        outcomes = write_dry_run(target.dry_run, posts)
        urls = [issue_url(gh_api.settings_from_env().api_url, p.repo, p.issue) for p in posts]
    else:
        settings = gh_api.settings_from_env()
        outcomes = post_all(gh_api.connect(settings), posts) if posts else []
        # a comment that failed still has its entry, linking the tracking issue until a rerun
        # posts the comment and the entry's link becomes the comment's
        urls = [
            o.url or (issue_url(settings.api_url, p.repo, p.issue) if o.status == "failed" else "")
            for p, o in zip(posts, outcomes, strict=True)
        ]
    links: dict[str, list[str]] = {}
    for post, url in zip(posts, urls, strict=True):
        links.setdefault(post.key, []).extend([url] if url else [])
    if target.dry_run is None:  # a dry run's links are the issue's, not a comment's
        triage.set_comment(
            engine, {p.key: o.url for p, o in zip(posts, outcomes, strict=True) if o.url}
        )
    deliveries = alert_new(engine, recorded.changes, runs=runs, dry_run=target.dry_run)
    if changelog is not None:
        files = ChangelogFiles(changelog)
        if target.dry_run is not None:
            files = files.copied_to(target.dry_run)
        for v in verdicts:
            key = change_key(v.config, v.baseline, v.candidate)
            outcomes += record_change(
                files, v, attribution(v), links=links.get(key, []), confidence=policy.confidence,
                runs=runs,
            )  # fmt: skip
    return Published(outcomes, attributions, recorded, deliveries)
