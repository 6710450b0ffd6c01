"""Shared fixtures: real data paths, a fresh store per test, the CLI run in-process."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot import cli, store

DATA = Path(__file__).parent / "data"
SHARED = DATA / "shared"
REAL = DATA / "real"
RAW = SHARED / "inferencex" / "raw" / "gptoss_multinode"
AGG = SHARED / "inferencex" / "agg"
AGENTIC = SHARED / "inferencex" / "agentic"
VLLM_CPU = SHARED / "vllm" / "vllm-bench-serve-0.32.0-cpu-tiny-c4.json"


def store_urls() -> list:
    """SQLite always; PostgreSQL too where a test server is given (CI starts one)."""
    urls = [pytest.param("sqlite", id="sqlite")]
    pg = os.environ.get("PARETOBOT_TEST_PG_URL")
    if pg or os.environ.get("PARETOBOT_REQUIRE_PG"):
        urls.append(pytest.param(pg or "missing", id="postgresql"))
    return urls


@pytest.fixture(autouse=True)
def _outside_actions(monkeypatch):
    """Tests run as if outside GitHub Actions (our own CI may run inside it): a test that wants
    the Actions conventions sets the variables itself, and none writes to the real summary."""
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(params=store_urls())
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/test.db"
        return
    if request.param == "missing":
        pytest.fail("PARETOBOT_REQUIRE_PG is set but PARETOBOT_TEST_PG_URL is not")
    # A fresh database per test so tests stay independent.
    import sqlalchemy as sa

    name = f"t_{abs(hash(request.node.nodeid)) % 10**12}"
    admin = sa.create_engine(request.param, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield request.param.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def engine(db_url):
    eng = store.open_store(db_url)
    yield eng
    eng.dispose()


class Run:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def paretobot(capsys, db_url):
    """Run `paretobot ARGS` in-process against this test's store."""

    def run(*args: str) -> Run:
        argv = [str(a) for a in args]
        if "--db" not in argv:
            argv += ["--db", db_url]
        code = cli.main(argv)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def load_json(path: Path):
    return json.loads(path.read_text())


def vllm_watch_configs(tmp_path: Path, bench: str, jobs_per_day: int) -> Path:
    """The packaged configs, watching vLLM only, dispatching to `bench`'s benchmark.yml with a
    small budget: the team folder the watcher and the command tests run with."""
    import shutil

    import yaml

    from bot.config import config_dir

    configs = tmp_path / "configs"
    shutil.copytree(config_dir(), configs)
    upstreams = yaml.safe_load((configs / "upstreams.yaml").read_text())
    vllm = "vllm-project/vllm"
    upstreams["upstreams"] = [u for u in upstreams["upstreams"] if u["repo"] == vllm]
    upstreams["budget"] = {"jobs_per_event": 4, "jobs_per_day": jobs_per_day, "repeats": 3}
    upstreams["benchmark"] = {"repo": bench, "workflow": "benchmark.yml", "ref": "main"}
    (configs / "upstreams.yaml").write_text(yaml.safe_dump(upstreams))
    return configs


def watch_github(monkeypatch, tmp_path: Path, url: str, bench: str, jobs_per_day: int) -> None:
    """Point paretobot at the GitHub stand-in at `url`, with `vllm_watch_configs` in force."""
    configs = vllm_watch_configs(tmp_path, bench, jobs_per_day)
    for name, value in {
        "GITHUB_API_URL": url,
        "GITHUB_TOKEN": "test-token",
        "PARETOBOT_CONFIGS": str(configs),
        "PARETOBOT_GITHUB_BACKOFF": "0.01",
    }.items():
        monkeypatch.setenv(name, value)
