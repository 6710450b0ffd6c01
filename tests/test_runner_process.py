"""`paretobot run-job` as a real process with a stand-in server and client (tests/data/runner):
process groups, signals, timeouts and the failure records, without a framework."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DATA

from bot.runner.job import job_name, parse_jobs
from bot.runner.process import group_members

FAKE = DATA / "runner"
ROOT = Path(__file__).resolve().parents[1]
PARETOBOT = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]


def alive(pid: int) -> bool:
    """Running or sleeping; a zombie waiting for its parent is not alive."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat[stat.rfind(")") + 2] not in "ZX"


def pids(path: Path) -> list[int]:
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def fake_job(tmp_path: Path, entry: str, timeouts: dict | None = None, **env: str) -> dict:
    return {
        "entry": entry,
        "model": f"fake-{entry}",
        "framework": "fake",
        "recipe": "fake",
        "hardware": "cpu",
        "precision": "bf16",
        "isl": 8,
        "osl": 8,
        "concurrencies": [1, 2],
        "repeats": 2,
        "env": {
            "PYTHONPATH": str(FAKE),
            "FAKE_PIDS": str(tmp_path / "server-pids"),
            "FAKE_CLIENT_PIDS": str(tmp_path / "client-pids"),
            **env,
        },
        "timeouts": {"health_s": 20, "client_s": 20, "stop_s": 2, **(timeouts or {})},
    }


def start(tmp_path: Path, jobs: list[dict]) -> tuple[subprocess.Popen, Path, Path, list[Path]]:
    job_file = tmp_path / "job.json"
    job_file.write_text(json.dumps(jobs))
    out = tmp_path / "out"
    log = tmp_path / "stderr.log"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env.pop("GITHUB_RUN_ID", None)
    cmd = [
        *PARETOBOT,
        "run-job",
        str(job_file),
        "--out",
        str(out),
        "--recipes",
        str(FAKE / "recipes"),
        "--run-id",
        "test-run",
    ]
    with open(log, "wb") as err:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err)
    folders = [out / job_name(j, i) for i, j in enumerate(parse_jobs(jobs))]
    return proc, out, log, folders


def read(path: Path) -> dict:
    return json.loads(path.read_text())


def assert_nothing_left(tmp_path: Path) -> None:
    started = pids(tmp_path / "server-pids") + pids(tmp_path / "client-pids")
    assert started, "the fakes wrote no pids"
    assert [p for p in started if alive(p)] == []


def test_failures_are_recorded_and_the_other_configurations_still_run(tmp_path, paretobot):
    jobs = [
        fake_job(tmp_path, "good"),
        fake_job(tmp_path, "launch", FAKE_EXIT_EARLY="RuntimeError: no GPU found"),
        fake_job(tmp_path, "oom", FAKE_EXIT_EARLY="torch.OutOfMemoryError: CUDA out of memory."),
        fake_job(tmp_path, "health", {"health_s": 2}, FAKE_NEVER_HEALTHY="1"),
        fake_job(tmp_path, "crash", FAKE_CRASH_AT="2"),
        fake_job(tmp_path, "errors", FAKE_FAIL_AT="2"),
    ]
    proc, out, log, (good, launch, oom, health, crash, errors) = start(tmp_path, jobs)
    stdout, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, log.read_text()
    assert stdout.decode().splitlines()[0] == f"ok        {good}"
    assert_nothing_left(tmp_path)

    for r in (0, 1):
        assert sorted(p.name for p in (good / f"r{r}").iterdir()) == [
            "c1.json",
            "c2.json",
            "paretobot-meta.json",
        ]
    meta = read(good / "r1" / "paretobot-meta.json")
    assert (meta["framework_version"], meta["framework_commit"]) == (
        "1.2.3.dev4+g0123abcd",
        "0123abcd",
    )
    assert (meta["repeat"], meta["model"]) == (1, "fake-good")
    assert meta["run_id"] == f"test-run-{good.name.rsplit('-', 1)[-1]}"  # the run, then the job
    record = read(good / "paretobot-run.json")
    assert record["status"] == "ok" and record["server"]["stopped"].startswith("stopped by SIGTERM")
    assert [p["completed"] for rep in record["repeats"] for p in rep["points"]] == [10, 20, 10, 20]
    assert record["commands"]["server"][:3] == ["python3", "-m", "fake_server"]

    def first_failure(folder: Path) -> dict:
        assert not (folder / "r1").exists()
        assert read(folder / "r0" / "paretobot-meta.json")["repeat"] == 0
        assert read(folder / "paretobot-run.json")["repeats"][1]["status"] == "skipped"
        return read(folder / "r0" / "failure.json")

    f = first_failure(launch)
    assert (f["cause"], f["concurrency"]) == ("launch-failure", None)
    assert "exited with code 1 before it was healthy: RuntimeError: no GPU found" in f["message"]
    assert "RuntimeError: no GPU found" in f["log_tail"]
    assert first_failure(oom)["cause"] == "out-of-memory"
    f = first_failure(health)
    assert (f["cause"], f["message"]) == ("health-timeout", "server not healthy within 2 s")

    f = read(crash / "r0" / "failure.json")
    assert (f["cause"], f["concurrency"]) == ("crash", 2)
    assert "fake engine died at concurrency 2" in f["message"]
    assert (crash / "r0" / "c1.json").exists() and (crash / "r0" / "c2.json.failed").exists()
    assert not (crash / "r1").exists()

    for r in (0, 1):  # failed requests end the repeat, not the configuration
        f = read(errors / f"r{r}" / "failure.json")
        assert (f["cause"], f["concurrency"]) == ("client-errors", 2)
        assert f["message"].startswith("4 of 20 requests failed during the run at concurrency 2")
        assert (errors / f"r{r}" / "c1.json").exists()
    assert read(errors / "paretobot-run.json")["status"] == "failed"

    assert "crash: server exited with code 1 during the run at concurrency 2" in log.read_text()
    ingest = paretobot("ingest", out, "--json")
    assert ingest.code == 0, ingest.err
    assert ingest.json()["summary"]["points"] == 4 + 1 + 2  # good, crash r0, errors r0 and r1


def test_a_hung_client_is_killed_after_its_timeout(tmp_path):
    jobs = [fake_job(tmp_path, "hang", {"client_s": 2}, FAKE_HANG_AT="2")]
    t0 = time.monotonic()
    proc, _, log, (hang,) = start(tmp_path, jobs)
    proc.communicate(timeout=120)
    assert proc.returncode == 0, log.read_text()
    assert time.monotonic() - t0 < 60
    f = read(hang / "r0" / "failure.json")
    assert (f["cause"], f["concurrency"]) == ("timeout", 2)
    assert f["message"] == "client did not finish within 2 s during the run at concurrency 2"
    assert read(hang / "paretobot-run.json")["repeats"][1]["status"] == "skipped"
    assert_nothing_left(tmp_path)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_cancelling_mid_sweep_leaves_no_server_behind(tmp_path, sig):
    # The server's child ignores SIGTERM, as a stuck engine process would: SIGKILL must follow.
    job = fake_job(tmp_path, "cancel", {"stop_s": 1}, FAKE_CHILD="1", FAKE_CLIENT_SLEEP="0.5")
    job["concurrencies"] = [1, 2, 4]
    proc, _, log, (folder,) = start(tmp_path, [job])
    deadline = time.monotonic() + 60
    while "[2/6]" not in log.read_text():  # repeat 1, second point
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    server, engine = pids(tmp_path / "server-pids")
    assert alive(server) and alive(engine)
    proc.send_signal(sig)
    proc.communicate(timeout=60)

    assert proc.returncode == 128 + sig, log.read_text()
    assert f"cancelled by {sig.name}; servers stopped" in log.read_text()
    assert not alive(server) and not alive(engine)
    assert group_members(server) == []
    assert_nothing_left(tmp_path)
    record = read(folder / "paretobot-run.json")
    assert record["status"] == "cancelled" and record["repeats"][0]["status"] == "cancelled"
    assert "SIGKILL" in record["server"]["stopped"]
    # the cancelled repeat's points are set aside, so ingest never takes them for a sweep
    assert not list((folder / "r0").glob("c*.json"))
    assert (folder / "r0" / "c1.json.cancelled").exists()
    assert not (folder / "r0" / "failure.json").exists()


def test_requests_failed_by_a_server_out_of_memory_are_out_of_memory(tmp_path):
    """A server may fail only the requests it ran out of memory on and serve on (transformers
    serve on the H200 did): the point's failure is out-of-memory, with the server's line."""
    proc, _, log, (folder,) = start(tmp_path, [fake_job(tmp_path, "oom-point", FAKE_OOM_AT="2")])
    proc.communicate(timeout=120)
    assert proc.returncode == 0, log.read_text()
    f = read(folder / "r0" / "failure.json")
    assert (f["cause"], f["concurrency"]) == ("out-of-memory", 2)
    assert f["message"] == (
        "the server ran out of memory during the run at concurrency 2: "
        "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"
    )
    assert (folder / "r0" / "c1.json").exists()  # the point before it stands
