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
    print(json.dumps(value, indent=2, default=str))
