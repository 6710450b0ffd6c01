"""Several real `paretobot ingest` processes writing one fresh store at once, on SQLite and the
real PostgreSQL: every file stored exactly once, nothing quarantined, every process exits 0.

Each process ingests its own files and the same shared folder as all the others (the same files
arriving twice at once). Before, 4 ingests into a fresh SQLite store failed in 2 of 5 trials
('table meta already exists', hundreds of files missing) and PostgreSQL raised UniqueViolation.
Trials: PARETOBOT_CONCURRENCY_TRIALS (5 by default, to keep CI short; 20 for the full check).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import sqlalchemy as sa
from conftest import AGG, load_json

from bot import store

GOOD_AGG = next(AGG.glob("agg_kimik2.5_1k1k_*_conc4_*.json"))
PROCESSES = 4
OWN_FILES = 6  # per process
SHARED_FILES = 4
TRIALS = int(os.environ.get("PARETOBOT_CONCURRENCY_TRIALS", "5"))


def _files(folder, prefix: str, count: int) -> None:
    folder.mkdir(parents=True)
    template = load_json(GOOD_AGG)
    for j in range(count):
        doc = template | {"infmax_model_prefix": f"{prefix}{j}", "conc": 4 + j}
        (folder / f"agg_{prefix}{j}.json").write_text(json.dumps(doc))


def _fresh(db_url: str, tmp_path, trial: int) -> tuple[str, sa.Engine | None]:
    """A new, empty store per trial (and the admin engine that drops it, for PostgreSQL)."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}/trial{trial}.db", None
    admin = sa.create_engine(os.environ["PARETOBOT_TEST_PG_URL"], isolation_level="AUTOCOMMIT")
    name = f"{db_url.rsplit('/', 1)[1]}_c{trial}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return db_url.rsplit("/", 1)[0] + "/" + name, admin


def test_concurrent_ingests_into_a_fresh_store_store_every_file_once(db_url, tmp_path):
    shared = tmp_path / "shared"
    _files(shared, "shared", SHARED_FILES)
    own = [tmp_path / f"p{i}" for i in range(PROCESSES)]
    for i, folder in enumerate(own):
        _files(folder, f"p{i}-", OWN_FILES)
    for trial in range(TRIALS):
        url, admin = _fresh(db_url, tmp_path, trial)
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bot.cli",
                    "ingest",
                    str(folder),
                    str(shared),
                    "--gpus",
                    "8",
                    "--precision",
                    "fp8",
                    "--db",
                    url,
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for folder in own
        ]
        results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
        assert all(code == 0 for code, _, _ in results), (trial, [r[2][-500:] for r in results])
        engine = store.open_store(url)
        expected = PROCESSES * OWN_FILES + SHARED_FILES
        counts = store.count_rows(engine, ("files", "sweeps", "points", "quarantine"))
        assert counts == {"files": expected, "sweeps": expected, "points": expected,
                          "quarantine": 0}, (trial, counts)  # fmt: skip
        models = sorted(s.config.model for s in store.load_sweeps(engine))
        want = [f"p{i}-{j}" for i in range(PROCESSES) for j in range(OWN_FILES)]
        assert models == sorted(want + [f"shared{j}" for j in range(SHARED_FILES)])
        said = " ".join(out for _, out, _ in results)
        # each shared file: stored by exactly one process, "already stored" by the others
        assert said.count("stored    ") == expected, (trial, said[-800:])
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(
                    sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
                )
            admin.dispose()
