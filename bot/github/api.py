"""The only code that reads GitHub: PyGithub with bounded, jittered retries, and no secret in logs.

`GITHUB_TOKEN` and `GITHUB_API_URL` are read the way GitHub Actions and the `gh` CLI read them,
so GitHub Enterprise Server and local stand-ins work unchanged. Reads are retried on 5xx,
dropped connections and rate limits (403/429 with Retry-After or X-RateLimit-Reset). A
workflow_dispatch POST is never retried blindly (a retried POST can start a second run); the
dispatcher decides instead, after checking which runs exist (bot/dispatch.py).
"""

from __future__ import annotations

import fnmatch
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from github import Auth, Github, GithubException, GithubRetry
from urllib3 import Retry

from bot.errors import ParetobotError
from bot.model import UpstreamEvent, as_utc
from bot.urls import has_credentials, without_credentials

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
TIMEOUT_S = 30
# Idempotent methods only: GET/HEAD/PUT/DELETE/OPTIONS/TRACE, plus PATCH (editing a comment to
# the same text twice leaves one comment).
RETRIED_METHODS = Retry.DEFAULT_ALLOWED_METHODS | {"PATCH"}


class GitHubError(ParetobotError, RuntimeError):
    """GitHub could not be read or written after retries; the message holds no secret."""


@dataclass(frozen=True)
class Settings:
    api_url: str
    token: str | None
    retries: int = 5
    backoff: float = 0.5  # seconds, doubled per attempt, with up to this much jitter added
    timeout: int = TIMEOUT_S

    def __repr__(self) -> str:  # never print the token, even by accident
        return f"Settings(api_url={self.api_url!r}, token={'***' if self.token else None})"


def settings_from_env(env: dict[str, str] | None = None) -> Settings:
    """GITHUB_API_URL and GITHUB_TOKEN (or GH_TOKEN); PARETOBOT_GITHUB_RETRIES and
    PARETOBOT_GITHUB_BACKOFF tune retrying (tests against a local stand-in make it quick).

    A credential inside GITHUB_API_URL (`https://x-access-token:TOKEN@host`, `?access_token=`) is
    dropped here, so no address built from the API root (issue links, changelog pr-links, log
    lines) can carry it; the token is GITHUB_TOKEN's to give."""
    env = dict(os.environ if env is None else env)
    api_url = (env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    if has_credentials(api_url):
        log.warning("GITHUB_API_URL carries a credential: it is ignored (give GITHUB_TOKEN)")
        api_url = without_credentials(api_url).rstrip("/")
    return Settings(
        api_url=api_url,
        token=env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or None,
        retries=int(env.get("PARETOBOT_GITHUB_RETRIES") or Settings.retries),
        backoff=float(env.get("PARETOBOT_GITHUB_BACKOFF") or Settings.backoff),
    )


Connection = Github  # what connect() returns; other packages name the type by this alias


def connect(settings: Settings) -> Connection:
    retry = GithubRetry(
        total=settings.retries,
        backoff_factor=settings.backoff,
        backoff_jitter=settings.backoff,
        backoff_max=60,
        allowed_methods=RETRIED_METHODS,
        secondary_rate_wait=60,
        max_rate_limit_wait=300,  # a longer wait fails the run instead of hanging it
    )
    return Github(
        auth=Auth.Token(settings.token) if settings.token else None,
        base_url=settings.api_url,
        timeout=settings.timeout,
        retry=retry,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


def _fail(what: str, exc: Exception) -> GitHubError:
    status = getattr(exc, "status", None)
    detail = f"HTTP {status}" if status else type(exc).__name__
    return GitHubError(f"{what}: {detail}")


def releases(gh: Github, repo: str, since: datetime | None) -> Iterator[UpstreamEvent]:
    """Published releases (drafts are not), newest first, down to `since` (inclusive)."""
    try:
        for rel in gh.get_repo(repo).get_releases():
            if rel.draft or rel.published_at is None:
                continue
            at = as_utc(rel.published_at)
            if since is not None and at < since:
                return
            yield UpstreamEvent(
                upstream=repo,
                kind="release",
                name=rel.tag_name,
                title=rel.name or rel.tag_name,
                url=rel.html_url,
                at=at,
                ref=rel.tag_name,
            )
    except (GithubException, OSError) as exc:
        raise _fail(f"listing releases of {repo}", exc) from None


def tags(
    gh: Github, repo: str, patterns: tuple[str, ...], known: set[str], most: int = 100
) -> Iterator[UpstreamEvent]:
    """Tags matching the patterns that are not known yet, dated by their commit."""
    if not patterns:
        return
    try:
        for tag in islice(gh.get_repo(repo).get_tags(), most):
            if tag.name in known or not any(fnmatch.fnmatchcase(tag.name, p) for p in patterns):
                continue
            commit = tag.commit
            yield UpstreamEvent(
                upstream=repo,
                kind="tag",
                name=tag.name,
                title=tag.name,
                url=f"https://github.com/{repo}/releases/tag/{tag.name}",
                at=as_utc(commit.commit.committer.date),
                ref=commit.sha,
            )
    except (GithubException, OSError) as exc:
        raise _fail(f"listing tags of {repo}", exc) from None


def merged_pulls(gh: Github, repo: str, since: datetime | None) -> Iterator[UpstreamEvent]:
    """PRs merged at or after `since`, with labels and files, most recently updated first.

    Pulls are listed by update time (a merge updates a PR), so the walk stops at the first PR
    last updated before `since`: nothing older can have been merged after it.
    """
    try:
        pulls = gh.get_repo(repo).get_pulls(state="closed", sort="updated", direction="desc")
        for pr in pulls:
            if since is not None and as_utc(pr.updated_at) < since:
                return
            if pr.merged_at is None or (since is not None and as_utc(pr.merged_at) < since):
                continue
            yield UpstreamEvent(
                upstream=repo,
                kind="pull",
                name=str(pr.number),
                title=pr.title,
                url=pr.html_url,
                at=as_utc(pr.merged_at),
                ref=pr.merge_commit_sha or "",
                labels=tuple(label.name for label in pr.labels),
                files=tuple(f.filename for f in pr.get_files()),
                author=pr.user.login if pr.user else "",
                base=pr.base.sha if pr.base else "",
            )
    except (GithubException, OSError) as exc:
        raise _fail(f"listing merged pull requests of {repo}", exc) from None


def pull_files(gh: Github, repo: str, number: int, most: int = 3000) -> tuple[str, ...]:
    """The paths a pull request touches (webhook payloads do not carry them; GitHub lists at
    most 3000)."""
    try:
        files = gh.get_repo(repo).get_pull(number).get_files()
        return tuple(f.filename for f in islice(files, most))
    except (GithubException, OSError) as exc:
        raise _fail(f"listing files of {repo}#{number}", exc) from None


def dispatch(gh: Github, repo: str, workflow: str, ref: str, inputs: dict[str, str]) -> None:
    """One workflow_dispatch POST, not retried here (see the module docstring)."""
    try:
        # throw=True: without it PyGithub answers False and hides the status that says why
        if not gh.get_repo(repo).get_workflow(workflow).create_dispatch(ref, inputs, throw=True):
            raise GitHubError(f"dispatching {workflow} in {repo}: refused")
    except (GithubException, OSError) as exc:
        raise _fail(f"dispatching {workflow} in {repo}", exc) from None


def run_titles(gh: Github, repo: str, workflow: str, most: int = 200) -> set[str]:
    """Display titles of the workflow's recent runs (they carry dispatch keys)."""
    try:
        runs = gh.get_repo(repo).get_workflow(workflow).get_runs(event="workflow_dispatch")
        return {run.display_title for run in islice(runs, most)}
    except (GithubException, OSError) as exc:
        raise _fail(f"listing runs of {workflow} in {repo}", exc) from None


__all__ = [
    "GitHubError",
    "Settings",
    "connect",
    "dispatch",
    "merged_pulls",
    "pull_files",
    "releases",
    "run_titles",
    "settings_from_env",
    "tags",
]
