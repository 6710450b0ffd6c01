"""Sends what bot/report rendered: one comment per change (through bot/github), found again by its
hidden marker and edited in place, and --dry-run folders that hold every post instead. The perf
changelog files are bot/publish/changelog.py.

A rerun with the same evidence sends no write: a comment whose body is unchanged is left alone, and
changelog entries are keyed by the change, so the same change twice is one entry. New evidence for
the same change (more runs, a culprit found) edits the comment and the entry where they stand.

What is sent trusts nothing but itself: the marker a comment starts with is signed with a secret
(PARETOBOT_MARKER_KEY; PARETOBOT_MARKER_KEY_PREVIOUS is still read after a rotation), only the
bot's own comments are edited (bot/github/comments.py checks the author), every body is cut to
fit GitHub's size limit, one failed comment does not stop the others (it is an outcome of its own,
and the changelog is written all the same), and no address in anything written carries a
credential (bot/urls.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.github.api import Connection, GitHubError
from bot.github.comments import Comments
from bot.model import CHANGE_KINDS, Attribution, Change, Run
from bot.report.comment import (
    CHANGE_MARKER,
    DIGEST_MARKER,
    change_key,
    comment_markdown,
    marker,
)
from bot.runner.system import run_url
from bot.urls import scrub, without_credentials

if TYPE_CHECKING:  # the analysis and the digest's libraries: not for `ingest`, which annotates
    from bot.analysis.verdict import Verdict  # through bot.publish.actions
    from bot.config import AnalysisPolicy
    from bot.report.digest import Digest

MAX_COMMENT_CHARS = 65_000  # GitHub refuses comment bodies over 65,536 characters
MARKER_KEY = "PARETOBOT_MARKER_KEY"  # the secret that signs markers (a repository secret)
MARKER_KEY_PREVIOUS = "PARETOBOT_MARKER_KEY_PREVIOUS"  # the one before a rotation, still read


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
    status: str  # created | updated | unchanged | skipped | written | failed
    url: str = ""
    detail: str = ""  # why it failed (one line, no secret)


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
    triage: Change | None = None,
) -> list[Post]:
    """The comment on the tracking issue (or benchmark PR), and on the culprit PR upstream when
    that upstream opted in (`upstream_comments` lists the repos; none by default). `runs`: the
    stored run records, for links to the CI runs and the job to reproduce; `triage`: the stored
    change, whose state the comment shows."""
    key = change_key(v.config, v.baseline, v.candidate)
    body = comment_markdown(
        v, attribution, policy=policy, mentions=mentions, runs=runs, triage=triage
    )
    create = v.kind in CHANGE_KINDS
    posts = [Post(repo, issue, key, body, create=create)] if repo and issue else []
    culprit = attribution.culprit if attribution else None
    if culprit is not None and culprit.repo in upstream_comments:
        posts.append(Post(culprit.repo, culprit.number, key, body, create=create))
    return posts


def signed_marker(key: str, prefix: str, secret: str) -> str:
    """The marker with an HMAC of prefix and key: nobody without the secret can write the marker
    of a change before the bot has posted it."""
    mac = hmac.new(secret.encode(), f"{prefix}{key}".encode(), hashlib.sha256).hexdigest()[:32]
    return f"<!-- {prefix}{key} sig:{mac} -->"


def markers(post: Post, env: Mapping[str, str] | None = None) -> tuple[str, tuple[str, ...]]:
    """(the marker to write, older markers still recognised on the bot's own comments).

    With PARETOBOT_MARKER_KEY set the marker is signed, and the previous key's marker and the
    unsigned one of earlier versions are still read (their comments are edited and re-signed).
    Without it the marker is the unsigned one and the author check alone says what is ours.
    """
    env = os.environ if env is None else env
    prefix = DIGEST_MARKER if post.what == "digest" else CHANGE_MARKER
    secret, previous = env.get(MARKER_KEY, ""), env.get(MARKER_KEY_PREVIOUS, "")
    if not secret:
        return post.marker, ()
    older = [signed_marker(post.key, prefix, previous)] if previous else []
    return signed_marker(post.key, prefix, secret), (*older, post.marker)


def full_text_url(env: Mapping[str, str] | None = None) -> str:
    """Where the whole of a cut comment can be read: the GitHub Actions run publishing it (its
    summary and artifacts), when there is one."""
    return without_credentials(run_url(env) or "")


def fit(body: str, limit: int = MAX_COMMENT_CHARS, full: str = "") -> str:
    """`body` cut at a line so that it fits in `limit` characters, saying how much was left out
    and where the whole can be read; an open code block or <details> is closed first."""
    if len(body) <= limit:
        return body
    lines = body.split("\n")
    where = (
        f"the whole is at {full}"
        if full
        else "`paretobot compare` (or `paretobot digest --json`) prints the whole"
    )
    note = "\n\n_… {n} more lines left out: GitHub caps a comment at 65,536 characters; {w}._\n"
    budget = limit - len(note.format(n=len(lines), w=where)) - 40  # room for closing tags
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > budget:
            room = budget - used - 2
            if room > 40:  # a long line (a huge name) is cut rather than dropped
                kept.append(line[:room] + "…")
            break
        kept.append(line)
        used += len(line) + 1
    fenced = sum(1 for line in kept if line.lstrip().startswith("```")) % 2 == 1
    closing = ["```"] if fenced else []
    opened = sum(line.count("<details>") - line.count("</details>") for line in kept)
    closing += ["</details>"] * max(opened, 0)
    text = "\n".join(kept + closing)
    return text + note.format(n=len(lines) - len(kept), w=where)


def post_all(
    gh: Connection, posts: Iterable[Post], env: Mapping[str, str] | None = None
) -> list[Outcome]:
    """Edit the bot's own comment that starts with each post's marker, or create it; never a
    second one. A post that fails is an outcome of its own ("failed", with why) and the others
    still go: a rerun posts what was missing."""
    threads = Comments(gh, env=env)
    full = full_text_url(env)
    outcomes = []
    for p in posts:
        current, older = markers(p, env)
        body = p.body
        body = current + body[len(p.marker) :] if body.startswith(p.marker) else body
        body = fit(scrub(body), full=full)
        try:
            status, url = threads.upsert(
                p.repo, p.issue, current, body, create=p.create, also=older
            )
        except GitHubError as exc:
            outcomes.append(Outcome(p.what, p.target, p.key, "failed", detail=str(exc)))
            continue
        outcomes.append(Outcome(p.what, p.target, p.key, status, without_credentials(url)))
    return outcomes


def write_whole(path: Path, text: str) -> None:
    """Whole or not at all: a crash mid-write must not leave half a changelog."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(scrub(text), encoding="utf-8")  # no credential in any address, ever
    os.replace(tmp, path)


def write_dry_run(folder: Path, posts: Iterable[Post]) -> list[Outcome]:
    """Each body to its own .md file, and posts.json saying where each would have gone."""
    manifest_path = folder / "posts.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else []
    outcomes = []
    for p in posts:
        digest = hashlib.sha256(p.key.encode()).hexdigest()[:10]
        name = f"{p.what}-{re.sub(r'[^A-Za-z0-9._-]', '_', p.repo)}-{p.issue}-{digest}.md"
        write_whole(folder / name, fit(p.body, full=full_text_url()))
        row = {"what": p.what, "repo": p.repo, "issue": p.issue, "key": p.key}
        row |= {"create": p.create, "file": name}
        manifest = [m for m in manifest if m.get("file") != name] + [row]
        outcomes.append(Outcome(p.what, p.target, p.key, "written", str(folder / name)))
    write_whole(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return outcomes


def digest_post(digest: Digest, repo: str, issue: int, *, mentions: bool = False) -> Post:
    """The digest as one comment on `issue`, edited in place when rerun for the same window;
    sections are cut short (saying how many were left out) to fit GitHub's comment size, and
    what still does not fit (huge names) is cut at a line (`fit`)."""
    from bot.report.digest import digest_markdown

    for most in (None, 500, 200, 100, 50, 20, 10, 5, 0):
        body = digest_markdown(digest, mentions=mentions, most=most)
        if len(body) <= MAX_COMMENT_CHARS:
            break
    return Post(repo, issue, digest.key, fit(body, full=full_text_url()), "digest")


def issue_url(api_url: str, repo: str, issue: int) -> str:
    """The web address of an issue, from the REST root (github.com, or GHES's /api/v3)."""
    web = api_url.rstrip("/")
    web = "https://github.com" if web == "https://api.github.com" else web.removesuffix("/api/v3")
    return without_credentials(f"{web}/{repo}/issues/{issue}")


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    return asdict(outcome)
