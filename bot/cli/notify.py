"""`paretobot notify`: the alert channels in force, and a test message to each."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
from typing import Any


def add_notify_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Placeholder, filled in by the alerts work."""
