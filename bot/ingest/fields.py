"""Strict readers for numbers and names in result files: every bad value becomes an IngestError."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from bot.errors import ParetobotError
from bot.text import HIDDEN


class IngestError(ParetobotError, ValueError):
    """A result file cannot be loaded; the message names the problem (the caller adds the file)."""


# What a benchmark figure can be and the store can hold: a float beyond this is a broken file (no
# throughput, latency or token count comes near), and a whole number must fit a 32-bit column
# (PostgreSQL's INTEGER; SQLite would take 64 bits, Python any size).
MAX_NUMBER = 1e15
MAX_COUNT = 2**31 - 1
_CONTROL = re.compile(f"[\t\n{HIDDEN}]")  # what no reader sees, and no line break in a name


def number(doc: Mapping[str, Any], key: str, *, required: bool = False) -> float | None:
    """A finite, non-negative number, or None when absent and not required."""
    if key not in doc or doc[key] is None:
        if required:
            raise IngestError(f"missing required field '{key}'")
        return None
    value = doc[key]
    # bool is an int in Python; a benchmark field that holds true/false is a broken file.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise IngestError(f"field '{key}' is not a number: {value!r:.40}")
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        raise IngestError(f"field '{key}' is {value}")
    if value < 0:
        raise IngestError(f"field '{key}' is negative: {value}")
    if value > MAX_NUMBER:
        raise IngestError(f"field '{key}' is out of range: {value:.3g}")
    return value


def positive(doc: Mapping[str, Any], key: str) -> float:
    value = number(doc, key, required=True)
    assert value is not None
    if value == 0:
        raise IngestError(f"field '{key}' is zero")
    return value


def count(doc: Mapping[str, Any], key: str, *, required: bool = False) -> int | None:
    """A whole non-negative number (a concurrency, a token or request count)."""
    value = number(doc, key, required=required)
    if value is None:
        return None
    if value != int(value):
        raise IngestError(f"field '{key}' is not a whole number: {value}")
    if value > MAX_COUNT:
        raise IngestError(f"field '{key}' is out of range: {value:.3g}")
    return int(value)


def text(doc: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    if key not in doc or doc[key] is None:
        if required:
            raise IngestError(f"missing required field '{key}'")
        return None
    value = doc[key]
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise IngestError(f"field '{key}' is not text: {value!r:.40}")
    value = str(value).strip()
    if _CONTROL.search(value):  # a NUL, an escape, a bidi override: never a name
        raise IngestError(f"field '{key}' holds a control character: {value!r:.60}")
    if required and not value:
        raise IngestError(f"field '{key}' is empty")
    return value or None


def flag(doc: Mapping[str, Any], key: str) -> bool | None:
    """InferenceX writes booleans both as JSON true/false and as the strings 'true'/'false'."""
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise IngestError(f"field '{key}' is not true/false: {value!r:.40}")


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000.0


def interactivity(median_tpot_ms: float | None) -> float:
    """tok/s/user as InferenceX defines it: 1000 / median TPOT in ms."""
    if median_tpot_ms is None:
        raise IngestError("missing required field 'median_tpot_ms' (needed for interactivity)")
    if median_tpot_ms <= 0:
        raise IngestError(f"median TPOT is {median_tpot_ms} ms: interactivity is undefined")
    if median_tpot_ms < 1e-6:  # 1000 / x would overflow, or be a million times any real rate
        raise IngestError(f"median TPOT is {median_tpot_ms:.3g} ms: interactivity is out of range")
    return 1000.0 / median_tpot_ms
