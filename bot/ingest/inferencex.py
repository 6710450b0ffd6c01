"""InferenceX processed results: `agg_*.json` (one point), `agg_bmk.json` (a run's list), run_stats.

These state their own configuration (hw, tp, ep, image...) and per-GPU throughput, with latencies
in seconds. Agentic (trace replay) points have no fixed ISL/OSL (stored as 0) and, in the early
schema, no TPOT: interactivity then comes from the file's own figure or the median ITL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.config.ingest import ingest_hints
from bot.ingest import fields as f
from bot.ingest.infer import precision_from_model
from bot.ingest.metadata import parse_metadata
from bot.ingest.reading import Reading, latencies_ms
from bot.model import Point


@dataclass(frozen=True)
class Interactivity:
    value: float
    source: str  # one of bot.model.INTERACTIVITY_SOURCES
    suspect: str | None


_LATENCIES = {
    f"{stat}_{metric}_ms": f"{stat}_{metric}"
    for stat in ("median", "mean", "p90", "p99")
    for metric in ("ttft", "tpot", "itl", "e2el")
}


@dataclass(frozen=True)
class RunStat:
    """How many of a run's benchmark jobs on one hardware succeeded (InferenceX run_stats.json)."""

    hardware: str
    succeeded: int
    total: int


def _interactivity(doc: Mapping[str, Any], lat: Mapping[str, float | None]) -> Interactivity:
    """InferenceX's 1000 / median TPOT where the file has it; else the best figure it has, never a
    mean of per-request ratios while a TPOT exists (docs/formats.md#interactivity)."""
    for field, source in (
        ("median_tpot_ms", "median_tpot"),
        ("mean_tpot_ms", "mean_tpot"),
        ("median_itl_ms", "median_itl"),
    ):
        if lat[field]:
            return Interactivity(1000.0 / lat[field], source, _suspect(doc))
    for key in ("median_intvty", "mean_intvty"):
        value = f.number(doc, key)
        if value:
            return Interactivity(value, "file_intvty", _suspect(doc))
    raise f.IngestError(
        "no median_tpot, mean_tpot, median_itl or interactivity figure: interactivity is unknown"
    )


def _suspect(doc: Mapping[str, Any]) -> str | None:
    """A mean above the file's own 90th percentile: a few requests with huge ratios dominate."""
    mean, p90 = f.number(doc, "mean_intvty"), f.number(doc, "p90_intvty")
    if mean is not None and p90 is not None and mean > p90:
        return (
            f"the file's mean interactivity {mean:.4g} exceeds its own p90 {p90:.4g} tok/s/user: "
            "per-request figures are heavy-tailed"
        )
    return None


def _scenario(doc: Mapping[str, Any]) -> str:
    scenario = f.text(doc, "scenario_type") or "fixed-seq-len"
    offload = _offload(doc)
    if offload and offload.lower() not in {"none", "off", "false"}:
        scenario += f"+offload-{offload.lower()}"
    return scenario


def _stated(doc: Mapping[str, Any]) -> dict:
    image = f.text(doc, "image")
    multinode = bool(f.flag(doc, "is_multinode"))
    disagg = bool(f.flag(doc, "disagg"))
    agentic = f.text(doc, "scenario_type") is not None
    stated = {
        "hardware": f.text(doc, "hw", required=True),
        # empty strings (older CI files) are facts the file does not state: metadata may fill them
        "framework": f.text(doc, "framework"),
        "model": f.text(doc, "infmax_model_prefix") or f.text(doc, "model"),
        "precision": f.text(doc, "precision") or precision_from_model(f.text(doc, "model")),
        "spec_method": f.text(doc, "spec_decoding") or "none",
        "image": image,
        "isl": 0 if agentic and "isl" not in doc else f.count(doc, "isl", required=True),
        "osl": 0 if agentic and "osl" not in doc else f.count(doc, "osl", required=True),
        "dp_attention": f.flag(doc, "dp_attention"),
        "disagg": disagg,
        "scenario": _scenario(doc),
    }
    if multinode or disagg:
        prefill = f.count(doc, "num_prefill_gpu", required=True)
        decode = f.count(doc, "num_decode_gpu", required=True)
        stated |= {
            "tp": f.count(doc, "decode_tp") or f.count(doc, "tp"),
            "ep": f.count(doc, "decode_ep") or f.count(doc, "ep"),
            "prefill_gpus": prefill,
            "decode_gpus": decode,
            "gpus": (prefill or 0) + (decode or 0) if disagg else decode,
        }
    else:
        tp = f.count(doc, "tp", required=True)
        if not tp:
            raise f.IngestError("field 'tp' is zero: the GPU count is unknown")
        stated |= {"tp": tp, "ep": f.count(doc, "ep"), "gpus": tp}
    return stated


def _failure(doc: Mapping[str, Any]) -> str | None:
    """Why an entry measured nothing (the client ran no request, or left no results), or None."""
    if f.count(doc, "num_requests_total") == 0:
        return "num_requests_total is 0: no request ran"
    if doc.get("tput_per_gpu") is None:
        return "no tput_per_gpu: the client produced no throughput"
    figures = [f"{s}_{m}" for s in ("median", "mean") for m in ("tpot", "itl", "intvty")]
    if all(doc.get(key) is None for key in figures):
        return "no latencies: the client produced no TPOT, ITL or interactivity"
    return None


def _reading(doc: Any) -> Reading:
    if not isinstance(doc, dict):
        raise f.IngestError(f"expected a JSON object, found {type(doc).__name__}")
    concurrency = f.count(doc, "conc") if "conc" in doc else f.count(doc, "users")
    if not concurrency:
        raise f.IngestError("missing required field 'conc' (or 'users')")
    stated = parse_metadata(_stated(doc), "the file")
    failure = _failure(doc)
    if failure is not None:
        return Reading(stated, Point(concurrency, 0.0, 0.0), failure=failure)
    lat = latencies_ms(doc, _LATENCIES, scale=1000.0)
    succeeded = f.count(doc, "num_requests_successful")
    total = f.count(doc, "num_requests_total")
    if succeeded is not None and total is not None and succeeded > total:
        raise f.IngestError("num_requests_successful exceeds num_requests_total")
    intvty = _interactivity(doc, lat)
    point = Point(
        concurrency=concurrency,
        tput_per_gpu=f.positive(doc, "tput_per_gpu"),
        interactivity=intvty.value,
        output_tput_per_gpu=f.number(doc, "output_tput_per_gpu"),
        input_tput_per_gpu=f.number(doc, "input_tput_per_gpu"),
        completed=succeeded,
        failed=None if succeeded is None or total is None else total - succeeded,
        duration_s=f.number(doc, "duration_seconds"),
        interactivity_source=intvty.source,
        suspect=intvty.suspect,
        **lat,
    )
    return Reading(stated, point)


def parse_agg(doc: Any, path: Path) -> list[Reading]:
    return _framework_from_offload([doc], [_reading(doc)])


def parse_agg_bmk(docs: Any, path: Path) -> list[Reading]:
    readings = []
    for i, doc in enumerate(docs):
        try:
            readings.append(_reading(doc))
        except f.IngestError as exc:
            raise f.IngestError(f"{exc} (entry {i})") from None
    return _framework_from_offload(docs, readings)


def _framework_from_offload(docs: list[Any], readings: list[Reading]) -> list[Reading]:
    """A file that states no framework but runs an offload mode only one framework has (SGLang's
    HiCache) was served by that framework: every entry of the file ran on the same server image."""
    if any(r.stated.framework for r in readings):
        return readings
    hints = ingest_hints()
    named = {hints.framework_for_offload(_offload(d)) for d in docs} - {None}
    if len(named) != 1:
        return readings
    framework = named.pop()
    return [
        replace(r, stated=r.stated.model_copy(update={"framework": framework})) for r in readings
    ]


def _offload(doc: Mapping[str, Any]) -> str | None:
    return f.text(doc, "offloading") or f.text(doc, "offload_mode")


def parse_run_stats(doc: Any, path: Path) -> list[RunStat]:
    stats = []
    for hardware, entry in doc.items():
        if not isinstance(entry, dict):
            raise f.IngestError(f"entry '{hardware}' is not an object")
        succeeded = f.count(entry, "n_success", required=True)
        total = f.count(entry, "total", required=True)
        assert succeeded is not None and total is not None
        if succeeded > total:
            raise f.IngestError(f"'{hardware}': n_success {succeeded} exceeds total {total}")
        stats.append(RunStat(str(hardware).lower(), succeeded, total))
    return stats
