"""The automatic path, end to end, on the GitHub stand-in and the real runner: a release is
watched and dispatched with its baseline and candidate; the benchmark workflow's job runs
`paretobot run-job` on it (a stand-in server whose candidate build is seeded 15% slower, baseline
and candidate interleaved on one runner); analyze ingests, compares (the gate fails) and
publishes one comment that links to the run, and one changelog entry. A rerun changes nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from bot.defaults import DEFAULTS

pytest_plugins = ["standin.plugin"]

ROOT = Path(__file__).resolve().parents[1]
FAKE = ROOT / "tests" / "data" / "runner"
VLLM, BENCH, ISSUE = "vllm-project/vllm", "bench/benchmarks", 7
NOW = datetime.now(UTC).replace(microsecond=0)
SLOWDOWN = 0.85  # the candidate's seeded change


@pytest.fixture
def world(github_standin, tmp_path, monkeypatch):
    s = github_standin
    s.retry_after = 0
    for repo in (VLLM, BENCH):
        s.add_repo(repo)
    s.add_workflow(BENCH, name="benchmark", run_name="benchmark {key}")
    s.add_issue(BENCH, ISSUE, "Performance tracking")
    sha = "c" * 40
    s.add_commit(VLLM, sha, "Release v0.32.1", (NOW - timedelta(hours=1)).isoformat())
    s.add_release(VLLM, "v0.32.1", (NOW - timedelta(hours=1)).isoformat(), target_commitish=sha)
    configs = tmp_path / "configs"
    configs.mkdir()
    demo = DEFAULTS / "demo" / "configs"
    shutil.copy(demo / "rules.yaml", configs / "rules.yaml")
    shutil.copy(demo / "demo-master.yaml", configs / "demo-master.yaml")
    upstreams = yaml.safe_load((demo / "upstreams.yaml").read_text())
    upstreams["upstreams"] = [
        {"repo": VLLM, "frameworks": ["vllm"], "tags": ["v*"], "image_tags": True,
         "watch": {"paths": ["vllm/**"], "labels": []}}
    ]  # fmt: skip
    upstreams["budget"]["interleave"] = "auto"  # no stored baseline: interleaved
    upstreams["benchmark"] = {"repo": BENCH, "workflow": "benchmark.yml", "ref": "main"}
    (configs / "upstreams.yaml").write_text(yaml.safe_dump(upstreams))
    recipes = tmp_path / "recipes"
    recipes.mkdir()
    recipe = yaml.safe_load((FAKE / "recipes" / "fake.yaml").read_text())
    recipe["framework"] = "vllm"
    recipe["client"]["command"] += ["--build", "{version}"]
    (recipes / "vllm.yaml").write_text(yaml.safe_dump(recipe))
    for name, value in {
        "GITHUB_API_URL": s.url,
        "GITHUB_TOKEN": "test-token",
        "PARETOBOT_CONFIGS": str(configs),
        "PARETOBOT_GITHUB_BACKOFF": "0.01",
        "PARETOBOT_DB": f"sqlite:///{tmp_path / 'store.db'}",
    }.items():
        monkeypatch.setenv(name, value)
    return s


def benchmark_workflow(world, dispatch: dict, tmp_path: Path) -> Path:
    """What benchmark.yml does on a self-hosted runner for each job of the matrix: write the job,
    run `paretobot run-job` with the workflow's environment, upload the folder."""
    (run,) = [r for r in world.runs(BENCH) if r["display_title"] == f"benchmark {dispatch['key']}"]
    results = tmp_path / "results"
    for index, job in enumerate(json.loads(dispatch["jobs"])):
        artifact = f"results-{index}-{run['id']}"
        job_file = tmp_path / f"job-{index}.json"
        job_file.write_text(json.dumps(job))
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "PYTHONPATH": str(FAKE),
            "GITHUB_SERVER_URL": world.url,
            "GITHUB_REPOSITORY": BENCH,
            "GITHUB_RUN_ID": str(run["id"]),
            "GITHUB_RUN_ATTEMPT": "1",
            "RUNNER_NAME": "cpu-runner-1",
            "PARETOBOT_ARTIFACT": artifact,
            "PARETOBOT_KEY": dispatch["key"],
            "FAKE_REAL_CURVE": "1",
            "FAKE_JITTER": "0.01",
            # deterministic jitter: a 95% interval misses the truth in 1 trial of 20 by design,
            # and a test that does so by chance says nothing
            "FAKE_SEED": "loop-auto",
            "FAKE_SLOW_BUILD": dispatch["candidate"],
            "FAKE_SLOWDOWN": str(SLOWDOWN),
        }
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "run-job", str(job_file), "--out",
             str(results / artifact), "--recipes", str(tmp_path / "recipes")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    return results


def test_a_release_is_dispatched_measured_judged_and_published_without_a_human(
    world, paretobot, tmp_path
):
    watch = paretobot("watch", "--once", "--settle-seconds", "0")
    assert watch.code == 0, watch.err
    (sent,) = [d["inputs"] for d in world.dispatches(BENCH)]
    assert (sent["baseline"], sent["candidate"]) == ("v0.32.0", "v0.32.1")  # the matrix build
    (job,) = json.loads(sent["jobs"])
    assert job["baseline"]["version"] == "v0.32.0"  # measured again beside the candidate
    assert job["upstream"] == VLLM  # attribution lists its PRs there

    results = benchmark_workflow(world, sent, tmp_path)
    folders = sorted(p.parent.parent.name for p in results.glob("*/*/r0/paretobot-meta.json"))
    assert len(folders) == 2 * job["repeats"]  # ABBA: one-repeat jobs of each build

    # analyze.yml: ingest, compare with the gate, publish
    ingest = paretobot("ingest", str(results))
    assert ingest.code == 0, ingest.err
    gate = ["--baseline", sent["baseline"], "--candidate", sent["candidate"]]
    compare = paretobot("compare", *gate, "--json", "--fail-on", "regression")
    (verdict,) = json.loads(compare.out)
    said = {k: verdict[k] for k in ("verdict", "reason")}
    print("compare said:", said, verdict["comparison"]["suspect"])
    assert compare.code == 3, (said, verdict["comparison"]["suspect"], compare.err)
    assert verdict["verdict"] == "regression"
    low, high = verdict["comparison"]["matched"]["low"], verdict["comparison"]["matched"]["high"]
    assert low < SLOWDOWN < high  # the interval holds the seeded change
    changelog = tmp_path / "perf-changelog.yaml"
    publish = ["publish", *gate, "--repo", BENCH, "--issue", str(ISSUE)]
    assert paretobot(*publish, "--changelog", str(changelog)).code == 0

    (comment,) = world.comments(BENCH, ISSUE)
    run_id = next(r["id"] for r in world.runs(BENCH))
    assert f"{world.url}/{BENCH}/actions/runs/{run_id}" in comment["body"]
    assert "paretobot run-job job.json" in comment["body"]  # the reproduce command
    records = changelog.with_suffix(".jsonl").read_text().splitlines()
    assert len(records) == 1 and json.loads(records[0])["verdict"] == "regression"

    # a rerun of every stage changes nothing
    before = changelog.read_bytes(), changelog.with_suffix(".jsonl").read_bytes()
    assert paretobot("watch", "--once", "--settle-seconds", "0").code == 0
    assert len(world.dispatches(BENCH)) == 1
    assert paretobot("ingest", str(results)).code == 0
    assert paretobot(*publish, "--changelog", str(changelog)).code == 0
    assert [c["body"] for c in world.comments(BENCH, ISSUE)] == [comment["body"]]
    assert (changelog.read_bytes(), changelog.with_suffix(".jsonl").read_bytes()) == before
