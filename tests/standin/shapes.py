"""The JSON shapes GitHub's REST API gives the stand-in's records (see records.py).

The objects are trimmed to the fields PyGithub and the bot read, plus the usual `*_url`s.
`api` is the REST root the client used (e.g. http://127.0.0.1:PORT), `web` the site root for
`html_url`s; both point at the stand-in itself.
"""

from __future__ import annotations

from typing import Any

from .records import (
    PERMISSION_OF_ROLE,
    Comment,
    Commit,
    FileChange,
    Pull,
    Release,
    Repo,
    Run,
    Workflow,
    fake_sha,
    stable_id,
)

DOCS = "https://docs.github.com/rest"


def error(message: str, status: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "documentation_url": DOCS}
    if status is not None:
        body["status"] = str(status)
    return body


# The URI templates GitHub puts in every user and repository object, relative to its url.
USER_LINKS = {
    "followers_url": "/followers",
    "following_url": "/following{/other_user}",
    "gists_url": "/gists{/gist_id}",
    "starred_url": "/starred{/owner}{/repo}",
    "subscriptions_url": "/subscriptions",
    "organizations_url": "/orgs",
    "repos_url": "/repos",
    "events_url": "/events{/privacy}",
    "received_events_url": "/received_events",
}
REPO_LINKS = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


def user(api: str, web: str, login: str, kind: str | None = None) -> dict[str, Any]:
    url = f"{api}/users/{login}"
    return {
        "login": login,
        "id": stable_id("user", login),
        "node_id": f"U_{stable_id('user', login)}",
        "avatar_url": f"{web}/avatars/{login}",
        "gravatar_id": "",
        "url": url,
        "html_url": f"{web}/{login}",
        **{key: url + suffix for key, suffix in USER_LINKS.items()},
        "type": kind or ("Bot" if login.endswith("[bot]") else "User"),
        "user_view_type": "public",
        "site_admin": False,
    }


def account(api: str, web: str, login: str, created_at: str) -> dict[str, Any]:
    """A user as GET /user and GET /users/{login} return it (the profile fields too)."""
    profile = ("name", "company", "blog", "location", "email", "hireable", "bio")
    counts = ("public_repos", "public_gists", "followers", "following")
    return {
        **user(api, web, login),
        **dict.fromkeys(profile),
        "twitter_username": None,
        **dict.fromkeys(counts, 0),
        "created_at": created_at,
        "updated_at": created_at,
    }


def repository(api: str, web: str, repo: Repo) -> dict[str, Any]:
    url = f"{api}/repos/{repo.full_name}"
    host = web.split("://", 1)[1]
    counts = ("forks", "forks_count", "stargazers_count", "watchers", "watchers_count", "size")
    counts += ("network_count", "subscribers_count")
    return {
        "id": repo.id,
        "node_id": f"R_{repo.id}",
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": user(api, web, repo.owner, "Organization"),
        "private": False,
        "visibility": "public",
        "html_url": f"{web}/{repo.full_name}",
        "description": None,
        "fork": False,
        "url": url,
        **{key: url + suffix for key, suffix in REPO_LINKS.items()},
        "git_url": f"git://{host}/{repo.full_name}.git",
        "ssh_url": f"git@{host}:{repo.full_name}.git",
        "clone_url": f"{web}/{repo.full_name}.git",
        "svn_url": f"{web}/{repo.full_name}",
        "mirror_url": None,
        "homepage": None,
        "language": None,
        **dict.fromkeys(counts, 0),
        "open_issues": len(repo.issues) + sum(p.state == "open" for p in repo.pulls.values()),
        "open_issues_count": len(repo.issues) + sum(p.state == "open" for p in repo.pulls.values()),
        "is_template": False,
        "archived": False,
        "disabled": False,
        "has_issues": True,
        "has_projects": False,
        "has_wiki": False,
        "has_pages": False,
        "has_downloads": False,
        "has_discussions": False,
        "allow_forking": True,
        "web_commit_signoff_required": False,
        "license": None,
        "topics": [],
        "created_at": repo.created_at,
        "updated_at": repo.created_at,
        "pushed_at": repo.created_at,
        "default_branch": repo.default_branch,
        "permissions": {
            "admin": False,
            "maintain": False,
            "push": True,
            "triage": True,
            "pull": True,
        },
    }


def label(api: str, repo: Repo, name: str) -> dict[str, Any]:
    return {
        "id": stable_id("label", repo.full_name, name),
        "node_id": f"LA_{stable_id('label', repo.full_name, name)}",
        "url": f"{api}/repos/{repo.full_name}/labels/{name}",
        "name": name,
        "color": "ededed",
        "default": False,
        "description": "",
    }


def file_change(api: str, web: str, repo: Repo, ref: str, change: FileChange) -> dict[str, Any]:
    path = change.filename
    return {
        "sha": fake_sha("blob", repo.full_name, ref, path),
        "filename": path,
        "status": change.status,
        "additions": change.additions,
        "deletions": change.deletions,
        "changes": change.additions + change.deletions,
        "blob_url": f"{web}/{repo.full_name}/blob/{ref}/{path}",
        "raw_url": f"{web}/{repo.full_name}/raw/{ref}/{path}",
        "contents_url": f"{api}/repos/{repo.full_name}/contents/{path}?ref={ref}",
        "patch": f"@@ -1,{change.deletions} +1,{change.additions} @@",
    }


def commit(api: str, web: str, repo: Repo, c: Commit, *, files: list | None = None) -> dict:
    """A commit as listed; pass `files` (a page of them) for the single-commit shape."""
    base = f"{api}/repos/{repo.full_name}"
    person = {"name": c.author, "email": f"{c.author}@users.noreply.github.com", "date": c.date}
    out: dict[str, Any] = {
        "sha": c.sha,
        "node_id": f"C_{c.sha[:16]}",
        "url": f"{base}/commits/{c.sha}",
        "html_url": f"{web}/{repo.full_name}/commit/{c.sha}",
        "comments_url": f"{base}/commits/{c.sha}/comments",
        "commit": {
            "url": f"{base}/git/commits/{c.sha}",
            "author": person,
            "committer": person,
            "message": c.message,
            "tree": {"sha": fake_sha("tree", c.sha), "url": f"{base}/git/trees/{c.sha}"},
            "comment_count": 0,
        },
        "author": user(api, web, c.author),
        "committer": user(api, web, c.author),
        "parents": [
            {
                "sha": p,
                "url": f"{base}/commits/{p}",
                "html_url": f"{web}/{repo.full_name}/commit/{p}",
            }
            for p in c.parents
        ],
    }
    if files is not None:
        adds = sum(f.additions for f in c.files)
        dels = sum(f.deletions for f in c.files)
        out["stats"] = {"additions": adds, "deletions": dels, "total": adds + dels}
        out["files"] = [file_change(api, web, repo, c.sha, f) for f in files]
    return out


def tag(api: str, repo: Repo, name: str, sha: str) -> dict[str, Any]:
    base = f"{api}/repos/{repo.full_name}"
    return {
        "name": name,
        "commit": {"sha": sha, "url": f"{base}/commits/{sha}"},
        "zipball_url": f"{base}/zipball/refs/tags/{name}",
        "tarball_url": f"{base}/tarball/refs/tags/{name}",
        "node_id": f"REF_{stable_id('tag', repo.full_name, name)}",
    }


def release(api: str, web: str, repo: Repo, r: Release, author: str) -> dict[str, Any]:
    base = f"{api}/repos/{repo.full_name}"
    return {
        "url": f"{base}/releases/{r.id}",
        "html_url": f"{web}/{repo.full_name}/releases/tag/{r.tag}",
        "assets_url": f"{base}/releases/{r.id}/assets",
        "upload_url": f"{base}/releases/{r.id}/assets{{?name,label}}",
        "tarball_url": f"{base}/tarball/{r.tag}",
        "zipball_url": f"{base}/zipball/{r.tag}",
        "id": r.id,
        "node_id": f"RE_{r.id}",
        "tag_name": r.tag,
        "target_commitish": r.target_commitish,
        "name": r.name if r.name is not None else r.tag,
        "body": r.body,
        "draft": r.draft,
        "prerelease": r.prerelease,
        "created_at": r.published_at,
        "published_at": r.published_at,
        "author": user(api, web, author),
        "assets": [],
    }


def pull(api: str, web: str, repo: Repo, p: Pull, *, full: bool = False) -> dict[str, Any]:
    """A pull request as listed; `full` adds what only GET /pulls/{n} returns."""
    base = f"{api}/repos/{repo.full_name}"
    html = f"{web}/{repo.full_name}/pull/{p.number}"
    repo_json = repository(api, web, repo)
    base_sha = repo.branches.get(p.base) or fake_sha("branch", repo.full_name, p.base)
    head_json = repo_json
    if p.head_repo is not None:  # a fork: a repository of its own, known or not to the stand-in
        owner, name = p.head_repo.split("/")
        fork = Repo(stable_id("repo", p.head_repo), owner, name, "main", repo.created_at)
        head_json = repository(api, web, fork) | {"fork": True}
    closed_at = p.merged_at or (p.updated_at if p.state == "closed" else None)
    out: dict[str, Any] = {
        "url": f"{base}/pulls/{p.number}",
        "id": stable_id("pull", repo.full_name, p.number),
        "node_id": f"PR_{stable_id('pull', repo.full_name, p.number)}",
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": f"{base}/issues/{p.number}",
        "commits_url": f"{base}/pulls/{p.number}/commits",
        "review_comments_url": f"{base}/pulls/{p.number}/comments",
        "comments_url": f"{base}/issues/{p.number}/comments",
        "statuses_url": f"{base}/statuses/{p.head_sha}",
        "number": p.number,
        "state": p.state,
        "locked": False,
        "title": p.title,
        "user": user(api, web, p.user),
        "body": p.body,
        "labels": [label(api, repo, name) for name in p.labels],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "closed_at": closed_at,
        "merged_at": p.merged_at,
        "merge_commit_sha": p.merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": {
            "label": f"{p.user}:pr-{p.number}",
            "ref": f"pr-{p.number}",
            "sha": p.head_sha,
            "user": user(api, web, p.user),
            "repo": head_json,
        },
        "base": {
            "label": f"{repo.owner}:{p.base}",
            "ref": p.base,
            "sha": base_sha,
            "user": user(api, web, repo.owner, "Organization"),
            "repo": repo_json,
        },
        "author_association": "CONTRIBUTOR",
        "auto_merge": None,
        "draft": False,
        "review_comment_url": f"{base}/pulls/comments{{/number}}",
        "_links": {
            name: {"href": href}
            for name, href in {
                "self": f"{base}/pulls/{p.number}",
                "html": html,
                "issue": f"{base}/issues/{p.number}",
                "comments": f"{base}/issues/{p.number}/comments",
                "review_comments": f"{base}/pulls/{p.number}/comments",
                "review_comment": f"{base}/pulls/comments{{/number}}",
                "commits": f"{base}/pulls/{p.number}/commits",
                "statuses": f"{base}/statuses/{p.head_sha}",
            }.items()
        },
    }
    if full:
        out.update(
            merged=p.merged_at is not None,
            mergeable=None if p.state == "closed" else True,
            mergeable_state="unknown" if p.state == "closed" else "clean",
            maintainer_can_modify=False,
            merged_by=user(api, web, repo.owner) if p.merged_at else None,
            comments=sum(c.issue_number == p.number for c in repo.comments),
            review_comments=0,
            commits=1,
            additions=sum(f.additions for f in p.files),
            deletions=sum(f.deletions for f in p.files),
            changed_files=len(p.files),
        )
    return out


def issue(api: str, web: str, repo: Repo, number: int) -> dict[str, Any]:
    """An issue, or a pull request seen through the issues API (with `pull_request`)."""
    base = f"{api}/repos/{repo.full_name}"
    p = repo.pulls.get(number)
    i = repo.issues.get(number)
    title, login, body, created = (
        (p.title, p.user, p.body, p.created_at) if p else (i.title, i.user, i.body, i.created_at)
    )
    kind = "pull" if p else "issues"
    out: dict[str, Any] = {
        "url": f"{base}/issues/{number}",
        "repository_url": base,
        "labels_url": f"{base}/issues/{number}/labels{{/name}}",
        "comments_url": f"{base}/issues/{number}/comments",
        "events_url": f"{base}/issues/{number}/events",
        "html_url": f"{web}/{repo.full_name}/{kind}/{number}",
        "id": stable_id("issue", repo.full_name, number),
        "node_id": f"I_{stable_id('issue', repo.full_name, number)}",
        "number": number,
        "title": title,
        "user": user(api, web, login),
        "labels": [label(api, repo, name) for name in (p.labels if p else [])],
        "state": p.state if p else "open",
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": sum(c.issue_number == number for c in repo.comments),
        "created_at": created,
        "updated_at": p.updated_at if p else created,
        "closed_at": (p.merged_at or p.updated_at) if p and p.state == "closed" else None,
        "author_association": "CONTRIBUTOR",
        "body": body,
    }
    if p:
        html = f"{web}/{repo.full_name}/pull/{number}"
        out["pull_request"] = {
            "url": f"{base}/pulls/{number}",
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "merged_at": p.merged_at,
        }
    return out


def collaborator_permission(api: str, web: str, login: str, role: str) -> dict[str, Any]:
    """GET /repos/{owner}/{repo}/collaborators/{username}/permission: the role, the permission
    GitHub folds it into, and the person with their permissions spelled out."""
    permission = PERMISSION_OF_ROLE.get(role, role)
    rank = ("read", "triage", "write", "maintain", "admin").index(role)
    flags = {"pull": rank >= 0, "triage": rank >= 1, "push": rank >= 2, "maintain": rank >= 3}
    person = user(api, web, login) | {
        "permissions": flags | {"admin": rank >= 4},
        "role_name": role,
    }
    return {"permission": permission, "role_name": role, "user": person}


def comment(api: str, web: str, repo: Repo, c: Comment) -> dict[str, Any]:
    base = f"{api}/repos/{repo.full_name}"
    kind = "pull" if c.issue_number in repo.pulls else "issues"
    return {
        "id": c.id,
        "node_id": f"IC_{c.id}",
        "url": f"{base}/issues/comments/{c.id}",
        "html_url": f"{web}/{repo.full_name}/{kind}/{c.issue_number}#issuecomment-{c.id}",
        "issue_url": f"{base}/issues/{c.issue_number}",
        "body": c.body,
        "user": user(api, web, c.user),
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "author_association": "CONTRIBUTOR",
    }


def workflow(api: str, web: str, repo: Repo, w: Workflow) -> dict[str, Any]:
    return {
        "id": w.id,
        "node_id": f"W_{w.id}",
        "name": w.name,
        "path": w.path,
        "state": "active",
        "created_at": w.created_at,
        "updated_at": w.created_at,
        "url": f"{api}/repos/{repo.full_name}/actions/workflows/{w.id}",
        "html_url": f"{web}/{repo.full_name}/blob/{repo.default_branch}/{w.path}",
        "badge_url": f"{web}/{repo.full_name}/workflows/{w.name}/badge.svg",
    }


def workflow_run(api: str, web: str, repo: Repo, r: Run) -> dict[str, Any]:
    base = f"{api}/repos/{repo.full_name}"
    run_url = f"{base}/actions/runs/{r.id}"
    wf = next(w for w in repo.workflows if w.id == r.workflow_id)
    head = repo.commits.get(r.head_sha)
    repo_json = repository(api, web, repo)
    return {
        "id": r.id,
        "name": wf.name,
        "node_id": f"WFR_{r.id}",
        "head_branch": r.head_branch,
        "head_sha": r.head_sha,
        "path": wf.path,
        "display_title": r.display_title,
        "run_number": r.run_number,
        "run_attempt": 1,
        "event": r.event,
        "status": r.status,
        "conclusion": r.conclusion,
        "workflow_id": r.workflow_id,
        "check_suite_id": r.id + 1,
        "url": run_url,
        "html_url": f"{web}/{repo.full_name}/actions/runs/{r.id}",
        "pull_requests": [],
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "run_started_at": r.created_at,
        "actor": user(api, web, r.actor),
        "triggering_actor": user(api, web, r.actor),
        "jobs_url": f"{run_url}/jobs",
        "logs_url": f"{run_url}/logs",
        "artifacts_url": f"{run_url}/artifacts",
        "cancel_url": f"{run_url}/cancel",
        "rerun_url": f"{run_url}/rerun",
        "check_suite_url": f"{base}/check-suites/{r.id + 1}",
        "workflow_url": f"{base}/actions/workflows/{r.workflow_id}",
        "head_commit": None
        if head is None
        else {
            "id": head.sha,
            "tree_id": fake_sha("tree", head.sha),
            "message": head.message,
            "timestamp": head.date,
            "author": {"name": head.author, "email": f"{head.author}@users.noreply.github.com"},
            "committer": {"name": head.author, "email": f"{head.author}@users.noreply.github.com"},
        },
        "repository": repo_json,
        "head_repository": repo_json,
    }


def rate(limit: int, used: int, reset: int) -> dict[str, int]:
    return {"limit": limit, "used": used, "remaining": max(limit - used, 0), "reset": reset}
