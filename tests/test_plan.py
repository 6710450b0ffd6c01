"""The benchmark matrix as InferenceX writes it, and the planner's choices with their reasons."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from bot.config import ConfigError, config_dir
from bot.config.matrix import load_matrix, load_matrix_file
from bot.config.upstreams import load_rules, load_upstreams
from bot.model import UpstreamEvent
from bot.plan import is_watched, models_in_title, plan, touches

MATRIX = load_matrix()
UPSTREAMS = load_upstreams()
RULES = load_rules()
VLLM = UPSTREAMS.upstream("vllm-project/vllm")
NOW = datetime(2026, 11, 27, tzinfo=UTC)


def event(kind="pull", name="1", title="x", files=(), labels=(), upstream="vllm-project/vllm"):
    return UpstreamEvent(upstream, kind, name, title, "u", NOW, "sha", tuple(labels), tuple(files))


def test_real_matrix_expands_by_hand_counted_entries():
    jobs = [j for j in MATRIX if j.entry == "dsr1-fp4-mi355x-sglang"]
    # two search spaces, tp 4 and tp 8, each conc 4..64 doubling: 4, 8, 16, 32, 64
    assert [j.config.tp for j in jobs] == [4, 8]
    assert all(j.concurrencies == (4, 8, 16, 32, 64) for j in jobs)
    assert jobs[0].config.slug == (
        "dsr1/fp4/mi355x/sglang/tp4-ep1-dpafalse/4gpu/spec-none/disagg-false/8192x1024/fixed-seq-len"
    )
    assert jobs[0].model_id == "amd/DeepSeek-R1-0528-MXFP4-Preview"
    assert jobs[0].runner == "mi355x"


def test_disaggregated_and_aggregated_multinode_entries():
    raw = yaml.safe_load((config_dir() / "nvidia-master.yaml").read_text())
    name = next(k for k, v in raw.items() if v.get("disagg"))
    space = raw[name]["scenarios"]["fixed-seq-len"][0]["search-space"][0]
    p, d = space["prefill"], space["decode"]
    job = next(j for j in MATRIX if j.entry == name)
    assert job.config.disagg
    assert job.config.prefill_gpus == p["num-worker"] * p["tp"]
    assert job.config.decode_gpus == d["num-worker"] * d["tp"]
    assert job.config.gpus == job.config.prefill_gpus + job.config.decode_gpus
    # kimik3 on H200 is multinode but aggregated: two TP16 workers on the prefill side only
    agg = next(j for j in MATRIX if j.entry == "kimik3-fp4-h200-vllm-agentic")
    assert not agg.config.disagg and agg.config.gpus == 32 and agg.config.tp == 16
    assert agg.config.scenario == "agentic-coding" and agg.config.isl == 0


def test_matrix_errors_name_file_entry_and_field(tmp_path):
    path = tmp_path / "x-master.yaml"
    path.write_text(
        "e1:\n  image: i\n  model: m\n  model-prefix: p\n  runner: h100\n  precision: fp8\n"
        "  framework: vllm\n  multinode: false\n  scenarios:\n    fixed-seq-len:\n"
        "    - isl: 1024\n      osl: 1024\n      search-space:\n"
        "      - {tp: 8, conc-start: 64, conc-end: 4}\n      - {tp: 8, conc-lst: [4]}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_matrix_file(path)
    text = str(caught.value)
    assert str(path) in text
    assert "e1.scenarios.fixed-seq-len.0.search-space.0" in text and "conc-end is below" in text
    assert "search-space.1.conc-lst" in text  # a typo is an error, not a silently dropped key
    path.write_text("e1: [")
    with pytest.raises(ConfigError, match="cannot read YAML"):
        load_matrix_file(path)


def test_path_globs():
    assert touches(["vllm/model_executor/layers/fused_moe/a/b.py"], ["vllm/model_executor/**"])
    assert touches(["aiter.py"], ["**/*aiter*"]) and touches(["x/y/my_aiter.cu"], ["**/*aiter*"])
    assert not touches(["vllm/platforms/rocm.py"], ["vllm/*.py"])  # * stays in one folder
    assert not touches(["docs/x.md"], ["csrc/**"])


def test_models_in_titles():
    assert models_in_title("[Perf] Faster fused MoE for Kimi-K3", RULES.models) == {"kimik3"}
    assert models_in_title("Fix DeepSeek-V4 and Qwen3.5 loading", RULES.models) == {
        "dsv4",
        "qwen3.5",
    }
    assert models_in_title("Refactor qwen3.50 parser", RULES.models) == set()  # whole words


def test_plan_for_a_moe_pr_names_the_rules_and_respects_the_budget():
    pr = event(
        title="[Perf] Faster fused MoE for Kimi-K3",
        files=["vllm/model_executor/layers/fused_moe/fused_moe.py"],
    )
    p = plan(pr, VLLM, RULES, MATRIX, UPSTREAMS.budget)
    assert 0 < len(p.jobs) <= UPSTREAMS.budget.jobs_per_event
    assert all(j.config.framework in VLLM.frameworks for j in p.jobs)
    # Kimi-K3 named in the title and MoE kernels touched: the narrow rule's picks come first
    assert p.jobs[0].config.model == "kimik3"
    assert p.jobs[0].reasons == ("model-named-in-title", "fused-moe-kernels")
    assert all(j.build.version == "pr-1" and j.build.commit == "sha" for j in p.jobs)
    # every model in this matrix is a MoE model, so the MoE rule picks every vLLM-fed job
    fed = [j for j in MATRIX if j.config.framework in VLLM.frameworks]
    assert len(p.jobs) + len(p.dropped) == len(fed)
    assert all("per-event budget of 24" in why for _, why in p.dropped)
    kimi_first = [j.config.model == "kimik3" for j in p.jobs]
    assert kimi_first == sorted(kimi_first, reverse=True)


def test_rocm_pr_plans_only_amd_hardware():
    pr = event(title="[ROCm] fix", files=["vllm/platforms/rocm.py"], labels=["rocm"])
    p = plan(pr, VLLM, RULES, MATRIX, UPSTREAMS.budget)
    assert p.jobs and {j.config.hardware for j in p.jobs} <= {"mi300x", "mi325x", "mi355x"}
    assert p.jobs[0].reasons == ("rocm-platform", "rocm-label")


def test_aiter_release_plans_amd_configs_on_its_frameworks():
    aiter = UPSTREAMS.upstream("ROCm/aiter")
    p = plan(
        event("release", "v0.1.9", upstream="ROCm/aiter"), aiter, RULES, MATRIX, UPSTREAMS.budget
    )
    assert p.jobs and {j.config.hardware for j in p.jobs} <= {"mi300x", "mi325x", "mi355x"}
    assert {j.config.framework for j in p.jobs} <= set(aiter.frameworks)
    assert p.jobs[0].reasons[0] == "release" and "aiter-change" in p.jobs[0].reasons


def test_unwatched_pr_is_ignored_and_plans_nothing():
    docs = event(title="docs", files=["docs/index.md"])
    assert not is_watched(docs, VLLM)
    assert plan(docs, VLLM, RULES, MATRIX, UPSTREAMS.budget).jobs == ()
    assert is_watched(event(title="x", files=["docs/a.md"], labels=["Performance"]), VLLM)


def test_rules_file_errors(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - {name: a, match: {kinds: [merge]}, select: {}}\n")
    with pytest.raises(ConfigError, match=r"rules.0.match.*unknown event kinds"):
        load_rules(path)
    path.write_text("rules:\n  - {name: a, match: {}, select: {models: [nope]}}\nmodels: {}\n")
    with pytest.raises(ConfigError, match=r"rule a: models \['nope'\]"):
        load_rules(path)
    up = tmp_path / "upstreams.yaml"
    up.write_text("upstreams: [{repo: 'not a repo', frameworks: [vllm]}]\n")
    with pytest.raises(ConfigError, match=r"upstreams\.0\.repo"):
        load_upstreams(up)
