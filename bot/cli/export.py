"""`paretobot export`: stored results out as CSV, Parquet or JSON lines."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
from typing import Any


def add_export_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Placeholder, filled in by the export work."""
