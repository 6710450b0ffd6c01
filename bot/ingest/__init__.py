"""Result files in, model types out: find files, detect format by content, parse whole.

A file either parses completely into sweeps or raises IngestError; nothing is half-loaded.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.ingest import inferencex, sglang, vllm
from bot.ingest.failure import Failure, is_failure, parse_failure
from bot.ingest.fields import IngestError
from bot.ingest.identity import Identity, identify
from bot.ingest.inferencex import RunStat
from bot.ingest.metadata import Metadata, is_sidecar, metadata_for
from bot.ingest.reading import Reading
from bot.model import SWEEP_FAILED, Sweep

__all__ = ["IngestError", "Metadata", "ParsedFile", "RunStat", "find_result_files", "parse_file"]

RESULT_SUFFIXES = (".json", ".jsonl")
MAX_FILE_BYTES = 512 * 1024 * 1024  # a result file beyond this is not a benchmark result

Parser = Callable[[Any, Path], list[Reading]]
PARSERS: dict[str, Parser] = {
    "vllm-bench-serve": vllm.parse_bench_serve,
    "inferencex-raw": vllm.parse_inferencex_raw,
    "sglang-bench-serving": sglang.parse_bench_serving,
    "inferencex-agg": inferencex.parse_agg,
    "inferencex-agg-bmk": inferencex.parse_agg_bmk,
}
RUN_STATS = "inferencex-run-stats"
FAILURE = "paretobot-failure"


@dataclass(frozen=True)
class ParsedFile:
    path: Path
    sha256: str
    format: str
    sweeps: tuple[Sweep, ...]
    run_stats: tuple[RunStat, ...] = ()
    run_id: str = ""
    failure: Failure | None = None

    @property
    def n_points(self) -> int:
        return sum(len(s.points) for s in self.sweeps)


def find_result_files(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files to ingest under `paths` (folders walked in sorted order), and paths that hold none."""
    files: list[Path] = []
    problems: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix in RESULT_SUFFIXES and not is_sidecar(p)
            )
            if not found:
                problems.append((path, "folder holds no .json or .jsonl result files"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append((path, "no such file or folder"))
    return files, problems


def _load(data: bytes) -> Any:
    if not data.strip():
        raise IngestError("file is empty")
    try:
        content = data.decode("utf-8")
    except UnicodeDecodeError:
        raise IngestError("file is not UTF-8 text") from None
    try:
        return json.loads(content)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise IngestError(f"invalid JSON: {exc.msg} at line {exc.lineno}") from None
    docs = []  # JSON Lines: one object per line
    for number, line in enumerate(content.splitlines(), start=1):
        if line.strip():
            try:
                docs.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise IngestError(f"invalid JSON on line {number}: {exc.msg}") from None
    return docs


def detect_format(doc: Any) -> str:
    """The format of a loaded document, judged by its fields (never by file name)."""
    if isinstance(doc, list):
        if not doc:
            raise IngestError("file holds an empty list")
        formats = {detect_format(d) if isinstance(d, dict) else "?" for d in doc}
        if formats == {"inferencex-agg"}:
            return "inferencex-agg-bmk"
        if formats == {"sglang-bench-serving"}:
            return "sglang-bench-serving"
        raise IngestError(f"unknown format: a list of {', '.join(sorted(formats))} records")
    if not isinstance(doc, dict):
        raise IngestError(f"unknown format: top level is a {type(doc).__name__}")
    if is_failure(doc):
        return FAILURE
    if "hw" in doc and "tput_per_gpu" in doc:
        return "inferencex-agg"
    if doc and all(isinstance(v, dict) and "n_success" in v for v in doc.values()):
        return RUN_STATS
    if "median_e2e_latency_ms" in doc or "accept_length" in doc:
        return "sglang-bench-serving"
    if "total_token_throughput" in doc and "median_tpot_ms" in doc:
        return "vllm-bench-serve" if "endpoint_type" in doc else "inferencex-raw"
    raise IngestError(
        "unknown format: not vLLM bench serve, SGLang bench_serving, or InferenceX raw/agg"
    )


def _sweeps(readings: list[Reading], given: Metadata, default_run: str) -> tuple[Sweep, ...]:
    grouped: dict[tuple, list] = defaultdict(list)
    identities: dict[Metadata, Identity] = {}  # a run's points mostly state the same facts
    for reading in readings:
        who = identities.get(reading.stated)
        if who is None:
            who = identities[reading.stated] = identify(reading.stated, given, default_run)
        point = reading.point
        if reading.throughput is not None:
            point = reading.throughput.per_gpu(point, who.config)
        grouped[(who.config, who.build, who.run_id, who.repeat)].append(point)
    sweeps = []
    for (config, build, run_id, repeat), points in grouped.items():
        seen = [p.concurrency for p in points]
        dupes = sorted({c for c in seen if seen.count(c) > 1})
        if dupes:
            raise IngestError(
                f"concurrency {dupes[0]} appears twice for one configuration and run; "
                "give each repeat its own file and --repeat"
            )
        points.sort(key=lambda p: p.concurrency)
        sweeps.append(
            Sweep(config, build, run_id, tuple(points), repeat, started_at=given.started_at)
        )
    return tuple(sweeps)


def parse_file(path: Path, options: Metadata | None = None) -> ParsedFile:
    """Parse one result file completely, or raise IngestError saying why."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise IngestError(f"file is {size} bytes; larger than any benchmark result")
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read: {exc.strerror}") from None
    digest = hashlib.sha256(data).hexdigest()
    doc = _load(data)
    fmt = detect_format(doc)
    given = metadata_for(path, options or Metadata())
    run_id = given.run_id or path.parent.name or "run"
    if fmt == RUN_STATS:
        stats = tuple(inferencex.parse_run_stats(doc, path))
        return ParsedFile(path, digest, fmt, (), stats, run_id)
    if fmt == FAILURE:
        failure = parse_failure(doc)
        who = identify(Metadata(), given, run_id)
        failed_at = () if failure.concurrency is None else (failure.concurrency,)
        sweep = Sweep(
            who.config, who.build, who.run_id, (), who.repeat, status=SWEEP_FAILED,
            cause=failure.cause, started_at=given.started_at, failed_at=failed_at,
        )  # fmt: skip
        return ParsedFile(path, digest, fmt, (sweep,), run_id=run_id, failure=failure)
    readings = PARSERS[fmt](doc, path)
    return ParsedFile(path, digest, fmt, _sweeps(readings, given, run_id), run_id=run_id)
