"""Sends what bot/report rendered: one comment per change (through bot/github), found again by its
hidden marker and edited in place, and --dry-run folders that hold every post instead. The perf
changelog files are bot/publish/changelog.py.

A rerun with the same evidence sends no write: a comment whose body is unchanged is left alone, and
changelog entries are keyed by the change, so the same change twice is one entry. New evidence for
the same change (more runs, a culprit found) edits the comment and the entry where they stand.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.analysis.verdict import Verdict
from bot.config import AnalysisPolicy
from bot.github.api import Connection
from bot.github.comments import Comments
from bot.model import CHANGE_KINDS, Attribution, Run
from bot.report.comment import (
    CHANGE_MARKER,
    DIGEST_MARKER,
    change_key,
    comment_markdown,
    marker,
)
from bot.report.digest import Digest, digest_markdown

MAX_COMMENT_CHARS = 65_000  # GitHub refuses comment bodies over 65,536 characters


@dataclass(frozen=True)
class Post:
    """One comment to create or edit: where it goes, the key of its marker, its body."""

    repo: str  # owner/name
    issue: int  # issue or pull request number
    key: str
    body: str  # starts with the marker line
    what: str = "change"  # "change" | "digest"
    create: bool = True  # False: edit an existing comment only (the verdict is no longer news)

    @property
    def marker(self) -> str:
        return marker(self.key, DIGEST_MARKER if self.what == "digest" else CHANGE_MARKER)

    @property
    def target(self) -> str:
        return f"{self.repo}#{self.issue}"


@dataclass(frozen=True)
class Outcome:
    what: str  # "change" | "digest" | "changelog"
    target: str  # owner/name#N, or a file
    key: str
    status: str  # created | updated | unchanged | skipped | written
    url: str = ""


# ---- comments -----------------------------------------------------------------------------------


def change_posts(
    v: Verdict,
    attribution: Attribution | None = None,
    *,
    repo: str | None,
    issue: int | None,
    policy: AnalysisPolicy,
    upstream_comments: Collection[str] = (),
    mentions: bool = False,
    runs: Mapping[str, Run] | None = None,
) -> list[Post]:
    """The comment on the tracking issue (or benchmark PR), and on the culprit PR upstream when
    that upstream opted in (`upstream_comments` lists the repos; none by default). `runs`: the
    stored run records, for links to the CI runs and the job to reproduce."""
    key = change_key(v.config, v.baseline, v.candidate)
    body = comment_markdown(v, attribution, policy=policy, mentions=mentions, runs=runs)
    create = v.kind in CHANGE_KINDS
    posts = [Post(repo, issue, key, body, create=create)] if repo and issue else []
    culprit = attribution.culprit if attribution else None
    if culprit is not None and culprit.repo in upstream_comments:
        posts.append(Post(culprit.repo, culprit.number, key, body, create=create))
    return posts


def post_all(gh: Connection, posts: Iterable[Post]) -> list[Outcome]:
    """Edit the comment that starts with each post's marker, or create it; never a second one."""
    threads = Comments(gh)
    outcomes = []
    for p in posts:
        status, url = threads.upsert(p.repo, p.issue, p.marker, p.body, create=p.create)
        outcomes.append(Outcome(p.what, p.target, p.key, status, url))
    return outcomes


def write_whole(path: Path, text: str) -> None:
    """Whole or not at all: a crash mid-write must not leave half a changelog."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_dry_run(folder: Path, posts: Iterable[Post]) -> list[Outcome]:
    """Each body to its own .md file, and posts.json saying where each would have gone."""
    manifest_path = folder / "posts.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else []
    outcomes = []
    for p in posts:
        digest = hashlib.sha256(p.key.encode()).hexdigest()[:10]
        name = f"{p.what}-{re.sub(r'[^A-Za-z0-9._-]', '_', p.repo)}-{p.issue}-{digest}.md"
        write_whole(folder / name, p.body)
        row = {"what": p.what, "repo": p.repo, "issue": p.issue, "key": p.key}
        row |= {"create": p.create, "file": name}
        manifest = [m for m in manifest if m.get("file") != name] + [row]
        outcomes.append(Outcome(p.what, p.target, p.key, "written", str(folder / name)))
    write_whole(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return outcomes


def digest_post(digest: Digest, repo: str, issue: int, *, mentions: bool = False) -> Post:
    """The digest as one comment on `issue`, edited in place when rerun for the same window;
    sections are cut short (saying how many were left out) to fit GitHub's comment size."""
    for most in (None, 50, 20, 10, 5, 0):
        body = digest_markdown(digest, mentions=mentions, most=most)
        if len(body) <= MAX_COMMENT_CHARS:
            break
    return Post(repo, issue, digest.key, body, "digest")


def issue_url(api_url: str, repo: str, issue: int) -> str:
    """The web address of an issue, from the REST root (github.com, or GHES's /api/v3)."""
    web = api_url.rstrip("/")
    web = "https://github.com" if web == "https://api.github.com" else web.removesuffix("/api/v3")
    return f"{web}/{repo}/issues/{issue}"


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    return asdict(outcome)
