"""The GitHub Actions workflows are secure by construction, and the audits that say so can bite.

Four layers, all offline:
1. zizmor (static security audit) reports nothing on .github/workflows, in the regular and the
   pedantic persona, with ignore comments and ignore rules switched off;
2. check-jsonschema validates every workflow against GitHub's workflow schema;
3. the properties the project relies on are asserted directly on the parsed YAML (pins, empty
   top-level permissions, least job permissions, no fork code on self-hosted runners, no persisted
   credentials, no `${{ }}` in scripts, bash, no caches on self-hosted runners, Pages writes only
   in the job that deploys with actions/deploy-pages to the github-pages environment);
4. a deliberately bad workflow proves that zizmor and the checks of (3) report it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
BIN = Path(sys.executable).parent  # the tools come with the test extras, in the same venv

# A third-party action or reusable workflow: owner/repo[/path]@<full commit SHA> # vX.Y.Z
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
PINNED_LINE = re.compile(r"uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40}\s+#\s*v\d+\.\d+\.\d+\s*$")
LOCAL = ("./", "$/")  # this repository (the workspace-relative and the self-repository forms)
HOSTED = re.compile(r"^(ubuntu|windows|macos)-[\w.-]+$")  # GitHub-hosted runner images
PR_TRIGGERS = {"pull_request", "pull_request_target"}
FORBIDDEN_TRIGGERS = {"pull_request_target", "workflow_run"}
ALLOWED_PERMISSIONS = {"contents", "actions"}
# The writes a GitHub Pages deployment needs, held only by a job that deploys (see deploys_pages).
PAGES_PERMISSIONS = {("pages", "write"), ("id-token", "write")}
DEPLOY_PAGES = "actions/deploy-pages@"
UPLOAD_PAGES = "actions/upload-pages-artifact@"

BAD_WORKFLOW = """\
name: bad
on: pull_request_target
permissions: write-all
jobs:
  greet:
    runs-on: [self-hosted, mi355x]
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - uses: actions/cache@v4
        with:
          path: ~/.cache/pip
          key: pip
      - run: echo "${{ github.event.pull_request.title }}"
        shell: sh
"""

# Pages writes where they do not belong: a build job that runs code holding pages: write, a
# deploy job without the github-pages environment holding id-token: write, and a deploy job that
# also runs a script. Only `deploy` keeps the rules.
BAD_PAGES_WORKFLOW = """\
name: bad-pages
on: workflow_dispatch
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    permissions: {contents: read, pages: write}
    steps:
      - run: mkdir site && echo hi > site/index.html
        shell: bash
      - uses: actions/upload-pages-artifact@fc324d3547104276b827a68afc52ff2a11cc49c9 # v5.0.0
        with:
          path: site/
  sneaky:
    needs: build
    runs-on: ubuntu-latest
    timeout-minutes: 5
    permissions: {id-token: write}
    steps:
      - uses: actions/deploy-pages@cd2ce8fcbc39b97be8ca5fce6e763baed58fa128 # v5.0.0
  busy:
    needs: build
    runs-on: ubuntu-latest
    timeout-minutes: 5
    permissions: {pages: write, id-token: write}
    environment: github-pages
    steps:
      - run: echo a script with an OIDC token
        shell: bash
      - uses: actions/deploy-pages@cd2ce8fcbc39b97be8ca5fce6e763baed58fa128 # v5.0.0
  deploy:
    needs: build
    runs-on: ubuntu-latest
    timeout-minutes: 5
    permissions: {pages: write, id-token: write}
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: actions/deploy-pages@cd2ce8fcbc39b97be8ca5fce6e763baed58fa128 # v5.0.0
"""


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} not found next to {sys.executable}: pip install -e '.[test]'")
    return str(path)


def run_tool(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    # No token, config or ignore settings from the caller's environment reach the tools.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ZIZMOR_") and k not in {"GH_TOKEN", "GITHUB_TOKEN", "GH_HOST"}
    }
    env["NO_COLOR"] = "1"
    return subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def zizmor(repo: Path, persona: str = "regular") -> tuple[int, list[dict], str]:
    """zizmor's exit code, findings (JSON) and log on `repo`/.github/workflows. Offline; fails
    rather than skips a file it cannot parse; ignore comments and ignore rules do not count."""
    proc = run_tool(
        tool("zizmor"),
        "--offline",
        "--strict-collection",
        "--no-ignores",
        "--no-progress",
        "--persona",
        persona,
        "--format",
        "json",
        ".github/workflows",
        cwd=repo,
    )
    try:
        findings = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"zizmor gave no JSON (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.returncode, findings, proc.stderr


def describe(findings: list[dict]) -> str:
    lines = []
    for f in findings:
        where = f["locations"][0]
        path = next(iter(where["symbolic"]["key"].values()), {}).get("verbatim_path", "?")
        row = where["concrete"]["location"]["start_point"]["row"] + 1
        lines.append(f"{f['ident']} ({f['determinations']['severity']}) {path}:{row} {f['desc']}")
    return "\n".join(lines)


# ---- the structural checks -------------------------------------------------------------------


def load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict), f"{path.name}: not a mapping"
    return doc


def events(doc: dict) -> dict | str | list:
    return doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` key as True


def triggers(doc: dict) -> set[str]:
    on = events(doc)
    if isinstance(on, str):
        return {on}
    if isinstance(on, list):
        return set(on)
    return set(on or {})


def runner_labels(job: dict) -> list[str]:
    runs_on = job.get("runs-on")
    if runs_on is None:
        return []  # a job that calls a reusable workflow
    if isinstance(runs_on, dict):  # {group: ..., labels: ...}: a runner group is self-hosted
        labels = runs_on.get("labels", [])
        return ["self-hosted", *([labels] if isinstance(labels, str) else labels)]
    return [runs_on] if isinstance(runs_on, str) else list(runs_on)


def is_self_hosted(job: dict) -> bool:
    """Anything that is not plainly a GitHub-hosted image (an expression included) counts."""
    labels = runner_labels(job)
    return bool(labels) and not all(isinstance(x, str) and HOSTED.match(x) for x in labels)


def local_target(uses: str, workflows: Path) -> Path | None:
    for prefix in LOCAL:
        if uses.startswith(prefix):
            return workflows.parent.parent / uses[len(prefix) :]
    return None


def reaches_self_hosted(path: Path, seen: frozenset = frozenset()) -> bool:
    """Whether a workflow runs a job on a self-hosted runner, itself or through local calls."""
    if path in seen or not path.exists():
        return False
    for job in load(path).get("jobs", {}).values():
        if is_self_hosted(job):
            return True
        target = local_target(job.get("uses", ""), path.parent)
        if target and reaches_self_hosted(target, seen | {path}):
            return True
    return False


def requests_actions_read(path: Path) -> bool:
    return any(
        (job.get("permissions") or {}).get("actions") == "read"
        for job in load(path).get("jobs", {}).values()
    )


def grants_publish(path: Path) -> bool:
    """A called workflow whose only job writing issues is its `publish` job: its caller must
    grant that write (a called job gets no more than its caller's job holds, and GitHub checks
    every job when the run starts, so the publish job failed while the caller held read only)."""
    jobs = load(path).get("jobs", {})
    writers = [n for n, j in jobs.items() if (j.get("permissions") or {}).get("issues") == "write"]
    return writers == ["publish"]


def environment_name(job: dict) -> str | None:
    env = job.get("environment")
    return env.get("name") if isinstance(env, dict) else env


def deploys_pages(job: dict) -> bool:
    """A job that deploys to GitHub Pages: it uses actions/deploy-pages and declares the
    github-pages environment (whose protection rules then decide which branches may deploy)."""
    steps = job.get("steps") or []
    return environment_name(job) == "github-pages" and any(
        str(s.get("uses", "")).startswith(DEPLOY_PAGES) for s in steps
    )


def problems(path: Path) -> list[str]:
    """Every way a workflow breaks the project's rules (empty when it keeps them all)."""
    doc, text = load(path), path.read_text(encoding="utf-8")
    out: list[str] = []
    on = triggers(doc)
    if on & FORBIDDEN_TRIGGERS:
        out.append(f"forbidden trigger(s) {sorted(on & FORBIDDEN_TRIGGERS)}")
    if doc.get("permissions") != {}:
        out.append(f"top-level permissions are {doc.get('permissions')!r}, not {{}}")
    if on & PR_TRIGGERS and reaches_self_hosted(path):
        out.append("a pull_request* trigger in a workflow that reaches a self-hosted runner")
    default_shell = ((doc.get("defaults") or {}).get("run") or {}).get("shell")

    # Pins, checked on the text too: the version comment is not part of the parsed YAML.
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(r"\s*(?:-\s*)?uses:\s*(\S+)", line)
        if not match or match.group(1).startswith(LOCAL):
            continue
        if not PINNED.match(match.group(1)) or not PINNED_LINE.search(line):
            out.append(f"line {number}: not pinned to a full SHA with a # vX.Y.Z comment: {line}")

    for name, job in (doc.get("jobs") or {}).items():
        where = f"job {name}"
        perms = job.get("permissions")
        if not isinstance(perms, dict):
            out.append(f"{where}: permissions {perms!r} are not an explicit per-scope mapping")
            perms = {}
        for scope, level in perms.items():
            # the one write a job may hold: comments on this repository's tracking issue, in the
            # publishing job alone, which reads no benchmark output
            if (name, scope, level) == ("publish", "issues", "write"):
                continue
            target = local_target(job.get("uses", ""), path.parent)
            if (scope, level) == ("issues", "write") and target and grants_publish(target):
                continue
            # the Pages writes: in the job that deploys to the github-pages environment alone
            if (scope, level) in PAGES_PERMISSIONS:
                if not deploys_pages(job):
                    out.append(
                        f"{where}: permission {scope}: {level} outside a job that deploys with "
                        f"actions/deploy-pages to the github-pages environment"
                    )
                continue
            if scope not in ALLOWED_PERMISSIONS or level not in ("read", "none"):
                out.append(f"{where}: permission {scope}: {level} is more than read access")
        steps = job.get("steps") or []
        uses = job.get("uses", "")
        if set(perms.items()) & PAGES_PERMISSIONS and any(
            not str(s.get("uses", "")).startswith(DEPLOY_PAGES) for s in steps
        ):
            # no checkout, no script, no other action sees the Pages token or the OIDC token
            out.append(f"{where}: holds Pages writes but runs steps besides actions/deploy-pages")
        if perms.get("actions") == "read":
            # Only to read another run's artifacts, here or in the called workflow.
            reads_other_run = any(
                str(s.get("uses", "")).startswith("actions/download-artifact@")
                and "run-id" in (s.get("with") or {})
                for s in steps
            )
            target = local_target(uses, path.parent)
            if not reads_other_run and not (target and requests_actions_read(target)):
                out.append(f"{where}: actions: read without reading another run's artifacts")
        called = local_target(uses, path.parent) if uses else None
        if called:
            # GitHub's rule: a called job may hold no more than the calling job grants, checked
            # for every called job when the run starts (before any if:)
            rank = {"none": 0, "read": 1, "write": 2}
            for job_name, called_job in (load(called).get("jobs") or {}).items():
                for scope, level in (called_job.get("permissions") or {}).items():
                    if rank.get(level, 0) > rank.get(perms.get(scope, "none"), 0):
                        out.append(
                            f"{where}: {called.name} job {job_name} requests {scope}: {level}, "
                            f"which this job does not grant"
                        )
        if uses and not local_target(uses, path.parent) and not PINNED.match(uses):
            out.append(f"{where}: reusable workflow {uses} is not pinned to a full SHA")
        if "uses" not in job and "timeout-minutes" not in job:
            out.append(f"{where}: no timeout-minutes")
        for index, step in enumerate(steps):
            label = f"{where} step {step.get('name', index)!r}"
            action = str(step.get("uses", ""))
            inputs = step.get("with") or {}
            if (
                action.startswith("actions/checkout@")
                and inputs.get("persist-credentials") is not False
            ):
                out.append(f"{label}: checkout without persist-credentials: false")
            if "run" in step:
                if "${{" in str(step["run"]):
                    out.append(f"{label}: ${{{{ }}}} expression inside a run: script")
                if step.get("shell", default_shell) != "bash":
                    out.append(f"{label}: shell is not bash")
            if is_self_hosted(job) and (action.startswith("actions/cache") or "cache" in inputs):
                out.append(f"{label}: a cache on a self-hosted runner")
    return out


# ---- 1. zizmor -------------------------------------------------------------------------------


def test_there_are_workflows():
    names = {p.name for p in WORKFLOW_FILES}
    assert {"ci.yml", "watch.yml", "benchmark.yml", "analyze.yml", "digest.yml"} <= names


@pytest.mark.parametrize("persona", ["regular", "pedantic"])
def test_zizmor_reports_nothing(persona):
    code, findings, log = zizmor(ROOT, persona)
    # zizmor exits 0 with no findings, 1-2 on errors, 10-14 by the worst finding's severity.
    assert findings == [], describe(findings)
    assert code == 0, log
    # Every workflow was audited (--strict-collection already fails on one it cannot load).
    for path in WORKFLOW_FILES:
        assert f"completed .github/workflows/{path.name}" in log, f"{path.name} not audited:\n{log}"


# ---- 2. GitHub's workflow schema -------------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow_schema(path):
    proc = run_tool(tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok -- validation done" in proc.stdout


# ---- 3. the properties, directly -------------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow_keeps_the_rules(path):
    assert problems(path) == []


def test_self_hosted_runners_only_behind_workflow_dispatch():
    """Only benchmark.yml reaches the GPU runners, and only a person or token with write access
    can start it; no workflow with a pull_request* trigger calls anything that reaches them."""
    reaching = {p.name for p in WORKFLOW_FILES if reaches_self_hosted(p)}
    assert reaching == {"benchmark.yml"}
    assert triggers(load(WORKFLOWS / "benchmark.yml")) == {"workflow_dispatch"}
    for path in WORKFLOW_FILES:
        if triggers(load(path)) & PR_TRIGGERS:
            assert not reaches_self_hosted(path), path.name


def test_benchmark_contract():
    doc = load(WORKFLOWS / "benchmark.yml")
    assert doc["run-name"] == "benchmark ${{ inputs.key }}"
    inputs = events(doc)["workflow_dispatch"]["inputs"]
    assert {"jobs", "key", "upstream", "event"} <= set(inputs)
    bench = doc["jobs"]["bench"]
    assert bench["strategy"] == {
        "fail-fast": False,
        "matrix": {"job": "${{ fromJSON(inputs.jobs) }}"},
    }
    assert bench["runs-on"] == ["self-hosted", "${{ matrix.job.runner }}"]
    steps = {s.get("name"): s for s in bench["steps"]}
    job_file = steps["Write the job file and name the artifact"]
    assert job_file["env"]["JOB"] == "${{ toJSON(matrix.job) }}"
    assert "GITHUB_OUTPUT" in job_file["run"]
    upload = steps["Upload results"]
    assert upload["with"]["name"] == "${{ steps.job.outputs.artifact }}"
    analyze = doc["jobs"]["analyze"]
    assert analyze["needs"] == "bench" and analyze["if"] == "always()"
    assert analyze["uses"] in ("./.github/workflows/analyze.yml", "$/.github/workflows/analyze.yml")
    assert analyze["with"]["key"] == "${{ inputs.key }}"


def test_watch_never_overlaps_and_passes_dry_run_through_env():
    doc = load(WORKFLOWS / "watch.yml")
    assert doc["concurrency"]["cancel-in-progress"] is False
    assert events(doc)["workflow_dispatch"]["inputs"]["dry_run"]["type"] == "boolean"
    (step,) = [s for s in doc["jobs"]["watch"]["steps"] if "watch --once" in s.get("run", "")]
    assert step["env"]["DRY_RUN"] == "${{ inputs.dry_run }}"
    assert step["env"]["GITHUB_TOKEN"] == "${{ secrets.PARETOBOT_DISPATCH_TOKEN }}"
    assert step["env"]["PARETOBOT_DB"] == "${{ secrets.PARETOBOT_DB }}"


def test_publishers_of_one_tracking_issue_never_overlap():
    """Two publishes at once would race on the same comments (issue 13): one group per tracking
    issue, and nothing in progress cancelled (a cancelled publish would leave comments half
    done). The bot's account and the marker's key reach paretobot publish."""
    job = load(WORKFLOWS / "analyze.yml")["jobs"]["publish"]
    group = job["concurrency"]["group"]
    assert "vars.PARETOBOT_TRACKING_ISSUE" in group and "github.repository" in group
    assert "run_id" not in group  # per issue, not per run
    assert job["concurrency"]["cancel-in-progress"] is False
    (step,) = [s for s in job["steps"] if "paretobot publish" in s.get("run", "")]
    assert step["env"]["PARETOBOT_MARKER_KEY"] == "${{ secrets.PARETOBOT_MARKER_KEY }}"
    assert step["env"]["PARETOBOT_BOT_LOGIN"] == "${{ vars.PARETOBOT_BOT_LOGIN }}"


def test_digest_publishes_the_site_to_pages():
    """The digest workflow builds the site with `paretobot site` (read access only), uploads it
    with upload-pages-artifact, and a job that needs that one deploys it with deploy-pages, alone
    holding the Pages writes, in the github-pages environment; no deploy is ever cancelled."""
    doc = load(WORKFLOWS / "digest.yml")
    assert doc["concurrency"]["cancel-in-progress"] is False
    jobs = doc["jobs"]

    def runs(job: dict, text: str) -> list[dict]:
        return [s for s in job.get("steps") or [] if text in str(s.get("run", ""))]

    def uses(job: dict, action: str) -> list[dict]:
        return [s for s in job.get("steps") or [] if str(s.get("uses", "")).startswith(action)]

    builders = [n for n, j in jobs.items() if runs(j, "paretobot site ")]
    (builder,) = builders
    build = jobs[builder]
    assert build["permissions"] == {"contents": "read"}
    (step,) = runs(build, "paretobot site ")
    assert re.search(r"paretobot site site\b.*--title ", step["run"])
    assert step["env"]["PARETOBOT_DB"] == "${{ secrets.PARETOBOT_DB }}"
    # installed with the postgresql extra, as the digest job is
    assert runs(build, "'.[postgresql]'")
    (upload,) = uses(build, UPLOAD_PAGES)
    assert upload["with"]["path"].rstrip("/") == "site"
    assert not any(uses(j, UPLOAD_PAGES) for n, j in jobs.items() if n != builder)

    deployers = [n for n, j in jobs.items() if uses(j, DEPLOY_PAGES)]
    (deployer,) = deployers
    deploy = jobs[deployer]
    needs = deploy.get("needs", [])
    assert builder in ([needs] if isinstance(needs, str) else needs)
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    (step,) = uses(deploy, DEPLOY_PAGES)
    assert deploy["environment"] == {
        "name": "github-pages",
        "url": f"${{{{ steps.{step['id']}.outputs.page_url }}}}",
    }
    if "concurrency" in deploy:
        assert deploy["concurrency"]["cancel-in-progress"] is False
    # no other job holds a Pages write
    for name, job in jobs.items():
        if name != deployer:
            assert not set((job.get("permissions") or {}).items()) & PAGES_PERMISSIONS, name


# ---- 4. the audits bite ----------------------------------------------------------------------


@pytest.fixture
def bad_repo(tmp_path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text(BAD_WORKFLOW, encoding="utf-8")
    return workflows


def test_zizmor_reports_a_bad_workflow(bad_repo):
    code, findings, _ = zizmor(bad_repo.parent.parent)
    found = {f["ident"] for f in findings}
    assert {"template-injection", "dangerous-triggers", "unpinned-uses", "artipacked"} <= found
    assert code >= 10  # a findings exit code, not success and not a tool error


def test_the_structural_checks_report_a_bad_workflow(bad_repo):
    found = "\n".join(problems(bad_repo / "bad.yml"))
    for expected in (
        "forbidden trigger(s) ['pull_request_target']",
        "top-level permissions are 'write-all'",
        "pull_request* trigger in a workflow that reaches a self-hosted runner",
        "not pinned to a full SHA",
        "checkout without persist-credentials: false",
        "expression inside a run: script",
        "shell is not bash",
        "a cache on a self-hosted runner",
        "no timeout-minutes",
        "permissions None are not an explicit per-scope mapping",
    ):
        assert expected in found, f"{expected!r} not reported:\n{found}"


def test_the_structural_checks_report_pages_writes_outside_the_deploy_job(bad_repo):
    (bad_repo / "pages.yml").write_text(BAD_PAGES_WORKFLOW, encoding="utf-8")
    assert problems(bad_repo / "pages.yml") == [
        "job build: permission pages: write outside a job that deploys with actions/deploy-pages "
        "to the github-pages environment",
        "job build: holds Pages writes but runs steps besides actions/deploy-pages",
        "job sneaky: permission id-token: write outside a job that deploys with "
        "actions/deploy-pages to the github-pages environment",
        "job busy: holds Pages writes but runs steps besides actions/deploy-pages",
    ]


def test_a_pull_request_cannot_reach_self_hosted_runners_through_a_call(tmp_path):
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "inner.yml").write_text(
        "on: workflow_call\npermissions: {}\njobs:\n  gpu:\n    runs-on: [self-hosted, mi355x]\n"
        "    timeout-minutes: 5\n    permissions: {contents: read}\n    steps:\n"
        "      - run: nvidia-smi\n        shell: bash\n",
        encoding="utf-8",
    )
    (workflows / "outer.yml").write_text(
        "on: pull_request\npermissions: {}\njobs:\n  call:\n    permissions: {contents: read}\n"
        "    uses: $/.github/workflows/inner.yml\n",
        encoding="utf-8",
    )
    assert problems(workflows / "inner.yml") == []
    assert problems(workflows / "outer.yml") == [
        "a pull_request* trigger in a workflow that reaches a self-hosted runner"
    ]
