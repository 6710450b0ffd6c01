"""GitHub's commit-message conventions: which PR landed a commit, and its title. Pure text."""

from __future__ import annotations

import re

_MERGE = re.compile(r"^Merge pull request #(\d+) from \S")
_SQUASH = re.compile(r"\(#(\d+)\)\s*$")


def pr_number(message: str | None) -> int | None:
    """The number of the PR that landed a commit, from its message; None when it names none."""
    if not message:
        return None
    first = message.strip().splitlines()[0].strip() if message.strip() else ""
    match = _MERGE.match(first) or _SQUASH.search(first)
    if match is None:
        return None
    number = int(match.group(1))
    return number if number > 0 else None


def commit_title(message: str | None) -> str:
    """The first line of a commit message (for a merge commit, the PR title on its third line)."""
    lines = [line.strip() for line in (message or "").strip().splitlines()]
    if lines and _MERGE.match(lines[0]):
        rest = [line for line in lines[1:] if line]
        return rest[0] if rest else lines[0]
    return lines[0] if lines else ""
