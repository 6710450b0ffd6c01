"""GitHubStandIn: a real HTTP server on 127.0.0.1 that speaks enough of GitHub's REST API for
PyGithub to run unchanged against it, with seedable state and injectable faults.

    standin = GitHubStandIn().start()
    standin.add_repo("vllm-project/vllm")
    gh = github.Github(auth=github.Auth.Token("t"), base_url=standin.url)
    ...
    standin.stop()

HTTP plumbing is in server.py, endpoints in routes*.py, state in records.py, JSON in shapes.py.
"""

from __future__ import annotations

import itertools
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any

from . import records, shapes
from .records import Commit, FileChange, Issue, Pull, Release, Repo, Workflow
from .server import Handler

FAULT_KINDS = ("500", "502", "503", "429", "403-secondary", "drop", "slow")
PULL_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


class GitHubStandIn:
    """GitHub's REST API on a free 127.0.0.1 port. Thread-safe; state only changes under a lock.

    token:  when given, requests must carry `Authorization: token|Bearer <token>`, else 401.
    login:  the authenticated user (GET /user, author of created comments, actor of runs).
    installation: the token is an installation token (GitHub Actions' GITHUB_TOKEN, a GitHub
            App's): GET /user answers 403 "Resource not accessible by integration", as GitHub does.
    """

    def __init__(
        self, *, token: str | None = None, login: str = "paretobot", installation: bool = False
    ) -> None:
        self.token = token
        self.login = login
        self.installation = installation
        self.slow_seconds: float = 2.0  # how long a "slow" fault stalls before answering
        self.retry_after: int = 1  # Retry-After seconds sent with 429 and 403-secondary
        self.rate_limit: int = 5000  # X-RateLimit-Limit; Remaining counts down per request
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)  # "now" for new objects
        self._lock = threading.RLock()
        self._repos: dict[str, Repo] = {}
        self._requests: list[tuple[str, str, int | None]] = []
        self._ids = itertools.count(1001)
        self._used = 0
        self._reset = int(time.time()) + 3600
        self._queue: deque[str] = deque()
        self._rate = 0.0
        self._kinds: tuple[str, ...] = ()
        self._methods: frozenset[str] | None = None
        self._rng = random.Random(0)
        self._injected: list[tuple[str, str, str]] = []
        self._errors: list[str] = []
        self._holds: list[_Hold] = []
        self.broken_holds = 0
        self._server: ThreadingHTTPServer | None = None
        self._port: int | None = None

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> GitHubStandIn:
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.standin = self  # type: ignore[attr-defined]
        server.handle_error = lambda request, address: None  # clients hanging up mid-reply
        self._server, self._port = server, server.server_address[1]
        # a short poll interval keeps stop() (and so each test's teardown) quick
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> GitHubStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base_url to give PyGithub, e.g. http://127.0.0.1:41234 (no trailing slash)."""
        if self._port is None:
            raise RuntimeError("GitHubStandIn is not started")
        return f"http://127.0.0.1:{self._port}"

    # ---- seeding ---------------------------------------------------------------------------

    def add_repo(self, full_name: str, default_branch: str = "main") -> None:
        owner, name = full_name.split("/")
        with self._lock:
            if full_name.lower() in self._repos:
                raise ValueError(f"repo {full_name} already added")
            created = records.iso(self.clock())
            self._repos[full_name.lower()] = Repo(
                records.stable_id("repo", full_name), owner, name, default_branch, created
            )

    def add_commit(
        self,
        repo: str,
        sha: str,
        message: str,
        date: str | datetime,
        author: str = "x",
        parents: list[str] | None = None,
        files: Iterable[str | tuple[str, int, int]] = (),
    ) -> None:
        """parents=None means "the default branch's head" ([] for the first commit).
        The default branch advances to the new commit when its head is among the parents."""
        with self._lock:
            r = self.repo(repo)
            if sha in r.commits:
                raise ValueError(f"commit {sha} already in {repo}")
            head = r.branches.get(r.default_branch)
            parents = list(parents) if parents is not None else ([head] if head else [])
            for p in parents:
                if p not in r.commits:
                    raise ValueError(f"parent {p} of {sha} is not a commit in {repo}")
            changes = [_file_change(f) for f in files]
            r.commits[sha] = Commit(
                sha, message, records.iso(date), author, parents, changes, len(r.commits)
            )
            if head is None or head in parents:
                r.branches[r.default_branch] = sha

    def set_branch(self, repo: str, name: str, sha: str) -> None:
        with self._lock:
            self.repo(repo).branches[name] = sha

    def add_release(
        self,
        repo: str,
        tag: str,
        published_at: str | datetime,
        name: str | None = None,
        prerelease: bool = False,
        target_commitish: str = "main",
        body: str = "",
    ) -> int:
        """Returns the release id. Does not create the git tag: use add_tag for that."""
        with self._lock:
            release_id = next(self._ids)
            release = Release(
                release_id, tag, records.iso(published_at), name, prerelease, target_commitish, body
            )
            self.repo(repo).releases.append(release)
            return release_id

    def add_tag(self, repo: str, name: str, sha: str) -> None:
        with self._lock:
            self.repo(repo).tags.append((name, sha))

    def add_pull(
        self,
        repo: str,
        number: int,
        title: str,
        *,
        merged_at: str | datetime | None = None,
        labels: Iterable[str] = (),
        files: Iterable[str | tuple[str, int, int]] = (),
        user: str = "login",
        body: str = "",
        merge_commit_sha: str | None = None,
        base: str = "main",
        updated_at: str | datetime | None = None,
        state: str | None = None,
        created_at: str | datetime | None = None,
        head_sha: str | None = None,
        head_repo: str | None = None,
    ) -> None:
        """head_repo: the fork (owner/name) the PR's head lives in (default: this repository).
        created_at defaults to 2024-01-01 plus `number` minutes (so creation order follows
        numbers); updated_at to merged_at or created_at; state to closed if merged else open."""
        with self._lock:
            r = self.repo(repo)
            if number in r.pulls or number in r.issues:
                raise ValueError(f"#{number} already used in {repo}")
            created = records.iso(created_at or PULL_EPOCH + timedelta(minutes=number))
            merged = records.iso(merged_at)
            r.pulls[number] = Pull(
                number=number,
                title=title,
                user=user,
                body=body,
                labels=list(labels),
                files=[_file_change(f) for f in files],
                base=base,
                state=state or ("closed" if merged else "open"),
                created_at=created,
                updated_at=records.iso(updated_at) or merged or created,
                merged_at=merged,
                merge_commit_sha=merge_commit_sha,
                head_sha=head_sha or records.fake_sha("head", repo, number),
                head_repo=head_repo,
            )

    def add_workflow(
        self,
        repo: str,
        path: str = ".github/workflows/benchmark.yml",
        name: str = "benchmark",
        workflow_id: int | None = None,
        run_name: str | Callable[[dict[str, str]], str] | None = None,
        inputs: Iterable[str] | None = None,
    ) -> int:
        """run_name renders a run's display_title from the dispatch inputs: a callable, or a
        format string such as "bench {key}" (missing inputs render empty, as on GitHub).
        inputs, when given, are the declared inputs: dispatching others is a 422."""
        with self._lock:
            wf_id = workflow_id if workflow_id is not None else next(self._ids)
            declared = list(inputs) if inputs is not None else None
            workflow = Workflow(wf_id, path, name, run_name, declared, records.iso(self.clock()))
            self.repo(repo).workflows.append(workflow)
            return wf_id

    def add_issue(
        self, repo: str, number: int, title: str, *, body: str = "", user: str = "x"
    ) -> None:
        with self._lock:
            r = self.repo(repo)
            if number in r.pulls or number in r.issues:
                raise ValueError(f"#{number} already used in {repo}")
            r.issues[number] = Issue(number, title, user, body, records.iso(self.clock()))

    def add_collaborator(self, repo: str, login: str, role: str = "write") -> None:
        """`login` gets `role` on `repo` (admin, maintain, write, triage or read), as
        GET /repos/{owner}/{repo}/collaborators/{username}/permission then reports."""
        if role not in records.ROLES:
            raise ValueError(f"unknown role {role!r}; one of {records.ROLES}")
        with self._lock:
            self.repo(repo).collaborators[login.lower()] = role

    def add_comment(
        self, repo: str, issue_number: int, body: str, *, user: str = "x", at: str | None = None
    ) -> int:
        """A comment written by `user` (anyone but the bot, by default); returns its id."""
        with self._lock:
            r = self.repo(repo)
            if issue_number not in r.issues and issue_number not in r.pulls:
                raise ValueError(f"no issue or pull #{issue_number} in {repo}")
            now = at or records.iso(self.clock())
            comment_id = next(self._ids)
            r.comments.append(records.Comment(comment_id, issue_number, body, user, now, now))
            return comment_id

    def edit_comment(self, repo: str, comment_id: int, body: str, at: str | None = None) -> None:
        """Someone edits their comment: new body, updated_at moves on (created_at stays)."""
        with self._lock:
            c = next(c for c in self.repo(repo).comments if c.id == comment_id)
            c.body, c.updated_at = body, at or records.iso(self.clock())

    def hold(self, method: str, path: str, parties: int, timeout: float = 60.0) -> None:
        """Let the next `parties` requests of `method` whose path matches the regex `path` be
        answered from the same state, each waiting for the others before its answer is sent: a
        race made certain (e.g. two publishers that both list the comments before either creates
        one). After `timeout` seconds they go on, and `broken_holds` counts it, so a test can
        tell the race it meant from one that never happened."""
        with self._lock:
            barrier = threading.Barrier(parties, timeout=timeout)
            self._holds.append(_Hold(method.upper(), re.compile(path), barrier, parties))

    def update_run(self, repo: str, run_id: int, **fields: Any) -> None:
        """Move a workflow run along, e.g. update_run(repo, id, status="completed",
        conclusion="success")."""
        with self._lock:
            run = next(r for r in self.repo(repo).runs if r.id == run_id)
            for key, value in fields.items():
                setattr(run, key, value)
            run.updated_at = records.iso(self.clock())

    # ---- readers ---------------------------------------------------------------------------

    def repo(self, full_name: str) -> Repo:
        """The live record (owner/name are case-insensitive, as on GitHub)."""
        try:
            return self._repos[full_name.lower()]
        except KeyError:
            raise KeyError(f"no repo {full_name!r}; call add_repo first") from None

    def dispatches(self, repo: str) -> list[dict[str, Any]]:
        """[{"workflow": id-or-file as addressed, "workflow_id", "ref", "inputs", "at"}]"""
        with self._lock:
            return [dict(d, inputs=dict(d["inputs"])) for d in self.repo(repo).dispatches]

    def comments(self, repo: str, issue_number: int) -> list[dict[str, Any]]:
        with self._lock:
            r = self.repo(repo)
            return [
                shapes.comment(self.url, self.url, r, c)
                for c in r.comments
                if c.issue_number == issue_number
            ]

    def runs(self, repo: str) -> list[dict[str, Any]]:
        with self._lock:
            r = self.repo(repo)
            return [shapes.workflow_run(self.url, self.url, r, run) for run in r.runs]

    @property
    def requests(self) -> list[tuple[str, str, int | None]]:
        """(method, path_with_query, status) per request; status None for a dropped one."""
        with self._lock:
            return list(self._requests)

    @property
    def errors(self) -> list[str]:
        """Tracebacks of requests the stand-in itself failed on (answered 500); the
        github_standin fixture fails the test when there are any."""
        with self._lock:
            return list(self._errors)

    # ---- faults ----------------------------------------------------------------------------

    def faults(
        self,
        rate: float = 0.3,
        kinds: Iterable[str] = ("500", "429", "403-secondary", "drop", "slow"),
        seed: int = 0,
        methods: Iterable[str] | None = None,
    ) -> None:
        """Fail a `rate` fraction of requests (only `methods`, if given) with a seeded random
        kind. rate=0 turns this off."""
        kinds = tuple(kinds)
        for kind in kinds:
            _check_kind(kind)
        with self._lock:
            self._rate, self._kinds, self._rng = rate, kinds, random.Random(seed)
            self._methods = frozenset(m.upper() for m in methods) if methods else None

    def fail_next(self, kind: str, count: int = 1) -> None:
        """Fail the next `count` requests (any method) with `kind`; before random faults."""
        _check_kind(kind)
        with self._lock:
            self._queue.extend([kind] * count)

    @property
    def fault_count(self) -> int:
        with self._lock:
            return len(self._injected)

    @property
    def injected_faults(self) -> list[tuple[str, str, str]]:
        """(method, path_with_query, kind) per injected fault."""
        with self._lock:
            return list(self._injected)

    # ---- used by the request handler ---------------------------------------------------------

    def _claim_hold(self, method: str, path: str) -> _Hold | None:
        """Called before a request is handled: the `hold` it is one of the parties of, if any."""
        with self._lock:
            hold = next(
                (h for h in self._holds if h.left and h.method == method and h.path.search(path)),
                None,
            )
            if hold is not None:
                hold.left -= 1
            return hold

    def _meet(self, hold: _Hold | None) -> None:
        """Called after a held request's answer is made, before it is sent: every party's answer
        is made from the state before any of them can act on one (waiting before handling let a
        loaded machine answer the first, and the client act on it, before the second was read)."""
        if hold is None:
            return
        # the others never came (a broken barrier): answer anyway, as a server would
        try:
            hold.barrier.wait()
        except threading.BrokenBarrierError:
            with self._lock:
                self.broken_holds += 1

    def _take_fault(self, method: str, path: str) -> str | None:
        with self._lock:
            kind = None
            eligible = self._rate > 0 and (self._methods is None or method in self._methods)
            if self._queue:
                kind = self._queue.popleft()
            elif eligible and self._rng.random() < self._rate:
                kind = self._rng.choice(self._kinds)
            if kind:
                self._injected.append((method, path, kind))
            return kind

    def _rate_headers(self) -> dict[str, str]:
        with self._lock:
            self._used += 1
            return {
                "X-RateLimit-Limit": str(self.rate_limit),
                "X-RateLimit-Remaining": str(max(self.rate_limit - self._used, 0)),
                "X-RateLimit-Reset": str(self._reset),
                "X-RateLimit-Used": str(self._used),
                "X-RateLimit-Resource": "core",
            }

    def _record(self, method: str, path: str, status: int | None) -> None:
        with self._lock:
            self._requests.append((method, path, status))

    def _authorized(self, header: str | None) -> bool:
        if self.token is None:
            return True
        scheme, _, value = (header or "").partition(" ")
        return scheme.lower() in ("token", "bearer") and value.strip() == self.token


class _Hold:
    def __init__(self, method: str, path: re.Pattern[str], barrier: threading.Barrier, n: int):
        self.method, self.path, self.barrier, self.left = method, path, barrier, n


def _file_change(f: str | tuple[str, int, int]) -> FileChange:
    if isinstance(f, str):
        return FileChange(f)
    path, additions, deletions = f
    return FileChange(path, additions, deletions)


def _check_kind(kind: str) -> None:
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; one of {FAULT_KINDS}")
