"""Builds tests/data/attribution/labelled-cases.json: the labelled set the ranking is measured on.

Four sources, all over ROCm/aiter's real first-parent history (aiter-commits-2026.jsonl):

- changelog: InferenceX perf-changelog entries that name an aiter PR (the 3 cases of
  aiter-cases.json, with the kind read by hand from the entry);
- revert: aiter reverts of an earlier PR touching shipped code (the 29 cases of
  aiter-revert-cases.json); the reverted PR is the culprit, kind "regression", configuration
  unknown;
- perf-title: aiter PRs whose title reports a measured speed-up ("18% average", "+3~13%
  throughput", "performance improvement"), kind "improvement", configuration unknown;
- capability: aiter PRs that add a capability a configuration needs to run at all (a head count,
  a dtype, an architecture, a removed guard), kind "unlock", with the configuration that needs it
  read by hand from the title (the InferenceX model whose heads / dtype / GPU it names; model
  "unknown" where no model follows from it). Only #3751 also has changelog evidence (entry 1937).

Window: the main-branch commits between the two final release tags whose dates bracket the
culprit (a revert's window also stops before the revert). Windows of more than 100 commits are cut
into equal blocks of at most 100 and the block holding the culprit is kept, so the culprit's place
in the window is not chosen by hand.

Split: within each source, cases sorted by the culprit's merge date; the earlier half (rounded up)
is "train" (weights may be tuned looking at it), the later half "held-out" (never looked at).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

# pr -> (configuration key as InferenceX writes it, or None; gpus/tp/dp_attention; why unlock)
CAPABILITY: dict[int, tuple[str | None, dict[str, Any], str]] = {
    1857: ("dsr1-fp8-mi355x-sglang", {}, "enables the asm MLA prefill persistent mode on gfx950"),
    2031: ("dsr1-fp4-mi355x-sglang", {"gpus": 4, "tp": 4},
           "adds DeepSeek FP4 at TP2/TP4 (64/32 heads per GPU), which had no kernel"),
    2105: ("70b-fp8-mi300x-vllm", {}, "adds per-tensor FP8 to MHA fwd v3 hdim128 on MI300/MI308"),
    2461: ("kimik2.5-int4-mi355x-vllm-mtp", {},
           "MLA PS mode for nhead=8 with MTP 4 on MI350 (Kimi's 64 heads at TP8)"),
    2641: (None, {}, "removes the KV-cache offset overflow assert in batch prefill (a guard)"),
    2852: ("kimik2.5-int4-mi300x-vllm-mtp", {}, "MLA PS mode for nhead 8 (MTP 2) on MI308"),
    2927: ("dsr1-fp8-mi355x-sglang", {"dp_attention": True},
           "re-enables the native qh128 FP8 MLA kernel on gfx950 (128 heads: DP attention)"),
    3046: ("dsr1-fp8-mi355x-sglang-mtp", {"dp_attention": True},
           "adds nhead128 mask=1 so MTP < 4 runs"),
    3211: (None, {}, "ASM paged attention with block_id > 65535 (large KV caches)"),
    3304: ("dsr1-fp8-mi355x-sglang", {"gpus": 4, "tp": 4},
           "adds the FP8 qh32 seqlen=1 persistent MLA kernel on gfx950 (128 heads at TP4)"),
    3751: ("dsv4-fp4-mi355x-atom", {},
           "DSv4 sparse prefill attention on gfx950; changelog entry 1937 kept this config at "
           "CONC=1 'before upstream AITER sparse-attention support lands'"),
    3874: ("kimik3-fp4-mi355x-vllm-agentic-mtp", {},
           "bf16 MLA decode on gfx950 for query lengths > 4 (MTP verify with bf16 KV)"),
    3943: (None, {"hardware": "mi300x"}, "removes a KV-cache assert for older archs (a guard)"),
    4218: ("qwen3.5-fp8-mi355x-sglang", {},
           "pool indexing of hidden states in the gated-delta-rule prefill kernel"),
    4440: ("dsv4-fp4-mi355x-vllm", {}, "DSv4 paged MQA logits with block sizes > 1"),
    4625: (None, {}, "MLA reduction for 96 heads x 128 dims"),
    4710: (None, {}, "MLA reduction for 24 heads x 512 dims"),
    4727: (None, {}, "MLA reduction for 48 heads x 128 dims"),
}  # fmt: skip

# PRs whose title reports a measured runtime speed-up (compile-time and test speed-ups left out).
PERF_TITLE = (1755, 1869, 1879, 3407, 4040, 4068, 4307, 4502, 4706, 4733)

MAX_WINDOW = 100


def block(window: list[int], label: int) -> tuple[list[int], str]:
    """The equal block of at most MAX_WINDOW indices of `window` that holds `label`."""
    if len(window) <= MAX_WINDOW:
        return window, "whole"
    parts = math.ceil(len(window) / MAX_WINDOW)
    size = math.ceil(len(window) / parts)
    at = window.index(label) // size
    return window[at * size : (at + 1) * size], f"block {at + 1} of {parts} ({len(window)})"


def config_of(key: str | None, extra: dict[str, Any], from_key) -> dict[str, Any] | None:
    if key is None and not extra.get("hardware"):
        return None
    config = from_key(key or f"unknown-unknown-{extra['hardware']}-unknown")
    return config | {k: v for k, v in extra.items() if k != "hardware"}


def build(rows: list[dict[str, Any]], changelog_cases, revert_cases, window_of, from_key):
    """All labelled cases: the changelog and revert cases re-windowed, plus the perf-title and
    capability cases; each with `source`, `kind`, `config`, `label`, `window`, `half`."""
    index = {r["sha"]: i for i, r in enumerate(rows)}
    by_pr = {r["pr"]: i for i, r in enumerate(rows) if r["pr"]}
    cases: list[dict[str, Any]] = []
    for case in changelog_cases + revert_cases:
        label = index[case["label"]["sha"]]
        inside, part = block([index[s] for s in case["candidates"]], label)
        source = {"kind": "changelog" if case["id"].startswith("changelog") else "revert"}
        cases.append(_case(rows, case["id"], source | case["source"], case["config"],
                           case["kind"], case.get("kind_why", "a revert: the PR hurt something"),
                           label, case["window"], inside, part))  # fmt: skip
    for pr in PERF_TITLE:
        label = by_pr[pr]
        window = window_of(rows, label)
        inside, part = block(window.pop("rows"), label)
        why = "the title reports a measured speed-up"
        cases.append(_case(rows, f"perf-title-{pr}", {"kind": "perf-title"}, None, "improvement",
                           why, label, window, inside, part))  # fmt: skip
    for pr, (key, extra, why) in CAPABILITY.items():
        label = by_pr[pr]
        window = window_of(rows, label)
        inside, part = block(window.pop("rows"), label)
        source = {"kind": "capability", "config-key": key}
        cases.append(_case(rows, f"capability-{pr}", source, config_of(key, extra, from_key),
                           "unlock", why, label, window, inside, part))  # fmt: skip
    date = {r["sha"]: datetime.fromisoformat(r["date"]) for r in rows}
    for kind in dict.fromkeys(c["source"]["kind"] for c in cases):
        mine = sorted((c for c in cases if c["source"]["kind"] == kind),
                      key=lambda c: (date[c["label"]["sha"]], c["id"]))  # fmt: skip
        for i, case in enumerate(mine):
            case["half"] = "train" if i < (len(mine) + 1) // 2 else "held-out"
    return cases


def _case(rows, ident, source, config, kind, why, label, window, inside, part) -> dict[str, Any]:
    row = rows[label]
    shown = {k: v for k, v in window.items() if k not in ("rows", "size")}
    return {
        "id": ident,
        "source": source,
        "config": config,
        "kind": kind,
        "kind_why": why,
        "label": {"pr": row["pr"], "sha": row["sha"], "title": row["title"], "date": row["date"]},
        "window": shown | {"part": part, "size": len(inside)},
        "candidates": [rows[i]["sha"] for i in inside],
    }
