"""A build at any commit, end to end: the stand-in server package (tests/data/runner, installable)
in a local git repository whose history has neutral commits, one that slows generation by 10% and
one that makes a configuration (ep 2) refuse to start. The real `paretobot run-job` installs each
job's commit into a venv with the recipe's build section, verifies the installed commit, serves,
sweeps; `paretobot ingest` stores the results. Every stored sweep carries the commit that was
installed; the slow commit measures 10% slower; the broken configuration is a launch failure; a
commit that cannot be installed, and a build that is not the commit asked for, are
build-unverified failures with nothing measured. Then the real bisection driver, on the GitHub
stand-in, dispatches probes that the real runner installs and measures, and names both commits."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import venv
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot import dispatch, store
from bot.attribution import driver
from bot.attribution.bisect import FOUND, start
from bot.config import AnalysisPolicy
from bot.github import api as gh_api
from bot.model import Build, ConfigKey, Job, same_commit
from bot.runner.build import installed_commit
from bot.runner.job import spec_of

pytest_plugins = ["standin.plugin"]

ROOT = Path(__file__).resolve().parents[1]
FAKE = ROOT / "tests" / "data" / "runner"
PACKAGE = ("pyproject.toml", "fake_backend.py", "fake_build.py", "fake_server.py", "fake_client.py")
SLOW = 0.9
VERIFY = (
    "import importlib.metadata as m, json; "
    "d = json.loads(m.distribution('paretobot-fake-server').read_text('direct_url.json') or '{}'); "
    "print(d.get('vcs_info', {}).get('commit_id', ''))"
)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
}  # fmt: skip


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], env={**os.environ, **GIT_ENV},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def _commit(repo: Path, message: str) -> str:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> dict:
    """The package's repository: base, neutral, neutral, slow (SPEED 0.9), neutral, breaks ep."""
    repo = tmp_path_factory.mktemp("fakeserve")
    for name in PACKAGE:
        shutil.copy(FAKE / name, repo / name)
    _git(repo, "init", "-q")
    commits = {"base": _commit(repo, "base")}
    for i in (1, 2):
        (repo / "NOTES.txt").write_text(f"neutral change {i}\n")
        commits[f"neutral{i}"] = _commit(repo, f"neutral {i}")
    build = repo / "fake_build.py"
    build.write_text(build.read_text().replace("SPEED = 1.0", f"SPEED = {SLOW}"))
    commits["slow"] = _commit(repo, "generation 10% slower")
    (repo / "NOTES.txt").write_text("neutral change 3\n")
    commits["neutral3"] = _commit(repo, "neutral 3")
    text = build.read_text().replace(
        "REFUSED_FLAGS: tuple[str, ...] = ()", 'REFUSED_FLAGS = ("--ep",)'
    )
    build.write_text(text)
    commits["breaks-ep"] = _commit(repo, "refuse --ep")
    env_dir = tmp_path_factory.mktemp("venv") / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=True).create(env_dir)
    return {"repo": repo, "commits": commits, "venv": env_dir}


def _recipes(folder: Path, repo: Path) -> Path:
    folder.mkdir()
    recipe = yaml.safe_load((FAKE / "recipes" / "fake.yaml").read_text())
    recipe["build"] = {
        "commit": [[
            "python3", "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
            "--force-reinstall", "--no-cache-dir", f"git+file://{repo}@{{commit}}",
        ]],
        "verify": ["python3", "-c", VERIFY],
        "timeout_s": 120,
    }  # fmt: skip
    (folder / "fake.yaml").write_text(yaml.safe_dump(recipe))
    # a build that says it is another commit: no install, verify prints a fixed commit
    liar = {
        "extends": "fake",
        "build": {"commit": [], "verify": ["python3", "-c", "print('0123abcd')"]},
    }
    (folder / "fake-liar.yaml").write_text(yaml.safe_dump(liar))
    return folder


def _job(commit: str, **over) -> dict:
    job = {
        "model": "m", "framework": "fake", "hardware": "cpu", "precision": "bf16",
        "isl": 128, "osl": 64, "concurrencies": [1, 2], "repeats": 1, "warmup": False,
        "version": f"fakeserve@{commit[:12]}", "commit": commit,
        "env": {"FAKE_REAL_CURVE": "1", "FAKE_DATA": str(ROOT / "tests/data/real/vllm")},
        "timeouts": {"health_s": 30, "client_s": 30, "stop_s": 5},
    }  # fmt: skip
    return job | over


def _paretobot(tmp: Path, env_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only the installed copy
    env["PATH"] = f"{env_dir / 'bin'}:{env['PATH']}"
    env["PARETOBOT_DB"] = f"sqlite:///{tmp / 'store.db'}"
    env["PYTHONPATH"] = str(ROOT)  # paretobot itself (the venv's python3 serves, not this one)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], cwd=tmp, env=env,
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip


def test_each_commit_is_installed_verified_measured_and_filed_under_itself(history, tmp_path):
    c = history["commits"]
    recipes = _recipes(tmp_path / "recipes", history["repo"])
    jobs = [
        _job(c["base"]),
        _job(c["neutral2"]),
        _job(c["slow"][:10]),  # a prefix: the installed commit is the full one
        _job(c["breaks-ep"]),
        _job(c["breaks-ep"], ep=2),
        _job("f" * 40),  # no such commit: the install fails
        _job(c["base"], recipe="fake-liar"),  # the build is another commit
    ]
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    args = ("run-job", "jobs.json", "--out", "out", "--recipes", str(recipes))

    dry = _paretobot(tmp_path, history["venv"], *args, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "install python3 -m pip install" in dry.stdout
    assert f"git+file://{history['repo']}@{c['base']}" in dry.stdout
    assert "verify python3 -c" in dry.stdout

    ran = _paretobot(tmp_path, history["venv"], *args, "--json")
    assert ran.returncode == 0, ran.stderr
    folders = {}
    for record_path in (tmp_path / "out").glob("*/paretobot-run.json"):
        record = json.loads(record_path.read_text())
        folders[record["job_index"]] = record
    assert len(folders) == len(jobs)
    for i in (0, 1, 2, 3, 4):
        built = folders[i]["build"]
        assert built["status"] == "verified", built
        assert same_commit(built["installed_commit"], jobs[i]["commit"])
        assert len(built["installed_commit"]) == 40
        assert folders[i]["framework"]["requested_commit"] == jobs[i]["commit"]
        assert folders[i]["framework"]["commit"] == built["installed_commit"]
    assert folders[5]["build"]["status"] == "install-failed"
    assert folders[6]["build"]["status"] == "mismatch"
    assert folders[6]["build"]["installed_commit"] == "0123abcd"
    for i in (4, 5, 6):
        assert folders[i]["status"] == "failed"
    failure = json.loads(
        next((tmp_path / "out").glob(f"{folders[6]['name']}/r0/failure.json")).read_text()
    )
    assert failure["cause"] == "build-unverified"
    assert "asked for commit" in failure["message"] and "0123abcd" in failure["message"]

    ingest = _paretobot(tmp_path, history["venv"], "ingest", "out")
    assert ingest.returncode == 0, ingest.stderr
    sweeps = store.load_sweeps(store.open_store(f"sqlite:///{tmp_path / 'store.db'}"))
    assert len(sweeps) == len(jobs)
    by_commit = {name: driver.at_commit(sweeps, sha) for name, sha in c.items()}
    # every stored sweep carries the commit it installed (the full one, also when asked by prefix)
    assert {s.build.commit for s in by_commit["slow"]} == {c["slow"]}
    (base,) = [s for s in by_commit["base"] if s.status == "ok"]
    (neutral,) = by_commit["neutral2"]
    (slow,) = by_commit["slow"]
    assert base.build.commit == c["base"] and neutral.build.commit == c["neutral2"]
    for ok in (base, neutral, slow):
        assert ok.status == "ok" and [p.concurrency for p in ok.points] == [1, 2]

    # independent of the bot's analysis: the stored throughput per point, side by side
    def tput(sweep):
        return [p.tput_per_gpu for p in sweep.points]

    assert tput(neutral) == pytest.approx(tput(base), rel=1e-9)
    assert [s / b for s, b in zip(tput(slow), tput(base), strict=True)] == pytest.approx(
        [SLOW, SLOW], rel=1e-6
    )
    # the commit that refuses --ep: ep 1 runs as before, ep 2 does not start
    broke = {s.config.ep: s for s in by_commit["breaks-ep"]}
    assert broke[1].status == "ok" and tput(broke[1]) == pytest.approx(tput(slow), rel=1e-9)
    assert broke[2].status == "failed" and broke[2].cause == "launch-failure"
    assert broke[2].build.commit == c["breaks-ep"]
    # no install, or not the commit asked for: a build-unverified failure, nothing measured
    unverified = [s for s in sweeps if s.cause == "build-unverified"]
    assert len(unverified) == 2 and all(not s.points for s in unverified)
    assert {s.build.commit for s in unverified} == {"f" * 40, c["base"]}


def test_installed_commit_is_read_from_a_hex_line_or_a_version():
    assert installed_commit("Collecting\n0123abcdef\n") == "0123abcdef"
    assert installed_commit("vllm 0.11.1.dev45+g1234abcd\n") == "1234abcd"
    assert installed_commit("nothing here\n") is None
    assert installed_commit("") is None


def test_only_a_hex_commit_is_installed(tmp_path):
    from bot.runner import parse_jobs, plan_jobs
    from bot.runner.build import install_and_verify

    recipes = _recipes(tmp_path / "recipes", tmp_path / "repo")
    (plan,) = plan_jobs(parse_jobs(_job("main#egg=x")), tmp_path / "out", "local", recipes)
    checked = install_and_verify(plan, tmp_path / "logs", tmp_path)
    assert (checked["status"], checked["failed"]) == ("install-failed", True)
    assert "7-40 hex" in checked["message"] and not (tmp_path / "logs").exists()


def test_commits_match_by_prefix_of_seven_or_more_either_way():
    full = "09663abde0f50944a8d5ea30120666024b503faa"
    assert same_commit(full, "09663ab") and same_commit("09663AB", full)
    assert not same_commit(full, "09663a")  # too short to name a commit
    assert not same_commit(full, "19663abde0")
    assert not same_commit(full, "") and not same_commit(None, full)


def test_docker_installs_in_a_build_container_and_serves_the_image_it_commits(tmp_path):
    from bot.runner import describe_plan, parse_jobs, plan_jobs
    from bot.runner.launch import cleanup_commands

    recipes = _recipes(tmp_path / "recipes", tmp_path / "repo")
    job = _job("a" * 40, image="registry.example/fake:nightly-aaaaaaa")
    (plan,) = plan_jobs(parse_jobs(job), tmp_path / "out", "docker", recipes)
    shown = describe_plan(plan, tmp_path / "out")
    container = f"paretobot-{plan.name}"
    built = f"paretobot-build:{container}"
    run, commit, rm = shown["install"]
    assert run[:4] == ["docker", "run", "--name", f"{container}-build"]
    assert run[-4:-1] == ["sh", job["image"], "-c"] and run[-5] == "--entrypoint"
    # the recipe's steps, each shell-quoted, in order: the script runs exactly those argv lists
    assert shlex.split(run[-1]) == [
        "python3", "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
        "--force-reinstall", "--no-cache-dir", f"git+file://{tmp_path / 'repo'}@{'a' * 40}",
    ]  # fmt: skip
    assert commit == ["docker", "commit", f"{container}-build", built]
    assert rm == ["docker", "rm", f"{container}-build"]
    # verify and the server run the committed image, not the job's
    assert shown["verify"][-5:] == ["--entrypoint", "python3", built, "-c", VERIFY]
    assert built in shown["server"] and job["image"] not in shown["server"]
    assert [built] == [a for a in shown["version"] if a.startswith("paretobot-build")]
    assert cleanup_commands(plan.launcher) == [
        ["docker", "rm", "--force", container],
        ["docker", "rm", "--force", f"{container}-build"],
        ["docker", "image", "rm", "--force", built],
    ]
    (srun,) = plan_jobs(parse_jobs(job), tmp_path / "out2", "srun", recipes)
    (step,) = describe_plan(srun, tmp_path / "out2")["install"]
    assert f"--container-name={container}" in step and step[-3:-1] == ["sh", "-c"]
    assert f"--container-name={container}" in describe_plan(srun, tmp_path / "o")["verify"]
    (local,) = plan_jobs(parse_jobs(_job("", version="1.0")), tmp_path / "o2", "local", recipes)
    nothing = describe_plan(local, tmp_path / "o2")  # no commit: nothing installed or verified
    assert (nothing["install"], nothing["verify"]) == ([], None)


BENCH = "bench/benchmarks"


def _bisect(world, engine, paretobot, tmp_path, history, commits, ep, seed_runs):
    """The bisection driver on the GitHub stand-in; every probe it dispatches is run by the real
    run-job (installing the probe's commit) and ingested, as the benchmark and analyze workflows
    would. Returns the finished bisection."""
    config = ConfigKey("m", "bf16", "cpu", "fake", isl=128, osl=64, gpus=1, ep=ep)
    template = Job(
        config=config, entry=f"fake-ep{ep}", model_id="m", image="", runner="cpu",
        concurrencies=(1, 2), repeats=3, build=Build("fake", "x"), reasons=(),
    )  # fmt: skip
    recipes = tmp_path / f"recipes-ep{ep}"
    if not recipes.exists():
        _recipes(recipes, history["repo"])
    runs = []

    def run(job: dict) -> None:
        folder = tmp_path / f"run-ep{ep}-{len(runs)}"
        folder.mkdir()
        (folder / "job.json").write_text(json.dumps(job))
        env = {**os.environ, "FAKE_REAL_CURVE": "1", "FAKE_JITTER": "0.005"}
        env["FAKE_DATA"] = str(ROOT / "tests/data/real/vllm")
        env.pop("PYTHONPATH", None)
        env["PATH"] = f"{history['venv'] / 'bin'}:{env['PATH']}"
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "run-job", "job.json", "--out", "out",
             "--recipes", str(recipes)],
            cwd=folder, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert paretobot("ingest", str(folder / "out")).code == 0
        runs.append(job["commit"])

    for end, n in ((commits[0], seed_runs), (commits[-1], seed_runs)):  # the change as first seen
        seen = replace(template, build=Build("fake", f"seen@{end[:12]}", end), repeats=n)
        run(spec_of(seen).model_dump(mode="json"))
    gh = gh_api.connect(gh_api.Settings(api_url=world.url, token="t", retries=3, backoff=0.01))
    actions = dispatch.GitHubActions(
        post=lambda inputs: gh_api.dispatch(gh, BENCH, "benchmark.yml", "main", inputs),
        titles=lambda: gh_api.run_titles(gh, BENCH, "benchmark.yml"),
    )
    key = f"fakeserve|{config.slug}|{commits[0]}..{commits[-1]}"
    driver.save(engine, start(key, config.slug, "fakeserve", commits, 40, 3))
    answered = len(world.dispatches(BENCH))
    for _ in range(20):
        b = driver.load(engine, key)
        if b.status != "running":
            break
        ours = [s for s in store.load_sweeps(engine) if s.config == config]
        driver.step(engine, actions, b, template, lambda c, ours=ours: driver.at_commit(ours, c),
                    AnalysisPolicy(), settle_seconds=0)  # fmt: skip
        for d in world.dispatches(BENCH)[answered:]:
            for job in json.loads(d["inputs"]["jobs"]):
                assert job["reasons"] == ["bisection"]
                run(job)
            answered += 1
    return driver.load(engine, key), runs


def test_the_bisection_driver_names_both_commits_from_installed_runs(
    github_standin, engine, paretobot, tmp_path, history, monkeypatch
):
    github_standin.retry_after = 0
    github_standin.add_repo(BENCH)
    github_standin.add_workflow(BENCH, name="benchmark", run_name="benchmark {key}")
    monkeypatch.setenv("PARETOBOT_GITHUB_BACKOFF", "0.01")
    c = history["commits"]
    order = ["base", "neutral1", "neutral2", "slow", "neutral3", "breaks-ep"]
    slow, probes = _bisect(
        github_standin, engine, paretobot, tmp_path, history,
        [c[n] for n in order[:5]], ep=1, seed_runs=3,
    )  # fmt: skip
    assert slow.status == FOUND, slow.log
    assert slow.culprit == c["slow"]
    assert set(probes) - {c["base"], c["neutral3"]}  # the probes ran other commits
    # every stored sweep is filed under the full commit its run installed and verified
    stored = {s.build.commit for s in store.load_sweeps(engine)}
    assert stored <= set(c.values())
    broke, probes = _bisect(
        github_standin, engine, paretobot, tmp_path, history,
        [c[n] for n in order], ep=2, seed_runs=1,
    )  # fmt: skip
    assert broke.status == FOUND, broke.log
    assert broke.culprit == c["breaks-ep"]
    print(f"bisections: slow {slow.runs} runs, breaks-ep {broke.runs} runs")
