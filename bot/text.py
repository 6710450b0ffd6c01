"""Text from files and upstream, made safe to show, and numbers as people read them: the few
formatters every output shares (the CLI imports them without the report's heavy libraries)."""

from __future__ import annotations

import html
import math
import re

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # emphasis, code, links, table cells


def md(value: object) -> str:
    """Text from files or upstream, made inert in markdown: no table breakout, no HTML, no pings."""
    text = " ".join(str(value).split())  # newlines would end a table row
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
