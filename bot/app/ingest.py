"""Ingest as a use case: every result file under the given paths parsed and stored, one transaction
per file; a file that cannot be read or stored is quarantined with its reason and the next file
still goes in. What happened to each file is returned (and handed to `on_file` as it happens, so
a long ingest shows progress); nothing here prints."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bot import store
from bot.ingest import IngestError, Metadata, ParsedFile, parse_file, result_files
from bot.store.runs import Added
from bot.text import escaped

STATES = ("stored", "duplicate", "copy", "error")


@dataclass
class RunSeen:
    """A run the ingested files belong to, and the folders they came from (said once per run)."""

    run_id: str
    started_at: str | None
    date_source: str
    folders: list[str] = field(default_factory=list)
    excluded: str = ""  # why it was excluded at ingest (a faulty folder), or ""


@dataclass(frozen=True)
class FileResult:
    path: Path
    status: str  # one of STATES
    reason: str = ""  # why it was quarantined
    parsed: ParsedFile | None = None
    added: Added | None = None

    @property
    def points(self) -> int:
        """Points newly stored (a point identical to a stored one is a copy, not stored again)."""
        if self.status != "stored" or self.parsed is None or self.added is None:
            return 0
        return self.parsed.n_points - len(self.added.point_copies)

    def json(self) -> dict[str, Any]:
        if self.parsed is None or self.added is None:
            return {"path": str(self.path), "status": self.status, "reason": self.reason}
        parsed, added = self.parsed, self.added
        return {
            "path": str(self.path), "status": self.status, "format": parsed.format,
            "run_id": parsed.run_id, "points": self.points,
            "version_given": parsed.version_given and self.status == "stored",
            "failed_concurrencies": [
                {"config": f.config.slug, "concurrency": f.concurrency, "reason": f.message}
                for f in parsed.failed_points
            ],
            "copy_of": added.copy_of or None,
            "commit_mismatch": (parsed.provenance.commit_mismatch or None)
            if parsed.provenance
            else None,
            "point_copies": [
                {"config": c.config, "concurrency": c.concurrency, "of": c.of_path,
                 "run": c.of_run_id}
                for c in added.point_copies
            ],
        }  # fmt: skip


@dataclass
class IngestReport:
    files: list[FileResult] = field(default_factory=list)
    runs: dict[str, RunSeen] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)

    @property
    def points(self) -> int:
        return sum(f.points for f in self.files)

    @property
    def version_given_to(self) -> int:
        return sum(bool(f.json().get("version_given")) for f in self.files)

    def summary(self) -> dict[str, int]:
        return {s: self.count(s) for s in STATES} | {
            "points": self.points,
            "version_given_to": self.version_given_to,
        }


def _note_run(runs: dict[str, RunSeen], parsed: ParsedFile, path: Path) -> RunSeen:
    run = parsed.run
    seen = runs.setdefault(
        parsed.run_id,
        RunSeen(
            run_id=parsed.run_id,
            started_at=run.started_at.date().isoformat() if run and run.started_at else None,
            date_source=run.date_source if run else "",
        ),
    )
    if run is None or run.folder is None:
        where = "given by metadata"
    elif path.is_relative_to(run.folder.parent):
        where = str(path.parent.relative_to(run.folder.parent))
    else:
        where = str(path.parent)
    if where not in seen.folders:
        seen.folders.append(where)
    return seen


def ingest_one(engine: Engine, path: Path, options: Metadata, root: Path | None) -> FileResult:
    """Parse and store one file; quarantine it (and say why) when that fails. This is the file
    boundary: nothing one file holds may stop the next, so an error of a kind nobody foresaw is
    quarantined too (named, in one line). Only the store itself failing stops the call."""
    digest = None
    try:
        parsed = parse_file(path, options, root)
        digest = parsed.sha256
        added = store.add_file(engine, parsed)
    except store.StoreUnavailable:
        raise
    except (IngestError, store.StoreError) as exc:
        reason = escaped(str(exc))  # it may quote the file: a NUL, an ESC
    except Exception as exc:  # the file boundary (see the docstring)
        reason = f"unexpected {type(exc).__name__}: {escaped(' '.join(str(exc).split()))[:300]}"
    else:
        return FileResult(path, added.status, parsed=parsed, added=added)
    store.quarantine(engine, shown_path(path), digest, reason)
    return FileResult(path, "error", reason)


def shown_path(path: Path) -> str:
    """The path as text that any store and terminal can hold: bytes of a file name that are not
    UTF-8 (Python keeps them as surrogates) become \\x escapes."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def ingest(
    engine: Engine,
    paths: Iterable[Path],
    options: Metadata,
    on_file: Callable[[FileResult], None] | None = None,
) -> IngestReport:
    """Every result file under `paths` into the store; missing paths are reported as errors."""
    report = IngestReport()
    files, missing = result_files(paths)
    for path, why in missing:
        report.files.append(FileResult(path, "error", why))
        if on_file:
            on_file(report.files[-1])
    for path, root in files:
        result = ingest_one(engine, path, options, root)
        if result.parsed is not None:
            seen = _note_run(report.runs, result.parsed, path)
            if result.added is not None and result.added.excluded_now:
                seen.excluded = result.parsed.faulty
        report.files.append(result)
        if on_file:
            on_file(result)
    return report
