"""A store made by an earlier paretobot opens with this one: the real version-4 stores in
tests/data/stores (written by commit a4d52e2, before Alembic) are migrated in place on SQLite and
PostgreSQL, keep every row, and then behave as a store made by this version. Alembic's head is the
revision the code expects, and a store of a newer paretobot is refused in one line."""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import fields
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot import store
from bot.model import ConfigKey
from bot.store import migrate

STORES = Path(__file__).parent / "data" / "stores"
FAILURES = STORES / "inputs" / "failures"
# what the README says the stores hold (counted there from the old code's own output)
HELD = {"configs": 10, "files": 7, "sweeps": 10, "points": 26, "failures": 2, "quarantine": 3}


def _restore_v4(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        shutil.copy(STORES / "v4.sqlite", sa.engine.make_url(db_url).database)
        return
    dump = (STORES / "v4-postgresql.sql").read_text()
    sql = "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(sql)
    engine.dispose()


def _counts(db_url: str) -> dict[str, int]:
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in HELD}
    engine.dispose()
    return counts


@pytest.fixture
def v4(db_url):
    _restore_v4(db_url)
    assert _counts(db_url) == HELD  # the fixture is what its README says
    return db_url


def test_a_version_4_store_opens_with_every_row_kept(v4, paretobot):
    engine = store.open_store(v4)
    with engine.connect() as conn:
        assert migrate.revision(conn) == migrate.HEAD
        assert migrate.stored_version(conn) == store.SCHEMA_VERSION
        rows = conn.execute(sa.select(store.configs_table)).all()
    assert _counts(v4) == HELD
    for row in rows:  # each configuration keyed by its own fields
        config = ConfigKey(**{f.name: getattr(row, f.name) for f in fields(ConfigKey)})
        assert json.loads(row.canonical) == [getattr(config, f.name) for f in fields(ConfigKey)]
        assert row.slug == config.slug
    assert len({r.canonical for r in rows}) == HELD["configs"]
    sweeps = store.load_sweeps(engine)
    assert sum(len(s.points) for s in sweeps) == HELD["points"]
    assert sorted(s.config.model for s in sweeps if s.status == "failed") == ["m-a", "m-b"]
    engine.dispose()
    # the same failure records again: recognised as stored (their identities were respelled)
    done = paretobot("ingest", FAILURES, "--db", v4)
    assert done.code == 0, done.err
    assert "stored 0 file(s) (0 points), 2 already stored" in done.out
    assert _counts(v4) == HELD
    store.open_store(v4).dispose()  # opening a migrated store again changes nothing
    assert _counts(v4) == HELD


def test_a_migrated_store_takes_two_configurations_that_share_a_slug(v4, paretobot, tmp_path):
    """The version-4 key (the slug, unique) would have merged these; after the migration they
    are two configurations."""
    record = json.loads((FAILURES / "run-m-a" / "failure.json").read_text())
    for name, model, precision in (("a", "org/m", "fp8"), ("b", "org", "m/fp8")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "failure.json").write_text(json.dumps(record))
        meta = {"hardware": "h100", "gpus": 8, "precision": precision, "framework": "vllm",
                "framework_version": "v1", "model": model, "isl": 1, "osl": 1,
                "run_id": "r-slug"}  # fmt: skip
        (folder / "paretobot-meta.json").write_text(json.dumps(meta))
    done = paretobot("ingest", tmp_path / "a", tmp_path / "b", "--db", v4)
    assert done.code == 0, done.err
    assert _counts(v4)["configs"] == HELD["configs"] + 2
    engine = store.open_store(v4)
    ours = [s.config for s in store.load_sweeps(engine) if s.run_id == "r-slug"]
    engine.dispose()
    assert len({c.slug for c in ours}) == 1
    assert sorted((c.model, c.precision) for c in ours) == [("org", "m/fp8"), ("org/m", "fp8")]


def test_alembic_head_is_the_revision_the_code_expects():
    revisions = migrate.known_revisions()
    assert revisions[-1] == migrate.HEAD
    assert revisions[0] == "0004"  # the first: stores made before Alembic


def test_a_new_store_is_at_the_newest_revision(db_url):
    engine = store.open_store(db_url)
    with engine.connect() as conn:
        assert migrate.revision(conn) == migrate.HEAD
        assert migrate.stored_version(conn) == store.SCHEMA_VERSION
    engine.dispose()


def test_a_store_of_a_newer_paretobot_is_refused_in_one_line(tmp_path, paretobot):
    path = tmp_path / "newer.db"
    store.open_store(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    before = path.read_bytes()
    done = paretobot("runs", "--db", f"sqlite:///{path}")
    assert done.code == 1
    assert done.err.splitlines() == [
        f"paretobot: the store sqlite:///{path}: schema version 99 is newer than this paretobot "
        f"reads ({store.SCHEMA_VERSION}): upgrade paretobot"
    ]
    assert path.read_bytes() == before


def test_a_revision_of_a_newer_paretobot_is_refused_in_one_line(tmp_path, paretobot):
    """Same schema version, a revision this paretobot does not have: Alembic's own error was a
    traceback; it is the line `store check` gives too."""
    path = tmp_path / "newer.db"
    store.open_store(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    before = path.read_bytes()
    why = "migration revision 0099 is unknown to this paretobot (made by a newer one?)"
    done = paretobot("runs", "--db", f"sqlite:///{path}")
    assert (done.code, done.err.splitlines()) == (
        1,
        [f"paretobot: the store sqlite:///{path}: {why}"],
    )
    check = paretobot("store", "check", "--db", f"sqlite:///{path}")
    assert check.code == 1 and f"error   schema: {why}" in check.out.splitlines()
    assert path.read_bytes() == before
