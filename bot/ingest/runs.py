"""Which run a result file belongs to, and when that run happened, from the folders around it.

CI artifacts arrive as `<day>/<config>/results_bmk/agg_bmk.json`, `<day>/<config>/run-stats/
run_stats.json` or browser downloads `<day>/results_bmk (3)/agg_bmk.json`: the run is the first
folder above the file that is neither a generic artifact folder nor named after the configuration.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

# Folders that name a kind of artifact, never a run (with a browser's " (N)" suffix for repeats).
GENERIC_FOLDERS = re.compile(
    r"^(results?(_bmk)?|run[-_]stats|artifacts?|outputs?|logs?)( \(\d+\))?$", re.IGNORECASE
)
# Framework names that, with a hardware name, make a folder name a configuration's.
FRAMEWORKS = ("vllm", "sglang", "trt", "trtllm", "atom", "dynamo", "mori", "llm-d")
MAX_LEVELS = 3  # how far above a file given by itself its run folder may be


@dataclass(frozen=True)
class RunFolder:
    run_id: str
    folder: Path | None  # None when the run id came from metadata
    started_at: datetime | None
    date_source: str  # "metadata", "folder name", or "" when unknown


def is_generic(name: str) -> bool:
    return bool(GENERIC_FOLDERS.match(name.strip()))


def names_configuration(name: str, hardware: Iterable[str], names: Iterable[str]) -> bool:
    """A folder named after a configuration holds one of the file's hardware names and its
    framework or model (e.g. 'glm5.1-fp4-mi355x-sglang-agentic-hicache_high')."""
    low = name.lower()
    return any(h and h.lower() in low for h in hardware) and any(
        n and n.lower() in low for n in (*names, *FRAMEWORKS)
    )


def run_folder(
    path: Path, root: Path | None, hardware: Iterable[str], names: Iterable[str]
) -> tuple[str, Path]:
    """The run id and folder of a result file. Never above `root` (a folder the user named,
    which may itself be the run); a file named by itself looks up to MAX_LEVELS folders."""
    hardware, names = tuple(hardware), tuple(names)
    chain: list[Path] = []
    folder = path.parent
    top = root.resolve() if root is not None else None
    while len(chain) < (64 if top else MAX_LEVELS) and folder.name:
        chain.append(folder)
        if top is not None and folder.resolve() == top:
            break
        folder = folder.parent
    if not chain:
        return (path.parent.name or "run"), path.parent
    for f in chain:  # a configuration's folder with a date in its name is one run of it
        if is_generic(f.name):
            continue
        if not names_configuration(f.name, hardware, names) or date_from_name(f.name):
            return f.name, f
    for f in chain:
        if not is_generic(f.name):
            return f.name, f
    return chain[0].name, chain[0]


_ISO = re.compile(r"(?<!\d)(20\d\d)-(\d\d)-(\d\d)(?!\d)")
_COMPACT = re.compile(r"(?<!\d)(20\d\d)(\d\d)(\d\d)(?!\d)")
_MMDD = re.compile(r"^(\d\d)(\d\d)(?!\d)|(?<=[-_])(\d\d)(\d\d)$")


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def date_from_name(name: str, today: date | None = None) -> date | None:
    """YYYY-MM-DD or YYYYMMDD anywhere in the name, or MMDD leading it ('0603_sa') or ending it
    after a dash ('kimik2.5-fp4-mi355x-vllm-0603'): this year, or last year when this year's
    date would be in the future."""
    for pattern in (_ISO, _COMPACT):
        found = pattern.search(name)
        if found:
            day = _valid(*(int(g) for g in found.groups()))
            if day:
                return day
    found = _MMDD.search(name)
    if not found:
        return None
    today = today or datetime.now(UTC).date()
    digits = [int(g) for g in found.groups() if g is not None]
    month, day_of_month = digits
    day = _valid(today.year, month, day_of_month)
    if day and day > today:
        day = _valid(today.year - 1, month, day_of_month)
    return day


def resolve_run(
    path: Path,
    root: Path | None,
    *,
    given_run: str | None,
    given_start: datetime | None,
    hardware: Iterable[str] = (),
    names: Iterable[str] = (),
    today: date | None = None,
) -> RunFolder:
    """Run id (metadata wins over folders) and date (metadata wins over the name)."""
    folder: Path | None = None
    if given_run:
        run_id = given_run
    else:
        run_id, folder = run_folder(path, root, hardware, names)
    if given_start is not None:
        return RunFolder(run_id, folder, given_start, "metadata")
    day = date_from_name(run_id, today)
    if day is None:
        return RunFolder(run_id, folder, None, "")
    return RunFolder(
        run_id, folder, datetime(day.year, day.month, day.day, tzinfo=UTC), "folder name"
    )
