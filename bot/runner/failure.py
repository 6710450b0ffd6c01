"""Failures as data: which cause a failed server or point had, and the log lines that show it.

Causes (the `cause` of failure.json): launch-failure (the server exited before it was healthy),
out-of-memory (its log says so, or the kernel's OOM killer struck), health-timeout, crash (the
server died or stopped answering during the sweep), client-errors (more than 5% of a point's
requests failed, or the client could not produce a result), timeout (the client hung).
"""

from __future__ import annotations

import json
import re
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.model import FAILURE_CAUSES

CAUSES = FAILURE_CAUSES
MAX_FAILED_FRACTION = 0.05
TAIL_LINES = 50
READ_BYTES = 1024 * 1024

OOM = re.compile(
    r"out of memory|OutOfMemoryError|hipErrorOutOfMemory|cudaErrorMemoryAllocation"
    r"|std::bad_alloc|Cannot allocate memory|\bMemoryError\b"
    r"|No available memory for the cache blocks|larger than the available KV cache memory",
    re.IGNORECASE,
)
# "SomethingError: text" or "SomethingException: text", as Python and C++ runtimes print them.
_ERROR = re.compile(r"((?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception)\b:\s*\S.*)")
_SEVERE = re.compile(r"\b(?:ERROR|FATAL|CRITICAL|Killed)\b|out of memory", re.IGNORECASE)
_WARNING = re.compile(r"\bWARN(?:ING)?\b|Warning:")
_INFO = re.compile(r"\b(?:INFO|DEBUG)\b")
# Lines every vLLM exit prints that only bury the cause (nanobind leak reports, semaphore notes).
_NOISE = re.compile(
    r"^(nanobind: |\s+- leaked |See https://nanobind|.*resource_tracker|\s+warnings\.warn\()"
)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _is_oom(line: str) -> bool:
    """An out-of-memory error, not an INFO line that mentions memory or a warning."""
    return bool(
        OOM.search(line)
        and not _WARNING.search(line)
        and not _INFO.search(line)
        and (_ERROR.search(line) or _SEVERE.search(line))
    )


def _is_error(line: str) -> bool:
    return bool(_ERROR.search(line)) and not _WARNING.search(line)


def read_log(path: Path) -> list[str]:
    """The last MiB of a log as lines, without colour codes; [] if there is none."""
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - READ_BYTES))
            data = f.read()
    except OSError:
        return []
    lines = read_lines(data.decode("utf-8", errors="replace"))
    return lines[1:] if size > READ_BYTES else lines  # the first line may be cut


def read_lines(text: str) -> list[str]:
    """A log's text as lines, without colour codes."""
    text = _ANSI.sub("", text)
    # \r alone redraws a progress bar: each drawing is a line of its own
    return text.replace("\r\n", "\n").replace("\r", "\n").splitlines()


def cause_line(lines: list[str]) -> str | None:
    """The line that says what went wrong: the first out-of-memory error, else the first error
    that is not a warning, as 'SomeError: text' without the logger's prefix."""
    lines = [line for line in lines if not _NOISE.match(line)]
    found = next((ln for ln in lines if _is_oom(ln)), None) or next(
        (ln for ln in lines if _is_error(ln)), None
    )
    if found is None:
        return None
    error = _ERROR.search(found)
    return (error.group(1) if error else found.strip())[:500]


def oom_line(lines: list[str]) -> str | None:
    """The first out-of-memory error among `lines` (as `cause_line` spells it), else None: a
    server that runs out of memory serving a request may fail only that request and live on."""
    found = [line for line in lines if _is_oom(line)]
    return cause_line(found) if found else None


def log_tail(lines: list[str], n: int = TAIL_LINES) -> list[str]:
    """The last n lines that are not exit noise, led by the cause line when it is earlier."""
    kept = [line[:2000] for line in lines if line.strip() and not _NOISE.match(line)]
    tail = kept[-n:]
    cause = cause_line(kept)
    if cause and not any(cause in line for line in tail):
        first = next(line[:2000] for line in kept if cause in line)
        tail = [first, "[...]", *kept[-(n - 2) :]]
    return tail


def died_by_sigkill(returncode: int | None) -> bool:
    return returncode in (-signal.SIGKILL, 128 + signal.SIGKILL)


def server_cause(
    returncode: int | None, lines: list[str], before_healthy: bool, oom_kills: int = 0
) -> str:
    """Why a server that exited (or stopped answering) failed: out-of-memory when its log or the
    kernel says so, else launch-failure before it was healthy and crash after."""
    if any(_is_oom(line) for line in lines):
        return "out-of-memory"
    if oom_kills > 0 and (returncode is None or died_by_sigkill(returncode)):
        return "out-of-memory"
    return "launch-failure" if before_healthy else "crash"


def exit_text(returncode: int | None) -> str:
    if returncode is None:
        return "is still running"
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


@dataclass(frozen=True)
class PointResult:
    completed: int
    failed: int

    @property
    def failed_fraction(self) -> float:
        total = self.completed + self.failed
        return self.failed / total if total else 1.0

    @property
    def too_many_errors(self) -> bool:
        return self.completed == 0 or self.failed_fraction > MAX_FAILED_FRACTION


def _count(doc: dict[str, Any], key: str) -> int | None:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return int(value)


def read_point(path: Path, result_format: str, num_prompts: int) -> PointResult:
    """Request counts of a client's result file; ValueError if it is missing or unreadable.

    vLLM states `completed` and `failed`; SGLang only `completed` (failed = prompts - completed).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"no readable result file {path.name}: {exc}") from None
    try:
        if result_format == "jsonl":
            lines = [line for line in text.splitlines() if line.strip()]
            if not lines:
                raise ValueError(f"result file {path.name} is empty")
            doc = json.loads(lines[-1])
        else:
            doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"result file {path.name} is not JSON: {exc.msg}") from None
    if not isinstance(doc, dict):
        raise ValueError(f"result file {path.name} does not hold an object")
    completed = _count(doc, "completed")
    if completed is None:
        raise ValueError(f"result file {path.name} has no 'completed' count")
    failed = _count(doc, "failed")
    if failed is None:
        failed = max(0, num_prompts - completed)
    return PointResult(completed, failed)


def failure_record(
    cause: str,
    message: str,
    concurrency: int | None,
    lines: list[str],
    *,
    run_id: str = "",
    at: str = "",
) -> dict[str, Any]:
    """failure.json, exactly as ingest reads it. The run and time make each record its own fact:
    a deterministic failure (the same OOM, the same log) rerun to confirm it must not read as a
    byte copy of the first one (ingest counts a copy once)."""
    assert cause in CAUSES, cause
    return {
        "paretobot": "failure",
        "run_id": run_id,
        "at": at,
        "cause": cause,
        "concurrency": concurrency,
        "message": message,
        "log_tail": log_tail(lines),
    }
