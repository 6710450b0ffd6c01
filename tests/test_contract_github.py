"""Contract tests: every GitHub REST call the bot makes, through PyGithub, checked by Prism against
GitHub's official description (@octokit/openapi, api.github.com, dereferenced).

Prism routes each request to its operation and validates path, query, headers and body. A request
that violates the description gets a 4xx (422, or the operation's own 400/422 example) and the
violations in the `sl-violations` header or the problem+json body. Violations located in the
*response* are Prism's verdict on GitHub's own examples; they are listed in the terminal summary
and do not fail a test, since our requests are not at fault.

Every HTTP request PyGithub sends passes through a recorder that refuses any host but the mock's,
so a URL taken from a response (pagination `Link`, an object's `url`) cannot reach api.github.com.

Needs scripts/setup_contract_tools.sh; skipped without it unless PARETOBOT_REQUIRE_CONTRACT is set.
"""

# pytest_plugins goes first, before the imports:
# ruff: noqa: E402
pytest_plugins = ["contract.plugin"]

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import github
import pytest
import requests
import requests.adapters

REPO = "octo/paretobot"
JOBS = json.dumps([{"engine": "vllm", "config": "gptoss-1k1k"}])


@dataclass
class Exchange:
    method: str
    url: str
    body: bytes | str | None
    status: int
    text: str
    violations: list[dict] = field(default_factory=list)

    @property
    def target(self) -> str:
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def request_violations(self) -> list[dict]:
        return [v for v in self.violations if v.get("location", [None])[0] != "response"]

    def response_violations(self) -> list[dict]:
        return [v for v in self.violations if v.get("location", [None])[0] == "response"]


def violations_of(response: requests.Response) -> list[dict]:
    """Prism's findings: the `sl-violations` header and the `validation` of a problem+json body."""
    found = json.loads(response.headers.get("sl-violations") or "[]")
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        found += response.json().get("validation", [])
    return found


class Recorder:
    """Every request PyGithub sends; anything not for the mock is refused before it leaves."""

    def __init__(self, base_url: str, findings):
        self.findings = findings  # contract_findings: GitHub's example responses that Prism faults
        base = urlsplit(base_url)
        self.host, self.port = base.hostname, base.port
        self.exchanges: list[Exchange] = []
        self.refused: list[str] = []

    def call(self, label: str, fn, expect: str):
        """Run `fn`; assert that its requests matched `expect` (a regex) and Prism accepted them."""
        start = len(self.exchanges)
        raised = None
        try:
            result = fn()
        except github.GithubException as exc:
            raised = exc  # PyGithub raised on a 4xx/5xx: the loop below says what Prism found
        made = self.exchanges[start:]
        assert made, f"{label}: no request was made"
        assert any(re.search(expect, ex.target) for ex in made), (
            f"{label}: no request matched {expect!r}: {[ex.target for ex in made]}"
        )
        for ex in made:
            assert ex.status < 400 and not ex.request_violations(), (
                f"{label}: Prism rejected {ex.method} {ex.target} with {ex.status}: "
                f"{ex.request_violations() or ex.text[:500]}"
            )
            self.findings(f"{ex.method} {urlsplit(ex.url).path}", ex.response_violations())
        if raised is not None:
            raise AssertionError(f"{label}: PyGithub raised {raised!r}") from raised
        return result

    def send(self, real_send, adapter, request, **kwargs):
        target = urlsplit(request.url)
        if (target.hostname, target.port) != (self.host, self.port):
            self.refused.append(f"{request.method} {request.url}")
            raise AssertionError(f"request left the mock: {request.method} {request.url}")
        response = real_send(adapter, request, **kwargs)
        self.exchanges.append(
            Exchange(
                request.method,
                request.url,
                request.body,
                response.status_code,
                response.text,
                violations_of(response),
            )
        )
        return response


@pytest.fixture
def http(github_contract, contract_findings, monkeypatch):
    recorder = Recorder(github_contract, contract_findings)
    real_send = requests.adapters.HTTPAdapter.send

    def send(adapter, request, **kwargs):
        return recorder.send(real_send, adapter, request, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    yield recorder
    assert not recorder.refused, f"requests for hosts other than the mock: {recorder.refused}"


@pytest.fixture
def gh(github_contract):
    # retry=None: PyGithub's default retries 5xx and 403 with backoff, which would only hide
    # (slowly) what Prism says.
    client = github.Github(auth=github.Auth.Token("x"), base_url=github_contract, retry=None)
    yield client
    client.close()


def test_releases_and_tags(gh, http):
    repo = http.call("get a repo", lambda: gh.get_repo(REPO), r"^/repos/octo/paretobot$")
    assert repo.full_name
    # get_page(0) reads one page: the examples' `Link: rel="next"` is not followed here.
    releases = http.call("list releases", lambda: repo.get_releases().get_page(0), r"/releases$")
    assert releases and releases[0].tag_name
    latest = http.call("latest release", repo.get_latest_release, r"/releases/latest$")
    assert latest.tag_name
    tags = http.call("list tags", lambda: repo.get_tags().get_page(0), r"/tags$")
    assert tags and tags[0].name


def test_pull_requests(gh, http):
    repo = gh.get_repo(REPO)
    pulls = http.call(
        "list pulls",
        lambda: repo.get_pulls(state="closed", sort="updated", direction="desc").get_page(0),
        r"/pulls\?(?=.*state=closed)(?=.*sort=updated)(?=.*direction=desc)",
    )
    assert pulls
    pull = http.call("get a pull", lambda: repo.get_pull(1347), r"/pulls/\d+$")
    assert pull.number
    files = http.call("pull files", lambda: pull.get_files().get_page(0), r"/pulls/\d+/files$")
    assert files and files[0].filename


def test_commits_and_compare(gh, http):
    repo = gh.get_repo(REPO)
    since = datetime(2026, 1, 1, tzinfo=UTC)
    commits = http.call(
        "list commits since",
        lambda: repo.get_commits(since=since).get_page(0),
        r"/commits\?since=2026-01-01T00%3A00%3A00Z$",
    )
    assert commits and commits[0].sha
    commit = http.call("get a commit", lambda: repo.get_commit(commits[0].sha), r"/commits/\w+")
    assert commit.files is not None
    comparison = http.call(
        "compare two refs", lambda: repo.compare("v0.31.0", "main"), r"/compare/v0.31.0...main"
    )
    assert comparison.status


def test_workflows_dispatch_and_runs(gh, http):
    repo = gh.get_repo(REPO)
    workflows = http.call(
        "list workflows", lambda: repo.get_workflows().get_page(0), r"/actions/workflows$"
    )
    assert workflows
    workflow = http.call(
        "get workflow by file name",
        lambda: repo.get_workflow("benchmark.yml"),
        r"/actions/workflows/benchmark\.yml$",
    )
    inputs = {"jobs": JOBS, "key": "abc"}
    # throw=True: without it PyGithub returns False on an error instead of raising.
    assert http.call(
        "workflow dispatch",
        lambda: workflow.create_dispatch("main", inputs, throw=True),
        r"/actions/workflows/[^/]+/dispatches$",
    )
    assert json.loads(http.exchanges[-1].body) == {"ref": "main", "inputs": inputs}
    run = http.call(
        "workflow dispatch returning the run",
        lambda: workflow.create_dispatch("main", inputs, throw=True, return_run_details=True),
        r"/dispatches$",
    )
    assert run.id and urlsplit(run.url).hostname == "127.0.0.1"
    runs = http.call(
        "list workflow runs",
        lambda: workflow.get_runs().get_page(0),
        r"/actions/workflows/.+/runs$",
    )
    assert runs and runs[0].id
    http.call(
        "list dispatched runs on main",
        lambda: workflow.get_runs(branch="main", event="workflow_dispatch").get_page(0),
        r"/runs\?(?=.*branch=main)(?=.*event=workflow_dispatch)",
    )


def test_issue_comments(gh, http):
    repo = gh.get_repo(REPO)
    issue = http.call("get an issue", lambda: repo.get_issue(7), r"/issues/7$")
    assert issue.number
    comment = http.call(
        "create a comment",
        lambda: issue.create_comment("frontier report"),
        r"/issues/\d+/comments$",
    )
    assert json.loads(http.exchanges[-1].body) == {"body": "frontier report"}
    http.call("edit a comment", lambda: comment.edit("updated report"), r"/issues/comments/\d+$")
    assert json.loads(http.exchanges[-1].body) == {"body": "updated report"}
    # a concurrent publisher's duplicate is deleted; the author check asks who the bot is
    http.call("delete a comment", comment.delete, r"/issues/comments/\d+$")
    assert http.exchanges[-1].method == "DELETE"
    user = http.call("the authenticated account", lambda: gh.get_user().login, r"^/user$")
    assert user


def test_pagination_links_stay_local(gh, http):
    """The examples' `Link: rel="next"` now points at the mock; following it must not leave it.

    The example URL is a placeholder path (/resource?page=2) that the description does not define,
    so the mock answers it with 404: what matters is where the request went.
    """
    repo = gh.get_repo(REPO)
    first = repo.get_releases()
    with pytest.raises(github.GithubException) as excinfo:
        list(first)  # all pages: follows rel="next"
    assert excinfo.value.status == 404
    followed = [ex for ex in http.exchanges if "page=2" in ex.url]
    assert followed, [ex.url for ex in http.exchanges]
    assert all(urlsplit(ex.url).hostname == "127.0.0.1" for ex in http.exchanges)
    assert not http.refused


@pytest.mark.parametrize(
    ("method", "path", "body", "where"),
    [
        pytest.param(
            "POST",
            "/repos/octo/paretobot/actions/workflows/benchmark.yml/dispatches",
            {"inputs": {"key": "abc"}},
            "ref",
            id="dispatch-without-ref",
        ),
        pytest.param(
            "POST", "/repos/octo/paretobot/issues/7/comments", {"text": "x"}, "body", id="no-body"
        ),
        pytest.param(
            "GET", "/repos/octo/paretobot/pulls?state=merged", None, "state", id="bad-enum"
        ),
        pytest.param(
            "GET", "/repos/octo/paretobot/commits?since=yesterday", None, "since", id="bad-date"
        ),
    ],
)
def test_prism_rejects_requests_that_break_the_description(
    github_contract, method, path, body, where
):
    """Proof that Prism validates: requests that break the description are refused."""
    response = requests.request(method, github_contract + path, json=body, timeout=30)
    assert response.status_code in (400, 422), (response.status_code, response.text[:500])
    violations = [v for v in violations_of(response) if v["location"][:1] != ["response"]]
    assert any(where in v["message"] or where in v["location"] for v in violations), violations


def test_webhook_examples(webhook_examples):
    """The payloads of the events the bot reacts to are there, as parsed dicts."""
    for event in ("release", "pull_request", "push", "workflow_run", "workflow_dispatch"):
        payloads = webhook_examples.get(event)
        assert payloads, f"no examples for {event}"
        assert all(isinstance(p, dict) and "repository" in p for p in payloads), event
    published = [p for p in webhook_examples["release"] if p.get("action") == "published"]
    assert published and published[0]["release"]["tag_name"]


# ---- the bot's own calls (bot/github/api.py), not just PyGithub's --------------------------


@pytest.fixture
def bot_gh(github_contract):
    from bot.github import api as gh_api

    client = gh_api.connect(gh_api.Settings(api_url=github_contract, token="x", retries=0))
    yield client
    client.close()


def _bot(fn):
    """Run a bot call, turning its GitHubError into what Recorder.call reports."""
    from bot.github.api import GitHubError

    def run():
        try:
            result = fn()
            return list(result) if not isinstance(result, (set, type(None))) else result
        except GitHubError as exc:
            raise github.GithubException(0, str(exc)) from exc

    return run


def test_the_bots_own_requests_match_githubs_description(bot_gh, http):
    from bot.github import api as gh_api

    late = datetime(2100, 1, 1, tzinfo=UTC)  # stop after the first page's first item
    http.call("bot: releases", _bot(lambda: gh_api.releases(bot_gh, REPO, late)), r"/releases")
    http.call(
        "bot: merged pulls", _bot(lambda: gh_api.merged_pulls(bot_gh, REPO, late)), r"/pulls\?"
    )
    files = http.call(
        "bot: pull files",
        _bot(lambda: gh_api.pull_files(bot_gh, REPO, 1347, most=1)),
        r"/pulls/1347/files",
    )
    assert files and all(isinstance(f, str) for f in files)
    http.call(
        "bot: tags",
        _bot(lambda: gh_api.tags(bot_gh, REPO, ("v*",), known=set(), most=1)),
        r"/tags",
    )
    inputs = {"jobs": "[]", "key": "k1", "upstream": "vllm-project/vllm", "event": "pull:1"}
    http.call(
        "bot: dispatch",
        _bot(lambda: gh_api.dispatch(bot_gh, REPO, "benchmark.yml", "main", inputs)),
        r"/actions/workflows/.+/dispatches$",
    )
    sent = [ex for ex in http.exchanges if ex.target.endswith("/dispatches")]
    assert json.loads(sent[-1].body) == {"ref": "main", "inputs": inputs}
    titles = http.call(
        "bot: run titles",
        _bot(lambda: gh_api.run_titles(bot_gh, REPO, "benchmark.yml", most=1)),
        r"/runs\?.*event=workflow_dispatch",
    )
    assert isinstance(titles, set)


def test_webhook_examples_become_upstream_events(webhook_examples):
    """Every real example payload of the events the bot reads parses, or is rightly no event."""
    from bot.github.events import event_from_payload

    for payload in webhook_examples["release"]:
        event = event_from_payload("release", payload)
        wanted = payload["action"] in ("published", "released") and not payload["release"]["draft"]
        assert (event is not None) == wanted, payload["action"]
        if event:
            assert event.kind == "release" and event.name == payload["release"]["tag_name"]
            assert event.upstream == payload["repository"]["full_name"]
    for payload in webhook_examples["pull_request"]:  # none of GitHub's examples is a merge
        assert event_from_payload("pull_request", payload) is None, payload["action"]
    closed = next(p for p in webhook_examples["pull_request"] if p["action"] == "closed")
    merged = json.loads(json.dumps(closed))  # the same payload, as GitHub sends it on a merge
    merged["pull_request"] |= {"merged": True, "merged_at": "2026-11-27T04:00:00Z"}
    event = event_from_payload("pull_request", merged)
    assert event is not None and event.kind == "pull"
    assert event.name == str(closed["pull_request"]["number"])
    assert event.ref == closed["pull_request"]["merge_commit_sha"]
    assert event.labels == tuple(label["name"] for label in closed["pull_request"]["labels"])
    for payload in webhook_examples["push"]:
        event = event_from_payload("push", payload)
        is_tag = payload["ref"].startswith("refs/tags/") and not payload["deleted"]
        assert (event is not None) == is_tag
    for payload in webhook_examples["workflow_run"]:
        assert event_from_payload("workflow_run", payload) is None  # not an upstream change


def test_truncated_and_hostile_webhook_payloads(webhook_examples, tmp_path):
    from bot.github.events import EventError, event_from_payload, read_event_file

    merged = next(p for p in webhook_examples["pull_request"] if p["action"] == "closed")
    merged = json.loads(json.dumps(merged))
    merged["pull_request"] |= {"merged": True, "merged_at": "2026-11-27T04:00:00Z"}
    text = json.dumps(merged)
    path = tmp_path / "event.json"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(EventError, match="cannot read the event payload"):
        read_event_file(path, "pull_request")
    broken = json.loads(text)
    broken["pull_request"]["merged_at"] = "yesterday; rm -rf /"
    with pytest.raises(EventError, match=r"pull_request\.merged_at is not a time"):
        event_from_payload("pull_request", broken)
    del broken["repository"]
    with pytest.raises(EventError, match=r"no repository\.full_name"):
        event_from_payload("pull_request", broken)
    with pytest.raises(EventError, match="not a JSON object"):
        event_from_payload("release", ["a", "list"])
    hostile = json.loads(text)
    hostile["pull_request"]["title"] = "$(curl evil) `rm -rf` @everyone <script>"
    event = event_from_payload("pull_request", hostile)
    assert event is not None and event.title == hostile["pull_request"]["title"]  # data, kept as is
