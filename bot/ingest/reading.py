"""What a parser returns: one measured point plus the facts its file states about it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bot.ingest import fields as f
from bot.ingest.metadata import Metadata
from bot.model import ConfigKey, Point


@dataclass(frozen=True)
class Throughput:
    """Whole-deployment token rates (tok/s); divided by GPUs once the configuration is known."""

    total: float
    output: float | None = None
    input: float | None = None

    def per_gpu(self, point: Point, config: ConfigKey) -> Point:
        # InferenceX: output per decode GPU and input per prefill GPU when disaggregated.
        out_gpus = config.decode_gpus if config.disagg else config.gpus
        in_gpus = config.prefill_gpus if config.disagg else config.gpus
        return replace(
            point,
            tput_per_gpu=self.total / config.gpus,
            output_tput_per_gpu=None if self.output is None else self.output / out_gpus,
            input_tput_per_gpu=None if self.input is None else self.input / in_gpus,
        )


@dataclass(frozen=True)
class Reading:
    stated: Metadata  # what the file itself says about configuration and build
    point: Point  # per-GPU throughput already set when the file states it
    throughput: Throughput | None = None  # set when the file gives totals instead
    # Why this concurrency measured nothing (the point then holds only its concurrency): a failed
    # concurrency of the sweep, stored as data beside the other points.
    failure: str | None = None


def latencies_ms(doc: Mapping[str, Any], names: Mapping[str, str], scale: float = 1.0) -> dict:
    """Point latency fields from a file's keys (`names`: point field -> file key), scaled to ms."""
    out = {}
    for field, key in names.items():
        value = f.number(doc, key)
        out[field] = None if value is None else value * scale
    return out


VLLM_LATENCIES = {
    f"{stat}_{metric}_ms": f"{stat}_{metric}_ms"
    for stat in ("median", "mean", "p90", "p99")
    for metric in ("ttft", "tpot", "itl", "e2el")
}
