"""`paretobot configs` and `paretobot builds`: what is stored, to find what to compare."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
from typing import Any


def add_listing_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Placeholder, filled in by the listing work."""
