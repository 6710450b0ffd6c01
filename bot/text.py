"""Text from files and upstream, made safe to show, and numbers as people read them: the few
formatters every output shares (the CLI imports them without the report's heavy libraries)."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from typing import Any

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # emphasis, code, links, table cells
# what must never reach a reader: C0/C1 controls but tab and newline (an ESC rewrites a terminal),
# and the bidi controls that make text read other than it is stored (U+202E turns "exe.txt" round)
HIDDEN = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"  # a regex class body
_INVISIBLE = re.compile(f"[{HIDDEN}]")


def visible(value: object) -> object:
    """Text with every control and bidi character made a space (tab and newline kept); anything
    else as it is. Every value a report template prints passes here (jinja's `finalize`)."""
    return _INVISIBLE.sub(" ", value) if isinstance(value, str) else value


def escaped(text: str) -> str:
    """Text as one line with each control and bidi character (newline and tab too) written as
    its escape (`\\x00`, `\\u202e`): for reasons that quote a file's content, which a store
    must hold (PostgreSQL refuses NUL) and a terminal must show as it is."""
    return re.sub(f"[{HIDDEN}\t\n]", lambda m: repr(m.group())[1:-1], text)


def md(value: object) -> str:
    """Text from files or upstream, made inert in markdown: no table breakout, no HTML, no pings."""
    text = " ".join(str(visible(str(value))).split())  # newlines would end a table row
    text = html.escape(text, quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "@\u200b")  # a zero-width space keeps @name from notifying anyone


# what a CI log runner would read as a command: `::name::` where a line starts (after leading
# space, so also where a table wraps a cell at a space) and the legacy `##[name]` anywhere
_LOG_COMMAND = re.compile(r"(?:(?<=\s)|^)::|##\[")


def plain(value: object, limit: int = 80) -> str:
    """Text from upstream made safe for a terminal or a CI log: one line, no control characters
    (an ANSI escape in a PR title must not rewrite what the operator sees, a newline must not
    start a line of its own), at most `limit` characters, and no GitHub Actions workflow command
    (a zero-width space splits `::` where a line could start with it, and `##[`)."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(value))
    text = " ".join(text.split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return _LOG_COMMAND.sub(lambda m: m.group()[:-1] + "\u200b" + m.group()[-1], text)


def num(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def finite(value: Any, text: Callable[[str], str] | None = None) -> Any:
    """JSON-ready data with NaN and infinities, which strict JSON parsers reject, as null ("no
    figure"); every string through `text` when given (e.g. `visible`)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v, text) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v, text) for v in value]
    if text is not None and isinstance(value, str):
        return text(value)
    return value
