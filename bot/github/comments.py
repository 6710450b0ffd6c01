"""Comments on issues and pull requests, found again by the hidden marker they start with and
edited in place: never a second comment for the same key, never anyone else's comment.

A comment is the bot's only when both hold:

- its author is the account the bot writes as (`bot_login`): anyone who can comment on the
  tracking issue can start a comment with the bot's marker, and the bot must not then edit it
  (or stop posting its own);
- it starts with one of the post's markers: the current one (bot/publish signs it with a secret
  key, so it cannot be guessed before the bot posts it) or an older one (the unsigned marker of an
  earlier version, the marker of the previous key) kept readable so existing comments are still
  edited, and re-signed, rather than posted again.

Concurrent publishers: a POST is never retried (bot/github/api.py), and after each create the
issue is listed again; when two of the bot's own comments carry the same marker (two runs that
raced), the oldest is kept and the newer ones are deleted. The same clean-up runs whenever a
post finds more than one, so a rerun removes what earlier races left.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence

from github import Github, GithubException
from github.Issue import Issue
from github.IssueComment import IssueComment

from bot.github.api import GitHubError

log = logging.getLogger(__name__)

ACTIONS_LOGIN = "github-actions[bot]"  # who GITHUB_TOKEN writes as in GitHub Actions
LOGIN_SETTING = "PARETOBOT_BOT_LOGIN"  # names the bot's account where GET /user cannot


def _same(a: str, b: str) -> bool:
    return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()


def _age(c: IssueComment) -> tuple[object, int]:
    return (c.created_at, c.id)


def _fail(what: str, exc: Exception) -> GitHubError:
    status = getattr(exc, "status", None)
    detail = f"HTTP {status}" if status else type(exc).__name__
    return GitHubError(f"{what}: {detail}")


def bot_login(gh: Github, env: Mapping[str, str] | None = None) -> str:
    """The login the bot's comments are written by.

    The authenticated account (GET /user) when the token may ask; an installation token (GitHub
    Actions' GITHUB_TOKEN, a GitHub App's) may not (403), and then PARETOBOT_BOT_LOGIN names it
    (e.g. `my-app[bot]`), else in GitHub Actions it is `github-actions[bot]`. Without any of
    these there is no telling which comments are the bot's, and nothing is written.
    """
    env = os.environ if env is None else env
    try:
        return gh.get_user().login
    except GithubException as exc:
        if exc.status not in (403, 404):  # 401: the token is bad, and so is every write
            raise _fail("asking GitHub who the bot is (GET /user)", exc) from None
    except OSError as exc:
        raise _fail("asking GitHub who the bot is (GET /user)", exc) from None
    if env.get(LOGIN_SETTING, "").strip():
        return env[LOGIN_SETTING].strip()
    if env.get("GITHUB_ACTIONS") == "true":
        return ACTIONS_LOGIN
    raise GitHubError(
        f"cannot tell which comments are the bot's: this token may not read GET /user; "
        f"set {LOGIN_SETTING} to the login its comments are written by"
    )


class Comments:
    """Upserts against one connection; each issue's comments are listed once per instance (and
    again after each create, to find a concurrent publisher's duplicate).

    `login`: the bot's account; asked of GitHub (`bot_login`) on the first post when not given.
    """

    def __init__(
        self, gh: Github, *, login: str | None = None, env: Mapping[str, str] | None = None
    ) -> None:
        self._gh = gh
        self._login = login
        self._env = env
        self._unknown: GitHubError | None = None  # why the login could not be found, once
        self._threads: dict[tuple[str, int], tuple[Issue, list[IssueComment]]] = {}

    @property
    def login(self) -> str:
        if self._unknown is not None:
            raise self._unknown  # asked once: every later post fails the same way, unasked
        if self._login is None:
            try:
                self._login = bot_login(self._gh, self._env)
            except GitHubError as exc:
                self._unknown = exc
                raise
        return self._login

    def _ours(self, comments: Sequence[IssueComment], markers: Sequence[str]) -> list[IssueComment]:
        """The bot's own comments that start with one of `markers`, oldest first."""
        login = self.login
        return sorted(
            (
                c
                for c in comments
                if c.user is not None
                and c.user.login == login
                and any((c.body or "").startswith(m) for m in markers)
            ),
            key=_age,
        )

    def upsert(
        self,
        repo: str,
        number: int,
        marker: str,
        body: str,
        *,
        create: bool = True,
        also: Sequence[str] = (),
    ) -> tuple[str, str]:
        """(status, url): created, updated, unchanged, or skipped (none yet and `create` off).

        `body` starts with `marker`; `also` lists older markers of the same comment (still
        recognised, on the bot's own comments only, and replaced by `marker` when edited).
        """
        markers = (marker, *also)
        where = f"commenting on {repo}#{number}"
        try:
            login = self.login
            if (repo, number) not in self._threads:
                issue = self._gh.get_repo(repo).get_issue(number)
                self._threads[repo, number] = (issue, list(issue.get_comments()))
            issue, comments = self._threads[repo, number]
            mine = self._ours(comments, markers)
            if not mine:
                if not create:
                    return "skipped", ""
                made = issue.create_comment(body)
                if made.user is not None and made.user.login != login:
                    # GitHub says who wrote it: that is who the bot is, whatever was assumed
                    log.warning(
                        "comments are written by %s, not %s: set %s",
                        made.user.login,
                        login,
                        LOGIN_SETTING,
                    )
                    self._login = made.user.login
                return self._settle(repo, number, markers, body, made)
            kept = self._drop_duplicates(repo, number, mine)
            if _same(kept.body or "", body):
                return "unchanged", kept.html_url
            kept.edit(body)
            return "updated", kept.html_url
        except (GithubException, OSError) as exc:
            raise _fail(where, exc) from None

    def _settle(
        self, repo: str, number: int, markers: Sequence[str], body: str, made: IssueComment
    ) -> tuple[str, str]:
        """After a create: list the issue again; when another publisher created the same comment
        at the same time, the oldest stays and ours goes (it carries the same or older news)."""
        issue, _ = self._threads[repo, number]
        fresh = list(issue.get_comments())
        if not any(c.id == made.id for c in fresh):
            fresh.append(made)  # a listing that lags behind the create still counts ours
        self._threads[repo, number] = (issue, fresh)
        mine = self._ours(fresh, markers)
        kept = self._drop_duplicates(repo, number, mine) if mine else made
        if kept.id == made.id:
            return "created", made.html_url
        if _same(kept.body or "", body):
            return "unchanged", kept.html_url
        kept.edit(body)
        return "updated", kept.html_url

    def _drop_duplicates(
        self, repo: str, number: int, mine: Sequence[IssueComment]
    ) -> IssueComment:
        """Keep the oldest of the bot's comments for one marker, delete the others (a 404: the
        other publisher deleted it first)."""
        kept, extra = mine[0], mine[1:]
        for c in extra:
            try:
                c.delete()
                log.info("deleted a duplicate comment on %s#%s (id %s)", repo, number, c.id)
            except GithubException as exc:
                if exc.status != 404:
                    raise
        if extra:
            gone = {c.id for c in extra}
            issue, comments = self._threads[repo, number]
            self._threads[repo, number] = (issue, [c for c in comments if c.id not in gone])
        return kept
