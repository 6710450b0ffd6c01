"""Ingest + frontier time for many generated points (default 100,000), on a fresh SQLite store.

Files are InferenceX `agg_bmk.json` lists built from a real entry of the shared data (only the
configuration and the numbers vary), so the parser does the same work as on real runs.

    python benchmarks/ingest_frontier.py [--points 100000] [--per-file 1000] [--db URL]
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


def write_files(folder: Path, points: int, per_file: int) -> int:
    template = json.loads(TEMPLATE.read_text())[0]
    rng = random.Random(7)
    written = 0
    for index in range(0, points, per_file):
        entries = []
        for j in range(min(per_file, points - index)):
            serial = index + j
            entry = copy.deepcopy(template)
            conc = CONCURRENCIES[serial % len(CONCURRENCIES)]
            entry.update(
                conc=conc,
                tp=[1, 2, 4, 8][(serial // len(CONCURRENCIES)) % 4],
                infmax_model_prefix=f"model{serial // (len(CONCURRENCIES) * 4)}",
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "results"
        folder.mkdir()
        total = write_files(folder, args.points, args.per_file)
        engine = store.open_store(args.db or f"sqlite:///{tmp}/bench.db")
        timings = {}
        start = time.perf_counter()
        files, _ = find_result_files([folder])
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


if __name__ == "__main__":
    main()
