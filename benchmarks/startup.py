"""How long `paretobot` takes to start: `--help` for the whole tool and for a few subcommands,
against a bare Python start (`python -c pass`) on the same interpreter; and `detect` on a
100,000-point series as a whole process (heavy-tailed noise, 39 steps of 7-8%), which should stay
well under a second.

Each command runs 5 times in a subprocess; the table shows the median wall time and its ratio to
the bare start. The `paretobot` entry point is the one beside this interpreter (the venv's bin),
else `python -m bot.cli`. Run from the repository root:

    .venv/bin/python benchmarks/startup.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

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


def series_csv(folder: Path, points: int = 100_000) -> Path:
    rng = np.random.default_rng(1)
    level = np.ones(points)
    for k in range(1, 40):
        level[k * points // 40 :] *= 1.08 if k % 2 else 0.93
    values = 100 * level * np.exp(0.02 * rng.standard_t(3, points))
    path = folder / "series.csv"
    path.write_text("build,value\n" + "\n".join(f"{i},{v:.4f}" for i, v in enumerate(values)))
    return path


def main() -> None:
    tool = _paretobot()
    folder = Path(tempfile.mkdtemp())
    cases = [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("paretobot --help", [*tool, "--help"]),
    ]
    cases += [(f"paretobot {cmd} --help", [*tool, cmd, "--help"]) for cmd in SUBCOMMANDS]
    cases += [
        ("paretobot detect (100k points)", [*tool, "detect", "--csv", str(series_csv(folder))])
    ]
    bare = None
    print(f"{'command':<30} {'median s':>9} {'x bare':>7}   ({REPEATS} runs each)")
    for name, argv in cases:
        seconds = median_seconds(argv)
        bare = bare or seconds
        print(f"{name:<30} {seconds:>9.3f} {seconds / bare:>7.1f}")


if __name__ == "__main__":
    main()
