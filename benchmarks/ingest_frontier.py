"""Ingest + frontier time for many generated points (default 100,000), on a fresh SQLite store.

Files are InferenceX `agg_bmk.json` lists built from a real entry of the shared data (only the
configuration and the numbers vary), so the parser does the same work as on real runs.

    python benchmarks/ingest_frontier.py [--points 100000] [--per-file 1000] [--db URL]
    python benchmarks/ingest_frontier.py --points 145000 --per-file 145000 --one-sweep

`--one-sweep`: every point in one configuration and run, each at its own concurrency (the shape
that was quadratic: a 145,000-point file did not finish in 500 s). The `json floor` row is reading
and `json.loads` of the same files: the least any ingest of them costs.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import tempfile
import time
from pathlib import Path

from bot import store
from bot.analysis import select
from bot.analysis.frontier import frontier_of
from bot.config import load_prices
from bot.ingest import find_result_files, parse_file

TEMPLATE = (
    Path(__file__).resolve().parents[1]
    / "tests/data/shared/inferencex/agentic/kimik2.5-fp4-mi355x-vllm-0603/agg_bmk.json"
)
# 20 levels, as many points as the real agg_bmk.json run has
CONCURRENCIES = [
    *(1, 2, 4, 8, 16, 32, 48, 64, 96, 128),
    *(160, 192, 256, 320, 384, 448, 512, 640, 768, 1024),
]


def write_files(folder: Path, points: int, per_file: int, one_sweep: bool = False) -> int:
    template = json.loads(TEMPLATE.read_text())[0]
    rng = random.Random(7)
    written = 0
    for index in range(0, points, per_file):
        entries = []
        for j in range(min(per_file, points - index)):
            serial = index + j
            entry = copy.deepcopy(template)
            conc = serial + 1 if one_sweep else CONCURRENCIES[serial % len(CONCURRENCIES)]
            entry.update(
                conc=conc,
                tp=1 if one_sweep else [1, 2, 4, 8][(serial // len(CONCURRENCIES)) % 4],
                infmax_model_prefix="model0"
                if one_sweep
                else f"model{serial // (len(CONCURRENCIES) * 4)}",
                tput_per_gpu=100.0 * conc**0.8 * rng.uniform(0.95, 1.05),
                mean_intvty=120.0 / conc**0.5 * rng.uniform(0.95, 1.05),
            )
            entries.append(entry)
        (folder / f"run{index // per_file:05d}").mkdir()
        (folder / f"run{index // per_file:05d}" / "agg_bmk.json").write_text(json.dumps(entries))
        written += len(entries)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--per-file", type=int, default=1_000)
    parser.add_argument("--db", help="SQLAlchemy URL (default: a temporary SQLite file)")
    parser.add_argument("--one-sweep", action="store_true", help="all points in one sweep")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "results"
        folder.mkdir()
        total = write_files(folder, args.points, args.per_file, args.one_sweep)
        engine = store.open_store(args.db or f"sqlite:///{tmp}/bench.db")
        timings = {}
        files, _ = find_result_files([folder])
        start = time.perf_counter()
        for path in files:
            json.loads(path.read_bytes())
        floor = time.perf_counter() - start
        start = time.perf_counter()
        parsed = [parse_file(path) for path in files]
        timings["parse"] = time.perf_counter() - start
        start = time.perf_counter()
        for p in parsed:
            store.add_file(engine, p)
        timings["store"] = time.perf_counter() - start
        start = time.perf_counter()
        sweeps = store.load_sweeps(engine)
        timings["load"] = time.perf_counter() - start
        start = time.perf_counter()
        prices = load_prices()
        grouped = select.by_config(sweeps)
        frontiers = [frontier_of(s, prices) for s in grouped.values()]
        timings["frontiers"] = time.perf_counter() - start
    rows = len(sweeps)
    print(f"{total:,} points in {len(files)} files: {rows:,} sweeps, {len(frontiers):,} frontiers")
    print(f"{'stage':<12}{'seconds':>10}{'points/s':>14}")
    for stage, seconds in [*timings.items(), ("total", sum(timings.values()))]:
        print(f"{stage:<12}{seconds:>10.2f}{total / seconds:>14,.0f}")
    print(f"{'json floor':<12}{floor:>10.2f}{total / floor:>14,.0f}  (total = "
          f"{sum(timings.values()) / floor:.0f}x the floor)")  # fmt: skip


if __name__ == "__main__":
    main()
