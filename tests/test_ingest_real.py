"""Every real result file loads as it is, and its numbers match values computed by hand here."""

from __future__ import annotations

import json

import pytest
from conftest import AGENTIC, AGG, RAW, SHARED, VLLM_CPU, load_json

from bot.ingest import IngestError, Metadata, find_result_files, parse_file

GPTOSS = Metadata(hardware="h100", precision="mxfp4", framework="vllm", framework_version="v0.11")


@pytest.mark.parametrize("path", sorted(RAW.glob("*.json")), ids=lambda p: p.name[:16])
def test_inferencex_raw_points_match_hand_computed(path):
    doc = load_json(path)
    parsed = parse_file(path, GPTOSS)
    assert parsed.format == "inferencex-raw"
    (sweep,) = parsed.sweeps
    (point,) = sweep.points
    # 16 GPUs in all: the file name says gpus_16 with 8 for prefill (ctx) and 8 for decode (gen).
    assert sweep.config.gpus == 16
    assert (sweep.config.prefill_gpus, sweep.config.decode_gpus) == (8, 8)
    assert sweep.config.disagg is True
    assert point.tput_per_gpu == pytest.approx(doc["total_token_throughput"] / 16, rel=1e-12)
    assert point.output_tput_per_gpu == pytest.approx(doc["output_throughput"] / 8, rel=1e-12)
    input_rate = doc["total_token_throughput"] - doc["output_throughput"]
    assert point.input_tput_per_gpu == pytest.approx(input_rate / 8, rel=1e-9)
    assert point.interactivity == pytest.approx(1000 / doc["median_tpot_ms"], rel=1e-12)
    assert point.concurrency == doc["max_concurrency"]
    assert point.completed == doc["completed"] == doc["num_prompts"]
    assert point.failed == 0
    # ISL and OSL: 1,310,720 tokens over 1,280 requests at c128 is exactly 1024 each.
    assert (sweep.config.isl, sweep.config.osl) == (1024, 1024)
    assert sweep.config.model == "openai/gpt-oss-120b"


def test_inferencex_raw_c128_by_hand():
    (sweep,) = parse_file(
        RAW / "concurrency_128_req_rate_inf_gpus_16_ctx_8_gen_8.json", GPTOSS
    ).sweeps
    # 16736.560504280373 tok/s / 16 GPUs; 1000 / 14.892716348905914 ms
    assert sweep.points[0].tput_per_gpu == pytest.approx(1046.0350315175233)
    assert sweep.points[0].interactivity == pytest.approx(67.1469, rel=1e-5)


@pytest.mark.parametrize("path", sorted(AGG.glob("agg_*.json")), ids=lambda p: p.name[:30])
def test_inferencex_agg_states_its_own_configuration(path):
    doc = load_json(path)
    parsed = parse_file(path)  # no options: the file says everything
    assert parsed.format == "inferencex-agg"
    (sweep,) = parsed.sweeps
    (point,) = sweep.points
    cfg = sweep.config
    assert (cfg.hardware, cfg.model, cfg.precision, cfg.spec_method) == (
        "mi355x",
        "kimik2.5",
        "int4",
        "mtp",
    )
    assert (cfg.tp, cfg.ep, cfg.gpus, cfg.isl, cfg.osl) == (8, 1, 8, doc["isl"], doc["osl"])
    assert sweep.build.version == "v0.21.0"
    assert sweep.build.image == "vllm/vllm-openai-rocm:v0.21.0"
    assert point.tput_per_gpu == doc["tput_per_gpu"]
    # latencies are seconds in agg files and milliseconds in the model
    assert point.median_ttft_ms == pytest.approx(doc["median_ttft"] * 1000)
    assert point.interactivity == pytest.approx(1 / doc["median_tpot"], rel=1e-12)
    assert point.interactivity == pytest.approx(doc["median_intvty"], rel=1e-9)


def test_agg_bmk_splits_offload_variants_into_two_configurations():
    run = AGENTIC / "kimik2.5-fp4-mi355x-vllm-0603"
    doc = load_json(run / "agg_bmk.json")
    parsed = parse_file(run / "agg_bmk.json")
    assert parsed.format == "inferencex-agg-bmk"
    assert parsed.n_points == len(doc) == 20
    by_scenario = {s.config.scenario: s for s in parsed.sweeps}
    assert set(by_scenario) == {"agentic-coding", "agentic-coding+offload-lmcache"}
    lmcache = sorted((e["conc"], e["tput_per_gpu"]) for e in doc if e["offloading"] == "lmcache")
    lmcache_sweep = by_scenario["agentic-coding+offload-lmcache"]
    stored = [(p.concurrency, p.tput_per_gpu) for p in lmcache_sweep.points]
    assert stored == lmcache
    # no median TPOT in this schema: 1000 / mean TPOT (seconds in the file), not the file's mean
    # of per-request ratios
    entry = next(e for e in doc if e["offloading"] == "none" and e["conc"] == 8)
    point = next(p for p in by_scenario["agentic-coding"].points if p.concurrency == 8)
    assert point.interactivity == pytest.approx(1 / entry["mean_tpot"], rel=1e-12)
    assert point.interactivity_source == "mean_tpot"
    assert all(s.run_id == "kimik2.5-fp4-mi355x-vllm-0603" for s in parsed.sweeps)


def test_run_stats_counts():
    parsed = parse_file(AGENTIC / "kimik2.5-fp4-mi355x-vllm-0603" / "run_stats.json")
    assert parsed.format == "inferencex-run-stats"
    stats = {s.hardware: (s.succeeded, s.total) for s in parsed.run_stats}
    assert stats["mi355x"] == (20, 20)
    assert stats["b200"] == (0, 0)
    assert len(stats) == 9


@pytest.mark.parametrize(
    "path", sorted(AGENTIC.glob("agg_dsr1_*.json")), ids=lambda p: p.name[9:20]
)
def test_agentic_early_schema(path):
    doc = load_json(path)
    (sweep,) = parse_file(path).sweeps
    (point,) = sweep.points
    assert point.concurrency == doc["users"]
    assert (sweep.config.isl, sweep.config.osl) == (0, 0)  # trace replay: no fixed lengths
    assert sweep.config.scenario == "agentic-coding"  # offload_mode 'off' is no variant
    assert sweep.config.gpus == 4
    # no TPOT in the early schema: interactivity from the median inter-token latency (s)
    assert point.interactivity == pytest.approx(1 / doc["median_itl"])
    assert point.failed == doc["num_requests_total"] - doc["num_requests_successful"]


def test_vllm_bench_serve_needs_metadata_then_matches_hand_values():
    # every missing fact in one message
    with pytest.raises(
        IngestError,
        match="hardware, framework, precision, isl, GPU count and framework version unknown",
    ):
        parse_file(VLLM_CPU)
    meta = Metadata(hardware="cpu", tp=1, precision="bf16", framework="vllm", isl=128)
    parsed = parse_file(VLLM_CPU, meta.model_copy(update={"framework_version": "0.32.0"}))
    assert parsed.format == "vllm-bench-serve"
    (point,) = parsed.sweeps[0].points
    assert point.tput_per_gpu == pytest.approx(4365.6180572078765)  # one "GPU": the CPU
    assert point.interactivity == pytest.approx(1000 / 1.502121492063589)
    assert (point.concurrency, point.completed, point.failed) == (4, 32, 0)
    assert parsed.sweeps[0].config.osl == 64  # 2048 output tokens / 32 requests, exactly


def test_sidecar_supplies_what_the_file_lacks(tmp_path):
    target = tmp_path / "c4.json"
    target.write_bytes(VLLM_CPU.read_bytes())
    (tmp_path / "paretobot-meta.json").write_text(
        '{"hardware": "cpu", "gpus": 1, "precision": "bf16", "framework": "vllm",'
        ' "framework_version": "0.32.0", "isl": 128, "run_id": "r1"}'
    )
    (sweep,) = parse_file(target).sweeps
    assert (sweep.config.hardware, sweep.run_id, sweep.build.version) == ("cpu", "r1", "0.32.0")
    # a per-file sidecar wins over the folder's, and options win over both
    (tmp_path / "c4.json.meta.yaml").write_text("run_id: r2\n")
    assert parse_file(target).sweeps[0].run_id == "r2"
    assert parse_file(target, Metadata(run_id="r3")).sweeps[0].run_id == "r3"


def test_every_shared_file_is_either_loaded_or_refused_with_a_reason():
    files, problems = find_result_files([SHARED])
    assert not problems
    loaded, refused = 0, {}
    for path in files:
        try:
            parse_file(path, GPTOSS if path.parent == RAW else None)
            loaded += 1
        except IngestError as exc:
            refused[str(path.relative_to(SHARED))] = str(exc)
    # the vLLM CPU file lacks hardware; the H100 noise study is not a benchmark-client result;
    # the CI history's files from before images were recorded state no version (the one-call
    # ingest of that history passes --framework-version for them: test_ci_history*)
    versionless = {
        f"inferencex/ci-history/{d}/agg_bmk.json"
        for d in ("0601/results_bmk (2)", "0601/results_bmk (3)", "0601/results_bmk (9)",
                  "0602/results_bmk (11)")
    }  # fmt: skip
    assert set(refused) == {
        str(VLLM_CPU.relative_to(SHARED)),
        "gpu/h100-hf-generate-repeats.json",
        *versionless,
    }
    assert "unknown format" in refused["gpu/h100-hf-generate-repeats.json"]
    assert all("framework version unknown" in refused[p] for p in versionless)
    assert loaded == len(files) - 2 - len(versionless)


CPU_RUN = Metadata(
    hardware="cpu", gpus=1, precision="bf16", framework="vllm", framework_version="0.32.0"
)
REAL = SHARED.parent / "real"


def test_real_sglang_sweep_from_its_own_client():
    path = REAL / "sglang" / "tiny_sweep.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    parsed = parse_file(path, CPU_RUN.model_copy(update={"model": "tiny"}))
    assert parsed.format == "sglang-bench-serving"
    (sweep,) = parsed.sweeps  # four runs of one configuration, one line each
    assert [p.concurrency for p in sweep.points] == [1, 2, 4, 8]
    assert (sweep.config.isl, sweep.config.osl) == (128, 64)  # random_input_len / _output_len
    for line, point in zip(lines, sweep.points, strict=True):
        assert point.tput_per_gpu == pytest.approx(line["total_throughput"])  # one "GPU"
        assert point.input_tput_per_gpu == pytest.approx(line["input_throughput"])
        assert point.interactivity == pytest.approx(1000 / line["median_tpot_ms"])
        assert point.median_e2el_ms == line["median_e2e_latency_ms"]
        assert point.p90_e2el_ms == line["p90_e2e_latency_ms"]
        assert point.completed == 32 and point.accept_length is None


def test_sglang_total_is_input_plus_output_when_older_clients_omit_it(tmp_path):
    line = json.loads((REAL / "sglang" / "tiny_sweep.jsonl").read_text().splitlines()[2])
    del line["total_throughput"]
    line["accept_length"] = 2.5
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps(line) + "\n")
    (point,) = parse_file(path, CPU_RUN.model_copy(update={"model": "tiny"})).sweeps[0].points
    assert point.tput_per_gpu == pytest.approx(line["input_throughput"] + line["output_throughput"])
    assert point.accept_length == 2.5


def test_real_vllm_sweep_is_one_run():
    parsed = [
        parse_file(REAL / "vllm" / f"c{c}.json", CPU_RUN.model_copy(update={"isl": 128}))
        for c in (1, 2, 4, 8)
    ]
    assert {p.sweeps[0].run_id for p in parsed} == {"vllm"}  # the folder names the run
    for c, p in zip((1, 2, 4, 8), parsed, strict=True):
        doc = load_json(REAL / "vllm" / f"c{c}.json")
        (point,) = p.sweeps[0].points
        assert point.concurrency == c
        assert point.tput_per_gpu == pytest.approx(doc["total_token_throughput"])
        assert point.completed == doc["num_prompts"] == 32 and point.failed == 0
        assert p.sweeps[0].config.osl == 64  # 2048 tokens over 32 requests
