"""GitHub Actions: workflows, workflow_dispatch and the runs it creates."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from . import records, shapes
from .records import Repo, Run, Workflow
from .routes import REPO, Reply, Request, invalid, not_found, paginate, route
from .routes_git import resolve

if TYPE_CHECKING:
    from .github import GitHubStandIn


def find_workflow(repo: Repo, id_or_file: str) -> Workflow | None:
    for w in repo.workflows:
        if id_or_file in (str(w.id), w.path, w.path.rsplit("/", 1)[-1]):
            return w
    return None


@route("GET", REPO + r"/actions/workflows")
def list_workflows(standin: GitHubStandIn, req: Request, repo: Repo) -> Reply:
    chunk, headers = paginate(req, repo.workflows)
    items = [shapes.workflow(req.api, req.web, repo, w) for w in chunk]
    return Reply(200, {"total_count": len(repo.workflows), "workflows": items}, headers)


@route("GET", REPO + r"/actions/workflows/(?P<wf>[^/]+)")
def get_workflow(standin: GitHubStandIn, req: Request, repo: Repo, wf: str) -> Reply:
    w = find_workflow(repo, wf)
    return Reply(200, shapes.workflow(req.api, req.web, repo, w)) if w else not_found()


@route("POST", REPO + r"/actions/workflows/(?P<wf>[^/]+)/dispatches")
def dispatch_workflow(standin: GitHubStandIn, req: Request, repo: Repo, wf: str) -> Reply:
    w = find_workflow(repo, wf)
    if w is None:
        return not_found()
    body = req.body if isinstance(req.body, dict) else {}
    ref, inputs = body.get("ref"), body.get("inputs", {})
    if not isinstance(ref, str) or not ref:
        return invalid('Invalid request.\n\n"ref" wasn\'t supplied.')
    if not isinstance(inputs, dict):
        return invalid(
            f"Invalid request.\n\nFor 'properties/inputs', {json.dumps(inputs)} is not an object."
        )
    for key, value in inputs.items():
        if not isinstance(value, str):
            return invalid(
                f"Invalid request.\n\nFor 'properties/{key}', {json.dumps(value)} is not a string."
            )
    if w.inputs is not None and set(inputs) - set(w.inputs):
        return invalid(f"Unexpected inputs provided: {sorted(set(inputs) - set(w.inputs))}")
    branch = ref.removeprefix("refs/heads/")
    sha = resolve(repo, ref)
    if sha is None and branch != repo.default_branch:
        return invalid(f"No ref found for: {ref}")
    now = records.iso(standin.clock())
    repo.dispatches.append(
        {
            "workflow": w.id if wf == str(w.id) else wf,
            "workflow_id": w.id,
            "ref": ref,
            "inputs": dict(inputs),
            "at": now,
        }
    )
    run_number = 1 + sum(r.workflow_id == w.id for r in repo.runs)
    repo.runs.append(
        Run(
            id=next(standin._ids),
            workflow_id=w.id,
            run_number=run_number,
            display_title=_display_title(w, inputs),
            head_branch=branch,
            head_sha=sha or records.fake_sha("branch", repo.full_name, branch),
            inputs=dict(inputs),
            actor=standin.login,
            created_at=now,
            updated_at=now,
        )
    )
    return Reply(204)


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _display_title(w: Workflow, inputs: dict[str, str]) -> str:
    if w.run_name is None:
        return w.name
    if callable(w.run_name):
        return str(w.run_name(dict(inputs)))
    return w.run_name.format_map(_Blank(inputs))


def run_listing(req: Request, repo: Repo, runs: list[Run]) -> Reply:
    wanted = {k: req.arg(k) for k in ("branch", "event", "status", "head_sha", "actor")}
    created = req.arg("created")

    def keep(r: Run) -> bool:
        return (
            wanted["branch"] in (None, r.head_branch)
            and wanted["event"] in (None, r.event)
            and wanted["status"] in (None, r.status, r.conclusion)
            and wanted["head_sha"] in (None, r.head_sha)
            and wanted["actor"] in (None, r.actor)
            and (created is None or _in_range(r.created_at, created))
        )

    chosen = sorted((r for r in runs if keep(r)), key=lambda r: r.id, reverse=True)
    chunk, headers = paginate(req, chosen)
    items = [shapes.workflow_run(req.api, req.web, repo, r) for r in chunk]
    return Reply(200, {"total_count": len(chosen), "workflow_runs": items}, headers)


def _in_range(stamp: str, spec: str) -> bool:
    """GitHub's `created` qualifier: >=X, >X, <=X, <X, X..Y (* open), or a date prefix.
    Stamps share one ISO format, so string order is time order."""

    def bound(text: str, end: bool) -> str:
        day_only = len(text) == 10
        return records.iso(text + ("T23:59:59" if end and day_only else ""))

    for op in (">=", "<=", ">", "<"):
        if spec.startswith(op):
            b = bound(spec[len(op) :], end=op in ("<=", ">"))
            return {">=": stamp >= b, "<=": stamp <= b, ">": stamp > b, "<": stamp < b}[op]
    if ".." in spec:
        low, high = spec.split("..", 1)
        return (low == "*" or stamp >= bound(low, False)) and (
            high == "*" or stamp <= bound(high, True)
        )
    return stamp.startswith(spec)


@route("GET", REPO + r"/actions/workflows/(?P<wf>[^/]+)/runs")
def workflow_runs(standin: GitHubStandIn, req: Request, repo: Repo, wf: str) -> Reply:
    w = find_workflow(repo, wf)
    if w is None:
        return not_found()
    return run_listing(req, repo, [r for r in repo.runs if r.workflow_id == w.id])


@route("GET", REPO + r"/actions/runs")
def repo_runs(standin: GitHubStandIn, req: Request, repo: Repo) -> Reply:
    return run_listing(req, repo, repo.runs)


@route("GET", REPO + r"/actions/runs/(?P<run_id>\d+)")
def get_run(standin: GitHubStandIn, req: Request, repo: Repo, run_id: str) -> Reply:
    run = next((r for r in repo.runs if r.id == int(run_id)), None)
    return Reply(200, shapes.workflow_run(req.api, req.web, repo, run)) if run else not_found()
