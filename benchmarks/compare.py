"""How often the comparison calls a known shift right: generated frontiers, repeats, noise.

The baseline frontier has the shape of the real gpt-oss-120b sweep in the shared data (8
concurrencies, 4..512); every run draws independent multiplicative noise on each point's
throughput and interactivity. The candidate's throughput is shifted by a known amount. A call is
right when the verdict is no-change for a 0 shift, improvement for a gain, regression for a loss.

    python benchmarks/compare.py [--trials 400] [--repeats 3] [--noise 0.03] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np

from bot.analysis.verdict import IMPROVEMENT, NO_CHANGE, REGRESSION, judge
from bot.config import AnalysisPolicy
from bot.model import Build, ConfigKey, Point, Sweep

RAW = Path(__file__).resolve().parents[1] / "tests/data/shared/inferencex/raw/gptoss_multinode"
CONFIG = ConfigKey("gpt-oss-120b", "mxfp4", "h100", "vllm", isl=1024, osl=1024, gpus=16)
SHIFTS = (-0.05, 0.0, 0.02, 0.05, 0.10)


def real_curve() -> list[tuple[int, float, float]]:
    """(concurrency, interactivity, tput_per_gpu) of the real sweep."""
    curve = []
    for path in RAW.glob("*.json"):
        doc = json.loads(path.read_text())
        curve.append(
            (
                doc["max_concurrency"],
                1000 / doc["median_tpot_ms"],
                doc["total_token_throughput"] / 16,
            )
        )
    return sorted(curve)


def runs(curve, build, shift, repeats, noise, x_noise, rng) -> list[Sweep]:
    out = []
    for r in range(repeats):
        points = tuple(
            Point(
                concurrency=c,
                interactivity=x * float(np.exp(rng.normal(0, x_noise))),
                tput_per_gpu=y * (1 + shift) * float(np.exp(rng.normal(0, noise))),
            )
            for c, x, y in curve
        )
        out.append(Sweep(CONFIG, build, f"{build.version}-{r}", points, repeat=r))
    return out


def expected(shift: float) -> str:
    return NO_CHANGE if shift == 0 else IMPROVEMENT if shift > 0 else REGRESSION


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--noise", type=float, default=0.03)
    parser.add_argument("--x-noise", type=float, default=0.0, help="noise on interactivity")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    curve = real_curve()
    policy = AnalysisPolicy()
    old, new = Build("vllm", "old"), Build("vllm", "new")
    rows = []
    start = time.perf_counter()
    for shift in SHIFTS:
        calls: Counter[str] = Counter()
        for _ in range(args.trials):
            base = runs(curve, old, 0.0, args.repeats, args.noise, args.x_noise, rng)
            cand = runs(curve, new, shift, args.repeats, args.noise, args.x_noise, rng)
            calls[judge(base, cand, policy).kind] += 1
        rows.append((shift, calls))
    elapsed = time.perf_counter() - start
    print(
        f"{args.trials} trials per shift, {args.repeats} runs per side, {args.noise:.0%} noise "
        f"per point, min effect {policy.min_effect:.0%}; {elapsed:.1f} s"
    )
    print(f"{'shift':>7} {'right':>7}  calls")
    for shift, calls in rows:
        right = calls[expected(shift)] / args.trials
        detail = ", ".join(f"{k} {v}" for k, v in calls.most_common())
        print(f"{shift:>+7.0%} {right:>7.1%}  {detail}")


if __name__ == "__main__":
    main()
