"""Result files in, model types out: find files, detect format by content, parse whole.

A file either parses completely into sweeps or raises IngestError; nothing is half-loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

from bot.config.ingest import ingest_hints
from bot.ingest import inferencex, sglang, vllm
from bot.ingest.failure import Failure, is_failure, parse_failure
from bot.ingest.fields import IngestError
from bot.ingest.identity import Identity, identify
from bot.ingest.inferencex import RunStat
from bot.ingest.metadata import RUN_RECORD, Metadata, is_sidecar, metadata_for
from bot.ingest.provenance import Provenance, is_run_record, parse_run_record
from bot.ingest.reading import Reading
from bot.ingest.runs import RunFolder, resolve_run
from bot.model import CLIENT_ERRORS, SWEEP_FAILED, Build, ConfigKey, Sweep

__all__ = [
    "FailedPoint",
    "IngestError",
    "Metadata",
    "ParsedFile",
    "Provenance",
    "RunStat",
    "find_result_files",
    "parse_file",
    "result_files",
]

RESULT_SUFFIXES = (".json", ".jsonl")
MAX_FILE_BYTES = 512 * 1024 * 1024  # a result file beyond this is not a benchmark result
MAX_RECORD_BYTES = 16 * 1024 * 1024  # a runner record beyond this is not one

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
RUN = "paretobot-run"  # the runner's record of a job: provenance of the run its results are in
FAILED_ENTRY_CAUSE = CLIENT_ERRORS  # a concurrency the client could not measure


@dataclass(frozen=True)
class FailedPoint:
    """One concurrency of a sweep that measured nothing, and why: data, not an error."""

    config: ConfigKey
    build: Build
    run_id: str
    repeat: int
    concurrency: int
    cause: str
    message: str


@dataclass(frozen=True)
class ParsedFile:
    path: Path
    sha256: str
    format: str
    sweeps: tuple[Sweep, ...]
    run_stats: tuple[RunStat, ...] = ()
    run_id: str = ""
    failure: Failure | None = None
    run: RunFolder | None = None  # where the run id and date came from
    failed_points: tuple[FailedPoint, ...] = ()
    version_given: bool = False  # a version from options or a sidecar was used (no image tag)
    faulty: str = ""  # why the run's folder name marks it faulty, or ""
    provenance: Provenance | None = None  # a runner record (paretobot-run.json)

    @property
    def n_points(self) -> int:
        return sum(len(s.points) for s in self.sweeps)

    @property
    def identity(self) -> str:
        """What, besides its bytes, makes this file itself: a runner's failure.json says nothing
        of its own configuration, so two identical ones of two configurations are two facts."""
        if self.provenance is not None:
            return f"provenance of run {self.provenance.run_id}"
        if self.failure is None:
            return ""
        return failure_identity((s.config, s.build, s.repeat) for s in self.sweeps)


def failure_identity(sweeps: Iterable[tuple[ConfigKey, Build, int]]) -> str:
    """A failure record's identity: the configurations, builds and repeats it fails, every field
    spelled out (a slug or a label can be shared by two different ones)."""
    return json.dumps(
        [[json.loads(c.canonical), list(astuple(b)), r] for c, b, r in sweeps],
        separators=(",", ":"),
    )


def result_files(
    paths: Iterable[Path],
) -> tuple[list[tuple[Path, Path | None]], list[tuple[Path, str]]]:
    """(file, the folder argument it was found under, or None for a file argument) for each file
    to ingest (folders walked in sorted order), and the paths that hold none."""
    files: list[tuple[Path, Path | None]] = []
    problems: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            # os.walk reports the folders it cannot read (pathlib's glob skips them silently:
            # their files would be missing from the call with nothing said)
            unreadable: list[OSError] = []
            found = sorted(
                p
                for folder, _, names in os.walk(path, onerror=unreadable.append)
                for p in (Path(folder) / name for name in names)
                if p.suffix in RESULT_SUFFIXES and p.is_file() and not is_sidecar(p)
            )
            problems.extend(
                (Path(e.filename or path), f"cannot read folder: {e.strerror}") for e in unreadable
            )
            if not found and not unreadable:
                problems.append((path, "folder holds no .json or .jsonl result files"))
            files.extend((p, path) for p in found)
        elif path.is_file():
            files.append((path, None))
        else:
            problems.append((path, "no such file or folder"))
    return files, problems


def find_result_files(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files to ingest under `paths` (folders walked in sorted order), and paths that hold none."""
    files, problems = result_files(paths)
    return [f for f, _ in files], problems


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different: with a repeated key Python keeps the last
    value silently (a file saying "hw" twice would be stored as whichever came last)."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise IngestError(f"key {key!r:.60} appears twice in one object")
        seen.add(key)
    return dict(pairs)


def _json(text: str, where: str = "") -> Any:
    """json.loads with the reader's own limits turned into the file's error."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError:
        raise
    except IngestError as exc:
        raise IngestError(f"{exc}{where}") from None
    except RecursionError:
        raise IngestError(f"invalid JSON{where}: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise IngestError(f"invalid JSON{where}: {str(exc).split(':')[0]}") from None


def _load(data: bytes) -> Any:
    if not data.strip():
        raise IngestError("file is empty")
    try:
        content = data.decode("utf-8")
    except UnicodeDecodeError:
        raise IngestError("file is not UTF-8 text") from None
    try:
        return _json(content)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise IngestError(f"invalid JSON: {exc.msg} at line {exc.lineno}") from None
    docs = []  # JSON Lines: one object per line
    for number, line in enumerate(content.splitlines(), start=1):
        if line.strip():
            try:
                docs.append(_json(line, f" on line {number}"))
            except json.JSONDecodeError as exc:
                raise IngestError(f"invalid JSON on line {number}: {exc.msg}") from None
    return docs


def _is_agg(doc: dict) -> bool:
    """An InferenceX agg entry, also one whose client failed (no tput_per_gpu then)."""
    return "hw" in doc and any(k in doc for k in ("tput_per_gpu", "conc", "users"))


def _record_kind(doc: Any) -> str:
    """What one record of a list is, in words for an error message."""
    if not isinstance(doc, dict):
        return f"a {type(doc).__name__}"
    try:
        return detect_format(doc)
    except IngestError:
        keys = sorted(str(k) for k in doc)
        more = f" and {len(keys) - 6} more" if len(keys) > 6 else ""
        return f"with keys {', '.join(keys[:6])}{more}" if keys else "an empty object"


def detect_format(doc: Any) -> str:
    """The format of a loaded document, judged by its fields (never by file name)."""
    if isinstance(doc, list):
        if not doc:
            raise IngestError("file holds an empty list")
        kinds = [_record_kind(d) for d in doc]
        if set(kinds) == {"inferencex-agg"}:
            return "inferencex-agg-bmk"
        if set(kinds) == {"sglang-bench-serving"}:
            return "sglang-bench-serving"
        counts = ", ".join(f"{kinds.count(k)} {k}" for k in dict.fromkeys(kinds))
        raise IngestError(f"unknown format: a list of {len(doc)} records: {counts}")
    if not isinstance(doc, dict):
        raise IngestError(f"unknown format: top level is a {type(doc).__name__}")
    if is_failure(doc):
        return FAILURE
    if is_run_record(doc):
        return RUN
    if _is_agg(doc):
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


@dataclass(frozen=True)
class _Grouped:
    sweeps: tuple[Sweep, ...]
    failed: tuple[FailedPoint, ...]
    version_given: bool


def _sweeps(readings: list[Reading], given: Metadata, run: RunFolder) -> _Grouped:
    grouped: dict[tuple, list] = defaultdict(list)
    failed: dict[tuple, list[FailedPoint]] = defaultdict(list)
    identities: dict[Metadata, Identity] = {}  # a run's points mostly state the same facts
    for reading in readings:
        who = identities.get(reading.stated)
        if who is None:
            who = identities[reading.stated] = identify(reading.stated, given, run.run_id)
        key = (who.config, who.build, who.run_id, who.repeat)
        grouped.setdefault(key, [])
        point = reading.point
        if reading.failure is not None:
            failed[key].append(
                FailedPoint(*key, point.concurrency, FAILED_ENTRY_CAUSE, reading.failure)
            )
            continue
        if reading.throughput is not None:
            point = reading.throughput.per_gpu(point, who.config)
        grouped[key].append(point)
    sweeps = []
    for (config, build, run_id, repeat), points in grouped.items():
        down = failed[(config, build, run_id, repeat)]
        seen = Counter([p.concurrency for p in points] + [f.concurrency for f in down])
        dupes = sorted(c for c, n in seen.items() if n > 1)  # one pass: files hold 100k+ points
        if dupes:
            raise IngestError(
                f"concurrency {dupes[0]} appears twice for one configuration and run; "
                "give each repeat its own file and --repeat"
            )
        points.sort(key=lambda p: p.concurrency)
        sweeps.append(
            Sweep(
                config, build, run_id, tuple(points), repeat,
                status=SWEEP_FAILED if not points else "ok",
                cause=FAILED_ENTRY_CAUSE if down else "",
                started_at=run.started_at,
                failed_at=tuple(sorted(f.concurrency for f in down)),
            )
        )  # fmt: skip
    return _Grouped(
        tuple(sweeps),
        tuple(f for fs in failed.values() for f in fs),
        any(w.version_source == "metadata" for w in identities.values()),
    )


def _hints(readings: list[Reading], stats: tuple[RunStat, ...]) -> tuple[set[str], set[str]]:
    """Hardware and names (framework, model) the file states: a folder holding them is named
    after the configuration, not the run."""
    hardware = {r.stated.hardware for r in readings if r.stated.hardware}
    hardware |= {s.hardware for s in stats if s.total}
    names = {r.stated.framework for r in readings if r.stated.framework}
    names |= {r.stated.model for r in readings if r.stated.model}
    return {str(h) for h in hardware}, {str(n) for n in names}


def parse_file(path: Path, options: Metadata | None = None, root: Path | None = None) -> ParsedFile:
    """Parse one result file completely, or raise IngestError saying why. `root`: the folder the
    user named, above which the run folder is never looked for."""
    record = path.name == RUN_RECORD
    try:
        size = path.stat().st_size
        if size > (MAX_RECORD_BYTES if record else MAX_FILE_BYTES):
            what = "a runner record" if record else "any benchmark result"
            raise IngestError(f"file is {size} bytes; larger than {what}")
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read: {exc.strerror}") from None
    digest = hashlib.sha256(data).hexdigest()
    from bot.ingest import export  # paretobot's own export; it imports this module's types

    if not record and export.is_export(data):  # CSV, JSON lines or Parquet, by content
        return export.parse_export(path, data, digest, metadata_for(path, options or Metadata()))
    doc = _load(data)
    if record and not is_run_record(doc):
        raise IngestError(f'{RUN_RECORD} is not a runner record (no "paretobot": "run")')
    fmt = detect_format(doc)
    if fmt == RUN:
        prov = parse_run_record(doc, (options or Metadata()).run_id)
        where = RunFolder(prov.run_id, path.parent, None, "")
        return ParsedFile(path, digest, fmt, (), run_id=prov.run_id, run=where, provenance=prov)
    given = metadata_for(path, options or Metadata())
    readings: list[Reading] = []
    stats: tuple[RunStat, ...] = ()
    if fmt == RUN_STATS:
        stats = tuple(inferencex.parse_run_stats(doc, path))
    elif fmt != FAILURE:
        readings = PARSERS[fmt](doc, path)
    hardware, names = _hints(readings, stats)
    # the file's own date (vLLM writes one) when neither options nor a sidecar gave one
    stated_start = min((r.stated.started_at for r in readings if r.stated.started_at), default=None)
    run = resolve_run(
        path, root, given_run=given.run_id, given_start=given.started_at or stated_start,
        hardware=hardware, names=names,
    )  # fmt: skip
    hints = ingest_hints()
    faulty = ""
    if run.folder is not None and hints.faulty(run.folder.name):
        faulty = f"folder name marks it faulty ({run.folder.name})"
    common = {"run_id": run.run_id, "run": run, "faulty": faulty}
    if fmt == RUN_STATS:
        return ParsedFile(path, digest, fmt, (), stats, **common)
    if fmt == FAILURE:
        failure = parse_failure(doc)
        who = identify(Metadata(), given, run.run_id)
        failed_at = () if failure.concurrency is None else (failure.concurrency,)
        sweep = Sweep(
            who.config, who.build, who.run_id, (), who.repeat, status=SWEEP_FAILED,
            cause=failure.cause, started_at=run.started_at, failed_at=failed_at,
        )  # fmt: skip
        return ParsedFile(path, digest, fmt, (sweep,), failure=failure, **common)
    grouped = _sweeps(readings, given, run)
    return ParsedFile(
        path, digest, fmt, grouped.sweeps, failed_points=grouped.failed,
        version_given=grouped.version_given, **common,
    )  # fmt: skip
