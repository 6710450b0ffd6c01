"""The merged pull requests between two commits of an upstream, read through GitHub's compare API.

Only the first-parent chain of base..head counts: on a merge-commit workflow the commits inside a
merged branch are not separate candidates, their merge commit is. Each first-parent commit names
its PR in its message (bot/attribution/candidates.pr_number), and the PR is then read for its
title, labels, files, author, size and body. A commit that names no PR (a direct push) becomes a
PullRequest with number 0, the commit's title, files and url. A commit that names a PR GitHub does
not know (deleted, or in a fork's history) keeps that number but is described from the commit.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

from github import Github, GithubException, UnknownObjectException

from bot.github.api import GitHubError, _fail
from bot.github.commits import commit_title, pr_number
from bot.model import PullRequest, as_utc

MOST_FILES = 3000  # GitHub lists at most this many files of a pull request


def pulls_between(gh: Github, repo: str, base: str, head: str) -> list[PullRequest]:
    """The PRs merged in base..head (base excluded), oldest first, one per first-parent commit.

    base and head are anything GitHub resolves: a sha, a tag, a branch."""
    try:
        repository = gh.get_repo(repo)
        commits = list(repository.compare(base, head).commits)
    except (GithubException, OSError) as exc:
        raise _fail(f"comparing {base}...{head} in {repo}", exc) from None
    chain = _first_parents(commits)
    pulls: list[PullRequest] = []
    for commit in chain:
        message = commit.commit.message or ""
        number = pr_number(message)
        pull = _pull(repository, repo, number) if number else None
        pulls.append(pull if pull is not None else _from_commit(repo, commit, number or 0))
    return pulls


def _first_parents(commits: list[Any]) -> list[Any]:
    """The first-parent chain from head down to the range's edge, oldest first.

    The head is the one commit of the range that no other commit of the range has as a parent."""
    if not commits:
        return []
    by_sha = {c.sha: c for c in commits}
    parented = {p.sha for c in commits for p in c.parents}
    heads = [c for c in commits if c.sha not in parented]
    if len(heads) != 1:
        raise GitHubError(f"compare returned {len(heads)} heads; expected one")
    chain, current = [], heads[0]
    while current is not None:
        chain.append(current)
        parents = current.parents
        current = by_sha.get(parents[0].sha) if parents else None
    return chain[::-1]


def _pull(repository: Any, repo: str, number: int) -> PullRequest | None:
    """The PR as GitHub describes it, or None when GitHub has no such PR (404)."""
    try:
        pr = repository.get_pull(number)
        if pr.merged_at is None:
            return None  # not merged: the number in the message is not this commit's PR
        files = tuple(f.filename for f in islice(pr.get_files(), MOST_FILES))
        return PullRequest(
            repo=repo,
            number=pr.number,
            title=pr.title or "",
            url=pr.html_url or f"https://github.com/{repo}/pull/{number}",
            merge_commit=pr.merge_commit_sha or "",
            merged_at=as_utc(pr.merged_at) if pr.merged_at else None,
            labels=tuple(label.name for label in pr.labels),
            files=files,
            author=pr.user.login if pr.user else "",
            additions=pr.additions or 0,
            deletions=pr.deletions or 0,
            body=pr.body or "",
        )
    except UnknownObjectException:
        return None
    except (GithubException, OSError) as exc:
        raise _fail(f"reading pull request {repo}#{number}", exc) from None


def _from_commit(repo: str, commit: Any, number: int) -> PullRequest:
    """A candidate described by its commit alone (no PR, or a PR GitHub does not know)."""
    try:
        files = tuple(f.filename for f in islice(commit.files, MOST_FILES))
        stats = commit.stats
        additions, deletions = stats.additions or 0, stats.deletions or 0
    except (GithubException, OSError) as exc:
        raise _fail(f"reading commit {commit.sha[:12]} in {repo}", exc) from None
    git = commit.commit
    when = git.committer.date if git.committer else None
    author = commit.author.login if commit.author else (git.author.name if git.author else "")
    message = git.message or ""
    title = commit_title(message)
    body = message.strip()[len(title) :].strip() if message.strip().startswith(title) else ""
    return PullRequest(
        repo=repo,
        number=number,
        title=title,
        url=commit.html_url or f"https://github.com/{repo}/commit/{commit.sha}",
        merge_commit=commit.sha,
        merged_at=as_utc(when) if when else None,
        files=files,
        author=author or "",
        additions=additions,
        deletions=deletions,
        body=body,
    )


__all__ = ["pulls_between"]
