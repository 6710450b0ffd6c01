"""Candidate pull requests from commit messages and commit logs (pure: no GitHub, no files).

GitHub writes a PR's number into the commit that lands it in one of two ways: a merge commit
("Merge pull request #123 from owner/branch") or a squash / rebase commit whose first line ends
with the PR title's suffix ("Fix the thing (#123)"). A number anywhere else in the message is a
reference to some other PR ("readd #3117", 'Revert "X (#2121)" (#2210)') and is not the commit's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from bot.github.commits import commit_title, pr_number
from bot.model import PullRequest, as_utc


def from_commit_log(
    rows: Iterable[Mapping[str, Any]], repo: str = "ROCm/aiter"
) -> list[PullRequest]:
    """Pull requests from first-parent commit rows (sha, date, author, title, pr, files,
    additions, deletions), in the order given. A row without a PR number (`pr` null and none in
    the title) becomes a PullRequest with number 0 whose url is the commit's.

    Raises ValueError naming the row (0-based) and field when a row is malformed."""
    pulls = []
    for index, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ValueError(f"row {index}: expected an object, got {type(row).__name__}")
        sha = _text(row, index, "sha", required=True)
        title = _text(row, index, "title", required=True)
        number = row.get("pr")
        if number is None:
            number = pr_number(title) or 0
        elif isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ValueError(f"row {index}: field 'pr' must be a PR number or null")
        files = row.get("files") or []
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise ValueError(f"row {index}: field 'files' must be a list of paths")
        url = (
            f"https://github.com/{repo}/pull/{number}"
            if number
            else f"https://github.com/{repo}/commit/{sha}"
        )
        pulls.append(
            PullRequest(
                repo=repo,
                number=number,
                title=title,
                url=url,
                merge_commit=sha,
                merged_at=_date(row, index),
                files=tuple(files),
                author=_text(row, index, "author"),
                additions=_count(row, index, "additions"),
                deletions=_count(row, index, "deletions"),
                body=_text(row, index, "body"),
            )
        )
    return pulls


def _text(row: Mapping[str, Any], index: int, field: str, required: bool = False) -> str:
    value = row.get(field)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(f"row {index}: field '{field}' must be a non-empty string")
    return value


def _count(row: Mapping[str, Any], index: int, field: str) -> int:
    value = row.get(field, 0)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"row {index}: field '{field}' must be a count >= 0")
    return value


def _date(row: Mapping[str, Any], index: int) -> datetime | None:
    value = row.get("date")
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"row {index}: field 'date' is not an ISO date: {value!r}") from None
    return as_utc(at)


__all__ = ["commit_title", "from_commit_log", "pr_number"]
