"""Request routing, GitHub-style pagination, and the plain REST endpoints (account, repo,
releases, tags, pulls, issues and comments). Commits/compare are in routes_git.py, Actions in
routes_actions.py.

Each handler gets the stand-in (its lock held), the parsed request and the repo named in the
path, and returns a Reply. Paths are matched still percent-encoded (so a ref like
`feature%2Fx` stays one segment) and the captured parts are decoded afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode

from . import records, shapes
from .records import Comment, Repo

if TYPE_CHECKING:
    from .github import GitHubStandIn


@dataclass
class Request:
    method: str
    path: str  # without query and without an /api/v3 prefix
    query: list[tuple[str, str]]
    body: Any
    api: str  # REST root for url fields and Link headers (keeps an /api/v3 prefix)
    web: str  # site root for html_url fields

    def arg(self, name: str, default: str | None = None) -> str | None:
        return next((v for k, v in self.query if k == name), default)


@dataclass
class Reply:
    status: int
    body: Any = None  # JSON-able; None sends no body
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[..., Reply]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []
REPO = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES.append((method, re.compile(f"^{pattern}/?$"), handler))
        return handler

    return register


def not_found() -> Reply:
    return Reply(404, shapes.error("Not Found", 404))


def invalid(message: str) -> Reply:
    return Reply(422, shapes.error(message, 422))


def dispatch(standin: GitHubStandIn, req: Request) -> Reply:
    for method, pattern, handler in ROUTES:
        match = pattern.match(req.path)
        if match is None or method != req.method:
            continue
        args = {k: unquote(v) for k, v in match.groupdict().items()}
        if "owner" in args:
            repo = standin._repos.get(f"{args.pop('owner')}/{args.pop('name')}".lower())
            if repo is None:
                return not_found()
            args["repo"] = repo
        return handler(standin, req, **args)
    return not_found()


# ---- pagination --------------------------------------------------------------------------


def paginate(
    req: Request, items: list, default: int = 30, maximum: int = 100
) -> tuple[list, dict[str, str]]:
    """One page of `items` and the Link header GitHub would send with it."""
    try:
        per_page = min(max(int(req.arg("per_page") or default), 1), maximum)
    except ValueError:
        per_page = default
    try:
        page = max(int(req.arg("page") or 1), 1)
    except ValueError:
        page = 1
    last = max((len(items) + per_page - 1) // per_page, 1)
    kept = [(k, v) for k, v in req.query if k != "page"]

    def link(n: int, rel: str) -> str:
        return f'<{req.api}{req.path}?{urlencode([*kept, ("page", n)])}>; rel="{rel}"'

    links = []
    if page > 1:
        links.append(link(page - 1, "prev"))
    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        links.append(link(1, "first"))
    headers = {"Link": ", ".join(links)} if links else {}
    return items[(page - 1) * per_page : page * per_page], headers


def listing(req: Request, items: list, build: Callable[[Any], dict]) -> Reply:
    chunk, headers = paginate(req, items)
    return Reply(200, [build(item) for item in chunk], headers)


# ---- account ------------------------------------------------------------------------------


@route("GET", r"/rate_limit")
def get_rate_limit(standin: GitHubStandIn, req: Request) -> Reply:
    core = shapes.rate(standin.rate_limit, standin._used, standin._reset)
    other = shapes.rate(30, 0, standin._reset)
    resources = {"core": core, "search": other, "graphql": core, "integration_manifest": other}
    return Reply(200, {"resources": resources, "rate": core})


@route("GET", r"/user")
def get_user(standin: GitHubStandIn, req: Request) -> Reply:
    if standin.installation:  # what GitHub answers an installation token (GITHUB_TOKEN, an App)
        return Reply(403, shapes.error("Resource not accessible by integration", 403))
    return Reply(200, shapes.account(req.api, req.web, standin.login, "2020-01-01T00:00:00Z"))


@route("GET", r"/users/(?P<login>[^/]+)")
def get_named_user(standin: GitHubStandIn, req: Request, login: str) -> Reply:
    return Reply(200, shapes.account(req.api, req.web, login, "2020-01-01T00:00:00Z"))


@route("GET", REPO + r"/collaborators/(?P<login>[^/]+)/permission")
def collaborator_permission(standin: GitHubStandIn, req: Request, repo: Repo, login: str) -> Reply:
    """As on a public repository: a collaborator's role; anyone else can read it (GitHub answers
    404 only for a login that names no account, which the stand-in does not track)."""
    role = repo.collaborators.get(login.lower(), "read")
    return Reply(200, shapes.collaborator_permission(req.api, req.web, login, role))


@route("GET", REPO)
def get_repo(standin: GitHubStandIn, req: Request, repo: Repo) -> Reply:
    return Reply(200, shapes.repository(req.api, req.web, repo))


# ---- releases and tags ---------------------------------------------------------------------


def release_reply(standin: GitHubStandIn, req: Request, repo: Repo, r: records.Release) -> Reply:
    return Reply(200, shapes.release(req.api, req.web, repo, r, standin.login))


@route("GET", REPO + r"/releases")
def list_releases(standin: GitHubStandIn, req: Request, repo: Repo) -> Reply:
    ordered = sorted(repo.releases, key=lambda r: (r.published_at, r.id), reverse=True)
    return listing(req, ordered, lambda r: shapes.release(req.api, req.web, repo, r, standin.login))


@route("GET", REPO + r"/releases/latest")
def latest_release(standin: GitHubStandIn, req: Request, repo: Repo) -> Reply:
    stable = [r for r in repo.releases if not r.prerelease and not r.draft]
    if not stable:
        return not_found()
    return release_reply(standin, req, repo, max(stable, key=lambda r: (r.published_at, r.id)))


@route("GET", REPO + r"/releases/tags/(?P<tag>.+)")
def release_by_tag(standin: GitHubStandIn, req: Request, repo: Repo, tag: str) -> Reply:
    found = [r for r in repo.releases if r.tag == tag]
    return release_reply(standin, req, repo, found[-1]) if found else not_found()


@route("GET", REPO + r"/releases/(?P<release_id>\d+)")
def release_by_id(standin: GitHubStandIn, req: Request, repo: Repo, release_id: str) -> Reply:
    found = [r for r in repo.releases if r.id == int(release_id)]
    return release_reply(standin, req, repo, found[0]) if found else not_found()


@route("GET", REPO + r"/tags")
def list_tags(standin: GitHubStandIn, req: Request, repo: Repo) -> Reply:
    return listing(req, repo.tags[::-1], lambda t: shapes.tag(req.api, repo, *t))


# ---- pull requests -------------------------------------------------------------------------


@route("GET", REPO + r"/pulls")
def list_pulls(standin: GitHubStandIn, req: Request, repo: Repo) -> Reply:
    state, sort = req.arg("state", "open"), req.arg("sort", "created")
    if state not in ("open", "closed", "all") or sort not in ("created", "updated"):
        return invalid("Validation Failed")
    direction = req.arg("direction", "desc" if sort == "created" else "asc")
    base = req.arg("base")
    pulls = [
        p
        for p in repo.pulls.values()
        if (state == "all" or p.state == state) and (base is None or p.base == base)
    ]
    key = (
        (lambda p: (p.created_at, p.number))
        if sort == "created"
        else (lambda p: (p.updated_at, p.number))
    )
    pulls.sort(key=key, reverse=direction == "desc")
    return listing(req, pulls, lambda p: shapes.pull(req.api, req.web, repo, p))


@route("GET", REPO + r"/pulls/(?P<number>\d+)")
def get_pull(standin: GitHubStandIn, req: Request, repo: Repo, number: str) -> Reply:
    p = repo.pulls.get(int(number))
    return Reply(200, shapes.pull(req.api, req.web, repo, p, full=True)) if p else not_found()


@route("GET", REPO + r"/pulls/(?P<number>\d+)/files")
def pull_files(standin: GitHubStandIn, req: Request, repo: Repo, number: str) -> Reply:
    p = repo.pulls.get(int(number))
    if p is None:
        return not_found()
    return listing(
        req, p.files, lambda f: shapes.file_change(req.api, req.web, repo, p.head_sha, f)
    )


# ---- issues and comments -------------------------------------------------------------------


def has_issue(repo: Repo, number: int) -> bool:
    return number in repo.issues or number in repo.pulls


@route("GET", REPO + r"/issues/(?P<number>\d+)")
def get_issue(standin: GitHubStandIn, req: Request, repo: Repo, number: str) -> Reply:
    if not has_issue(repo, int(number)):
        return not_found()
    return Reply(200, shapes.issue(req.api, req.web, repo, int(number)))


@route("GET", REPO + r"/issues/(?P<number>\d+)/comments")
def list_comments(standin: GitHubStandIn, req: Request, repo: Repo, number: str) -> Reply:
    if not has_issue(repo, int(number)):
        return not_found()
    since = records.iso(req.arg("since"))
    found = [
        c
        for c in repo.comments
        if c.issue_number == int(number) and (since is None or c.updated_at >= since)
    ]
    return listing(req, found, lambda c: shapes.comment(req.api, req.web, repo, c))


@route("GET", REPO + r"/issues/comments")
def list_repo_comments(standin: GitHubStandIn, req: Request, repo: Repo) -> Reply:
    """Every issue and pull request comment of the repository, as GitHub lists them: `since`
    keeps those updated at or after it, `sort` created (default) or updated, `direction`."""
    sort, direction = req.arg("sort", "created"), req.arg("direction", "asc")
    if sort not in ("created", "updated") or direction not in ("asc", "desc"):
        return invalid("Validation Failed")
    since = records.iso(req.arg("since"))
    found = [c for c in repo.comments if since is None or c.updated_at >= since]
    field = "created_at" if sort == "created" else "updated_at"
    found.sort(key=lambda c: (getattr(c, field), c.id), reverse=direction == "desc")
    return listing(req, found, lambda c: shapes.comment(req.api, req.web, repo, c))


MAX_COMMENT_BODY = 65_536  # GitHub refuses a longer body with 422


def comment_body(req: Request) -> str | None:
    body = req.body.get("body") if isinstance(req.body, dict) else None
    return body if isinstance(body, str) else None


def too_long(body: str) -> Reply | None:
    if len(body) <= MAX_COMMENT_BODY:
        return None
    error = {
        "resource": "IssueComment",
        "code": "custom",
        "field": "body",
        "message": f"body is too long (maximum is {MAX_COMMENT_BODY} characters)",
    }
    return Reply(422, shapes.error("Validation Failed", 422) | {"errors": [error]})


@route("POST", REPO + r"/issues/(?P<number>\d+)/comments")
def create_comment(standin: GitHubStandIn, req: Request, repo: Repo, number: str) -> Reply:
    if not has_issue(repo, int(number)):
        return not_found()
    body = comment_body(req)
    if body is None:
        return invalid('Invalid request.\n\n"body" wasn\'t supplied.')
    if refused := too_long(body):
        return refused
    now = records.iso(standin.clock())
    c = Comment(next(standin._ids), int(number), body, standin.login, now, now)
    repo.comments.append(c)
    return Reply(201, shapes.comment(req.api, req.web, repo, c))


def find_comment(repo: Repo, comment_id: str) -> Comment | None:
    return next((c for c in repo.comments if c.id == int(comment_id)), None)


@route("GET", REPO + r"/issues/comments/(?P<comment_id>\d+)")
def get_comment(standin: GitHubStandIn, req: Request, repo: Repo, comment_id: str) -> Reply:
    c = find_comment(repo, comment_id)
    return Reply(200, shapes.comment(req.api, req.web, repo, c)) if c else not_found()


@route("PATCH", REPO + r"/issues/comments/(?P<comment_id>\d+)")
def edit_comment(standin: GitHubStandIn, req: Request, repo: Repo, comment_id: str) -> Reply:
    c = find_comment(repo, comment_id)
    if c is None:
        return not_found()
    body = comment_body(req)
    if body is None:
        return invalid('Invalid request.\n\n"body" wasn\'t supplied.')
    if refused := too_long(body):
        return refused
    c.body, c.updated_at = body, records.iso(standin.clock())
    return Reply(200, shapes.comment(req.api, req.web, repo, c))


@route("DELETE", REPO + r"/issues/comments/(?P<comment_id>\d+)")
def delete_comment(standin: GitHubStandIn, req: Request, repo: Repo, comment_id: str) -> Reply:
    c = find_comment(repo, comment_id)
    if c is None:
        return not_found()
    repo.comments.remove(c)
    return Reply(204)
