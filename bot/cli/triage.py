"""`paretobot changes`, `ack`, `ignore`, `note`: every detected change and its triage state."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
from typing import Any


def add_triage_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Placeholder, filled in by the triage work."""
