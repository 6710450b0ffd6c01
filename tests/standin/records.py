"""The stand-in's state: plain records holding what the seeding API was given.

Timestamps are kept as GitHub's `2024-01-02T03:04:05Z` strings (see iso), so comparing
them as strings compares them in time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# a collaborator's role, and the `permission` GitHub folds it into (maintain is write, triage read)
ROLES = ("admin", "maintain", "write", "triage", "read")
PERMISSION_OF_ROLE = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read"}


def iso(value: str | datetime | None) -> str | None:
    """Any ISO-8601 string or datetime (naive = UTC) -> GitHub's `2024-01-02T03:04:05Z`."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fake_sha(*parts: object) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()


def stable_id(*parts: object) -> int:
    return int(fake_sha(*parts)[:8], 16) % 10**8 + 1


@dataclass
class FileChange:
    filename: str
    additions: int = 1
    deletions: int = 0
    status: str = "modified"


@dataclass
class Commit:
    sha: str
    message: str
    date: str
    author: str
    parents: list[str]
    files: list[FileChange]
    order: int  # insertion order, breaks date ties


@dataclass
class Release:
    id: int
    tag: str
    published_at: str
    name: str | None
    prerelease: bool
    target_commitish: str
    body: str
    draft: bool = False


@dataclass
class Pull:
    number: int
    title: str
    user: str
    body: str
    labels: list[str]
    files: list[FileChange]
    base: str
    state: str
    created_at: str
    updated_at: str
    merged_at: str | None
    merge_commit_sha: str | None
    head_sha: str
    head_repo: str | None = None  # owner/name of a fork the PR comes from; None: this repository


@dataclass
class Issue:
    number: int
    title: str
    user: str
    body: str
    created_at: str


@dataclass
class Comment:
    id: int
    issue_number: int
    body: str
    user: str
    created_at: str
    updated_at: str


@dataclass
class Workflow:
    id: int
    path: str
    name: str
    run_name: Any  # None, a format string, or a callable(inputs) -> str
    inputs: list[str] | None  # declared inputs; None accepts any
    created_at: str


@dataclass
class Run:
    id: int
    workflow_id: int
    run_number: int
    display_title: str
    head_branch: str
    head_sha: str
    inputs: dict[str, str]
    actor: str
    created_at: str
    updated_at: str
    status: str = "queued"
    conclusion: str | None = None
    event: str = "workflow_dispatch"


@dataclass
class Repo:
    id: int
    owner: str
    name: str
    default_branch: str
    created_at: str
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)  # name -> sha
    tags: list[tuple[str, str]] = field(default_factory=list)  # (name, sha), oldest first
    releases: list[Release] = field(default_factory=list)
    pulls: dict[int, Pull] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    workflows: list[Workflow] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    dispatches: list[dict[str, Any]] = field(default_factory=list)
    # login -> role (admin, maintain, write, triage, read); anyone else reads a public repository
    collaborators: dict[str, str] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"
