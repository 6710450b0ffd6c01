"""Commits and compare: the git graph behind GET /commits and GET /compare."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import records, shapes
from .records import Repo
from .routes import REPO, Reply, Request, invalid, listing, not_found, paginate, route

if TYPE_CHECKING:
    from .github import GitHubStandIn


# ---- git graph ----------------------------------------------------------------------------


def resolve(repo: Repo, ref: str) -> str | None:
    """Branch, tag, full or abbreviated (>= 4 chars, unique) sha -> commit sha."""
    ref = ref.removeprefix("refs/heads/").removeprefix("refs/tags/")
    if ref in repo.branches:
        return repo.branches[ref]
    tags = dict(repo.tags)
    if ref in tags:
        return tags[ref]
    if ref in repo.commits:
        return ref
    hits = [sha for sha in repo.commits if len(ref) >= 4 and sha.startswith(ref)]
    return hits[0] if len(hits) == 1 else None


def ancestors(repo: Repo, sha: str) -> set[str]:
    seen, todo = set(), [sha]
    while todo:
        current = todo.pop()
        if current in seen or current not in repo.commits:
            continue
        seen.add(current)
        todo.extend(repo.commits[current].parents)
    return seen


def newest_first(repo: Repo, shas: set[str]) -> list[records.Commit]:
    return sorted((repo.commits[s] for s in shas), key=lambda c: (c.date, c.order), reverse=True)


# ---- commits and compare -------------------------------------------------------------------


@route("GET", REPO + r"/commits")
def list_commits(standin: GitHubStandIn, req: Request, repo: Repo) -> Reply:
    if not repo.commits:
        return Reply(409, shapes.error("Git Repository is empty.", 409))
    start = resolve(repo, req.arg("sha") or repo.default_branch)
    if start is None:
        return not_found()
    since, until, path = req.arg("since"), req.arg("until"), req.arg("path")
    since, until = records.iso(since), records.iso(until)
    chosen = [
        c
        for c in newest_first(repo, ancestors(repo, start))
        if (since is None or c.date >= since)
        and (until is None or c.date <= until)
        and (path is None or any(_under(f.filename, path) for f in c.files))
    ]
    return listing(req, chosen, lambda c: shapes.commit(req.api, req.web, repo, c))


def _under(filename: str, path: str) -> bool:
    path = path.strip("/")
    return filename == path or filename.startswith(path + "/")


@route("GET", REPO + r"/commits/(?P<ref>[^/]+)")
def get_commit(standin: GitHubStandIn, req: Request, repo: Repo, ref: str) -> Reply:
    sha = resolve(repo, ref)
    if sha is None:
        return invalid(f"No commit found for SHA: {ref}")
    c = repo.commits[sha]
    files, headers = paginate(req, c.files, default=300, maximum=300)
    return Reply(200, shapes.commit(req.api, req.web, repo, c, files=files), headers)


@route("GET", REPO + r"/commits/(?P<ref>[^/]+)/pulls")
def commit_pulls(standin: GitHubStandIn, req: Request, repo: Repo, ref: str) -> Reply:
    sha = resolve(repo, ref)
    if sha is None:
        return invalid(f"No commit found for SHA: {ref}")
    found = [p for p in repo.pulls.values() if sha in (p.merge_commit_sha, p.head_sha)]
    return listing(req, found, lambda p: shapes.pull(req.api, req.web, repo, p))


@route("GET", REPO + r"/compare/(?P<spec>.+)")
def compare(standin: GitHubStandIn, req: Request, repo: Repo, spec: str) -> Reply:
    """Commits oldest first, 250 a page unless per_page says otherwise; files on page 1."""
    base_ref, dots, head_ref = spec.partition("...")
    if not dots:
        base_ref, dots, head_ref = spec.partition("..")
    base, head = resolve(repo, base_ref), resolve(repo, head_ref)
    if not dots or base is None or head is None:
        return not_found()
    in_base, in_head = ancestors(repo, base), ancestors(repo, head)
    ahead = newest_first(repo, in_head - in_base)[::-1]
    behind = in_base - in_head
    common = newest_first(repo, in_base & in_head)
    status = (
        "identical"
        if base == head
        else "ahead"
        if not behind
        else "behind"
        if not ahead
        else "diverged"
    )
    commits, headers = paginate(req, ahead, default=250, maximum=1000)
    totals: dict[str, records.FileChange] = {}
    for c in ahead:
        for f in c.files:
            t = totals.setdefault(f.filename, records.FileChange(f.filename, 0, 0, f.status))
            t.additions, t.deletions = t.additions + f.additions, t.deletions + f.deletions
    first_page = (req.arg("page") or "1") == "1"
    files = list(totals.values())[:300] if first_page else []
    html = f"{req.web}/{repo.full_name}/compare/{base_ref}...{head_ref}"
    build = lambda c: shapes.commit(req.api, req.web, repo, c)  # noqa: E731
    body = {
        "url": f"{req.api}/repos/{repo.full_name}/compare/{base_ref}...{head_ref}",
        "html_url": html,
        "permalink_url": f"{req.web}/{repo.full_name}/compare/{base}...{head}",
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "base_commit": build(repo.commits[base]),
        "merge_base_commit": build(common[0]) if common else None,
        "status": status,
        "ahead_by": len(ahead),
        "behind_by": len(behind),
        "total_commits": len(ahead),
        "commits": [build(c) for c in commits],
        "files": [shapes.file_change(req.api, req.web, repo, head, f) for f in files],
    }
    return Reply(200, body, headers)
