"""`paretobot store check` says what is wrong with a store and changes nothing: a healthy store,
one made by an older version, a missing, empty, truncated or foreign file, a newer schema, broken
references and non-finite numbers stored by an older paretobot. On SQLite and, where configured,
the real PostgreSQL."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import sqlalchemy as sa
from conftest import AGENTIC

from bot import store

RUN = AGENTIC / "kimik2.5-fp4-mi355x-vllm-0603"
STORES = Path(__file__).parent / "data" / "stores"


def _lines(done) -> list[tuple[str, str]]:
    """(level, topic) of each printed finding."""
    return [(line.split()[0], line.split()[1].rstrip(":")) for line in done.out.splitlines()]


def _dump(db_url: str) -> dict[str, list]:
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        tables = sa.inspect(conn).get_table_names()
        dump = {t: sorted(map(repr, conn.execute(sa.text(f"SELECT * FROM {t}")).all()))
                for t in tables}  # fmt: skip
    engine.dispose()
    return dump


def test_a_healthy_store_is_ok_and_unchanged(paretobot, db_url):
    assert paretobot("ingest", RUN).code == 0
    before = _dump(db_url)
    done = paretobot("store", "check")
    assert done.code == 0, done.out
    topics = [t for _, t in _lines(done)]
    assert all(level == "ok" for level, _ in _lines(done))
    assert topics[-4:] == ["schema", "references", "values", "contents"]
    # the contents line: points counted from the file itself, sweeps as the store reads them
    points = len(json.loads((RUN / "agg_bmk.json").read_text()))
    engine = store.open_store(db_url)
    sweeps = store.load_sweeps(engine)
    engine.dispose()
    configs = len({s.config for s in sweeps})
    assert done.out.splitlines()[-1] == (
        f"ok      contents: {configs} configs, 1 builds, 1 runs, 2 files, {len(sweeps)} sweeps, "
        f"{points} points, 0 quarantine; 0 run(s) excluded"
    )
    assert _dump(db_url) == before
    (as_json,) = [f for f in paretobot("store", "check", "--json").json() if f["topic"] == "schema"]
    assert as_json == {"level": "ok", "topic": "schema", "text": "schema version 6, revision 0006"}


def test_an_older_store_is_a_warning_and_is_not_migrated_by_the_check(paretobot, tmp_path):
    path = tmp_path / "v4.sqlite"
    shutil.copy(STORES / "v4.sqlite", path)
    before = path.read_bytes()
    done = paretobot("store", "check", "--db", f"sqlite:///{path}")
    assert done.code == 0
    assert (
        "warning schema: schema version 4 (revision none: made before Alembic); the next "
        "paretobot command that opens it migrates it in place (0004, 0005, 0006)"
    ) in done.out
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_store_is_one_error(paretobot, tmp_path):
    cases = {
        "missing.db": (None, "error   file: no store at {p} (a first `paretobot ingest` "
                             "makes one)"),
        "empty.db": (b"", "error   file: {p} is empty (0 bytes): not a store"),
        "text.db": (b"hello\n" * 10, "error   file: {p} is not an SQLite database (its header "
                                     "is wrong)"),
    }  # fmt: skip
    for name, (data, line) in cases.items():
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        done = paretobot("store", "check", "--db", f"sqlite:///{path}")
        assert (done.code, done.out.splitlines()) == (1, [line.format(p=path)]), name
        assert path.exists() == (data is not None)  # a missing store is not created


def test_a_truncated_store_is_an_integrity_error(paretobot, tmp_path):
    path = tmp_path / "cut.db"
    path.write_bytes((STORES / "v4.sqlite").read_bytes()[:3000])
    done = paretobot("store", "check", "--db", f"sqlite:///{path}")
    assert done.code == 1
    assert done.out.splitlines()[-1] == (
        f"error   integrity: cannot read sqlite:///{path}: database disk image is malformed"
    )


def test_non_finite_numbers_are_a_warning(paretobot, db_url):
    assert paretobot("ingest", RUN).code == 0
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:  # what an older paretobot could leave (a TPOT of 1e-320)
        n = conn.execute(sa.text("UPDATE points SET interactivity = :inf WHERE concurrency = 1"),
                         {"inf": float("inf")}).rowcount  # fmt: skip
    engine.dispose()
    assert n >= 1
    done = paretobot("store", "check")
    assert done.code == 0
    assert f"warning values: {n} point(s) with a non-finite interactivity (stored by an " in (
        done.out
    )


def test_broken_references_are_an_error(paretobot, tmp_path):
    """SQLite does not enforce references (PostgreSQL refuses such a delete): a hand edit."""
    url = f"sqlite:///{tmp_path}/s.db"
    assert paretobot("ingest", RUN, "--db", url).code == 0
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        n = conn.execute(sa.text("SELECT count(*) FROM sweeps")).scalar()
        conn.execute(sa.text("DELETE FROM builds"))
    engine.dispose()
    done = paretobot("store", "check", "--db", url)
    assert done.code == 1
    assert f"error   references: {n} sweeps row(s) name a missing builds row (build_id)" in (
        done.out
    )


def test_a_newer_store_is_an_error(paretobot, db_url):
    store.open_store(db_url).dispose()
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE meta SET value = '9' WHERE key = 'schema_version'"))
    engine.dispose()
    done = paretobot("store", "check")
    assert done.code == 1
    assert (
        "error   schema: schema version 9 is newer than this paretobot reads (6): upgrade paretobot"
    ) in done.out


def test_an_unreachable_postgresql_is_one_error(paretobot):
    url = "postgresql+psycopg://nobody@127.0.0.1:9/none"  # port 9 (discard): nothing listens
    done = paretobot("store", "check", "--db", url)
    assert done.code == 1
    (line,) = done.out.splitlines()
    assert line.startswith(f"error   access: cannot read {url}: ")
