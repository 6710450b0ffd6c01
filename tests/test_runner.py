"""The runner's pure parts: job validation, recipe rendering, launch command lines, failure
classification (on a real vLLM log), result counts, metadata for ingest, progress arithmetic."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import DATA, REAL

from bot import cli
from bot.config.matrix import load_matrix
from bot.defaults import RECIPES
from bot.dispatch import job_json
from bot.ingest.failure import parse_failure
from bot.ingest.metadata import Metadata
from bot.model import Build, Job
from bot.runner import failure as fl
from bot.runner import launch, output, progress, recipe, system
from bot.runner.commands import client_command, plan_job, server_command, version_command
from bot.runner.job import JobError, job_name, load_jobs, parse_jobs

WORKFLOWS = RECIPES
RUNNER = DATA / "runner"
HEAD_DIM_LOG = RUNNER / "vllm-0.32.0-cpu-head-dim-16-server.log"
EXAMPLE_JOB = DATA / "jobs" / "vllm-cpu-tiny.json"

BASE = {
    "model": "org/Model-8B",
    "framework": "vllm",
    "hardware": "h100",
    "precision": "fp8",
    "isl": 1024,
    "osl": 1024,
    "concurrencies": [1, 4],
}


def job(**changes):
    return parse_jobs({**BASE, **changes})[0]


def write(tmp_path, content, name="job.json") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


# ---- job files ----------------------------------------------------------------------------------


def test_defaults_follow_inferencex():
    j = job()
    assert j.prompts_for(4) == 40  # 10 x concurrency
    assert j.context_length == 1024 + 1024 + 256
    assert j.model_name == "org/Model-8B"
    assert j.repeats == 3 and j.warmup and j.random_range_ratio == 1.0
    assert j.gpu_count == 1
    j = job(num_prompts=16, max_model_len=4096, served_model_name="m", tp=4, pp=2)
    assert (j.prompts_for(4), j.context_length, j.model_name, j.gpu_count) == (16, 4096, "m", 8)


def test_the_dispatchers_jobs_validate_as_written():
    matrix = [m for m in load_matrix() if m.config.isl > 0 and not m.config.disagg]
    build = Build("vllm", "v0.32.0", "abc1234")
    assert len(matrix) > 100
    for m in matrix:
        planned = Job(
            m.config, m.entry, m.model_id, m.image, m.runner, m.concurrencies, 3, build, ("rule",)
        )
        (parsed,) = parse_jobs(json.loads(json.dumps(job_json(planned))))
        assert parsed.tp == m.config.tp and parsed.image == m.image


def test_example_job_files_validate():
    assert load_jobs(EXAMPLE_JOB)[0].served_model_name == "tiny"
    for path in sorted((WORKFLOWS / "examples").glob("*.json")):
        jobs = load_jobs(path)
        for i, j in enumerate(jobs):
            plan_job(j, i, Path("/results"), "docker", WORKFLOWS)  # renders with its recipe


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "empty job file"),
        ('{"model": "m", "framework": "vllm"', "not valid JSON: Expecting ',' delimiter at line 1"),
        (b"\xff\xfe{}", "not UTF-8"),
        ("[]", "empty list of jobs"),
        ("[42]", "job 0: is a int, not an object"),
        ("3", "job 0: is a int"),
    ],
)
def test_unreadable_job_files(tmp_path, content, expected):
    with pytest.raises(JobError, match=expected):
        load_jobs(write(tmp_path, content))


def test_missing_and_oversized_job_files(tmp_path):
    with pytest.raises(JobError, match="no such job file"):
        load_jobs(tmp_path / "absent.json")
    with pytest.raises(JobError, match="a job file is at most"):
        load_jobs(write(tmp_path, "[" + " " * (2 * 1024 * 1024) + "]"))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"concurency": [1]}, "job 1: field 'concurency': Extra inputs are not permitted"),
        ({"model": None}, "job 1: field 'model'"),
        ({"concurrencies": []}, "job 1: field 'concurrencies'"),
        ({"concurrencies": [4, 4]}, "a concurrency appears twice"),
        ({"concurrencies": [0]}, "every concurrency must be >= 1"),
        ({"tp": 0}, "field 'tp'"),
        ({"repeats": "three"}, "field 'repeats'"),
        ({"timeouts": {"health": 5}}, "field 'timeouts.health': Extra inputs"),
        ({"env": {"A=B": "x"}}, "'A=B' is not an environment variable name"),
        ({"env": {"A": 1}}, "field 'env.A'"),
        ({"random_range_ratio": 0}, "field 'random_range_ratio'"),
    ],
)
def test_invalid_jobs_name_the_job_and_field(changes, expected):
    second = {**BASE, **changes}
    second = {k: v for k, v in second.items() if v is not None}
    with pytest.raises(JobError, match=expected):
        parse_jobs([BASE, second], "jobs.json")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"model": "--trust-remote-code"}, "field 'model': must not start with '-'"),
        ({"tokenizer": "-x"}, "field 'tokenizer': must not start with '-'"),
        ({"extra_args": ["--x", "a\x00b"]}, "extra_args contains a NUL byte"),
        ({"env": {"A": "x\x00y"}}, "env A contains a NUL byte"),
        ({"recipe": "../../etc/passwd"}, "field 'recipe': must be a recipe file name"),
        ({"framework": "vllm; rm -rf /"}, "field 'framework'"),
    ],
)
def test_hostile_jobs_are_refused(changes, expected):
    with pytest.raises(JobError, match=expected):
        parse_jobs({**BASE, **changes})


def test_hostile_strings_stay_single_argv_elements():
    nasty = "m; rm -rf / $(id) `id` {port} --host 0.0.0.0 \n'\""
    j = job(model=nasty, served_model_name="{port}", extra_args=["--x", "a b; c"])
    plan = plan_job(j, 0, Path("/r"), "local", WORKFLOWS)
    argv, _ = server_command(plan, 1234)
    assert argv.count(nasty) == 1 and argv[2] == nasty
    assert argv[argv.index("--served-model-name") + 1] == "{port}"  # inserted, never re-expanded
    assert argv[-2:] == ["--x", "a b; c"]
    client, _ = client_command(plan, 1234, 4, 40, Path("/r/x"), "c4.json")
    assert client[client.index("--tokenizer") + 1] == nasty


def test_job_names_are_safe_and_unique():
    j = job(entry="../../x y/z:1")
    name = job_name(j, 0)
    assert "/" not in name and " " not in name and name.startswith("x-y-z-1-")
    assert job_name(j, 1) != name  # the same job twice in one file gets two folders
    assert job_name(j, 0) == name


# ---- recipes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_recipe_loads_and_renders(path):
    r = recipe.load_recipe(path.stem, WORKFLOWS)
    j = job(framework=r.framework, recipe=path.stem)
    run = {"concurrency": 2, "num_prompts": 20, "warmups": 4, "result_dir": "/d"}
    values = recipe.variables(j, r, host="h", bind_host="b", port=1, result_file="f", **run)
    assert recipe.server_argv(j, r, values)[0] and recipe.client_argv(r, values)


def test_vllm_topology_flags():
    r = recipe.load_recipe("vllm", WORKFLOWS)

    def argv(**changes):
        v = recipe.variables(job(**changes), r, host="h", bind_host="b", port=9)
        return recipe.server_argv(job(**changes), r, v)

    plain = argv()
    assert plain[:3] == ["vllm", "serve", "org/Model-8B"]
    assert plain[plain.index("--max-model-len") + 1] == "2304"
    assert plain[plain.index("--tensor-parallel-size") + 1] == "1"
    assert "--enable-expert-parallel" not in plain and "--data-parallel-size" not in plain
    moe = argv(tp=8, ep=8, pp=2, max_model_len=9000, extra_args=["--kv-cache-dtype", "fp8"])
    assert moe[moe.index("--tensor-parallel-size") + 1] == "8"
    assert "--enable-expert-parallel" in moe
    assert moe[moe.index("--pipeline-parallel-size") + 1] == "2"
    assert moe[moe.index("--max-model-len") + 1] == "9000"
    assert moe[-2:] == ["--kv-cache-dtype", "fp8"]
    dpa = argv(tp=8, ep=8, dp_attention=True)
    assert dpa[dpa.index("--data-parallel-size") + 1] == "8"
    assert dpa[dpa.index("--tensor-parallel-size") + 1] == "1"


def test_sglang_topology_flags_and_client():
    r = recipe.load_recipe("sglang", WORKFLOWS)
    j = job(framework="sglang", tp=4, ep=4, dp_attention=True, random_range_ratio=0.8)
    v = recipe.variables(
        j,
        r,
        host="127.0.0.1",
        bind_host="127.0.0.1",
        port=30000,
        concurrency=8,
        num_prompts=80,
        warmups=16,
        result_dir="/o/r0",
        result_file="c8.jsonl",
    )
    server = recipe.server_argv(j, r, v)
    assert server[:3] == ["python3", "-m", "sglang.launch_server"]
    assert server[server.index("--tp-size") + 1] == "4"
    assert server[server.index("--dp-size") + 1] == "4" and "--enable-dp-attention" in server
    assert server[server.index("--ep-size") + 1] == "4"
    assert server[server.index("--context-length") + 1] == "2304"
    client = recipe.client_argv(r, v)
    assert client[client.index("--output-file") + 1] == "/o/r0/c8.jsonl"
    assert client[client.index("--random-range-ratio") + 1] == "0.8"  # its own semantics
    assert client[client.index("--random-input-len") + 1] == "1024"


def test_range_ratio_means_the_same_lengths_for_both_clients():
    vllm = recipe.load_recipe("vllm", WORKFLOWS)
    v = recipe.variables(job(isl=1000, osl=200, random_range_ratio=0.8), vllm)
    # InferenceX's [0.8 L, L] as vLLM's [L'(1-r), L'(1+r)]: L' = 0.9 L, r = 0.1 / 0.9
    assert (v["input_len"], v["output_len"]) == ("900", "180")
    assert float(v["range_ratio"]) == pytest.approx(1 / 9, abs=1e-6)
    fixed = recipe.variables(job(), vllm)
    assert (fixed["input_len"], fixed["range_ratio"]) == ("1024", "0.0")


def test_recipe_choice_aiter_on_amd_and_env_precedence():
    amd = job(hardware="mi355x-amds", env={"VLLM_ROCM_USE_AITER_MOE": "0"})
    plan = plan_job(amd, 0, Path("/r"), "local", WORKFLOWS)
    assert plan.recipe.name == "vllm-rocm-aiter"
    assert plan.env["VLLM_ROCM_USE_AITER"] == "1" and plan.env["VLLM_ROCM_USE_AITER_MOE"] == "0"
    assert recipe.recipe_for(job(), WORKFLOWS).name == "vllm"
    assert recipe.recipe_for(job(hardware="mi355x", recipe="vllm"), WORKFLOWS).name == "vllm"
    assert recipe.recipe_for(job(framework="sglang", hardware="b200"), WORKFLOWS).name == "sglang"


def test_recipe_errors(tmp_path):
    with pytest.raises(recipe.RecipeError, match="recipe 'nope' not found"):
        recipe.recipe_for(job(framework="nope"), tmp_path)
    (tmp_path / "a.yaml").write_text("extends: b\n")
    (tmp_path / "b.yaml").write_text("extends: a\n")
    with pytest.raises(recipe.RecipeError, match="extends itself"):
        recipe.load_recipe("a", tmp_path)
    bad = (WORKFLOWS / "vllm.yaml").read_text().replace("{served_model_name}", "{served_name}")
    (tmp_path / "vllm.yaml").write_text(bad)
    with pytest.raises(recipe.RecipeError, match=r"unknown value \{served_name\}"):
        server_command(plan_job(job(), 0, tmp_path, "local", tmp_path), 1)
    (tmp_path / "vllm.yaml").write_text("framework: vllm\nserver: {command: [x]}\n")
    with pytest.raises(recipe.RecipeError, match="client: Field required"):
        recipe.load_recipe("vllm", tmp_path)


# ---- launchers ----------------------------------------------------------------------------------


def test_docker_command_lines(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "secret")
    monkeypatch.setenv("PARETOBOT_HF_CACHE", "/data/hf")
    model = tmp_path / "model"
    model.mkdir()
    j = job(model=str(model), image="vllm/vllm-openai:v0.32.0", env={"VLLM_X": "1"})
    plan = plan_job(j, 0, tmp_path / "out", "docker", WORKFLOWS)
    argv, env = server_command(plan, 8123)
    name = f"paretobot-{plan.name}"
    out = str((tmp_path / "out").resolve())
    assert argv[:5] == ["docker", "run", "--rm", "--name", name]
    assert argv[5:10] == ["--gpus", "all", "--ipc", "host", "--shm-size"]
    p, e = argv.index("-p"), argv.index("-e")
    assert argv[p : p + 2] == ["-p", "127.0.0.1:8123:8123"]
    assert argv[e : e + 4] == ["-e", "VLLM_X=1", "-e", "HF_TOKEN"]
    assert "secret" not in " ".join(argv) and env["HF_TOKEN"] == "secret"
    assert f"{out}:{out}" in argv and f"{model.resolve()}:{model.resolve()}" in argv
    assert "/data/hf:/root/.cache/huggingface" in argv  # weights downloaded once per machine
    tail = argv[argv.index("--entrypoint") :]
    assert tail[:5] == ["--entrypoint", "vllm", "vllm/vllm-openai:v0.32.0", "serve", str(model)]
    assert tail[tail.index("--host") + 1] == "0.0.0.0"
    client, _ = client_command(plan, 8123, 2, 20, Path(out) / plan.name / "r0", "c2.json")
    assert client[:6] == ["docker", "exec", "-e", "VLLM_X=1", "-e", "HF_TOKEN"]
    assert client[6:10] == [name, "vllm", "bench", "serve"]
    assert client[client.index("--base-url") + 1] == "http://127.0.0.1:8123"
    version, _ = version_command(plan)
    assert version[-4:] == ["--entrypoint", "vllm", "vllm/vllm-openai:v0.32.0", "--version"]
    assert launch.cleanup_commands(plan.launcher) == [["docker", "rm", "--force", name]]


def test_rocm_docker_gets_devices_not_gpus():
    plan = plan_job(job(hardware="mi355x", image="rocm/vllm:x"), 0, Path("/o"), "docker", WORKFLOWS)
    argv, _ = server_command(plan, 1)
    assert "--gpus" not in argv and argv[argv.index("--device") + 1] == "/dev/kfd"
    assert "VLLM_ROCM_USE_AITER=1" in argv


def test_srun_command_lines(monkeypatch):
    monkeypatch.setenv("PARETOBOT_HF_CACHE", "/hf")
    j = job(image="nvcr.io#vllm/vllm-openai:v0.32.0", env={"A": "1"})
    plan = plan_job(j, 0, Path("/scratch/out"), "srun", WORKFLOWS)
    argv, env = server_command(plan, 8000)
    name = f"paretobot-{plan.name}"
    assert argv[:7] == [
        "srun",
        "--ntasks=1",
        "--container-image=nvcr.io#vllm/vllm-openai:v0.32.0",
        f"--container-name={name}",
        "--no-container-mount-home",
        "--container-mounts=/scratch/out:/scratch/out,/hf:/root/.cache/huggingface",
        "--container-env=A",
    ]
    assert argv[7:10] == ["vllm", "serve", "org/Model-8B"] and env["A"] == "1"
    client, _ = client_command(plan, 8000, 1, 10, Path("/scratch/out/x/r0"), "c1.json")
    assert client[:4] == ["srun", "--ntasks=1", "--overlap", f"--container-name={name}"]
    assert launch.cleanup_commands(plan.launcher) == []


def test_containers_need_an_image():
    with pytest.raises(launch.LaunchError, match="the docker launcher needs the job's image"):
        plan_job(job(), 0, Path("/o"), "docker", WORKFLOWS)


def test_local_launch_is_the_recipe_command_itself():
    plan = plan_job(job(env={"A": "b"}), 0, Path("/o"), "local", WORKFLOWS)
    argv, env = server_command(plan, 8000)
    assert argv[:2] == ["vllm", "serve"] and argv[argv.index("--host") + 1] == "127.0.0.1"
    assert env["A"] == "b" and "PATH" in env


# ---- failures -----------------------------------------------------------------------------------


def test_real_head_dim_16_failure_is_a_crash_with_its_cause():
    lines = fl.read_log(HEAD_DIM_LOG)
    expected = "RuntimeError: Unsupported CPU attention configuration: head_dim=16 isa=2"
    assert fl.cause_line(lines).startswith(expected)
    assert fl.server_cause(0, lines, before_healthy=False) == "crash"
    assert fl.server_cause(0, lines, before_healthy=True) == "launch-failure"
    tail = fl.log_tail(lines)
    assert len(tail) == 50 and "head_dim=16" in tail[0] and tail[1] == "[...]"
    assert not any(line.startswith(("nanobind", " - leaked")) or not line for line in tail)
    # the OSError in vLLM's start-up ulimit WARNING is not taken for the cause
    assert not fl.cause_line([ln for ln in lines if "head_dim" not in ln]).startswith("OSError")


@pytest.mark.parametrize(
    "line",
    [
        "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a "
        "total capacity of 79.15 GiB of which 1.06 GiB is free.",
        "(EngineCore_DP0 pid=81) ERROR 11-27 [core.py:708] ValueError: No available memory for "
        "the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.",
        "RuntimeError: HIP error: out of memory",
        "[rank0]: torch.OutOfMemoryError: HIP out of memory. Tried to allocate 7.00 GiB.",
        "ERROR: std::bad_alloc",
    ],
)
def test_out_of_memory_lines(line):
    lines = ["INFO starting", line, "Traceback (most recent call last):", "RuntimeError: later"]
    assert fl.server_cause(1, lines, before_healthy=True) == "out-of-memory"
    assert fl.server_cause(1, lines, before_healthy=False) == "out-of-memory"


@pytest.mark.parametrize(
    "line",
    [
        "INFO 11-27 [gpu_worker.py:1] Reduce gpu_memory_utilization to avoid out of memory errors",
        "WARNING 11-27 [x.py:1] torch.OutOfMemoryError: retrying with a smaller batch",
        "INFO Memory profiling takes 3.2 seconds; available KV cache memory: 60.1 GiB",
    ],
)
def test_mentions_of_memory_are_not_out_of_memory(line):
    assert fl.server_cause(1, ["INFO ok", line], before_healthy=True) == "launch-failure"


def test_sigkill_is_out_of_memory_only_with_the_kernels_word():
    assert fl.server_cause(-9, ["INFO loading"], before_healthy=False, oom_kills=1) == (
        "out-of-memory"
    )
    assert fl.server_cause(137, [], before_healthy=True, oom_kills=2) == "out-of-memory"
    assert fl.server_cause(-9, ["INFO loading"], before_healthy=False, oom_kills=0) == "crash"
    assert fl.exit_text(-9) == "was killed by SIGKILL" and fl.exit_text(3) == "exited with code 3"


def test_point_counts_from_real_result_files(tmp_path):
    assert fl.read_point(REAL / "vllm" / "c1.json", "json", 32) == fl.PointResult(32, 0)
    sglang = tmp_path / "c4.jsonl"
    sglang.write_text((REAL / "sglang" / "tiny_sweep.jsonl").read_text().splitlines()[2] + "\n")
    assert fl.read_point(sglang, "jsonl", 40) == fl.PointResult(32, 8)  # failed = prompts - done
    with pytest.raises(ValueError, match="no readable result file"):
        fl.read_point(tmp_path / "absent.json", "json", 10)
    (tmp_path / "bad.json").write_text('{"completed": 3')
    with pytest.raises(ValueError, match="is not JSON"):
        fl.read_point(tmp_path / "bad.json", "json", 10)
    (tmp_path / "odd.json").write_text('{"completed": "three"}')
    with pytest.raises(ValueError, match="no 'completed' count"):
        fl.read_point(tmp_path / "odd.json", "json", 10)


def test_client_error_threshold_is_more_than_five_percent():
    assert not fl.PointResult(19, 1).too_many_errors  # exactly 5%
    assert fl.PointResult(18, 2).too_many_errors
    assert fl.PointResult(0, 0).too_many_errors


def test_failure_record_is_what_ingest_reads():
    lines = fl.read_log(HEAD_DIM_LOG)
    record = fl.failure_record("crash", "server exited during the warm-up", 1, lines)
    assert set(record) == {
        "paretobot",
        "run_id",
        "at",
        "cause",
        "concurrency",
        "message",
        "log_tail",
    }
    parsed = parse_failure(json.loads(json.dumps(record)))
    assert (parsed.cause, parsed.concurrency) == ("crash", 1)
    with pytest.raises(AssertionError):
        fl.failure_record("segfault", "x", None, [])


# ---- metadata, versions, host facts -------------------------------------------------------------


def test_metadata_has_exactly_the_keys_ingest_accepts():
    meta = output.metadata(
        job(tp=8, ep=8),
        framework_version="0.32.0+cpu",
        framework_commit=None,
        image_digest=None,
        run_id="1-1",
        repeat=1,
        started_at=output.now_iso(),
    )
    accepted = set(Metadata.model_fields) - {"prefill_gpus", "decode_gpus"}
    assert set(meta) == accepted
    parsed = Metadata(**json.loads(json.dumps(meta)))
    assert (parsed.gpus, parsed.tp, parsed.framework_version, parsed.repeat) == (
        8,
        8,
        "0.32.0+cpu",
        1,
    )
    assert (
        output.metadata(
            job(served_model_name="tiny"),
            framework_version="x",
            framework_commit="",
            image_digest=None,
            run_id="r",
            repeat=0,
            started_at="2026-01-01T00:00:00+00:00",
        )["model"]
        == "tiny"
    )


def test_run_id():
    assert output.make_run_id({"GITHUB_RUN_ID": "123", "GITHUB_RUN_ATTEMPT": "2"}) == "123-2"
    a, b = output.make_run_id({}), output.make_run_id({})
    assert a.startswith("local-") and a != b


def test_versions_and_commits():
    assert system.parse_version("Triton is installed...\n0.32.0+cpu\n") == "0.32.0+cpu"
    assert system.parse_version("INFO something\nvllm 0.11.0\n") == "0.11.0"
    assert system.parse_version("Traceback ...\nImportError: no\n") is None
    assert system.commit_from_version("0.11.1rc2.dev45+g1234abcd") == "1234abcd"
    assert system.commit_from_version("0.32.0+cpu") is None
    assert system.image_digest("vllm/x@sha256:abc") == "sha256:abc"
    inspect = '["vllm/vllm-openai@sha256:0123"]'
    assert system.image_digest("vllm/vllm-openai:v1", inspect) == "sha256:0123"
    assert system.image_digest("vllm/vllm-openai:v1", None) is None


def test_gpu_tools_output():
    nvidia = "NVIDIA B200, 570.133.20, 183359\nNVIDIA B200, 570.133.20, 183359\n"
    assert system.nvidia_gpus(nvidia)[1] == {
        "model": "NVIDIA B200",
        "driver": "570.133.20",
        "memory_mib": 183359,
    }
    rocm = {
        "card0": {"Card Series": "AMD Instinct MI355X", "VRAM Total Memory (B)": "309220868096"},
        "system": {"Driver version": "6.12.12"},
    }
    gpus = system.rocm_gpus(json.dumps(rocm))
    memory = 309220868096 // 2**20
    assert gpus == [{"model": "AMD Instinct MI355X", "driver": "6.12.12", "memory_mib": memory}]
    assert system.rocm_gpus("not json") == []


def test_cpu_machine_is_described_as_cpu():
    facts = system.accelerators()
    if facts["kind"] == "cpu":
        assert facts["count"] == 0 and facts["cores"] >= 1 and facts["memory_gib"] > 0


# ---- progress -----------------------------------------------------------------------------------


def test_estimate_left():
    assert progress.estimate_left([], 5, [], 0) is None
    assert progress.estimate_left([10.0, 20.0], 4, [], 0) == 60.0
    assert progress.estimate_left([10.0], 2, [30.0], 1) == 50.0
    assert progress.estimate_left([10.0], 0, [], 2) is None  # no server start measured yet
    assert progress.estimate_left([], 0, [], 0) == 0.0
    with pytest.raises(ValueError):
        progress.estimate_left([1.0], -1, [], 0)


def test_progress_counts_and_format(capsys):
    p = progress.Progress(points_total=6, starts_total=2, out=sys.stderr)
    p.server_started(30.0)
    p.point_begins("cfg", 0, 2, 4, 40)
    p.point_done(10.0, "ok")
    p.drop(2)
    assert (p.points_left, p.starts_left) == (3, 1)
    assert p.left() == 3 * 10.0 + 30.0
    err = capsys.readouterr().err
    assert "[1/6] cfg r0 (repeat 1 of 2) c4 (40 prompts) | elapsed 0s, about ? left" in err
    assert "ok in 10s | elapsed 0s, about 1m20s left" in err  # 5 points x 10 s + a start
    assert [progress.fmt_duration(s) for s in (None, 5, 65, 3725)] == ["?", "5s", "1m05s", "1h02m"]


# ---- the command line ---------------------------------------------------------------------------


def run_cli(capsys, *args):
    code = cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_bad_job_files_are_one_line_bot_errors(tmp_path, capsys):
    bad = write(tmp_path, json.dumps([BASE, {**BASE, "concurency": [1]}]))
    code, _, err = run_cli(capsys, "run-job", bad, "--out", tmp_path / "out")
    assert code == 1 and err.count("\n") == 1
    assert err.startswith("paretobot: ") and "job 1: field 'concurency'" in err
    assert not (tmp_path / "out").exists()


def test_unwritable_out_missing_recipe_and_taken_folder_are_bot_errors(tmp_path, capsys):
    good = write(tmp_path, json.dumps(BASE))
    (tmp_path / "file").write_text("")
    code, _, err = run_cli(capsys, "run-job", good, "--out", tmp_path / "file" / "out")
    assert code == 1 and "cannot write there" in err and err.count("\n") == 1
    code, _, err = run_cli(
        capsys, "run-job", good, "--out", tmp_path / "o", "--recipes", tmp_path / "none"
    )
    assert code == 1 and "job 0: recipe 'vllm' not found" in err
    code, _, err = run_cli(capsys, "run-job", good, "--out", tmp_path / "o", "--launcher", "docker")
    assert code == 1 and "job 0: the docker launcher needs the job's image" in err
    (tmp_path / "o" / job_name(parse_jobs(BASE)[0], 0)).mkdir(parents=True)
    code, _, err = run_cli(capsys, "run-job", good, "--out", tmp_path / "o")
    assert code == 1 and "already holds" in err


def test_dry_run_prints_the_commands_and_runs_nothing(tmp_path, capsys):
    example = WORKFLOWS / "examples" / "vllm-mi355x.json"
    args = ("run-job", example, "--out", tmp_path / "o", "--dry-run")
    code, out, _ = run_cli(capsys, *args, "--json", "--launcher", "docker")
    (plan,) = json.loads(out)
    assert code == 0 and plan["recipe"] == "vllm-rocm-aiter"
    assert plan["server"][:2] == ["docker", "run"] and plan["client_runs"] == 8 * 3 + 1
    assert plan["env"]["VLLM_ROCM_USE_AITER"] == "1"
    code, out, _ = run_cli(capsys, *args)
    assert code == 0 and "  server vllm serve deepseek-ai/DeepSeek-V4-Pro --host 127.0.0.1" in out
    assert not (tmp_path / "o").exists()


def test_recipes_ship_in_the_package_and_a_team_folder_wins(tmp_path, monkeypatch):
    monkeypatch.delenv("PARETOBOT_RECIPES", raising=False)
    monkeypatch.chdir(tmp_path)  # wherever paretobot runs (tests/test_install.py: a real wheel)
    assert recipe.recipes_dir() == Path(recipe.__file__).parents[1] / "defaults" / "recipes"
    monkeypatch.setenv("PARETOBOT_RECIPES", "/etc/recipes")
    assert recipe.recipes_dir() == Path("/etc/recipes")


def test_dispatched_jobs_label_results_with_the_planned_model():
    from bot.runner.job import JobSpec as RunnerJob

    base = {"model": "amd/DeepSeek-R1-0528-MXFP4", "framework": "sglang", "hardware": "mi355x",
            "precision": "fp4", "isl": 8192, "osl": 1024, "concurrencies": [4]}  # fmt: skip
    assert RunnerJob(**base).result_model == "amd/DeepSeek-R1-0528-MXFP4"
    assert RunnerJob(**base, model_key="dsr1").result_model == "dsr1"  # the matrix's model-prefix


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"isl": 0, "osl": 0}, "job 1: isl/osl 0 \\(agentic trace replay\\) is not supported"),
        ({"disagg": True}, "job 1: disaggregated serving"),
    ],
)
def test_valid_jobs_the_runner_cannot_serve_are_refused_before_anything_runs(
    tmp_path, changes, expected
):
    """The wire format carries what the planner plans; run-job refuses what it cannot serve."""
    (job,) = parse_jobs([{**BASE, **changes}])
    with pytest.raises(JobError, match=expected):
        plan_job(job, 1, tmp_path, "local")


def test_a_confirming_rerun_of_a_deterministic_failure_is_its_own_record():
    """The same OOM with the same log, rerun to confirm it, must not be bytes ingest takes for a
    copy of the first record (a copy is counted once): each record names its run and time."""
    lines = ["torch.OutOfMemoryError: CUDA out of memory."]
    first = fl.failure_record("out-of-memory", "oom", None, lines, run_id="r1-aa", at="t1")
    again = fl.failure_record("out-of-memory", "oom", None, lines, run_id="r2-bb", at="t2")
    assert json.dumps(first) != json.dumps(again)
    assert parse_failure(first).cause == parse_failure(again).cause == "out-of-memory"
