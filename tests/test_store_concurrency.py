"""Several real `paretobot ingest` processes writing one fresh store at once, on SQLite and the
real PostgreSQL: every file stored exactly once, nothing quarantined, every process exits 0.

Each process ingests its own files and the same shared folder as all the others (the same files
arriving twice at once). Before, 4 ingests into a fresh SQLite store failed in 2 of 5 trials
('table meta already exists', hundreds of files missing) and PostgreSQL raised UniqueViolation.
20 trials per engine (PARETOBOT_CONCURRENCY_TRIALS). The first starts `python -m bot.cli ingest`
processes as a user would; the others fork this test's process and run the same `main()` in each
child (real processes, real concurrency, without paying Python's start-up and imports 4 x 20
times on CI's two cores).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import traceback

import sqlalchemy as sa
from conftest import AGG, load_json

from bot import cli, store

GOOD_AGG = next(AGG.glob("agg_kimik2.5_1k1k_*_conc4_*.json"))
PROCESSES = 4
OWN_FILES = 6  # per process
SHARED_FILES = 4
TRIALS = int(os.environ.get("PARETOBOT_CONCURRENCY_TRIALS", "20"))


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
    # no pool: a pooled connection would be inherited by forked children
    admin = sa.create_engine(
        os.environ["PARETOBOT_TEST_PG_URL"], isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
    )
    name = f"{db_url.rsplit('/', 1)[1]}_c{trial}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return db_url.rsplit("/", 1)[0] + "/" + name, admin


def _subprocesses(argvs: list[list[str]]) -> list[tuple[int, str, str]]:
    """`python -m bot.cli ARGS` per argv, all at once: (exit code, stdout, stderr) each."""
    procs = [
        subprocess.Popen([sys.executable, "-m", "bot.cli", *argv], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for argv in argvs
    ]  # fmt: skip
    return [(p.wait(timeout=300), *p.communicate()) for p in procs]


def _child(argv: list[str], out: str, err: str) -> None:
    with open(out, "w") as o, open(err, "w") as e:
        os.dup2(o.fileno(), 1)
        os.dup2(e.fileno(), 2)
        # pytest's capture replaced sys.stdout and sys.stderr with its own files
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        try:
            code = cli.main(argv)
        except BaseException:  # a traceback is the failure this test looks for: keep it
            traceback.print_exc()
            code = 99
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def _forked(argvs: list[list[str]], folder) -> list[tuple[int, str, str]]:
    """The same, each in a child forked from this process: started together, as many at once."""
    # what ingest imports lazily: once here, not once per child
    import rich.console  # noqa: F401

    import bot.app.ingest
    import bot.publish.actions  # noqa: F401

    folder.mkdir()
    fork = multiprocessing.get_context("fork")
    names = [(str(folder / f"{i}.out"), str(folder / f"{i}.err")) for i in range(len(argvs))]
    procs = [fork.Process(target=_child, args=(a, *n)) for a, n in zip(argvs, names, strict=True)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    return [
        (p.exitcode, open(o).read(), open(e).read()) for p, (o, e) in zip(procs, names, strict=True)
    ]


def test_concurrent_ingests_into_a_fresh_store_store_every_file_once(db_url, tmp_path):
    shared = tmp_path / "shared"
    _files(shared, "shared", SHARED_FILES)
    own = [tmp_path / f"p{i}" for i in range(PROCESSES)]
    for i, folder in enumerate(own):
        _files(folder, f"p{i}-", OWN_FILES)
    for trial in range(TRIALS):
        url, admin = _fresh(db_url, tmp_path, trial)
        argv = ["--gpus", "8", "--precision", "fp8", "--db", url]
        argvs = [["ingest", str(folder), str(shared), *argv] for folder in own]
        results = _subprocesses(argvs) if trial == 0 else _forked(argvs, tmp_path / f"t{trial}")
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
