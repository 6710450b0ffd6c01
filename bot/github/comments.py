"""Comments on issues and pull requests, found again by the hidden marker they start with and
edited in place: never a second comment for the same key, never anyone else's comment."""

from __future__ import annotations

from github import Github, GithubException
from github.Issue import Issue
from github.IssueComment import IssueComment

from bot.github.api import GitHubError


def _same(a: str, b: str) -> bool:
    return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()


class Comments:
    """Upserts against one connection; each issue's comments are listed once per instance.

    A marker quoted in someone else's comment does not start it, so only ours match. POST is not
    retried (bot/github/api.py): a retried create could duplicate, and the next run's marker
    search makes a lost answer harmless.
    """

    def __init__(self, gh: Github) -> None:
        self._gh = gh
        self._threads: dict[tuple[str, int], tuple[Issue, list[IssueComment]]] = {}

    def upsert(
        self, repo: str, number: int, marker: str, body: str, *, create: bool = True
    ) -> tuple[str, str]:
        """(status, url): created, updated, unchanged, or skipped (none yet and `create` off)."""
        try:
            if (repo, number) not in self._threads:
                issue = self._gh.get_repo(repo).get_issue(number)
                self._threads[repo, number] = (issue, list(issue.get_comments()))
            issue, comments = self._threads[repo, number]
            mine = next((c for c in comments if (c.body or "").startswith(marker)), None)
            if mine is None:
                if not create:
                    return "skipped", ""
                made = issue.create_comment(body)
                comments.append(made)
                return "created", made.html_url
            if _same(mine.body or "", body):
                return "unchanged", mine.html_url
            mine.edit(body)
            return "updated", mine.html_url
        except (GithubException, OSError) as exc:
            status = getattr(exc, "status", None)
            detail = f"HTTP {status}" if status else type(exc).__name__
            raise GitHubError(f"commenting on {repo}#{number}: {detail}") from None
