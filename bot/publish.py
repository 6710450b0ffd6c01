"""The only code that writes to GitHub: one comment per change, found again by its hidden marker
and edited in place; the perf changelog files; and --dry-run folders that hold every post instead.

A rerun with the same evidence sends no write: a comment whose body is unchanged is left alone, and
changelog entries are keyed by the change, so the same change twice is one entry. New evidence for
the same change (more runs, a culprit found) edits the comment and the entry where they stand.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from github import Github, GithubException
from github.Issue import Issue
from github.IssueComment import IssueComment

from bot.analysis import select
from bot.analysis.frontier import frontier_of
from bot.analysis.verdict import NO_CHANGE, Verdict, judge, usable
from bot.config import AnalysisPolicy, PriceTable
from bot.model import Attribution, Build, Frontier, Sweep
from bot.report.changelog import changelog_entry, changelog_line, changelog_record, changelog_yaml
from bot.report.digest import Digest, DigestChange, StaleConfig, digest_markdown, open_bisections
from bot.report.publish import (
    ACTIONABLE,
    CHANGE_MARKER,
    DIGEST_MARKER,
    change_key,
    comment_markdown,
    marker,
    pull_url,
)
from bot.upstream.github import UpstreamError

MAX_COMMENT_CHARS = 65_000  # GitHub refuses comment bodies over 65,536 characters
MARKDOWN_HEADER = "# Performance changelog\n\nWritten by paretobot: one line per change.\n\n"


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
) -> list[Post]:
    """The comment on the tracking issue (or benchmark PR), and on the culprit PR upstream when
    that upstream opted in (`upstream_comments` lists the repos; none by default)."""
    key = change_key(v.config, v.baseline, v.candidate)
    body = comment_markdown(v, attribution, policy=policy, mentions=mentions)
    create = v.kind in ACTIONABLE
    posts = [Post(repo, issue, key, body, create=create)] if repo and issue else []
    culprit = attribution.culprit if attribution else None
    if culprit is not None and culprit.repo in upstream_comments:
        posts.append(Post(culprit.repo, culprit.number, key, body, create=create))
    return posts


def _same(a: str, b: str) -> bool:
    return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()


def upsert_comment(gh: Github, post: Post) -> Outcome:
    return post_all(gh, [post])[0]


def post_all(gh: Github, posts: Iterable[Post]) -> list[Outcome]:
    """Edit the comment that starts with each post's marker, or create it; never a second one.

    A marker quoted in someone else's comment does not start it, so only ours match. Each issue's
    comments are listed once per call. POST is not retried (bot/upstream/github.py): a retried
    create could duplicate, and the next run's marker search makes a lost answer harmless.
    """
    threads: dict[str, tuple[Issue, list[IssueComment]]] = {}
    outcomes = []
    for post in posts:
        try:
            if post.target not in threads:
                issue = gh.get_repo(post.repo).get_issue(post.issue)
                threads[post.target] = (issue, list(issue.get_comments()))
            outcomes.append(_upsert(post, *threads[post.target]))
        except (GithubException, OSError) as exc:
            status = getattr(exc, "status", None)
            detail = f"HTTP {status}" if status else type(exc).__name__
            raise UpstreamError(f"commenting on {post.target}: {detail}") from None
    return outcomes


def _upsert(post: Post, issue: Issue, comments: list[IssueComment]) -> Outcome:
    mine = next((c for c in comments if (c.body or "").startswith(post.marker)), None)
    if mine is None:
        if not post.create:
            return Outcome(post.what, post.target, post.key, "skipped")
        made = issue.create_comment(post.body)
        comments.append(made)
        return Outcome(post.what, post.target, post.key, "created", made.html_url)
    if _same(mine.body or "", post.body):
        return Outcome(post.what, post.target, post.key, "unchanged", mine.html_url)
    mine.edit(post.body)
    return Outcome(post.what, post.target, post.key, "updated", mine.html_url)


def _write(path: Path, text: str) -> None:
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
        _write(folder / name, p.body)
        row = {"what": p.what, "repo": p.repo, "issue": p.issue, "key": p.key}
        row |= {"create": p.create, "file": name}
        manifest = [m for m in manifest if m.get("file") != name] + [row]
        outcomes.append(Outcome(p.what, p.target, p.key, "written", str(folder / name)))
    _write(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return outcomes


# ---- the changelog ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangelogFiles:
    """perf-changelog.yaml (InferenceX's shape), its JSON Lines twin, and CHANGELOG-perf.md."""

    yaml: Path

    @property
    def jsonl(self) -> Path:
        return self.yaml.with_suffix(".jsonl")

    @property
    def markdown(self) -> Path:
        return self.yaml.parent / "CHANGELOG-perf.md"

    def copied_to(self, folder: Path) -> ChangelogFiles:
        """The same files in `folder`, starting from the current ones (for --dry-run)."""
        folder.mkdir(parents=True, exist_ok=True)
        copy = ChangelogFiles(folder / self.yaml.name)
        for src, dst in zip(self._all(), copy._all(), strict=True):
            if src.exists():
                shutil.copyfile(src, dst)
            elif dst.exists():
                dst.unlink()
        return copy

    def _all(self) -> tuple[Path, Path, Path]:
        return self.yaml, self.jsonl, self.markdown


def _read_lines(path: Path) -> list[str]:
    """Lines split on "\n" only: splitlines() would also split inside a quoted U+2028."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")
    return lines[:-1] if lines[-1] == "" else lines


def _record_of(line: str) -> dict[str, Any]:
    try:
        found = json.loads(line)
    except ValueError:
        return {}  # a line someone broke by hand is kept as it is, not ours to fix
    return found if isinstance(found, dict) else {}


def _upsert_yaml(path: Path, key: str, block: str) -> str:
    lines, new = _read_lines(path), block.rstrip("\n").splitlines()
    head = f"# {CHANGE_MARKER}{key}"
    if head in lines:
        start = lines.index(head)
        end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
        if lines[start:end] == new:
            return "unchanged"
        lines[start:end] = new
        status = "updated"
    else:
        while lines and not lines[-1].strip():
            lines.pop()
        lines += [""] * bool(lines) + new
        status = "created"
    _write(path, "\n".join(lines) + "\n")
    return status


def _upsert_jsonl(path: Path, record: dict[str, Any]) -> str:
    lines = _read_lines(path)
    for i, line in enumerate(lines):
        old = _record_of(line)
        if old.get("key") == record["key"]:
            record = record | {"recorded": old.get("recorded", record["recorded"])}
            text = json.dumps(record, sort_keys=True)
            if line == text:
                return "unchanged"
            lines[i] = text
            _write(path, "\n".join(lines) + "\n")
            return "updated"
    _write(path, "\n".join([*lines, json.dumps(record, sort_keys=True)]) + "\n")
    return "created"


def _upsert_markdown(path: Path, mark: str, line_for: Any, today: date) -> str:
    lines = _read_lines(path) or MARKDOWN_HEADER.rstrip("\n").split("\n")
    for i, line in enumerate(lines):
        if line.endswith(mark):
            first = re.match(r"- (\d{4}-\d{2}-\d{2}) ", line)
            text = line_for(date.fromisoformat(first.group(1)) if first else today)
            if line == text:
                return "unchanged"
            lines[i] = text
            _write(path, "\n".join(lines) + "\n")
            return "updated"
    _write(path, "\n".join([*lines, line_for(today)]) + "\n")
    return "created"


def record_change(
    files: ChangelogFiles,
    v: Verdict,
    attribution: Attribution | None = None,
    *,
    links: Sequence[str] = (),
    confidence: float = 0.95,
    today: date | None = None,
) -> list[Outcome]:
    """One entry per change in each changelog file: appended once, then edited in place.

    pr-link is the culprit PR when known, else the first evidence link (the comment).
    """
    key = change_key(v.config, v.baseline, v.candidate)
    if v.kind not in ACTIONABLE:
        return [Outcome("changelog", str(files.yaml), key, "skipped")]
    today = today or date.today()
    culprit = attribution.culprit if attribution else None
    link = pull_url(culprit) if culprit else next(iter(links), "")
    entry = changelog_entry(v, attribution, link=link, confidence=confidence)
    record = changelog_record(v, attribution, links=links, confidence=confidence, recorded=today)

    def line_for(day: date) -> str:
        return changelog_line(v, attribution, link=link, confidence=confidence, day=day)

    statuses = [
        (files.yaml, _upsert_yaml(files.yaml, key, changelog_yaml(entry, key))),
        (files.jsonl, _upsert_jsonl(files.jsonl, record)),
        (files.markdown, _upsert_markdown(files.markdown, marker(key), line_for, today)),
    ]
    return [Outcome("changelog", str(path), key, status) for path, status in statuses]


# ---- what the digest reports --------------------------------------------------------------------


def build_times(sweeps: Sequence[Sweep]) -> list[tuple[Build, datetime | None]]:
    """Builds oldest first, each with its first start time: by time when every build has one,
    else in storage order (times from some runs only cannot order all of them)."""
    first: dict[Build, int] = {}
    times: dict[Build, datetime] = {}
    for i, s in enumerate(sweeps):
        first.setdefault(s.build, i)
        if s.started_at is not None:
            times[s.build] = min(times.get(s.build, s.started_at), s.started_at)
    builds = list(first)
    if all(b in times for b in builds):
        builds.sort(key=lambda b: (times[b], first[b]))
    return [(b, times.get(b)) for b in builds]


def _drawn(side: Sequence[Sweep], policy: AnalysisPolicy) -> Frontier | None:
    ok = [u for u in (usable(s, policy) for s in side) if u.points]
    return frontier_of(ok) if ok else None


def gather_digest(
    sweeps: Sequence[Sweep],
    *,
    since: datetime,
    until: datetime,
    policy: AnalysisPolicy,
    prices: PriceTable | None = None,
    bisections: Iterable[object] | None = None,
    attributions: Mapping[str, Attribution] | None = None,
) -> Digest:
    """Per configuration, the latest build up to `until` against the build before it, when the
    latest ran at or after `since` (a build without a start time counts as fresh: nothing says
    it is old). Configurations whose latest build ran before `since` have no fresh data."""
    changes, stale, unchanged, first_seen = [], [], 0, 0
    for config, group in select.by_config(sweeps).items():
        builds = [(b, t) for b, t in build_times(group) if t is None or t <= until]
        if not builds:
            continue
        latest, at = builds[-1]
        if at is not None and at < since:
            stale.append(StaleConfig(config, latest, at))
            continue
        if len(builds) < 2:
            first_seen += 1
            continue
        kept = {b for b, _ in builds}
        group = [s for s in group if s.build in kept]
        base, cand = select.of_build(group, builds[-2][0]), select.of_build(group, latest)
        v = judge(base, cand, policy, history=group, prices=prices)
        if v.kind == NO_CHANGE:
            unchanged += 1
            continue
        c = v.comparison
        changes.append(
            DigestChange(
                verdict=v,
                baseline=c.baseline_frontier if c else _drawn(base, policy),
                candidate=c.candidate_frontier if c else _drawn(cand, policy),
                attribution=(attributions or {}).get(change_key(config, v.baseline, latest)),
            )
        )
    return Digest(
        since=since,
        until=until,
        changes=tuple(changes),
        bisections=open_bisections(bisections),
        stale=tuple(sorted(stale, key=lambda s: s.config.slug)),
        unchanged=unchanged,
        first_seen=first_seen,
        confidence=policy.confidence,
    )


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
