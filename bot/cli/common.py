"""What every subcommand shares: the consoles, the one-line user error, JSON printing."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console

from bot.errors import ParetobotError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class CliError(ParetobotError):
    """A user-facing failure: printed as one line, exit code 1."""


def print_json(value: Any) -> None:
    """Strict JSON. `##[` (a workflow command form GitHub's runner honours anywhere in a line,
    e.g. from a model name in a result file) is written with an escaped bracket: the same value
    to any JSON parser, no command to the runner."""
    print(json.dumps(value, indent=2, default=str).replace("##[", "##\\u005b"))
