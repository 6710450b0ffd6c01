"""`paretobot configs` and `paretobot builds` on a fleet-sized store, against floors measured in
the same run.

The fleet: 700 configurations (35 models x 4 tensor-parallel sizes x 5 GPUs), each measured in
every one of 6 daily runs at 6 concurrencies, on 6 builds (one a day): 25,200 points,
ingested through the real parser and store from InferenceX `agg_bmk.json` lists built from a real
entry of the shared data (as benchmarks/ingest_frontier.py does). Rows:

- `SELECT count(*)`: a bare count of the points, the least any question of the store costs;
- `load_sweeps`: every sweep and point read, what a listing built on it would cost;
- `configs` / `builds` (use case): `bot.app.listing.config_rows` / `build_rows`;
- `closest-name hint`: the error tail of `--config` matching nothing (`listing.config_hint`);
- `paretobot --help`, `paretobot quarantine` (the cheapest command that opens the store: its
  imports, migration check and one small query), `paretobot configs`, `paretobot builds`: the
  commands as a user runs them (a fresh process each), so the listing's own cost is seen beside
  the start-up every command pays.

Times are the best of 3 (load_sweeps: of 1). About 20 s on 2 cores, most of it the ingest.

    .venv/bin/python benchmarks/listing.py [--models 35] [--runs 6] [--db URL]
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import store  # noqa: E402
from bot.app import listing  # noqa: E402
from bot.ingest import find_result_files, parse_file  # noqa: E402

TEMPLATE = ROOT / "tests/data/shared/inferencex/agentic/kimik2.5-fp4-mi355x-vllm-0603/agg_bmk.json"
GPUS = ("mi355x", "mi300x", "b200", "h100", "h200")
TPS = (1, 2, 4, 8)
CONCURRENCIES = (4, 8, 16, 32, 64, 128)


def write_fleet(
    folder: Path,
    models: int,
    runs: int,
    per_build: int = 1,
    step_at: int | None = None,
    step: float = 1.0,
) -> int:
    """One folder per day (the run, dated by its name), one file each with every configuration;
    the build changes every `per_build` days (its repeats, each a little off the others), and
    from build `step_at` on every throughput is `step` times what it was. Returns the number of
    points written."""
    template = json.loads(TEMPLATE.read_text())[0]
    template["offloading"] = "none"
    written = 0
    for day in range(runs):
        entries = []
        for m in range(models):
            for hw in GPUS:
                for tp in TPS:
                    for conc in CONCURRENCIES:
                        entry = copy.deepcopy(template)
                        entry.update(
                            infmax_model_prefix=f"model{m:02d}",
                            hw=hw,
                            tp=tp,
                            conc=conc,
                            image=f"vllm/vllm-openai-rocm:v0.{20 + day // per_build}.0",
                            tput_per_gpu=100.0
                            * conc**0.8
                            * (1 + 0.01 * (day // per_build))
                            * (1 + 0.01 * ((m + tp + conc + day) % 3 - 1))
                            * (step if step_at is not None and day // per_build >= step_at else 1),
                            mean_intvty=120.0 / conc**0.5,
                        )
                        # slower per user at higher concurrency: a frontier, not one column
                        slower = (conc / 8) ** 0.5
                        for key, value in template.items():
                            if key.endswith("_tpot"):
                                entry[key] = value * slower
                            elif key.endswith("_intvty"):
                                entry[key] = value / slower
                        entries.append(entry)
        run = folder / f"2026-06-{day + 1:02d}"
        run.mkdir()
        (run / "agg_bmk.json").write_text(json.dumps(entries))
        written += len(entries)
    return written


def timed(action: Callable[[], object], repeats: int = 3) -> tuple[float, object]:
    """The best of `repeats` wall times (seconds), and what the action returned."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - start)
    return best, result


def command(*args: str) -> Callable[[], object]:
    def run() -> object:
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, cwd=ROOT
        )
        if done.returncode:
            raise SystemExit(f"paretobot {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=35, help="x 20 = configurations")
    parser.add_argument("--runs", type=int, default=6)
    parser.add_argument("--db", help="SQLAlchemy URL of an empty store (default: SQLite in tmp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "fleet"
        folder.mkdir()
        start = time.perf_counter()
        points = write_fleet(folder, args.models, args.runs)
        url = args.db or f"sqlite:///{tmp}/fleet.db"
        engine = store.open_store(url)
        files, _ = find_result_files([folder])
        for path in files:
            store.add_file(engine, parse_file(path))
        built = time.perf_counter() - start
        with engine.connect() as conn:
            count = sa.text("SELECT count(*) FROM points")
            rows = [("SELECT count(*)", *timed(lambda: conn.execute(count).scalar()))]
        rows.append(("load_sweeps", *timed(lambda: store.load_sweeps(engine), 1)))
        rows.append(("configs (use case)", *timed(lambda: listing.config_rows(engine))))
        rows.append(("builds (use case)", *timed(lambda: listing.build_rows(engine))))
        rows.append(
            ("closest-name hint", *timed(lambda: listing.config_hint(engine, "model7-h100-tp8")))
        )
        rows.append(("paretobot --help", *timed(command("--help"))))
        rows.append(("paretobot quarantine", *timed(command("quarantine", "--db", url))))
        rows.append(("paretobot configs", *timed(command("configs", "--db", url))))
        rows.append(("paretobot builds", *timed(command("builds", "--db", url))))
        configs = len(listing.config_rows(engine))
        builds = len(listing.build_rows(engine))
        engine.dispose()
    print(
        f"{configs} configurations, {builds} builds, {args.runs} runs, {points:,} points "
        f"(fleet written and ingested in {built:.1f} s)"
    )
    floor = rows[0][1]
    seconds_of = {name: seconds for name, seconds, _ in rows}
    print(f"{'what':<22}{'ms':>9}  compared with")
    for name, seconds, _ in rows:
        if name == "SELECT count(*)":
            versus = "the floor in-process"
        elif not name.startswith("paretobot "):
            versus = f"{seconds / floor:,.0f}x the count"
        elif name in ("paretobot configs", "paretobot builds"):
            versus = (
                f"{seconds / seconds_of['paretobot quarantine']:.2f}x quarantine, "
                f"{seconds / seconds_of['paretobot --help']:.1f}x --help"
            )
        else:
            versus = "a floor for commands"
        print(f"{name:<22}{seconds * 1000:>9.2f}  {versus}")


if __name__ == "__main__":
    main()
