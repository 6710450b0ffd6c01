"""`paretobot run-job` for real: vLLM 0.32.0 on the CPU serving a tiny random-weight Llama, then
`paretobot ingest` and `paretobot frontier` on what it wrote.

The job file holds two configurations: first a model the CPU attention refuses (head_dim 16: the
server starts and is healthy, the first requests get HTTP 500 and the server exits), which must
come out as a recorded failure with its cause and log; then the good tiny model, concurrency 1, 2
and 4 with 2 repeats, which must still run completely.

Needs the venv made by scripts/setup_vllm_cpu.sh: $PARETOBOT_VLLM_VENV, default
~/.cache/paretobot/vllm-venv. Skipped without it, unless PARETOBOT_REQUIRE_VLLM is set (CI), then
failed. `vllm` is found through PATH (the venv's bin first), as on a runner whose image has it.
About 2.5 minutes on 2 cores: two server starts, a warm-up and six points.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DATA

from bot.runner.job import job_name, parse_jobs

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("PARETOBOT_VLLM_VENV", "~/.cache/paretobot/vllm-venv")).expanduser()
PARETOBOT = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
PROMPTS = 16


@pytest.fixture(scope="module")
def vllm_venv() -> Path:
    if not (VENV / "bin" / "vllm").exists():
        why = f"no vLLM CPU venv at {VENV} (make it with scripts/setup_vllm_cpu.sh)"
        if os.environ.get("PARETOBOT_REQUIRE_VLLM"):
            pytest.fail(why + "; PARETOBOT_REQUIRE_VLLM is set")
        pytest.skip(why)
    return VENV


def make_model(venv: Path, folder: str, *extra: str) -> None:
    script = ROOT / "scripts" / "make_tiny_model.py"
    subprocess.run(
        [str(venv / "bin" / "python"), str(script), folder, *extra],
        check=True,
        capture_output=True,
        timeout=300,
    )


def paretobot(
    *args: str, env: dict[str, str], cwd: Path, timeout: float
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*PARETOBOT, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def test_run_job_with_real_vllm_then_ingest_and_frontier(vllm_venv, tmp_path):
    t0 = time.monotonic()
    make_model(vllm_venv, str(tmp_path / "tiny-llama"))
    make_model(vllm_venv, str(tmp_path / "tiny-hd16"), "--head-dim", "16")
    for sub in ("tmp", "vllm-cache", "inductor-cache", "hf-home"):
        (tmp_path / sub).mkdir()

    good = json.loads((DATA / "jobs" / "vllm-cpu-tiny.json").read_text())
    good["env"] |= {  # caches and temporary files in the test's folder
        "TMPDIR": str(tmp_path / "tmp"),
        "VLLM_CACHE_ROOT": str(tmp_path / "vllm-cache"),
        "TORCHINDUCTOR_CACHE_DIR": str(tmp_path / "inductor-cache"),
        "HF_HOME": str(tmp_path / "hf-home"),
    }
    shape = (good["model"], good["concurrencies"], good["repeats"], good["num_prompts"])
    assert shape == ("tiny-llama", [1, 2, 4], 2, PROMPTS)
    bad = good | {
        "model": "tiny-hd16",
        "served_model_name": "tiny-hd16",
        "entry": "tiny-hd16-bf16-cpu-vllm",
        "config": good["config"].replace("tiny/", "tiny-hd16/", 1),
    }
    jobs = [bad, good]  # the failing one first: the good one must still run after it
    (tmp_path / "job.json").write_text(json.dumps(jobs))
    bad_dir, good_dir = (tmp_path / "out" / job_name(j, i) for i, j in enumerate(parse_jobs(jobs)))

    env = {**os.environ, "PATH": f"{vllm_venv / 'bin'}:{os.environ['PATH']}"}
    env.pop("GITHUB_RUN_ID", None)
    run = paretobot("run-job", "job.json", "--out", "out", env=env, cwd=tmp_path, timeout=900)
    print(run.stderr)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [
        f"failed    out/{bad_dir.name}",
        f"ok        out/{good_dir.name}",
    ]

    # the refused model: a recorded crash with its cause, not a crash of the job
    failure = json.loads((bad_dir / "r0" / "failure.json").read_text())
    assert failure["paretobot"] == "failure" and failure["cause"] == "crash"
    assert failure["concurrency"] == 1  # the warm-up's
    assert "Unsupported CPU attention configuration: head_dim=16" in failure["message"]
    assert any("head_dim=16" in line for line in failure["log_tail"])
    assert 0 < len(failure["log_tail"]) <= 50
    assert not (bad_dir / "r1").exists()
    bad_meta = json.loads((bad_dir / "r0" / "paretobot-meta.json").read_text())
    assert (bad_meta["model"], bad_meta["repeat"]) == ("tiny-hd16", 0)

    # the good model: every point complete, metadata from the installed framework and machine
    run_id = None
    for r in (0, 1):
        folder = good_dir / f"r{r}"
        names = sorted(p.name for p in folder.iterdir())
        assert names == ["c1.json", "c2.json", "c4.json", "paretobot-meta.json"]
        for c in (1, 2, 4):
            result = json.loads((folder / f"c{c}.json").read_text())
            assert (result["completed"], result["failed"]) == (PROMPTS, 0)
            assert (result["max_concurrency"], result["num_prompts"]) == (c, PROMPTS)
        meta = json.loads((folder / "paretobot-meta.json").read_text())
        assert meta["framework_version"] == "0.32.0" and meta["hardware"] == "cpu"  # the job's
        assert (meta["framework"], meta["model"], meta["repeat"]) == ("vllm", "tiny", r)
        run_id = run_id or meta["run_id"]
        assert meta["run_id"] == run_id  # one run per job, the same for its repeats
    assert bad_meta["run_id"] != run_id  # the other job of the file is another run
    assert bad_meta["run_id"].rsplit("-", 1)[0] == run_id.rsplit("-", 1)[0]  # of one invocation
    record = json.loads((good_dir / "paretobot-run.json").read_text())
    assert record["status"] == "ok" and record["accelerators"]["kind"] == "cpu"
    assert record["framework"]["version_source"] == "job"
    assert record["framework"]["reported_version"] == "0.32.0+cpu"  # what vllm itself said
    assert record["commands"]["server"][:3] == ["vllm", "serve", "tiny-llama"]
    assert record["server"]["stopped"].startswith("stopped by SIGTERM")
    assert [rep["status"] for rep in record["repeats"]] == ["ok", "ok"]

    # ingest everything (the failure too) and draw the frontier
    db = f"sqlite:///{tmp_path / 'paretobot.db'}"
    ingest = paretobot("ingest", "out", "--db", db, "--json", env=env, cwd=tmp_path, timeout=120)
    assert ingest.returncode == 0, ingest.stderr
    summary = json.loads(ingest.stdout)["summary"]
    # 6 result files, the failure record, and each job's paretobot-run.json (its run's provenance)
    assert (summary["stored"], summary["points"], summary["error"]) == (9, 6, 0)
    frontier = paretobot("frontier", "--db", db, "--json", env=env, cwd=tmp_path, timeout=120)
    assert frontier.returncode == 0, frontier.stderr
    (curve,) = [f for f in json.loads(frontier.stdout) if f["config"]["slug"] == good["config"]]
    assert curve["build"]["version"] == "0.32.0"
    assert curve["runs"] == [run_id] and curve["points"]
    assert {p["concurrency"] for p in curve["points"]} <= {1, 2, 4}
    print(f"end-to-end wall time {time.monotonic() - t0:.0f} s")


def test_the_transformers_recipe_serves_a_random_model_built_at_run_time(vllm_venv, tmp_path):
    """The recipe the H200 sweeps used (tests/data/h200), on the CPU: `transformers serve` from
    the same venv, SGLang's client run by path, a random model the job asks for built before the
    server starts, and every request's lengths checked against the server's own counts."""
    (tmp_path / "hf-home").mkdir()
    job = {
        "model": str(tmp_path / "random-tiny"), "model_key": "random-tiny", "entry": "random-tiny",
        "framework": "transformers", "hardware": "cpu", "precision": "bf16", "gpus": 1,
        "isl": 64, "osl": 16, "concurrencies": [1, 4], "repeats": 1,
        "prompts_per_concurrency": 2, "warmup": False, "extra_args": ["--device", "cpu"],
        "random_model": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
                         "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 1000,
                         "max_position_embeddings": 512},
        "env": {"HF_HOME": str(tmp_path / "hf-home")},
        "timeouts": {"health_s": 300, "client_s": 300, "stop_s": 20},
    }  # fmt: skip
    (tmp_path / "job.json").write_text(json.dumps(job))
    env = {**os.environ, "PATH": f"{vllm_venv / 'bin'}:{os.environ['PATH']}"}
    env.pop("GITHUB_RUN_ID", None)
    run = paretobot("run-job", "job.json", "--out", "out", env=env, cwd=tmp_path, timeout=900)
    print(run.stderr)
    assert run.returncode == 0, run.stderr
    (folder,) = (tmp_path / "out").iterdir()
    record = json.loads((folder / "paretobot-run.json").read_text())
    assert record["status"] == "ok", record["repeats"]
    assert record["random_model"]["error"] == ""
    built = json.loads((tmp_path / "random-tiny" / "config.json").read_text())
    assert built["eos_token_id"] is None  # no EOS: every request runs to its length
    assert record["framework"]["name"] == "transformers"
    points = record["repeats"][0]["points"]
    assert [p["concurrency"] for p in points] == [1, 4]
    for p in points:  # the server's own counts: exact, for every one of the point's requests
        assert p["tokens"] == {"requests": 2 * p["concurrency"], "prompt": [64], "completion": [16]}
    db = f"sqlite:///{tmp_path / 'paretobot.db'}"
    ingest = paretobot("ingest", "out", "--db", db, env=env, cwd=tmp_path, timeout=120)
    assert ingest.returncode == 0, ingest.stderr
    frontier = paretobot("frontier", "--db", db, "--json", env=env, cwd=tmp_path, timeout=120)
    (curve,) = json.loads(frontier.stdout)
    assert curve["config"]["framework"] == "transformers" and len(curve["points"]) >= 1
