"""The runner's record of a configuration that failed (`failure.json`): a result, not an error.

A failed launch or an out-of-memory is what lets the bot later say "this PR unlocked it", so it
is stored like a sweep, with its cause, and the concurrency where a crash or hang ended it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.ingest import fields as f
from bot.model import FAILURE_CAUSES

CAUSES = FAILURE_CAUSES
MAX_LOG_CHARS = 4000


@dataclass(frozen=True)
class Failure:
    cause: str
    concurrency: int | None
    message: str
    log_tail: str


def is_failure(doc: Any) -> bool:
    return isinstance(doc, Mapping) and doc.get("paretobot") == "failure"


def parse_failure(doc: Mapping[str, Any]) -> Failure:
    cause = f.text(doc, "cause", required=True)
    if cause not in CAUSES:
        raise f.IngestError(f"field 'cause' is {cause!r:.40}; expected one of {', '.join(CAUSES)}")
    tail = doc.get("log_tail") or []
    if not isinstance(tail, list) or not all(isinstance(line, str) for line in tail):
        raise f.IngestError("field 'log_tail' is not a list of lines")
    return Failure(
        cause=cause,
        concurrency=f.count(doc, "concurrency"),
        message=(f.text(doc, "message") or "")[:MAX_LOG_CHARS],
        log_tail="\n".join(tail)[-MAX_LOG_CHARS:],
    )
