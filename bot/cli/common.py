"""What every subcommand shares: the consoles, the one-line user error, JSON printing."""

# heavy libraries are imported by the command that needs them, so --help stays fast (rich too:
# each console is made on its first use)

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.errors import ParetobotError
from bot.text import finite

if TYPE_CHECKING:
    from rich.console import Console


class _LazyConsole:
    """A rich `Console(**options)` made when first used; otherwise the same object."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # not made yet (e.g. copy or pickle): no recursion
            raise AttributeError(name)
        return getattr(self.console, name)


out = _LazyConsole(highlight=False, soft_wrap=True)
err = _LazyConsole(stderr=True, highlight=False, soft_wrap=True)


class CliError(ParetobotError):
    """A user-facing failure: printed as one line, exit code 1."""


def print_json(value: Any) -> None:
    """Strict JSON: no NaN or Infinity (written as null). `##[` (a workflow command form GitHub's
    runner honours anywhere in a line, e.g. from a model name in a result file) is written with
    an escaped bracket: the same value to any JSON parser, no command to the runner."""
    text = json.dumps(finite(value), indent=2, default=str, allow_nan=False)
    print(text.replace("##[", "##\\u005b"))


_SPAN = re.compile(r"(\d+)\s*([hdw])")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


def _span(text: str) -> timedelta | None:
    found = _SPAN.fullmatch(text.strip().lower())
    return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))}) if found else None


def parse_since(text: str, until: datetime, option: str = "--since") -> datetime:
    """'7d', '24h', '2w' before `until`, or an ISO date or time (naive is UTC)."""
    span = _span(text)
    return until - span if span is not None else parse_when(text, option)


def parse_ahead(text: str, now: datetime, option: str = "--until") -> datetime:
    """'30d', '2w' after `now` (an ignore that lapses), or an ISO date or time as given."""
    span = _span(text)
    return now + span if span is not None else parse_when(text, option)


def parse_when(text: str, option: str = "--until") -> datetime:
    from bot.model import as_utc

    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CliError(f"{option}: '{text}' is not 7d, 24h, 2w or an ISO date") from None
    return as_utc(when)
