"""Change points: paretobot's detector against Apache Otava on the same generated histories.

Series imitate real benchmark histories: a piecewise-constant level whose steps multiply it by
-10%..+15% (steps under 1%, below the smallest noise, are not drawn),
1-5% multiplicative noise (Gaussian, or Student-t with 3 degrees of freedom in 30% of series,
scaled to the same standard deviation), outliers in half the series (1% of points off by 20-50%)
and, in a quarter of the step series, a slow linear drift of 2-5% over 200-600 points. Segments
are at least 20 points long. Pure-noise series (same noise, outliers, no step and no drift) count
false alarms. Everything is drawn from --seed, so a run is repeatable.

A detection within 5 points of a true change is a hit; each true change is matched at most once,
and every other detection on a step series (including one set off by a drift) is a false positive.
Both detectors run at their defaults: paretobot's `detect(values)` in this process, and Otava's
`compute_change_points` with the defaults its CLI uses (`AnalysisOptions()`: window 50,
max_pvalue 0.001, min_magnitude 0), after the CLI's `fill_missing`, in its own venv (it pins numpy)
in a subprocess. Times are of the detection call alone, the median of a few runs on one series per
size; a call over 60 s is stopped and reported as '>60 s'.

    python benchmarks/changepoints.py [--quick] [--seed 0] [--otava-venv PATH] [--skip-otava]
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.analysis.changepoints import detect

OTAVA = "apache-otava==0.8.0"
TOLERANCE = 5  # points between a detection and the true change it hits
MIN_SEGMENT = 20  # points between two changes, and between a change and either end
LENGTHS = (100, 200, 500, 1000)  # of the accuracy series, drawn uniformly
TIMING_SIZES = (100, 1_000, 10_000, 100_000)
BUDGET = 60.0  # seconds one detection call may take before it is reported as '>60 s'

# Runs inside Otava's venv: `python runner.py job.json`; one JSON line per series on stdout.
RUNNER = """
import json, signal, sys, time
from importlib.metadata import version

from otava.analysis import compute_change_points, fill_missing
from otava.series import AnalysisOptions


class OverBudget(Exception):
    pass


def on_alarm(signum, frame):
    raise OverBudget


job = json.load(open(sys.argv[1]))
options = AnalysisOptions()  # what `otava analyze` uses when no option is given
print(json.dumps({"version": version("apache-otava"), "options": options.to_json()}), flush=True)
signal.signal(signal.SIGALRM, on_alarm)


def run(values):
    return compute_change_points(
        values,
        window_len=options.window_len,
        max_pvalue=options.max_pvalue,
        min_magnitude=options.min_magnitude,
    )[0]


run([1.0] * 60 + [2.0] * 60)  # warm-up
for series in job["series"]:
    values = list(series)  # a list, as the CLI passes: get_change_points slices only lists
    fill_missing(values)
    found, times = None, []
    try:
        for _ in range(job["repeat"]):
            signal.setitimer(signal.ITIMER_REAL, job["budget"])
            start = time.perf_counter()
            change_points = run(values)
            times.append(time.perf_counter() - start)
            signal.setitimer(signal.ITIMER_REAL, 0)
            found = [int(cp.index) for cp in change_points]
    except OverBudget:
        times = None
    print(json.dumps({"found": found, "times": times}), flush=True)
"""


@dataclass
class Series:
    values: list[float]
    changes: list[int]  # first index after each true change
    steps: list[float]  # relative size of each change
    sigma: float
    heavy: bool
    outliers: bool
    drift: bool


def make_series(rng: np.random.Generator, n: int, n_steps: int, drift_chance: float) -> Series:
    sigma = float(rng.uniform(0.01, 0.05))
    heavy = bool(rng.random() < 0.3)
    outliers = bool(rng.random() < 0.5)
    drift = bool(rng.random() < drift_chance)
    # change positions at least MIN_SEGMENT apart and from either end
    free = n - (n_steps + 1) * MIN_SEGMENT
    offsets = np.sort(rng.integers(0, free + 1, size=n_steps))
    changes = [int(o) + (i + 1) * MIN_SEGMENT for i, o in enumerate(offsets)]
    steps = []
    while len(steps) < n_steps:
        step = float(rng.uniform(-0.10, 0.15))
        if abs(step) >= 0.01:
            steps.append(step)
    level = np.full(n, float(rng.uniform(10.0, 5000.0)))
    for at, step in zip(changes, steps, strict=True):
        level[at:] *= 1.0 + step
    if drift:
        span = min(n, int(rng.integers(200, 601)))
        start = int(rng.integers(0, n - span + 1))
        ramp = np.clip((np.arange(n) - start) / span, 0.0, 1.0)
        level *= 1.0 + rng.choice([-1.0, 1.0]) * rng.uniform(0.02, 0.05) * ramp
    # t(3) has variance 3: scaled to the same standard deviation as the Gaussian noise
    noise = rng.standard_t(3, size=n) / np.sqrt(3.0) if heavy else rng.standard_normal(n)
    values = level * np.exp(sigma * noise)
    if outliers:
        where = rng.choice(n, size=max(1, round(0.01 * n)), replace=False)
        values[where] *= 1.0 + rng.choice([-1.0, 1.0], size=len(where)) * rng.uniform(
            0.2, 0.5, size=len(where)
        )
    return Series([float(v) for v in values], changes, steps, sigma, heavy, outliers, drift)


def corpus(seed: int, n_step: int, n_noise: int) -> tuple[list[Series], list[Series]]:
    rng = np.random.default_rng([seed, 1])
    with_steps, noise = [], []
    for _ in range(n_step):
        n = int(rng.choice(LENGTHS))
        n_steps = int(rng.integers(1, min(5, max(1, n // 100)) + 1))
        with_steps.append(make_series(rng, n, n_steps, drift_chance=0.25))
    for _ in range(n_noise):
        noise.append(make_series(rng, int(rng.choice(LENGTHS)), 0, drift_chance=0.0))
    return with_steps, noise


def timing_series(seed: int, n: int) -> Series:
    """One step series of n points, a change every 500 points or so (at least one)."""
    return make_series(np.random.default_rng([seed, 2, n]), n, max(1, n // 500), 0.25)


def hits(changes: list[int], found: list[int]) -> int:
    """True changes matched by a detection within TOLERANCE, each change and detection once."""
    pairs = sorted((abs(c - f), i, j) for i, c in enumerate(changes) for j, f in enumerate(found))
    used_c, used_f = set(), set()
    for distance, i, j in pairs:
        if distance > TOLERANCE:
            break
        if i not in used_c and j not in used_f:
            used_c.add(i)
            used_f.add(j)
    return len(used_c)


class OverBudget(Exception):
    pass


def _on_alarm(signum, frame) -> None:
    raise OverBudget


def run_paretobot(series: list[Series], repeat: int) -> list[tuple[list[int], list[float] | None]]:
    """Same protocol as the Otava runner: warm-up, then `repeat` timed calls per series."""
    signal.signal(signal.SIGALRM, _on_alarm)
    detect([1.0] * 60 + [2.0] * 60)
    results = []
    for s in series:
        found, times = None, []
        try:
            for _ in range(repeat):
                signal.setitimer(signal.ITIMER_REAL, BUDGET)
                start = time.perf_counter()
                change_points = detect(s.values)
                times.append(time.perf_counter() - start)
                signal.setitimer(signal.ITIMER_REAL, 0)
                found = [cp.index for cp in change_points]
        except OverBudget:
            times = None
        results.append((found or [], times))
    return results


def run_paretobot_sizes(timed: list[Series], repeats: dict[int, int]) -> list[list[float] | None]:
    return [run_paretobot([s], repeats[len(s.values)])[0][1] for s in timed]


def ensure_otava(venv: Path) -> tuple[Path, float | None]:
    """Otava's venv python, creating the venv and installing Otava if missing; install seconds."""
    python = venv / "bin" / "python"
    check = [str(python), "-c", "import otava.analysis"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python, None
    print(f"installing {OTAVA} into {venv} ...", flush=True)
    start = time.perf_counter()
    if not python.exists():
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", OTAVA]
    done = subprocess.run(pip, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"installing {OTAVA} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return python, time.perf_counter() - start


def run_otava(
    python: Path, series: list[Series], repeat: int
) -> tuple[dict, list[tuple[list[int], list[float] | None]]]:
    with tempfile.TemporaryDirectory() as tmp:
        runner, job = Path(tmp) / "otava_runner.py", Path(tmp) / "job.json"
        runner.write_text(RUNNER)
        job.write_text(
            json.dumps({"series": [s.values for s in series], "repeat": repeat, "budget": BUDGET})
        )
        # the runner stops any call at BUDGET itself; this only guards against a hung process
        limit = 120 + len(series) * (repeat * BUDGET + 5)
        done = subprocess.run(
            [str(python), str(runner), str(job)], capture_output=True, text=True, timeout=limit
        )
    if done.returncode != 0:
        sys.exit(f"Otava runner failed:\n{done.stderr}")
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return lines[0], [(line["found"] or [], line["times"]) for line in lines[1:]]


def scores(series: list[Series], found: list[list[int]]) -> tuple[float, float, float]:
    true = sum(len(s.changes) for s in series)
    reported = sum(len(f) for f in found)
    hit = sum(hits(s.changes, f) for s, f in zip(series, found, strict=True))
    precision = hit / reported if reported else math.nan
    recall = hit / true if true else math.nan
    f1 = 2 * hit / (true + reported) if true + reported else math.nan
    return precision, recall, f1


def seconds(times: list[float] | None) -> str:
    if times is None:
        return f">{BUDGET:.0f} s"
    t = statistics.median(times)
    return f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer series and runs (smoke run)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--otava-venv", type=Path, default=Path.home() / ".cache/paretobot/otava-venv"
    )
    parser.add_argument("--skip-otava", action="store_true")
    args = parser.parse_args()
    n_step, n_noise = (40, 40) if args.quick else (400, 400)
    repeats = dict.fromkeys(TIMING_SIZES, 3) if args.quick else dict.fromkeys(TIMING_SIZES, 5)
    repeats[100_000] = 1 if args.quick else 3

    with_steps, noise = corpus(args.seed, n_step, n_noise)
    timed = [timing_series(args.seed, n) for n in TIMING_SIZES]
    true = sum(len(s.changes) for s in with_steps)
    noise_points = sum(len(s.values) for s in noise)
    print(
        f"seed {args.seed}: {len(with_steps)} step series "
        f"({sum(len(s.values) for s in with_steps):,} points, {true} changes), "
        f"{len(noise)} pure-noise series ({noise_points:,} points)"
    )
    defaults = {
        k: p.default
        for k, p in inspect.signature(detect).parameters.items()
        if p.kind == p.KEYWORD_ONLY
    }
    print(f"paretobot: {detect.__module__}.detect, defaults {defaults}")

    methods: dict[str, dict] = {}
    accuracy = run_paretobot(with_steps + noise, 1)
    timing = run_paretobot_sizes(timed, repeats)
    methods["paretobot"] = {"found": [f for f, _ in accuracy], "timing": timing}
    if not args.skip_otava:
        python, installed = ensure_otava(args.otava_venv.expanduser())
        how = f"installed in {installed:.1f} s" if installed is not None else "already installed"
        info, accuracy = run_otava(python, with_steps + noise, 1)
        timing = [run_otava(python, [s], repeats[len(s.values)])[1][0][1] for s in timed]
        print(
            f"otava: apache-otava {info['version']} in {args.otava_venv} ({how}); "
            f"otava.analysis.compute_change_points with {info['options']}"
        )
        methods["otava"] = {"found": [f for f, _ in accuracy], "timing": timing}

    # where each method wins or loses, then the summary
    subsets = {
        "all": lambda s: True,
        "gaussian": lambda s: not s.heavy,
        "student-t 3": lambda s: s.heavy,
        "outliers": lambda s: s.outliers,
        "drift": lambda s: s.drift,
    }
    print(
        f"\n{'step series':<16}{'series':>7}" + "".join(f"{m + ' P / R / F1':>28}" for m in methods)
    )
    for name, keep in subsets.items():
        chosen = [i for i, s in enumerate(with_steps) if keep(s)]
        row = f"{name:<16}{len(chosen):>7}"
        for m in methods.values():
            p, r, f = scores([with_steps[i] for i in chosen], [m["found"][i] for i in chosen])
            row += f"{p:>12.3f}{r:>8.3f}{f:>8.3f}"
        print(row)
    print(
        f"\n{'|step| / noise':<16}{'changes':>7}" + "".join(f"{m + ' recall':>28}" for m in methods)
    )
    changes = [
        (i, c, abs(st) / s.sigma)
        for i, s in enumerate(with_steps)
        for c, st in zip(s.changes, s.steps, strict=True)
    ]
    for lo, hi in [(0, 0.5), (0.5, 1), (1, 2), (2, 4), (4, math.inf)]:
        chosen = [(i, c) for i, c, ratio in changes if lo <= ratio < hi]
        row = f"{f'{lo:g} to {hi:g}':<16}{len(chosen):>7}"
        for m in methods.values():
            hit = sum(hits([c], m["found"][i]) for i, c in chosen)
            row += f"{hit / len(chosen) if chosen else math.nan:>28.3f}"
        print(row)

    print(
        "\nmethod    | precision | recall | F1    | false alarms /1k | "
        + " | ".join(f"{f't@{n // 1000}k' if n >= 1000 else f't@{n}':>8}" for n in TIMING_SIZES)
    )
    for name, m in methods.items():
        p, r, f = scores(with_steps, m["found"][: len(with_steps)])
        alarms = sum(len(f) for f in m["found"][len(with_steps) :]) / noise_points * 1000
        times = " | ".join(f"{seconds(t):>8}" for t in m["timing"])
        print(f"{name:<9} | {p:>9.3f} | {r:>6.3f} | {f:.3f} | {alarms:>16.2f} | {times}")


if __name__ == "__main__":
    main()
