"""vLLM's benchmark client output: `vllm bench serve --save-result` and legacy benchmark_serving.py.

InferenceX's raw per-concurrency files come from its fork of benchmark_serving.py; their file names
(`concurrency_64_req_rate_inf_gpus_16_ctx_8_gen_8.json`) carry the GPU split the JSON lacks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.ingest import fields as f
from bot.ingest.metadata import parse_metadata
from bot.ingest.reading import VLLM_LATENCIES, Reading, Throughput, latencies_ms
from bot.model import Point

INFERENCEX_RAW_NAME = re.compile(
    r"concurrency_(?P<conc>\d+)_req_rate_(?P<rate>[\w.]+)_gpus_(?P<gpus>\d+)"
    r"(?:_ctx_(?P<ctx>\d+)_gen_(?P<gen>\d+))?"
)
_HF_CACHE_DIR = re.compile(r"models--(?P<org>[^/]+?)--(?P<name>[^/]+)")


def model_name(model_id: str) -> str:
    """A Hugging Face cache path names its model as models--org--name; keep 'org/name'."""
    found = _HF_CACHE_DIR.search(model_id)
    if found:
        return f"{found['org']}/{found['name']}"
    return model_id.rstrip("/")


def _exact_length(total: int | None, requests: int) -> int | None:
    """Fixed-length random datasets give whole tokens per request: that is the ISL (or OSL)."""
    if total is None or requests <= 0 or total % requests:
        return None
    return total // requests


def point_from_vllm(doc: Mapping[str, Any]) -> tuple[Point, Throughput]:
    concurrency = f.count(doc, "max_concurrency")
    if concurrency is None or concurrency == 0:
        raise f.IngestError("missing required field 'max_concurrency' (the sweep's concurrency)")
    completed = f.count(doc, "completed", required=True)
    if completed == 0:
        raise f.IngestError("no request completed ('completed' is 0)")
    failed = f.count(doc, "failed")
    prompts = f.count(doc, "num_prompts")
    if failed is None and prompts is not None and prompts >= (completed or 0):
        failed = prompts - (completed or 0)
    total = f.positive(doc, "total_token_throughput")
    output = f.number(doc, "output_throughput")
    if output is not None and output > total:
        raise f.IngestError("output_throughput exceeds total_token_throughput")
    latencies = latencies_ms(doc, VLLM_LATENCIES)
    point = Point(
        concurrency=concurrency,
        tput_per_gpu=0.0,  # set once the GPU count is known
        interactivity=f.interactivity(latencies["median_tpot_ms"]),
        interactivity_source="median_tpot",
        request_throughput=f.number(doc, "request_throughput"),
        completed=completed,
        failed=failed,
        duration_s=f.number(doc, "duration"),
        **latencies,
    )
    inp = None if output is None else total - output
    return point, Throughput(total=total, output=output, input=inp)


def _stated(doc: Mapping[str, Any]) -> dict:
    requests = f.count(doc, "completed") or 0
    stated: dict = {
        "isl": _exact_length(f.count(doc, "total_input_tokens"), requests),
        "osl": _exact_length(f.count(doc, "total_output_tokens"), requests),
    }
    model = f.text(doc, "model_id")
    if model:
        stated["model"] = model_name(model)
    started = _date(f.text(doc, "date"))
    if started is not None:
        stated["started_at"] = started
    return stated


def _date(text: str | None) -> datetime | None:
    """vLLM's `date` field, '20260101-000000' (local time of the client; read as UTC)."""
    try:
        return datetime.strptime(text or "", "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def parse_bench_serve(doc: Any, path: Path) -> list[Reading]:
    """`vllm bench serve --save-result` (vLLM >= 0.10): one concurrency per file."""
    point, throughput = point_from_vllm(doc)
    return [Reading(parse_metadata(_stated(doc), "the file"), point, throughput)]


def parse_inferencex_raw(doc: Any, path: Path) -> list[Reading]:
    """InferenceX raw client JSON: vLLM fields, GPU split from the file name."""
    point, throughput = point_from_vllm(doc)
    stated = _stated(doc)
    name = INFERENCEX_RAW_NAME.search(path.name)
    if name:
        if int(name["conc"]) != point.concurrency:
            raise f.IngestError(
                f"file name says concurrency {name['conc']} but max_concurrency is "
                f"{point.concurrency}"
            )
        stated["gpus"] = int(name["gpus"])
        if name["ctx"] is not None:
            prefill, decode = int(name["ctx"]), int(name["gen"])
            if prefill + decode != stated["gpus"]:
                raise f.IngestError(
                    f"file name says {stated['gpus']} GPUs but ctx {prefill} + gen {decode}"
                )
            stated |= {"disagg": True, "prefill_gpus": prefill, "decode_gpus": decode}
        if stated["gpus"] == 0:
            raise f.IngestError("file name says 0 GPUs")
    return [Reading(parse_metadata(stated, "the file"), point, throughput)]
