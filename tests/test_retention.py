"""`paretobot prune`: the runs older than a date that nothing refers to leave the store, and only
those. Real data: InferenceX's CI history (runs of June 2026) beside the H200 runs (December
2026). What must go and stay is computed here with SQL over the store, not by the code under
test; a dry run deletes nothing; open bisections, each configuration's latest build, recorded
changes, releases and pinned builds keep their runs. On SQLite and, where configured, PostgreSQL."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest
import sqlalchemy as sa
from conftest import SHARED
from test_h200 import RESULTS

from bot import store

HISTORY = SHARED / "inferencex" / "ci-history"
E1, S = "5.17.0+eager", "5.17.0+sdpa"
TABLES = ("runs", "files", "sweeps", "points", "failures", "run_stats", "provenance", "copies")


@pytest.fixture
def stored(paretobot):
    done = paretobot("ingest", HISTORY)
    assert done.code == 1  # the history holds files that must be refused: the rest is stored
    for label, folders, commit in (
        (E1, ["eager-r0", "eager-r1"], "aaaaaaa1111111"),
        (S, ["sdpa-r0", "sdpa-r1", "sdpa-r2"], "bbbbbbb2222222"),
    ):
        done = paretobot(
            "ingest", *(RESULTS / f for f in folders), "--framework-version", label,
            "--framework-commit", commit,
        )  # fmt: skip
        assert done.code == 0, done.err


def _counts(engine):
    return store.count_rows(engine, TABLES)


def _old_runs(engine, before="2027-06-01"):
    """Runs that started before a date (all of them by default: June and December 2026)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT run_id, started_at FROM runs")).all()
    return {r for r, at in rows if str(at) < before}


def _latest_pairs(engine):
    """Each configuration's latest stored build: the build of its newest sweep row."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT config_id, build_id FROM sweeps ORDER BY id")).all()
    return set({config: build for config, build in rows}.items())


def _pairs_by_run(engine):
    out = defaultdict(set)
    with engine.connect() as conn:
        for run, config, build in conn.execute(
            sa.text("SELECT run_id, config_id, build_id FROM sweeps")
        ):
            out[run].add((config, build))
    return out


def _points_of(engine, runs):
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT s.run_id FROM points p JOIN sweeps s ON p.sweep_id = s.id")
        ).all()
    return sum(1 for (r,) in rows if r in runs)


def test_old_runs_nothing_refers_to_go_and_only_those(paretobot, engine, stored):
    old = _old_runs(engine)
    assert "0603" in old and _runs_of_build(engine, E1) <= old
    latest, pairs = _latest_pairs(engine), _pairs_by_run(engine)
    doomed = {r for r in old if not pairs[r] & latest}
    kept = old - doomed
    assert doomed and kept  # the data has both: a test of the rule, not of an empty case
    before, going = _counts(engine), _points_of(engine, doomed)
    dry = paretobot("prune", "--older-than", "2027-06-01", "--keep", "none", "--dry-run", "--json")
    assert dry.code == 0, dry.err
    assert sorted(dry.json()["deleted"]) == sorted(doomed)
    assert dry.json()["kept"] == {"their configuration's latest build": sorted(kept)}
    assert dry.json()["rows"]["points"] == going > 0
    assert _counts(engine) == before  # a dry run deletes nothing
    done = paretobot("prune", "--older-than", "2027-06-01", "--keep", "none")
    assert done.code == 0, done.err
    assert done.out.startswith(f"deleted {len(doomed)} run(s) from before 2027-06-01 (")
    after = _counts(engine)
    assert after["points"] == before["points"] - going
    assert _old_runs(engine) == kept
    assert {s.run_id for s in store.load_sweeps(engine, include_excluded=True)} >= kept
    # E1 (not its configuration's latest build) is gone; S, the latest, is whole
    assert _runs_of_build(engine, E1) == set() and len(_runs_of_build(engine, S)) == 3
    assert _points_of(engine, _runs_of_build(engine, S)) == 9


def test_recorded_changes_releases_and_pins_keep_their_runs(paretobot, engine, stored, tmp_path):
    published = paretobot(
        "publish", "--baseline", E1, "--candidate", S, "--changelog", tmp_path / "c.yaml",
        "--dry-run", tmp_path / "posts",
    )  # fmt: skip
    assert published.code == 0, published.err
    (change,) = paretobot("changes", "--json").json()
    everything = paretobot("prune", "--older-than", "2027-06-01", "--dry-run", "--json").json()
    # S is the latest build (stored last); E1's runs stay only because the change names them
    eager_runs = sorted(r for r in change["runs"] if r not in _runs_of_build(engine, S))
    assert eager_runs and everything["kept"]["a recorded change refers to them"] == eager_runs
    assert not set(everything["deleted"]) & set(change["runs"])
    bare = paretobot("prune", "--older-than", "2027-06-01", "--keep", "none", "--dry-run", "--json")
    assert set(eager_runs) <= set(bare.json()["deleted"])
    pinned = paretobot(
        "prune", "--older-than", "2027-06-01", "--keep", "none", "--pin", "aaaaaaa1",
        "--dry-run", "--json",
    ).json()  # fmt: skip
    assert pinned["kept"]["a pinned baseline"] == eager_runs


def _runs_of_build(engine, version):
    return {s.run_id for s in store.load_sweeps(engine) if s.build.version == version}


def test_an_open_bisection_keeps_what_it_measures(paretobot, engine, stored):
    state = {"config_slug": _slug(engine), "commits": ["aaaaaaa1111111", "bbbbbbb2222222"]}
    store.save_bisection(engine, "b1", "running", json.dumps(state))
    done = paretobot("prune", "--older-than", "2027-06-01", "--keep", "none", "--dry-run", "--json")
    bisected = set(_runs_of_build(engine, E1)) | set(_runs_of_build(engine, S))
    kept = {r for runs in done.json()["kept"].values() for r in runs}
    assert bisected <= kept and not bisected & set(done.json()["deleted"])
    assert set(done.json()["kept"]["an open bisection measures them"]) == bisected


def _slug(engine):
    (slug,) = {s.config.slug for s in store.load_sweeps(engine) if s.build.version == E1}
    return slug


def test_what_cannot_be_judged_safe_is_one_line_and_deletes_nothing(paretobot, engine, stored):
    before = _counts(engine)
    store.save_bisection(engine, "b2", "running", "{not json")
    for args, line in (
        (("--keep", "logs"), "--keep: 'logs' is not one of releases, baselines, changes"),
        (("--older-than", "soon"), "--older-than: 'soon' is not 7d, 24h, 2w or an ISO date"),
        ((), "an open bisection's state cannot be read, so what it measures is unknown: "
             "nothing pruned"),
    ):  # fmt: skip
        done = paretobot("prune", "--older-than", "2027-06-01", *args)
        assert (done.code, done.err) == (1, f"paretobot: {line}\n")
    assert _counts(engine) == before


def test_release_builds_are_kept_and_told_apart_from_images_and_local_builds(paretobot, engine):
    from bot.app.retention import is_release
    from bot.model import Build

    # versions as the real files state them: InferenceX's agg image tag, an SGLang ROCm nightly
    # image tag from the CI history, transformers' release and a local variant of it
    for version, release in (
        ("v0.21.0", True), ("0.11.0rc1", True), ("2.4.post1", True), ("5.17.0", True),
        ("v0.5.12.post1-rocm720-mi35x-20260531", False), ("5.17.0+eager", False),
        ("0.12.0.dev3+g4f2c1e9", False), ("", False),
    ):  # fmt: skip
        assert is_release(Build("x", version)) is release, version
    for label, folders in (("5.17.0", ["eager-r0"]), ("5.17.0+sdpa", ["sdpa-r0"])):
        done = paretobot("ingest", *(RESULTS / f for f in folders), "--framework-version", label)
        assert done.code == 0, done.err
    kept = paretobot("prune", "--older-than", "2027-06-01", "--keep", "releases", "--json")
    assert kept.json()["kept"]["a release build"] == sorted(_runs_of_build(engine, "5.17.0"))
    assert kept.json()["deleted"] == []
