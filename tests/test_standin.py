"""The GitHub stand-in, driven through PyGithub (as the bot drives GitHub) and raw HTTP."""

# pytest_plugins goes first, before the imports:
# ruff: noqa: E402
pytest_plugins = ["standin.plugin"]

import json
import os
import time
from datetime import UTC
from pathlib import Path

import github
import pytest
import requests
from standin import GitHubStandIn

REPO = "vllm-project/vllm"
SHAS = [str(i) * 40 for i in range(1, 6)]  # a linear history: SHAS[0] <- ... <- SHAS[4]


def client(standin, token="t", base_url=None, **kwargs):
    # PyGithub throttles itself by default (0.25 s between requests, 1 s between writes)
    kwargs.setdefault("seconds_between_requests", None)
    kwargs.setdefault("seconds_between_writes", None)
    auth = github.Auth.Token(token)
    return github.Github(auth=auth, base_url=base_url or standin.url, **kwargs)


@pytest.fixture
def gh(github_standin):
    github_standin.add_repo(REPO)
    return client(github_standin)


def seed_history(standin):
    for i, sha in enumerate(SHAS):
        files = ["vllm/engine.py", (f"docs/page{i}.md", 10, i)]
        standin.add_commit(REPO, sha, f"commit {i}", f"2024-03-0{i + 1}T12:00:00Z", files=files)


def paths(standin, method="GET"):
    return [p for m, p, _ in standin.requests if m == method]


# ---- reading ------------------------------------------------------------------------------


def test_pulls_are_listed_across_pages_like_github(github_standin, gh):
    for n in range(1, 76):
        merged = f"2024-02-{n % 28 + 1:02d}T00:00:00Z" if n % 3 == 0 else None
        github_standin.add_pull(REPO, n, f"PR {n}", merged_at=merged)

    pulls = list(gh.get_repo(REPO).get_pulls(state="all"))

    assert [p.number for p in pulls] == list(range(75, 0, -1))  # created, newest first
    pages = [p for p in paths(github_standin) if "/pulls" in p]
    assert len(pages) == 3 and "page=2" in pages[1] and "page=3" in pages[2]
    closed = gh.get_repo(REPO).get_pulls(state="closed", sort="updated", direction="asc")
    assert [p.number for p in closed] == sorted(
        (n for n in range(3, 76, 3)), key=lambda n: (n % 28, n)
    )
    assert gh.get_repo(REPO).get_pulls().totalCount == 50  # the open ones


def test_link_header_and_per_page_limits(github_standin):
    github_standin.add_repo(REPO)
    for n in range(1, 76):
        github_standin.add_pull(REPO, n, f"PR {n}")
    url = f"{github_standin.url}/repos/{REPO}/pulls"

    first = requests.get(url, timeout=5)
    middle = requests.get(url, params={"page": 2, "per_page": 30}, timeout=5)
    capped = requests.get(url, params={"per_page": 500}, timeout=5)

    assert len(first.json()) == 30 and len(middle.json()) == 30
    assert first.links["next"]["url"] == f"{url}?page=2"
    assert first.links["last"]["url"] == f"{url}?page=3"
    assert set(middle.links) == {"prev", "next", "last", "first"}
    assert middle.links["prev"]["url"] == f"{url}?per_page=30&page=1"
    assert len(capped.json()) == 75 and "Link" not in capped.headers  # max 100 a page
    for header in ("Limit", "Remaining", "Reset", "Used", "Resource"):
        assert f"X-RateLimit-{header}" in first.headers
    assert int(middle.headers["X-RateLimit-Used"]) == int(first.headers["X-RateLimit-Used"]) + 1


def test_releases_and_tags(github_standin, gh):
    for n in range(1, 36):
        day = f"2024-01-{n % 28 + 1:02d}T{n % 24:02d}:00:00Z"
        github_standin.add_release(REPO, f"v0.{n}.0", day, prerelease=n == 34)
        github_standin.add_tag(REPO, f"v0.{n}.0", f"{n:040x}")
    repo = gh.get_repo(REPO)

    releases = list(repo.get_releases())
    tags = list(repo.get_tags())

    assert len(releases) == 35 and len(tags) == 35
    published = [r.published_at for r in releases]
    assert published == sorted(published, reverse=True)
    latest = repo.get_latest_release()
    newest_stable = max((r for r in releases if not r.prerelease), key=lambda r: r.published_at)
    assert latest.tag_name == newest_stable.tag_name
    assert repo.get_release("v0.7.0").name == "v0.7.0"
    assert {t.name: t.commit.sha for t in tags}["v0.7.0"] == f"{7:040x}"
    with pytest.raises(github.UnknownObjectException):
        repo.get_release("v9.9.9")


def test_pull_files_labels_and_issue_view(github_standin, gh):
    files = [("vllm/attention.py", 40, 2), "README.md"] + [f"f{i}.py" for i in range(40)]
    github_standin.add_pull(
        REPO,
        7,
        "Faster attention",
        labels=["performance", "ready"],
        files=files,
        user="alice",
        merged_at="2024-05-01T10:00:00Z",
        merge_commit_sha=SHAS[0],
    )
    pull = gh.get_repo(REPO).get_pull(7)

    got = list(pull.get_files())  # two pages of 30

    assert [lbl.name for lbl in pull.labels] == ["performance", "ready"]
    assert pull.merged and pull.state == "closed" and pull.user.login == "alice"
    assert pull.merged_at.isoformat() == "2024-05-01T10:00:00+00:00"
    assert (got[0].filename, got[0].additions, got[0].deletions) == ("vllm/attention.py", 40, 2)
    assert len(got) == 42 and pull.changed_files == 42
    assert gh.get_repo(REPO).get_issue(7).pull_request is not None


def test_commits_and_commit_pulls(github_standin, gh):
    seed_history(github_standin)
    github_standin.add_pull(
        REPO, 9, "Docs", merged_at="2024-03-03T12:00:00Z", merge_commit_sha=SHAS[2]
    )
    repo = gh.get_repo(REPO)

    everything = [c.sha for c in repo.get_commits()]
    window = [c.sha for c in repo.get_commits(since=_dt("2024-03-02"), until=_dt("2024-03-04"))]
    from_middle = [c.sha for c in repo.get_commits(sha=SHAS[2])]
    touching = [c.sha for c in repo.get_commits(path="docs/page3.md")]
    commit = repo.get_commit(SHAS[3][:10])

    assert everything == SHAS[::-1]
    assert window == [SHAS[2], SHAS[1]]
    assert from_middle == [SHAS[2], SHAS[1], SHAS[0]]
    assert touching == [SHAS[3]]
    assert commit.sha == SHAS[3] and commit.commit.message == "commit 3"
    assert [p.sha for p in commit.parents] == [SHAS[2]]
    assert commit.stats.additions == 11 and commit.stats.deletions == 3
    assert [f.filename for f in commit.files] == ["vllm/engine.py", "docs/page3.md"]
    assert [p.number for p in repo.get_commit(SHAS[2]).get_pulls()] == [9]
    with pytest.raises(github.GithubException) as err:
        repo.get_commit("f" * 40)
    assert err.value.status == 422


def _dt(day):
    from datetime import datetime

    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def test_compare(github_standin, gh):
    seed_history(github_standin)
    github_standin.add_tag(REPO, "v0.1.0", SHAS[1])

    cmp = gh.get_repo(REPO).compare("v0.1.0", "main")
    back = gh.get_repo(REPO).compare(SHAS[4], SHAS[1])

    assert cmp.ahead_by == 3 and cmp.behind_by == 0 and cmp.status == "ahead"
    assert [c.sha for c in cmp.commits] == SHAS[2:]  # oldest first
    assert cmp.total_commits == 3
    by_name = {f.filename: f for f in cmp.files}
    assert set(by_name) == {"vllm/engine.py", "docs/page2.md", "docs/page3.md", "docs/page4.md"}
    assert by_name["vllm/engine.py"].additions == 3
    assert cmp.merge_base_commit.sha == SHAS[1]
    assert back.status == "behind" and back.ahead_by == 0 and back.behind_by == 3


# ---- writing ------------------------------------------------------------------------------


def test_issue_comment_create_and_edit(github_standin, gh):
    github_standin.add_issue(REPO, 12, "Nightly regressions")
    issue = gh.get_repo(REPO).get_issue(12)

    posted = issue.create_comment("first draft")
    posted.edit("final text")

    stored = github_standin.comments(REPO, 12)
    assert [c["body"] for c in stored] == ["final text"]
    assert stored[0]["id"] == posted.id and stored[0]["user"]["login"] == "paretobot"
    assert [c.body for c in issue.get_comments()] == ["final text"]
    assert posted.html_url.startswith(github_standin.url)
    assert gh.get_repo(REPO).get_issue(12).comments == 1


def test_workflow_dispatch_records_and_creates_run(github_standin, gh):
    github_standin.add_workflow(REPO, run_name=lambda inputs: f"bench [{inputs['key']}]")
    workflow = gh.get_repo(REPO).get_workflow("benchmark.yml")

    ok = workflow.create_dispatch("main", {"jobs": "[]", "key": "abc"})

    assert ok is True
    [sent] = github_standin.dispatches(REPO)
    assert sent["ref"] == "main" and sent["inputs"] == {"jobs": "[]", "key": "abc"}
    assert sent["workflow"] == workflow.id and sent["at"].endswith("Z")
    [run] = list(workflow.get_runs())
    assert "abc" in run.display_title and run.status == "queued"
    assert run.event == "workflow_dispatch" and run.head_branch == "main"
    assert gh.get_repo(REPO).get_workflow_runs().totalCount == 1
    assert ("POST", f"/repos/{REPO}/actions/workflows/{workflow.id}/dispatches", 204) in (
        github_standin.requests
    )


def test_run_name_format_string_and_run_filters(github_standin, gh):
    github_standin.add_workflow(REPO, run_name="benchmark {key}")
    workflow = gh.get_repo(REPO).get_workflow("benchmark.yml")
    for key in ("k1", "k2", "k3"):
        workflow.create_dispatch("main", {"key": key})
    first = github_standin.runs(REPO)[0]["id"]
    github_standin.update_run(REPO, first, status="completed", conclusion="success")

    titles = [r.display_title for r in workflow.get_runs()]
    done = [r.display_title for r in workflow.get_runs(status="completed")]

    assert titles == ["benchmark k3", "benchmark k2", "benchmark k1"]  # newest first
    assert done == ["benchmark k1"]


def test_bad_dispatch_body_is_422_and_changes_nothing(github_standin, gh):
    github_standin.add_workflow(REPO)
    url = f"{github_standin.url}/repos/{REPO}/actions/workflows/benchmark.yml/dispatches"

    no_ref = requests.post(url, json={"inputs": {}}, timeout=5)
    not_strings = requests.post(url, json={"ref": "main", "inputs": {"jobs": [1]}}, timeout=5)
    bad_ref = requests.post(url, json={"ref": "no-such-branch"}, timeout=5)

    assert no_ref.status_code == not_strings.status_code == bad_ref.status_code == 422
    assert "ref" in no_ref.json()["message"] and "documentation_url" in no_ref.json()
    assert "not a string" in not_strings.json()["message"]
    workflow = gh.get_repo(REPO).get_workflow("benchmark.yml")
    with pytest.raises(github.GithubException) as err:
        workflow.create_dispatch("main", {"n": 5}, throw=True)
    assert err.value.status == 422
    assert workflow.create_dispatch("main", {"n": 5}) is False
    assert github_standin.dispatches(REPO) == [] and github_standin.runs(REPO) == []


def test_undeclared_dispatch_inputs_are_422(github_standin, gh):
    github_standin.add_workflow(REPO, inputs=["jobs", "key"])
    workflow = gh.get_repo(REPO).get_workflow("benchmark.yml")

    assert workflow.create_dispatch("main", {"jobs": "[]", "extra": "x"}) is False
    assert workflow.create_dispatch("main", {"jobs": "[]"}) is True
    assert [d["inputs"] for d in github_standin.dispatches(REPO)] == [{"jobs": "[]"}]


# ---- errors -------------------------------------------------------------------------------


def test_unknown_path_and_repo_are_404(github_standin, gh):
    reply = requests.get(f"{github_standin.url}/repos/{REPO}/no/such/thing", timeout=5)

    assert reply.status_code == 404
    assert reply.json()["message"] == "Not Found" and "documentation_url" in reply.json()
    with pytest.raises(github.UnknownObjectException):
        gh.get_repo("nobody/nothing")


def test_bad_token_is_401():
    with GitHubStandIn(token="right") as standin:
        standin.add_repo(REPO)
        wrong = client(standin, token="wrong", retry=None)
        right = client(standin, token="right")

        with pytest.raises(github.BadCredentialsException) as err:
            wrong.get_repo(REPO)
        assert err.value.status == 401 and err.value.data["message"] == "Bad credentials"
        assert right.get_repo(REPO).full_name == REPO
        assert right.get_user().login == "paretobot"
        anonymous = requests.get(f"{standin.url}/repos/{REPO}", timeout=5)
        assert anonymous.status_code == 401
        assert anonymous.json()["message"] == "Requires authentication"
        assert all(len(entry) == 3 and "right" not in str(entry) for entry in standin.requests)


def test_stand_in_bug_is_a_500_and_is_kept(monkeypatch):
    import standin.shapes

    def broken(*args):
        raise KeyError("oops")

    monkeypatch.setattr(standin.shapes, "repository", broken)
    with GitHubStandIn() as server:
        server.add_repo(REPO)
        reply = requests.get(f"{server.url}/repos/{REPO}", timeout=5)
        assert reply.status_code == 500 and "oops" in reply.json()["message"]
        assert len(server.errors) == 1 and "KeyError" in server.errors[0]


def test_api_v3_prefix_is_kept_in_urls(github_standin):
    github_standin.add_repo(REPO)
    for n in range(1, 41):
        github_standin.add_pull(REPO, n, f"PR {n}")
    gh = client(github_standin, base_url=github_standin.url + "/api/v3")

    assert len(list(gh.get_repo(REPO).get_pulls())) == 40
    assert all(p.startswith("/api/v3/") for p in paths(github_standin))


# ---- fault injection ----------------------------------------------------------------------


def test_fail_next_500_then_success(github_standin):
    github_standin.add_repo(REPO)
    url = f"{github_standin.url}/repos/{REPO}"
    github_standin.fail_next("500")

    assert requests.get(url, timeout=5).status_code == 500
    assert requests.get(url, timeout=5).status_code == 200
    assert github_standin.fault_count == 1
    assert [s for _, _, s in github_standin.requests] == [500, 200]


def test_drop_closes_connection_without_response(github_standin):
    github_standin.add_repo(REPO)
    github_standin.fail_next("drop")

    with pytest.raises(requests.ConnectionError):
        requests.get(f"{github_standin.url}/repos/{REPO}", timeout=5)
    assert github_standin.requests == [("GET", f"/repos/{REPO}", None)]


def test_429_and_secondary_rate_limit_carry_retry_after(github_standin):
    github_standin.add_repo(REPO)
    github_standin.fail_next("429")
    github_standin.fail_next("403-secondary")
    url = f"{github_standin.url}/repos/{REPO}"

    too_many = requests.get(url, timeout=5)
    secondary = requests.get(url, timeout=5)

    assert too_many.status_code == 429 and too_many.headers["Retry-After"] == "1"
    assert secondary.status_code == 403 and secondary.headers["Retry-After"] == "1"
    assert secondary.json()["message"].startswith("You have exceeded a secondary rate limit")


def test_slow_stalls_past_client_timeout(github_standin):
    github_standin.add_repo(REPO)
    github_standin.slow_seconds = 0.5
    github_standin.fail_next("slow")

    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        requests.get(f"{github_standin.url}/repos/{REPO}", timeout=0.1)
    assert time.monotonic() - started < 0.5
    assert requests.get(f"{github_standin.url}/repos/{REPO}", timeout=5).status_code == 200


def test_failed_write_does_not_change_state(github_standin):
    github_standin.add_repo(REPO)
    github_standin.add_issue(REPO, 1, "tracking")
    url = f"{github_standin.url}/repos/{REPO}/issues/1/comments"
    github_standin.fail_next("503")

    assert requests.post(url, json={"body": "hello"}, timeout=5).status_code == 503
    assert github_standin.comments(REPO, 1) == []
    assert requests.post(url, json={"body": "hello"}, timeout=5).status_code == 201
    assert len(github_standin.comments(REPO, 1)) == 1


def test_random_faults_are_seeded_and_method_filtered():
    def statuses(seed, methods=None):
        with GitHubStandIn() as standin:
            standin.add_repo(REPO)
            standin.faults(rate=0.5, kinds=("500", "502"), seed=seed, methods=methods)
            url = f"{standin.url}/repos/{REPO}"
            with requests.Session() as session:
                got = [session.get(url, timeout=5).status_code for _ in range(20)]
            return got, standin.fault_count

    first, count = statuses(seed=3)
    again, _ = statuses(seed=3)
    untouched, none = statuses(seed=3, methods=["POST"])

    assert first == again and 3 < count < 17
    assert count == sum(s != 200 for s in first) and set(first) <= {200, 500, 502}
    assert untouched == [200] * 20 and none == 0


def test_pygithub_retry_recovers_from_500_429_and_drop(github_standin):
    github_standin.add_repo(REPO)
    retry = github.GithubRetry(total=3, backoff_factor=0.01, status_forcelist=[500, 502, 503, 504])
    gh = client(github_standin, retry=retry)

    github_standin.fail_next("500")
    assert gh.get_repo(REPO).full_name == REPO
    github_standin.fail_next("drop")
    assert gh.get_repo(REPO).full_name == REPO
    github_standin.fail_next("429")  # retried since urllib3 honours Retry-After on 429
    started = time.monotonic()
    assert gh.get_repo(REPO).full_name == REPO
    assert time.monotonic() - started >= 0.9  # waited out Retry-After: 1

    assert [s for _, _, s in github_standin.requests] == [500, 200, None, 200, 429, 200]


def test_pygithub_default_retry_recovers_from_secondary_rate_limit(github_standin):
    github_standin.add_repo(REPO)
    github_standin.retry_after = 0  # GithubRetry sleeps Retry-After, not secondary_rate_wait
    gh = client(github_standin)  # default retry=GithubRetry()
    github_standin.fail_next("403-secondary")
    github_standin.fail_next("502")

    assert gh.get_repo(REPO).full_name == REPO
    assert [s for _, _, s in github_standin.requests] == [403, 502, 200]


def test_pygithub_without_retry_sees_the_fault(github_standin):
    github_standin.add_repo(REPO)
    gh = client(github_standin, retry=None)
    github_standin.fail_next("500")

    with pytest.raises(github.GithubException) as err:
        gh.get_repo(REPO)
    assert err.value.status == 500
    assert gh.get_repo(REPO).full_name == REPO


def test_pygithub_retries_a_timed_out_dispatch_so_it_runs_twice(github_standin):
    """GithubRetry allows POST, and a "slow" reply is still handled after the client gave up:
    the bot must find earlier dispatches by their key rather than trust one POST = one run."""
    github_standin.add_repo(REPO)
    github_standin.add_workflow(REPO, run_name="bench {key}")
    gh = client(github_standin, timeout=1)  # PyGithub wants an int; default retry=GithubRetry()
    workflow = gh.get_repo(REPO).get_workflow("benchmark.yml")
    github_standin.slow_seconds = 1.1
    github_standin.fail_next("slow")

    assert workflow.create_dispatch("main", {"key": "abc"}) is True
    time.sleep(0.2)  # let the stalled first POST finish on the server

    assert [r["display_title"] for r in github_standin.runs(REPO)] == ["bench abc"] * 2


# ---- GitHub's published response schemas ----------------------------------------------------


def openapi_description():
    """api.github.com's OpenAPI description from @octokit/openapi, where
    scripts/setup_contract_tools.sh installs it; the test skips without it."""
    node = os.environ.get("PARETOBOT_NODE_DIR") or Path.home() / ".cache" / "paretobot" / "node"
    path = Path(node) / "node_modules/@octokit/openapi/generated/api.github.com.json"
    if not path.is_file():
        pytest.skip(f"{path} not found (scripts/setup_contract_tools.sh installs it)")
    return json.loads(path.read_text())


def as_json_schema(node, in_properties=False):
    """OpenAPI 3.0 schema -> JSON Schema: `nullable: true` becomes "or null"."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: as_json_schema(v, in_properties=k == "properties") for k, v in node.items()}
    if not in_properties and out.pop("nullable", False) is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


def test_responses_match_githubs_published_schemas(github_standin):
    jsonschema = pytest.importorskip("jsonschema")
    spec = openapi_description()
    components = {"components": {"schemas": as_json_schema(spec["components"]["schemas"])}}
    standin = github_standin
    standin.add_repo(REPO)
    seed_history(standin)
    standin.add_tag(REPO, "v1", SHAS[0])
    standin.add_release(REPO, "v1", "2024-03-01T00:00:00Z", body="notes")
    standin.add_pull(REPO, 5, "PR", labels=["perf"], files=["a.py"], merge_commit_sha=SHAS[1])
    standin.add_pull(REPO, 6, "open PR")
    standin.add_issue(REPO, 7, "issue")
    standin.add_workflow(REPO, run_name="bench {key}")
    url = standin.url
    workflow = f"{url}/repos/{REPO}/actions/workflows/benchmark.yml"
    assert requests.post(f"{workflow}/dispatches", json={"ref": "main"}, timeout=5).ok
    posted = requests.post(f"{url}/repos/{REPO}/issues/7/comments", json={"body": "x"}, timeout=5)
    repo = "/repos/{owner}/{repo}"
    cases = [
        ("/user", "/user", "get", 200),
        ("/rate_limit", "/rate_limit", "get", 200),
        (repo, f"/repos/{REPO}", "get", 200),
        (repo, "/repos/no/such", "get", 404),
        (f"{repo}/releases", f"/repos/{REPO}/releases", "get", 200),
        (f"{repo}/releases/latest", f"/repos/{REPO}/releases/latest", "get", 200),
        (f"{repo}/releases/tags/{{tag}}", f"/repos/{REPO}/releases/tags/v1", "get", 200),
        (f"{repo}/tags", f"/repos/{REPO}/tags", "get", 200),
        (f"{repo}/pulls", f"/repos/{REPO}/pulls?state=all", "get", 200),
        (f"{repo}/pulls/{{pull_number}}", f"/repos/{REPO}/pulls/5", "get", 200),
        (f"{repo}/pulls/{{pull_number}}/files", f"/repos/{REPO}/pulls/5/files", "get", 200),
        (f"{repo}/commits", f"/repos/{REPO}/commits?path=vllm", "get", 200),
        (f"{repo}/commits/{{ref}}", f"/repos/{REPO}/commits/{SHAS[2]}", "get", 200),
        (f"{repo}/commits/{{ref}}", f"/repos/{REPO}/commits/{'f' * 40}", "get", 422),
        (
            f"{repo}/commits/{{commit_sha}}/pulls",
            f"/repos/{REPO}/commits/{SHAS[1]}/pulls",
            "get",
            200,
        ),
        (f"{repo}/compare/{{basehead}}", f"/repos/{REPO}/compare/v1...main", "get", 200),
        (f"{repo}/issues/{{issue_number}}", f"/repos/{REPO}/issues/7", "get", 200),
        (f"{repo}/issues/{{issue_number}}", f"/repos/{REPO}/issues/5", "get", 200),
        (
            f"{repo}/issues/{{issue_number}}/comments",
            f"/repos/{REPO}/issues/7/comments",
            "get",
            200,
        ),
        (
            f"{repo}/issues/comments/{{comment_id}}",
            f"/repos/{REPO}/issues/comments/{posted.json()['id']}",
            "get",
            200,
        ),
        (f"{repo}/actions/workflows", f"/repos/{REPO}/actions/workflows", "get", 200),
        (f"{repo}/actions/workflows/{{workflow_id}}", workflow[len(url) :], "get", 200),
        (
            f"{repo}/actions/workflows/{{workflow_id}}/runs",
            f"{workflow[len(url) :]}/runs",
            "get",
            200,
        ),
        (f"{repo}/actions/runs", f"/repos/{REPO}/actions/runs", "get", 200),
    ]
    problems = []
    for template, path, method, status in cases:
        reply = requests.request(method, url + path, timeout=5)
        response = spec["paths"][template][method]["responses"][str(status)]
        if "$ref" in response:  # shared responses such as 404 not_found
            response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        schema = as_json_schema(response["content"]["application/json"]["schema"])
        validator = jsonschema.Draft202012Validator({**schema, **components})
        assert reply.status_code == status, path
        problems += [
            f"{path}: {e.json_path}: {e.message[:200]}" for e in validator.iter_errors(reply.json())
        ]
    assert posted.status_code == 201
    assert problems == []
