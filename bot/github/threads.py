"""What answering a maintainer's command needs from GitHub: who may command (their permission on
the repository), what a pull request is (its head's repository, for the fork rule; its commits),
and the token that may dispatch.

`author_association` in a webhook payload is not a permission: MEMBER says someone belongs to the
organization, not that they can write here, and COLLABORATOR includes read-only collaborators.
Only GET /repos/{owner}/{repo}/collaborators/{username}/permission says what a person may do.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from urllib.parse import quote

from github import Github, GithubException

from bot.github.api import GitHubError, Settings, settings_from_env
from bot.model import as_utc

WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})  # who may command the bot
DISPATCH_TOKEN = "PARETOBOT_DISPATCH_TOKEN"  # the token allowed to dispatch (watch.yml's too)


def _fail(what: str, exc: Exception) -> GitHubError:
    status = getattr(exc, "status", None)
    detail = f"HTTP {status}" if status else type(exc).__name__
    return GitHubError(f"{what}: {detail}")


def permission(gh: Github, repo: str, login: str) -> str:
    """`login`'s permission on `repo`: admin, maintain, write, triage, read or none.

    GitHub's `permission` field folds maintain into write and triage into read; `role_name`
    keeps them apart, so it is read first. A 404 (no such user, or a private repository the
    token cannot see the person in) is "none": refusing is the safe answer."""
    try:
        _, data = gh.requester.requestJsonAndCheck(
            "GET", f"/repos/{repo}/collaborators/{quote(login, safe='')}/permission"
        )
    except GithubException as exc:
        if exc.status == 404:
            return "none"
        raise _fail(f"reading {login}'s permission on {repo}", exc) from None
    except OSError as exc:
        raise _fail(f"reading {login}'s permission on {repo}", exc) from None
    role = str(data.get("role_name") or "").lower()
    level = str(data.get("permission") or "none").lower()
    return role if role in (*WRITE_PERMISSIONS, "triage", "read") else level


def may_command(level: str) -> bool:
    return level in WRITE_PERMISSIONS


@dataclass(frozen=True)
class PullInfo:
    """A pull request as the bench command needs it."""

    repo: str  # the repository the PR is in (its base)
    number: int
    title: str
    url: str
    head_repo: str  # "" when the head repository was deleted
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    merged: bool
    merge_commit: str
    labels: tuple[str, ...] = ()

    @property
    def from_fork(self) -> bool:
        """Whether its code lives outside its repository (a deleted head counts as a fork)."""
        return self.head_repo.lower() != self.repo.lower()


def pull_info(gh: Github, repo: str, number: int) -> PullInfo:
    try:
        pr = gh.get_repo(repo).get_pull(number)
        head_repo = pr.head.repo.full_name if pr.head.repo is not None else ""
        return PullInfo(
            repo=repo,
            number=pr.number,
            title=pr.title or "",
            url=pr.html_url or "",
            head_repo=head_repo,
            head_ref=pr.head.ref or "",
            head_sha=pr.head.sha or "",
            base_ref=pr.base.ref or "",
            base_sha=pr.base.sha or "",
            merged=pr.merged_at is not None,
            merge_commit=pr.merge_commit_sha or "",
            labels=tuple(label.name for label in pr.labels),
        )
    except GithubException as exc:
        if exc.status == 404:
            raise GitHubError(f"{repo}#{number} is no pull request") from None
        raise _fail(f"reading {repo}#{number}", exc) from None
    except OSError as exc:
        raise _fail(f"reading {repo}#{number}", exc) from None


@dataclass(frozen=True)
class RecentComment:
    """An issue or pull request comment as the repository-wide listing gives it."""

    id: int
    number: int  # its issue or pull request
    body: str
    login: str
    user_type: str
    url: str
    created_at: datetime
    updated_at: datetime


def recent_comments(
    gh: Github, repo: str, since: datetime, most: int = 1000
) -> list[RecentComment]:
    """Comments on `repo`'s issues and pull requests created or edited since `since`, oldest
    first (GET /repos/{owner}/{repo}/issues/comments)."""
    try:
        listed = gh.get_repo(repo).get_issues_comments(sort="updated", direction="asc", since=since)
        found = []
        for c in islice(listed, most):
            number = int(str(c.issue_url or "").rstrip("/").rsplit("/", 1)[-1] or 0)
            found.append(
                RecentComment(
                    id=c.id,
                    number=number,
                    body=c.body or "",
                    login=c.user.login if c.user is not None else "",
                    user_type=(c.user.type or "") if c.user is not None else "",
                    url=c.html_url or "",
                    created_at=as_utc(c.created_at),
                    updated_at=as_utc(c.updated_at or c.created_at),
                )
            )
        return found
    except (GithubException, OSError, ValueError) as exc:
        raise _fail(f"listing the comments of {repo}", exc) from None


def is_pull(gh: Github, repo: str, number: int) -> bool:
    """Whether #number is a pull request (the issues API says so with `pull_request`)."""
    try:
        return gh.get_repo(repo).get_issue(number).pull_request is not None
    except (GithubException, OSError) as exc:
        raise _fail(f"reading {repo}#{number}", exc) from None


def dispatch_settings(env: Mapping[str, str] | None = None) -> Settings:
    """The settings of the token that dispatches: PARETOBOT_DISPATCH_TOKEN when set (it may
    dispatch to another repository, and the job's own GITHUB_TOKEN then needs no actions: write),
    else GITHUB_TOKEN."""
    env = dict(os.environ if env is None else env)
    if env.get(DISPATCH_TOKEN, "").strip():
        env["GITHUB_TOKEN"] = env[DISPATCH_TOKEN].strip()
    return settings_from_env(env)


__all__ = [
    "DISPATCH_TOKEN",
    "WRITE_PERMISSIONS",
    "PullInfo",
    "RecentComment",
    "dispatch_settings",
    "is_pull",
    "may_command",
    "permission",
    "pull_info",
    "recent_comments",
]
