"""`paretobot demo`: the loop on the bundled examples (bot/app/demo.py), printed stage by stage."""

from __future__ import annotations

import argparse
from typing import Any


def add_demo_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    demo = sub.add_parser("demo", parents=[common], help="the whole loop on the bundled examples")
    demo.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    raise NotImplementedError
