"""Export speed: rows/s writing the stored points of a generated fleet (the files of
benchmarks/ingest_frontier.py: a real agg_bmk.json entry, only configuration and numbers varied)
in each format, against a floor: pandas writing the same rows, already in a DataFrame, in the same
format. Also the read back (`parse_file` of the export, what `ingest` does before storing).

    .venv/bin/python benchmarks/export.py [--points 5000]

`table` is reading the store and making the rows (`bot.app.export.points`), shared by the formats.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.ingest_frontier import write_files
from bot import store
from bot.app import export
from bot.ingest import find_result_files, parse_file


def timed(action, repeat: int = 3) -> float:
    """The best of `repeat` runs, in seconds (the least disturbed by other processes)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=5_000)
    args = parser.parse_args()
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "results"
        folder.mkdir()
        total = write_files(folder, args.points, 1_000)
        engine = store.open_store(f"sqlite:///{tmp}/bench.db")
        files, _ = find_result_files([folder])
        for path in files:
            store.add_file(engine, parse_file(path))
        table = export.points(engine)
        rows = len(table.rows)
        seconds = {"table": timed(lambda: export.points(engine))}
        frame = pd.DataFrame.from_records(table.rows, columns=list(table.columns))
        floors = {
            "csv": lambda out: frame.to_csv(out, index=False),
            "jsonl": lambda out: frame.to_json(out, orient="records", lines=True),
            "parquet": lambda out: frame.to_parquet(out, index=False),
        }
        print(f"{total:,} points generated, {rows:,} rows exported ({len(table.columns)} columns)")
        print(f"{'step':<10}{'seconds':>9}{'rows/s':>11}{'floor s':>9}{'floor rows/s':>14}"
              f"{'x floor':>9}{'read s':>8}{'read rows/s':>13}")  # fmt: skip
        print(f"{'table':<10}{seconds['table']:>9.3f}{rows / seconds['table']:>11,.0f}")
        for form in export.FORMATS:
            out = Path(tmp) / f"points.{form}"
            mine = timed(lambda form=form, out=out: export.write(table, form, out))
            floor_out = Path(tmp) / f"floor.{form}"
            floor = timed(lambda form=form, o=floor_out: floors[form](str(o)))
            read = timed(lambda out=out: parse_file(out), repeat=1)
            print(f"{form:<10}{mine:>9.3f}{rows / mine:>11,.0f}{floor:>9.3f}{rows / floor:>14,.0f}"
                  f"{mine / floor:>9.1f}{read:>8.2f}{rows / read:>13,.0f}")  # fmt: skip
        buffer = io.StringIO()
        stdout = timed(lambda: export.write(table, "csv", buffer))
        print(f"{'csv (mem)':<10}{stdout:>9.3f}{rows / stdout:>11,.0f}  (to a text stream)")
        engine.dispose()


if __name__ == "__main__":
    main()
