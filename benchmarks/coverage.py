"""Interval coverage and verdict accuracy of the frontier comparison, by simulation.

Measures what `bot.analysis.verdict.judge` (and the comparison behind it) does with known truths:
true frontiers shaped like real sweeps (`benchmarks/shapes.py`), a candidate whose throughput is
shifted by a known amount (-10%, -5%, 0, +5%, +10%) or crosses the baseline (x0.75 at the lowest
concurrency to x1.30 at the highest), 2, 3 or 5 runs per side, each run drawn with noise:

    tput  *= exp(run_effect   + e_tput),  e_tput ~ N(0, sd_point) (or t with 4 df, same sd)
    inter *= exp(run_effect_x + e_x),     e_x    ~ N(0, sd_x)

run_effect and run_effect_x ~ N(0, sd_run) are shared by every point of one run (another node,
another thermal state). Tables:

1. coverage: how often the headline's [low, high] holds the true change (the mean over 64 log-spaced
   interactivity levels across the comparison's overlap of log(candidate / baseline) of the true
   frontiers, exponentiated; 1 + s for a uniform shift s), trials with no interval, median width;
2. verdict accuracy: no-change at 0, improvement at +5%, regression at -5%, mixed on a crossing,
   and the wrong calls (regression or improvement at 0, either on a crossing);
3. one PASS/FAIL line per target.

Shapes: all of `benchmarks/shapes.py` but agentic-glm5.1-none (its monotone fit spans 4% of
interactivity, inside the noise; add it with --shapes). A trial counts as covered only if it has an
interval and an overlap; the no-interval count says how many had neither.

It always exits 0: it is a benchmark, not a test. At the defaults it makes 27,000 verdicts (about
20 s on 2 cores with the comparison of 2026-12; a slower comparison scales with it).

    .venv/bin/python benchmarks/coverage.py [--trials N] [--seed S] [--runs 2 3 5] [--shapes ...]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.shapes import (
    Change,
    Shape,
    crossing,
    load_shapes,
    true_change,
    true_peak_change,
    uniform,
)
from bot.analysis.verdict import judge
from bot.config import AnalysisPolicy
from bot.model import Build, Point, Sweep

SHIFTS = (-0.10, -0.05, 0.0, 0.05, 0.10)
CROSS = "cross"
# A real sweep whose monotone fit leaves no frontier: c 8..48 span 4% of interactivity (c 8
# dominates every other point), inside the noise, so runs rarely share a range. Off by default.
DEGENERATE = ("agentic-glm5.1-none",)
from bot.analysis.verdict import KINDS  # noqa: E402

BASE, CAND = Build(framework="vllm", version="base"), Build(framework="vllm", version="cand")
COVERAGE_TARGET, NO_CHANGE_TARGET, POWER_TARGET, MIXED_TARGET, WRONG_CROSS_MAX = (
    0.93,
    0.95,
    0.90,
    0.50,
    0.01,
)


@dataclass(frozen=True)
class Noise:
    sd_point: float = 0.03
    sd_x: float = 0.02
    sd_run: float = 0.02
    sd_run_x: float = 0.02
    heavy: bool = False  # t with 4 df (scaled to sd_point) for e_tput

    def describe(self) -> str:
        tails = "t(4 df) scaled" if self.heavy else "normal"
        return (
            f"sd_point {self.sd_point:g} ({tails}), sd_x {self.sd_x:g}, "
            f"sd_run {self.sd_run:g} (tput), sd_run_x {self.sd_run_x:g} (interactivity)"
        )


# Noise levels: "typical" is what repeated runs on a dedicated node show (1% per point on both
# axes, 0.5% shared by a run); "noisy" is a shared, host-bound machine (3%/2%, 2% per run; the
# H100 repeats in shared/data/gpu show worse still). Coverage must hold under both; the power
# targets (no-change at 0, a 5% shift found) are stated for "typical": under "noisy" a steep
# frontier turns a 2% interactivity wobble into an 8% throughput one, and the honest answer
# is "inconclusive".
PRESETS = {
    "typical": Noise(sd_point=0.01, sd_x=0.01, sd_run=0.005, sd_run_x=0.005),
    "noisy": Noise(sd_point=0.03, sd_x=0.02, sd_run=0.02, sd_run_x=0.02),
}


@dataclass
class Cell:
    """What the trials of one shape x runs x change gave."""

    shape: str
    runs: int
    change: str
    trials: int = 0
    covered: int = 0
    no_interval: int = 0
    widths: list[float] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)

    @property
    def coverage(self) -> float:
        return self.covered / self.trials if self.trials else math.nan

    def rate(self, kind: str) -> float:
        return self.kinds[kind] / self.trials if self.trials else math.nan

    @property
    def median_width(self) -> float:
        return float(np.median(self.widths)) if self.widths else math.nan


def simulate_run(
    shape: Shape,
    change: Change | None,
    build: Build,
    run: int,
    noise: Noise,
    rng: np.random.Generator,
) -> Sweep:
    """One sweep of the true frontier (times the change's factor) with run and point noise."""
    c, x, y = shape.curve()
    if change is not None:
        y = y * change.factor(c)
    run_effect, run_effect_x = rng.normal(0, noise.sd_run), rng.normal(0, noise.sd_run_x)
    if noise.heavy:
        e_tput = rng.standard_t(4, len(c)) * noise.sd_point / math.sqrt(2.0)
    else:
        e_tput = rng.normal(0, noise.sd_point, len(c))
    e_x = rng.normal(0, noise.sd_x, len(c))
    tput = y * np.exp(run_effect + e_tput)
    inter = x * np.exp(run_effect_x + e_x)
    points = tuple(
        Point(concurrency=int(ci), tput_per_gpu=float(ti), interactivity=float(xi))
        for ci, ti, xi in zip(c, tput, inter, strict=True)
    )
    return Sweep(shape.config, build, f"{build.version}-{run}", points, repeat=run)


def change_named(shape: Shape, name: str) -> Change:
    return crossing(shape) if name == CROSS else uniform(float(name))


def run_cell(task: tuple[Shape, int, str, int, Noise, tuple[int, ...]]) -> Cell:
    """`trials` comparisons of `runs` baseline against `runs` candidate runs."""
    shape, runs, change_name, trials, noise, seed = task
    change = change_named(shape, change_name)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    policy = AnalysisPolicy()
    cell = Cell(shape.name, runs, change_name)
    for _ in range(trials):
        base = [simulate_run(shape, None, BASE, r, noise, rng) for r in range(runs)]
        cand = [simulate_run(shape, change, CAND, r, noise, rng) for r in range(runs)]
        cell.trials += 1
        try:
            verdict = judge(base, cand, policy)
        except Exception as exc:  # a crash is a result here, not the end of the benchmark
            cell.kinds[f"error: {type(exc).__name__}"] += 1
            cell.no_interval += 1
            continue
        cell.kinds[verdict.kind if verdict.kind in KINDS else "other"] += 1
        comparison = verdict.comparison
        head = comparison.headline if comparison else None
        if head is None or head.low is None or head.high is None or comparison is None:
            cell.no_interval += 1
            continue
        if comparison.overlap is None:  # the headline is then peak throughput: its own truth
            truth = true_peak_change(shape, change)
        else:
            truth = true_change(shape, change, comparison.overlap)
        cell.covered += head.low <= truth <= head.high
        cell.widths.append(head.high - head.low)
    return cell


def pct(value: float) -> str:
    return "  n/a" if math.isnan(value) else f"{100 * value:5.1f}"


def coverage_table(
    cells: dict[tuple[str, int, str], Cell], shapes: list[str], runs: list[int]
) -> None:
    changes = [*(f"{s:+.2f}" for s in SHIFTS), CROSS]
    print("1. Coverage of the headline interval (cell: covered% / median width in % / no interval)")
    head = f"{'shape':26s} {'runs':>4s} " + " ".join(
        f"{(CROSS if c == CROSS else f'{float(c):+.0%}'):>16s}" for c in changes
    )
    print(head)
    for shape in shapes:
        for n in runs:
            row = f"{shape:26s} {n:4d} "
            for c in changes:
                cell = cells[(shape, n, c)]
                text = f"{pct(cell.coverage)}/{pct(cell.median_width).strip()}/{cell.no_interval}"
                row += f" {text:>16s}"
            print(row)
    print()


def verdict_table(
    cells: dict[tuple[str, int, str], Cell], shapes: list[str], runs: list[int]
) -> None:
    print("2. Verdicts (% of trials)")
    print(
        f"{'shape':26s} {'runs':>4s} | {'0: no-chg':>9s} {'reg':>5s} {'imp':>5s} {'other':>5s} "
        f"| {'+5%: imp':>8s} {'-5%: reg':>8s} {'+10%: imp':>9s} {'-10%: reg':>9s} "
        f"| {'cross: mixed':>12s} {'wrong':>5s} {'incl':>5s}"
    )
    for shape in shapes:
        for n in runs:
            zero, up, down = (cells[(shape, n, f"{s:+.2f}")] for s in (0.0, 0.05, -0.05))
            up10, down10 = (cells[(shape, n, f"{s:+.2f}")] for s in (0.10, -0.10))
            cross = cells[(shape, n, CROSS)]
            wrong = cross.rate("improvement") + cross.rate("regression")
            others = 1 - sum(zero.rate(k) for k in ("no-change", "regression", "improvement"))
            print(
                f"{shape:26s} {n:4d} | {pct(zero.rate('no-change')):>9s} "
                f"{pct(zero.rate('regression'))} {pct(zero.rate('improvement'))} {pct(others)} "
                f"| {pct(up.rate('improvement')):>8s} {pct(down.rate('regression')):>8s} "
                f"{pct(up10.rate('improvement')):>9s} {pct(down10.rate('regression')):>9s} "
                f"| {pct(cross.rate('mixed')):>12s} {pct(wrong)} {pct(cross.rate('inconclusive'))}"
            )
    kinds = Counter[str]()
    for cell in cells.values():
        kinds.update(cell.kinds)
    print("   all verdicts: " + ", ".join(f"{k} {v}" for k, v in kinds.most_common()))
    print()


def target_line(name: str, ok: bool, figure: str) -> None:
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {figure}")


def worst(cells: list[Cell], value: str) -> tuple[float, Cell]:
    def get(cell: Cell) -> float:
        return cell.coverage if value == "coverage" else cell.rate(value)

    cell = min(cells, key=get)
    return get(cell), cell


def where(cell: Cell) -> str:
    return f"{cell.shape}, {cell.runs} runs, {cell.change}"


def targets(cells: dict[tuple[str, int, str], Cell], runs: list[int]) -> None:
    print("3. Targets")
    shifted = [c for c in cells.values() if c.change != CROSS]
    # A cell of 300 trials has a Monte Carlo error of about 1.3 points at 95%, so single cells
    # dip below 93% by chance; the target is judged per shape x runs, pooled over the shifts.
    pooled: dict[tuple[str, int], list[int]] = {}
    for c in shifted:
        tally = pooled.setdefault((c.shape, c.runs), [0, 0])
        tally[0] += c.covered
        tally[1] += c.trials
    (shape, n), (hit, total) = min(pooled.items(), key=lambda kv: kv[1][0] / kv[1][1])
    overall = sum(c.covered for c in shifted) / sum(c.trials for c in shifted)
    value, cell = worst(shifted, "coverage")
    target_line(
        f"coverage >= {COVERAGE_TARGET:.0%} for every shape x runs (pooled over shifts)",
        hit / total >= COVERAGE_TARGET,
        f"worst {pct(hit / total).strip()}% ({shape}, {n} runs); all cells {pct(overall).strip()}%;"
        f" worst single cell {pct(value).strip()}% ({where(cell)})",
    )
    crossed = [c for c in cells.values() if c.change == CROSS]
    value, cell = worst(crossed, "coverage")
    target_line(
        f"coverage >= {COVERAGE_TARGET:.0%} on crossings",
        value >= COVERAGE_TARGET,
        f"worst {pct(value).strip()}% ({where(cell)})",
    )
    many = [n for n in runs if n >= 3]
    zero = [c for c in cells.values() if c.change == "+0.00" and c.runs in many]
    if zero:
        value, cell = worst(zero, "no-change")
        target_line(
            f"no-change at shift 0 >= {NO_CHANGE_TARGET:.0%} with 3+ runs",
            value >= NO_CHANGE_TARGET,
            f"worst {pct(value).strip()}% ({where(cell)})",
        )
    top = max(runs)
    for change, kind in (("+0.05", "improvement"), ("-0.05", "regression")):
        group = [c for c in cells.values() if c.change == change and c.runs == top]
        value, cell = worst(group, kind)
        mirror = " (mirror of the +5% target)" if kind == "regression" else ""
        target_line(
            f"{kind} at {float(change):+.0%} with {top} runs >= {POWER_TARGET:.0%}{mirror}",
            value >= POWER_TARGET,
            f"worst {pct(value).strip()}% ({where(cell)})",
        )
    crossed_many = [c for c in crossed if c.runs in many]
    if crossed_many:
        value, cell = worst(crossed_many, "mixed")
        target_line(
            f"crossing called mixed mostly (> {MIXED_TARGET:.0%}) with 3+ runs",
            value > MIXED_TARGET,
            f"worst {pct(value).strip()}% ({where(cell)})",
        )
        wrong = sum(c.kinds["improvement"] + c.kinds["regression"] for c in crossed_many)
        total = sum(c.trials for c in crossed_many)
        wrong_all = sum(c.kinds["improvement"] + c.kinds["regression"] for c in crossed)
        target_line(
            f"wrong calls (improvement/regression) on crossings <= {WRONG_CROSS_MAX:.0%}, 3+ runs",
            wrong <= WRONG_CROSS_MAX * total,
            f"{wrong} of {total} ({pct(wrong / total).strip()}%); {wrong_all} at any run count",
        )


def main() -> None:
    shapes = load_shapes()
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--trials", type=int, default=300, help="trials per cell (default 300)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, nargs="+", default=[2, 3, 5], help="runs per side")
    parser.add_argument(
        "--shapes",
        nargs="+",
        default=[s for s in shapes if s not in DEGENERATE],
        choices=list(shapes),
    )
    parser.add_argument(
        "--noise",
        choices=sorted(PRESETS),
        default="typical",
        help="noise preset (typical: a dedicated fleet node; noisy: a shared, host-bound one)",
    )
    parser.add_argument("--sd-point", type=float, help="per-point tput noise (overrides preset)")
    parser.add_argument("--sd-x", type=float, help="per-point interactivity noise")
    parser.add_argument("--sd-run", type=float, help="run effect on throughput")
    parser.add_argument("--sd-run-x", type=float, help="run effect on interactivity")
    parser.add_argument("--heavy", action="store_true", help="t(4 df) point noise on tput")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    preset = PRESETS[args.noise]
    noise = Noise(
        preset.sd_point if args.sd_point is None else args.sd_point,
        preset.sd_x if args.sd_x is None else args.sd_x,
        preset.sd_run if args.sd_run is None else args.sd_run,
        preset.sd_run_x if args.sd_run_x is None else args.sd_run_x,
        args.heavy,
    )
    policy = AnalysisPolicy()
    print(
        f"Coverage and verdict accuracy of judge(): {args.trials} trials per cell, seed {args.seed}"
    )
    print(f"noise: {noise.describe()}")
    print(
        f"policy: confidence {policy.confidence}, verdict_alpha {policy.verdict_alpha}, "
        f"min_effect {policy.min_effect}, equivalence {policy.equivalence}"
    )
    for name in args.shapes:
        shape = shapes[name]
        c, x, y = shape.curve()
        print(
            f"shape {name}: c {int(c[0])}..{int(c[-1])} ({len(c)} levels), "
            f"interactivity {x[0]:.3g}..{x[-1]:.3g}, tput/GPU {y[0]:.4g}..{y[-1]:.4g}"
        )
    print()
    changes = [*(f"{s:+.2f}" for s in SHIFTS), CROSS]
    tasks = [
        (shapes[name], n, change, args.trials, noise, (args.seed, i, n, j))
        for i, name in enumerate(args.shapes)
        for n in args.runs
        for j, change in enumerate(changes)
    ]
    start = time.perf_counter()
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(run_cell, tasks))
    else:
        results = [run_cell(t) for t in tasks]
    elapsed = time.perf_counter() - start
    cells = {(c.shape, c.runs, c.change): c for c in results}
    coverage_table(cells, args.shapes, args.runs)
    verdict_table(cells, args.shapes, args.runs)
    targets(cells, args.runs)
    verdicts = sum(c.trials for c in results)
    print(f"\n{verdicts} verdicts in {elapsed:.1f} s on {args.jobs} process(es)")


if __name__ == "__main__":
    main()
