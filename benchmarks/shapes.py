"""True frontiers shaped like the real sweeps in /work/shared/data, for simulation benchmarks.

Each shape is a curve over concurrency c: interactivity(c) falls and throughput per GPU rises with
c, both log-log interpolated between anchors taken from real numbers (made monotone first, see
`monotone`). Its frontier in (interactivity, throughput) is then piecewise linear in log-log space,
as the bot draws frontiers. A candidate is the baseline with throughput multiplied by a factor of
c (`Change`) at the same concurrency and interactivity, so the true ratio of the two frontiers at an
interactivity x is factor(c(x)).

Shapes (`load_shapes`; data from $SHARED_DATA, default ../shared/data beside the repository):
- gptoss-1k1k-steep: gpt-oss-120b 1k/1k disaggregated (8 prefill + 8 decode GPUs), c 4..512, from
  inferencex/raw/gptoss_multinode: tput = total_token_throughput / 16, x = 1000 / median_tpot_ms.
  Interactivity barely moves at low c while throughput doubles: a very steep frontier.
- kimi-k2.5-8k1k-flat: Kimi-K2.5 INT4 + MTP on MI355X, 8k/1k, from inferencex/agg: the two real
  points (c 32 and 64) fix a constant log-log slope (about -1.5), extended as a power law over
  c 4..64 (InferenceX's usual Kimi list). The one 1k/1k point is another sequence length and the
  H200 notes in gpu/README.md give no sweep to copy (roughly TPOT 10..38 ms and 1,200 output tok/s
  at c 64: a slope near -2), so neither is used beyond confirming that such frontiers are far
  flatter than gpt-oss's.
- agentic-<model>-<offloading>: AgentX trace replay on MI355X (SGLang), ci-history/0604:
  tput_per_gpu against 1 / mean_tpot (seconds), c 8..72 where measured. These sweeps are not
  monotone (Qwen3.5 throughput peaks at c 40 and then falls; GLM-5.1 without offloading falls from
  c 8 on, so its fit spans only 4% of interactivity), so each is replaced by its running best: the
  real Pareto points stay, and past the peak the curve goes on almost flat.
"""

from __future__ import annotations

import glob
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.model import ConfigKey

# The project's shared data sits beside the repository (../shared/data), as in CI.
_BESIDE = Path(__file__).resolve().parents[2] / "shared" / "data"
DATA = Path(os.environ.get("SHARED_DATA", _BESIDE)) / "inferencex"
MIN_STEP = 0.01  # smallest log step between anchors after the monotone fit (1%)


def monotone(log_values: np.ndarray, increasing: bool) -> np.ndarray:
    """The running best of log values (max when increasing, min when not), then each step at least
    MIN_STEP: strictly monotone. A running best keeps every real Pareto point where it was; past a
    peak the curve goes on nearly flat instead of falling (a fall would be a dominated point)."""
    sign = 1.0 if increasing else -1.0
    fitted = np.maximum.accumulate(sign * np.asarray(log_values, dtype=float))
    for i in range(1, len(fitted)):
        fitted[i] = max(fitted[i], fitted[i - 1] + MIN_STEP)
    return sign * fitted


@dataclass(frozen=True)
class Shape:
    """A true frontier as a curve over concurrency, from real anchors."""

    name: str
    config: ConfigKey
    concurrencies: tuple[int, ...]  # the concurrencies each simulated sweep runs
    anchor_c: tuple[float, ...]  # ascending
    anchor_x: tuple[float, ...]  # interactivity (tok/s/user), strictly descending
    anchor_y: tuple[float, ...]  # throughput per GPU (tok/s), strictly ascending
    source: str

    def _interp(self, c: np.ndarray, values: tuple[float, ...]) -> np.ndarray:
        lc, lv = np.log(self.anchor_c), np.log(values)
        x = np.log(np.clip(np.asarray(c, dtype=float), self.anchor_c[0], self.anchor_c[-1]))
        return np.exp(np.interp(x, lc, lv))

    def interactivity(self, c: np.ndarray) -> np.ndarray:
        return self._interp(c, self.anchor_x)

    def tput(self, c: np.ndarray) -> np.ndarray:
        return self._interp(c, self.anchor_y)

    def concurrency_at(self, x: np.ndarray) -> np.ndarray:
        """The concurrency whose true interactivity is x (clamped to the anchors' range)."""
        lx = np.log(np.asarray(x, dtype=float))
        lc = np.interp(-lx, -np.log(self.anchor_x), np.log(self.anchor_c))
        return np.exp(lc)

    def curve(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(concurrency, interactivity, tput) of the true curve at the simulated concurrencies."""
        c = np.asarray(self.concurrencies, dtype=float)
        return c, self.interactivity(c), self.tput(c)


@dataclass(frozen=True)
class Change:
    """How the candidate's throughput differs from the baseline's at the same concurrency."""

    name: str
    factor: Callable[[np.ndarray], np.ndarray]
    shift: float | None = None  # the uniform shift, when it is one


def uniform(shift: float) -> Change:
    return Change(f"{shift:+.0%}", lambda c: np.full(np.shape(c), 1.0 + shift), shift)


def crossing(shape: Shape, low: float = 0.75, high: float = 1.30) -> Change:
    """Throughput times `low` at the lowest concurrency to `high` at the highest (log-linear)."""
    c0, c1 = min(shape.concurrencies), max(shape.concurrencies)

    def factor(c: np.ndarray) -> np.ndarray:
        t = np.clip((np.log(c) - math.log(c0)) / (math.log(c1) - math.log(c0)), 0.0, 1.0)
        return np.exp(math.log(low) + t * (math.log(high) - math.log(low)))

    return Change("cross", factor)


def true_change(shape: Shape, change: Change, overlap: tuple[float, float]) -> float:
    """The headline's estimand: exp of the mean over a 64-point log grid spanning `overlap` of
    log(candidate / baseline) of the true frontiers."""
    if change.shift is not None:
        return 1.0 + change.shift
    lo, hi = overlap
    xs = np.geomspace(lo, hi, 64) if hi > lo else np.array([lo])
    return float(np.exp(np.mean(np.log(change.factor(shape.concurrency_at(xs))))))


def true_peak_change(shape: Shape, change: Change) -> float:
    """The estimand when the headline is peak throughput (the runs share no range)."""
    c, _, y = shape.curve()
    return float(np.max(y * change.factor(c)) / np.max(y))


def _shape(name: str, config: ConfigKey, c, x, y, keep: tuple[int, int], source: str) -> Shape:
    order = np.argsort(c)
    c, x, y = (np.asarray(v, dtype=float)[order] for v in (c, x, y))
    inside = (c >= keep[0]) & (c <= keep[1])
    c, x, y = c[inside], x[inside], y[inside]
    lx = monotone(np.log(x), increasing=False)
    ly = monotone(np.log(y), increasing=True)
    return Shape(
        name,
        config,
        tuple(int(v) for v in c),
        tuple(c),
        tuple(np.exp(lx)),
        tuple(np.exp(ly)),
        source,
    )


def gptoss() -> Shape:
    rows = []
    for path in sorted((DATA / "raw/gptoss_multinode").glob("*.json")):
        doc = json.loads(path.read_text())
        rows.append(
            (
                doc["max_concurrency"],
                1000 / doc["median_tpot_ms"],
                doc["total_token_throughput"] / 16,
            )
        )
    c, x, y = zip(*rows, strict=True)
    config = ConfigKey(
        model="gpt-oss-120b", precision="mxfp4", hardware="h200", framework="vllm",
        isl=1024, osl=1024, gpus=16, tp=8,
    )  # fmt: skip
    return _shape("gptoss-1k1k-steep", config, c, x, y, (4, 512), "inferencex/raw/gptoss_multinode")


def kimi() -> Shape:
    pts = []
    for path in sorted((DATA / "agg").glob("agg_kimik2.5_8k1k_*.json")):
        doc = json.loads(path.read_text())
        pts.append((doc["conc"], 1000 / (doc["median_tpot"] * 1000), doc["tput_per_gpu"]))
    (c0, x0, y0), (c1, x1, y1) = sorted(pts)
    ax = math.log(x1 / x0) / math.log(c1 / c0)
    ay = math.log(y1 / y0) / math.log(c1 / c0)
    c = np.array([4, 8, 16, 32, 64], dtype=float)
    x, y = x0 * (c / c0) ** ax, y0 * (c / c0) ** ay
    config = ConfigKey(
        model="kimi-k2.5", precision="int4", hardware="mi355x", framework="vllm",
        isl=8192, osl=1024, gpus=8, tp=8, spec_method="mtp",
    )  # fmt: skip
    return _shape("kimi-k2.5-8k1k-flat", config, c, x, y, (4, 64), "inferencex/agg (c 32, 64)")


def agentic(model_prefix: str, offloading: str) -> Shape:
    paths = glob.glob(str(DATA / f"ci-history/0604/{model_prefix}*/results_bmk/agg_bmk.json"))
    if len(paths) != 1:
        raise FileNotFoundError(f"{model_prefix}: expected one agg_bmk.json, found {paths}")
    rows = [p for p in json.loads(Path(paths[0]).read_text()) if p["offloading"] == offloading]
    c = [p["conc"] for p in rows]
    x = [1.0 / p["mean_tpot"] for p in rows]
    y = [p["tput_per_gpu"] for p in rows]
    config = ConfigKey(
        model=model_prefix, precision=model_prefix.split("-")[1], hardware="mi355x",
        framework="sglang", isl=0, osl=0, gpus=8, tp=8, scenario="agentic-coding",
    )  # fmt: skip
    short = model_prefix.split("-")[0]
    return _shape(
        f"agentic-{short}-{offloading}", config, c, x, y, (8, 72), f"ci-history/0604/{model_prefix}"
    )


def load_shapes() -> dict[str, Shape]:
    """Every shape, by name."""
    shapes = [gptoss(), kimi()]
    for model in ("qwen3.5-fp8", "glm5.1-fp4"):
        for offloading in ("none", "hicache"):
            shapes.append(agentic(model, offloading))
    return {s.name: s for s in shapes}


def main() -> None:
    """Print each shape's simulated true frontier and its local log-log slopes."""
    for shape in load_shapes().values():
        c, x, y = shape.curve()
        slopes = np.diff(np.log(y)) / np.diff(np.log(x))
        print(f"{shape.name} ({shape.source})")
        for i, (ci, xi, yi) in enumerate(zip(c, x, y, strict=True)):
            slope = f"{slopes[i]:8.2f}" if i < len(slopes) else ""
            print(f"  c={int(ci):4d}  x={xi:8.2f}  tput={yi:9.1f} {slope}")


if __name__ == "__main__":
    main()
