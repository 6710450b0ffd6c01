"""SGLang's benchmark client output: `python -m sglang.bench_serving --output-file X.jsonl`.

The client appends one JSON object per run, so one file often holds a whole concurrency sweep.
Names differ from vLLM's: `*_e2e_latency_ms`, `total_throughput` (absent in older releases, where it
is input + output), `accept_length` (speculative decoding), and no model or failure count.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.ingest import fields as f
from bot.ingest.metadata import parse_metadata
from bot.ingest.reading import Reading, Throughput, latencies_ms
from bot.model import Point

_LATENCIES = {
    f"{stat}_{metric}_ms": f"{stat}_{metric}_ms"
    for stat in ("median", "mean", "p90", "p99")
    for metric in ("ttft", "tpot", "itl")
} | {f"{stat}_e2el_ms": f"{stat}_e2e_latency_ms" for stat in ("median", "mean", "p90", "p99")}


def _reading(doc: Mapping[str, Any], line: int) -> Reading:
    where = f" (line {line})"
    try:
        concurrency = f.count(doc, "max_concurrency")
        if not concurrency:
            raise f.IngestError("missing required field 'max_concurrency' (the concurrency)")
        completed = f.count(doc, "completed", required=True)
        if completed == 0:
            raise f.IngestError("no request completed ('completed' is 0)")
        output = f.number(doc, "output_throughput", required=True)
        inp = f.number(doc, "input_throughput", required=True)
        assert output is not None and inp is not None
        total = f.number(doc, "total_throughput")
        total = inp + output if total is None else total
        if total <= 0:
            raise f.IngestError("total throughput is zero")
        latencies = latencies_ms(doc, _LATENCIES)
        point = Point(
            concurrency=concurrency,
            tput_per_gpu=0.0,
            interactivity=f.interactivity(latencies["median_tpot_ms"]),
            interactivity_source="median_tpot",
            request_throughput=f.number(doc, "request_throughput"),
            completed=completed,
            duration_s=f.number(doc, "duration"),
            accept_length=f.number(doc, "accept_length"),
            **latencies,
        )
        stated: dict = {}
        if str(doc.get("dataset_name", "")).startswith("random"):
            stated = {
                "isl": f.count(doc, "random_input_len"),
                "osl": f.count(doc, "random_output_len"),
            }
        return Reading(
            parse_metadata(stated, "the file"), point, Throughput(total, output=output, input=inp)
        )
    except f.IngestError as exc:
        raise f.IngestError(f"{exc}{where}") from None


def parse_bench_serving(docs: Any, path: Path) -> list[Reading]:
    lines = docs if isinstance(docs, list) else [docs]
    return [_reading(doc, i) for i, doc in enumerate(lines, start=1)]
