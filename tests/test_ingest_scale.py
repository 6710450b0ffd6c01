"""A sweep larger than the store's lookups are cut into: every point stored once, and the same
points under another run recognised as copies, point for point (the lookup of stored points is
split into IN lists of `IN_CHUNK` concurrencies; a sweep used to be hashed per point, which made
a 145,000-point file quadratic: benchmarks/ingest_frontier.py --one-sweep measures it)."""

from __future__ import annotations

import json

from conftest import DATA

from bot import store
from bot.store.runs import IN_CHUNK

TEMPLATE = DATA / "shared/inferencex/agentic/kimik2.5-fp4-mi355x-vllm-0603/agg_bmk.json"


def test_a_sweep_bigger_than_one_lookup_is_stored_and_copied_point_for_point(
    paretobot, engine, tmp_path
):
    entry = json.loads(TEMPLATE.read_text())[0]
    count = 2 * IN_CHUNK + 7  # three lookups, the last one short
    entries = [entry | {"conc": c, "tput_per_gpu": 100.0 + c} for c in range(1, count + 1)]
    first = tmp_path / "0601" / "agg_bmk.json"
    again = tmp_path / "0602" / "agg_bmk.json"
    first.parent.mkdir()
    again.parent.mkdir()
    first.write_text(json.dumps(entries))
    again.write_text(json.dumps(entries, indent=1))  # other bytes, the same points
    done = paretobot("ingest", first, "--run-id", "0601")
    assert done.code == 0, done.err
    (sweep,) = store.load_sweeps(engine)
    assert [p.concurrency for p in sweep.points] == list(range(1, count + 1))
    done = paretobot("ingest", again, "--run-id", "0602")
    assert done.code == 0, done.err
    assert f"copy   {again}: all {count} points are the same as stored points" in done.err
    assert store.count_rows(engine, ["points"]) == {"points": count}
