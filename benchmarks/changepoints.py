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

Fleet sets (the cases a fleet lives with, which the series above never contain): histories of
20-300 builds, 1-3% noise (Student-t with 3 degrees of freedom in half of them), about 1% outliers
from a bad runner (0.6-0.85x), 2% missing builds, a slight linear drift (up to +-2% over the
history) and steps of 5-15% in either direction, in five kinds drawn in turn: `random` (0-3 changes
at least 8 builds apart), `early` (a step 8-13 builds after the start), `close` (two changes 3-7
builds apart: a regression and its fix, or one on top of another), `late` (a change 3 builds before
the end) and `short` (40 builds, one change). Every change has at least 5 builds before it and 3
after it. `fleet-tune` (seeds [seed, 3]) is what the detector was tuned on; `fleet-held-out` (seeds
[seed, 4]) is never tuned on, only reported. `fleet-noise` (seeds [seed, 5]) has the same noise,
outliers, missing builds and drift and no step: every detection there is a false alarm.

Scoring is F1 with a margin of 5 (TCPDBench's): a detection within 5 builds of a true change hits
it, each true change and each detection is matched at most once, precision is hits over detections
and recall hits over true changes. (TCPDBench also adds index 0 to both sets; the synthetic sets do
not, so an empty answer scores 0 recall here rather than a free hit.)

--baseline REF also scores the detector as it was at git revision REF (loaded from
`git show REF:bot/analysis/changepoints.py`), so before and after come from the same run.

--tcpd DIR scores detect on the univariate series of the Turing Change Point Dataset (van den Burg
and Williams, 2020) with TCPDBench's default F1 (`f_measure` in its analysis/scripts/metrics.py:
margin 5; index 0 added to the predictions and to every annotator's set; precision against the
union of all annotators' change points, recall the mean over annotators) and prints each series' F1
and the mean. The data is not in this repository. To get it:

    git clone https://github.com/alan-turing-institute/TCPD && cd TCPD
    make export   # or: keep datasets/*/*.json as they are (32 series ship as JSON; the rest
                  # are downloaded by datasets/*/get_*.py)

and pass --tcpd TCPD (the folder holding annotations.json and datasets/). Series whose JSON is
missing are skipped and counted.

    python benchmarks/changepoints.py [--quick] [--seed 0] [--otava-venv PATH] [--skip-otava]
        [--baseline REF] [--tcpd DIR] [--fleet-only]
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


FLEET_KINDS = ("random", "early", "close", "late", "short")
FLEET_SIZES = {"quick": 100, "full": 500}  # series per fleet set


def make_fleet(rng: np.random.Generator, kind: str) -> Series:
    """One fleet history of `kind` (see the module docstring); missing builds are None."""
    n = 40 if kind == "short" else int(rng.integers(20 if kind == "random" else 40, 301))
    sigma = float(rng.uniform(0.01, 0.03))
    heavy = bool(rng.random() < 0.5)

    def step() -> float:
        return float(rng.choice([-1.0, 1.0]) * rng.uniform(0.05, 0.15))

    changes: list[int] = []
    steps: list[float] = []
    if kind == "random":
        for _ in range(int(rng.integers(0, min(3, (n - 8) // 10) + 1))):
            at = int(rng.integers(5, n - 3 + 1))
            if all(abs(at - c) >= 8 for c in changes):
                changes.append(at)
        changes.sort()
        steps = [step() for _ in changes]
    elif kind == "early":
        changes, steps = [int(rng.integers(8, 14))], [step()]
    elif kind == "close":
        first = int(rng.integers(5, n - 3 - 7 + 1))
        changes = [first, first + int(rng.integers(3, 8))]
        size = step()
        fix = bool(rng.random() < 0.5)  # a regression and its fix, or one on top of another
        steps = [size, (1.0 / (1.0 + size) - 1.0) if fix else size]
    elif kind == "late":
        changes, steps = [n - 3], [step()]
    else:  # short
        changes, steps = [int(rng.integers(5, n - 3 + 1))], [step()]
    level = np.full(n, float(rng.uniform(10.0, 5000.0)))
    for at, size in zip(changes, steps, strict=True):
        level[at:] *= 1.0 + size
    drift = float(rng.uniform(-0.02, 0.02))
    level *= 1.0 + drift * np.arange(n) / n
    noise = rng.standard_t(3, size=n) / np.sqrt(3.0) if heavy else rng.standard_normal(n)
    values = level * np.exp(sigma * noise)
    bad = rng.random(n) < 0.01  # a bad runner: low by 15-40%
    values[bad] *= rng.uniform(0.6, 0.85, size=int(bad.sum()))
    missing = rng.random(n) < 0.02
    out = [None if m else float(v) for v, m in zip(values, missing, strict=True)]
    return Series(out, changes, steps, sigma, heavy, bool(bad.any()), True)  # type: ignore[arg-type]


def fleet_noise(rng: np.random.Generator) -> Series:
    n = int(rng.integers(20, 301))
    sigma, heavy = float(rng.uniform(0.01, 0.03)), bool(rng.random() < 0.5)
    level = float(rng.uniform(10.0, 5000.0)) * (1.0 + rng.uniform(-0.02, 0.02) * np.arange(n) / n)
    noise = rng.standard_t(3, size=n) / np.sqrt(3.0) if heavy else rng.standard_normal(n)
    values = level * np.exp(sigma * noise)
    bad = rng.random(n) < 0.01
    values[bad] *= rng.uniform(0.6, 0.85, size=int(bad.sum()))
    missing = rng.random(n) < 0.02
    out = [None if m else float(v) for v, m in zip(values, missing, strict=True)]
    return Series(out, [], [], sigma, heavy, bool(bad.any()), True)  # type: ignore[arg-type]


def fleet_sets(seed: int, size: int) -> dict[str, list[Series]]:
    """Tuning, held-out and pure-noise fleet sets; fixed seeds, so the split never moves."""
    tune, held = np.random.default_rng([seed, 3]), np.random.default_rng([seed, 4])
    noise = np.random.default_rng([seed, 5])
    return {
        "fleet-tune": [make_fleet(tune, FLEET_KINDS[i % 5]) for i in range(size)],
        "fleet-held-out": [make_fleet(held, FLEET_KINDS[i % 5]) for i in range(size)],
        "fleet-noise": [fleet_noise(noise) for _ in range(2 * size)],
    }


def load_detector(ref: str):
    """detect() as it was at git revision `ref`, loaded as its own module."""
    import importlib.util

    source = subprocess.run(
        ["git", "show", f"{ref}:bot/analysis/changepoints.py"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "changepoints_baseline.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("changepoints_baseline", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["changepoints_baseline"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.detect


def print_fleet(
    sets: dict[str, list[Series]], found: dict[str, dict[str, list[list[int]]]]
) -> None:
    """Per set and method: precision, recall, F1 (margin 5); false alarms per 1,000 points."""
    print(
        f"\n{'set':<16}{'method':<11}{'series':>7}{'changes':>8}"
        f"{'precision':>10}{'recall':>8}{'F1':>7}{'false alarms /1k':>18}"
    )
    for name, series in sets.items():
        points = sum(len(s.values) for s in series)
        true = sum(len(s.changes) for s in series)
        for method, per_set in found.items():
            f = per_set[name]
            if true:
                p, r, f1 = scores(series, f)
                alarms = (
                    (
                        sum(len(x) for x in f)
                        - sum(hits(s.changes, x) for s, x in zip(series, f, strict=True))
                    )
                    / points
                    * 1000
                )
                row = f"{p:>10.3f}{r:>8.3f}{f1:>7.3f}{alarms:>18.2f}"
            else:
                alarms = sum(len(x) for x in f) / points * 1000
                row = f"{'':>10}{'':>8}{'':>7}{alarms:>18.2f}"
            print(f"{name:<16}{method:<11}{len(series):>7}{true:>8}{row}")
    print(f"\n{'recall by kind':<16}{'method':<11}" + "".join(f"{k:>8}" for k in FLEET_KINDS))
    for name in ("fleet-tune", "fleet-held-out"):
        series = sets[name]
        for method, per_set in found.items():
            row = f"{name:<16}{method:<11}"
            for k in FLEET_KINDS:
                chosen = [i for i, s in enumerate(series) if FLEET_KINDS[i % 5] == k]
                true = sum(len(series[i].changes) for i in chosen)
                hit = sum(hits(series[i].changes, per_set[name][i]) for i in chosen)
                row += f"{hit / true if true else math.nan:>8.3f}"
            print(row)


def tcpd_f1(annotations: dict[str, list[int]], predictions: list[int], margin: int = 5) -> float:
    """TCPDBench's default F1 (analysis/scripts/metrics.py, f_measure with alpha 0.5)."""

    def true_positives(truth: set[int], found: set[int]) -> set[int]:
        found = set(found)
        tp = set()
        for tau in truth:
            close = sorted((abs(tau - x), x) for x in found if abs(tau - x) <= margin)
            if close:
                tp.add(tau)
                found.remove(close[0][1])
        return tp

    per_user = [set(a) | {0} for a in annotations.values()]
    x = set(predictions) | {0}
    union = set().union(*per_user)
    precision = len(true_positives(union, x)) / len(x)
    recall = sum(len(true_positives(t, x)) / len(t) for t in per_user) / len(per_user)
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def run_tcpd(folder: Path, detectors: dict) -> None:
    annotations = json.loads((folder / "annotations.json").read_text())
    rows, skipped = [], []
    for name in sorted(annotations):
        path = folder / "datasets" / name / f"{name}.json"
        if not path.exists():
            skipped.append(name)
            continue
        data = json.loads(path.read_text())
        if data["n_dim"] != 1:
            skipped.append(name)
            continue
        raw = data["series"][0]["raw"]
        values = [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in raw]
        f1s = [
            tcpd_f1(annotations[name], [cp.index for cp in d(values)]) for d in detectors.values()
        ]
        rows.append((name, len(values), f1s))
    print(f"\n{'TCPD series':<24}{'n':>6}" + "".join(f"{m + ' F1':>18}" for m in detectors))
    for name, n, f1s in rows:
        print(f"{name:<24}{n:>6}" + "".join(f"{f:>18.3f}" for f in f1s))
    means = [statistics.mean(r[2][i] for r in rows) for i in range(len(detectors))]
    print(f"{'mean (' + str(len(rows)) + ' series)':<30}" + "".join(f"{m:>18.3f}" for m in means))
    print(f"skipped (no JSON here, or multivariate): {', '.join(skipped) or 'none'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer series and runs (smoke run)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--otava-venv", type=Path, default=Path.home() / ".cache/paretobot/otava-venv"
    )
    parser.add_argument("--skip-otava", action="store_true")
    parser.add_argument("--baseline", help="also score detect as it was at this git revision")
    parser.add_argument("--tcpd", type=Path, help="TCPD checkout: score its univariate series")
    parser.add_argument("--fleet-only", action="store_true", help="skip the generic sets")
    args = parser.parse_args()
    baseline = load_detector(args.baseline) if args.baseline else None
    detectors = {"paretobot": detect} | ({"baseline": baseline} if baseline else {})
    if args.tcpd:
        run_tcpd(args.tcpd, detectors)
        return
    sets = fleet_sets(args.seed, FLEET_SIZES["quick" if args.quick else "full"])
    everything = [s for series in sets.values() for s in series]
    found: dict[str, dict[str, list[list[int]]]] = {}
    for method, d in detectors.items():
        out = [[cp.index for cp in d(s.values)] for s in everything]
        found[method] = {}
        for name, series in sets.items():
            found[method][name], out = out[: len(series)], out[len(series) :]
    if not args.skip_otava:
        python, _ = ensure_otava(args.otava_venv.expanduser())
        _, result = run_otava(python, everything, 1)
        out = [f for f, _ in result]
        found["otava"] = {}
        for name, series in sets.items():
            found["otava"][name], out = out[: len(series)], out[len(series) :]
    print_fleet(sets, found)
    if args.fleet_only:
        return
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
