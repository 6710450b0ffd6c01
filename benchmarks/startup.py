"""How long `paretobot` takes to start: `--help` for the whole tool and for a few subcommands,
against a bare Python start (`python -c pass`) on the same interpreter.

Each command runs 5 times in a subprocess; the table shows the median wall time and its ratio to
the bare start. The `paretobot` entry point is the one beside this interpreter (the venv's bin),
else `python -m bot.cli`. Run from the repository root:

    .venv/bin/python benchmarks/startup.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

REPEATS = 5
SUBCOMMANDS = ("ingest", "compare", "watch", "run-job")


def _paretobot() -> list[str]:
    script = Path(sys.executable).with_name("paretobot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def median_seconds(argv: list[str]) -> float:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    tool = _paretobot()
    cases = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("paretobot --help", [*tool, "--help"]),
    ]
    cases += [(f"paretobot {cmd} --help", [*tool, cmd, "--help"]) for cmd in SUBCOMMANDS]
    bare = None
    print(f"{'command':<28} {'median s':>9} {'x bare':>7}   ({REPEATS} runs each)")
    for name, argv in cases:
        seconds = median_seconds(argv)
        bare = bare or seconds
        print(f"{name:<28} {seconds:>9.3f} {seconds / bare:>7.1f}")


if __name__ == "__main__":
    main()
