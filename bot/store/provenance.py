"""Run provenance (the runner's paretobot-run.json): stored per run, read back onto `Run`s."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.ingest import ParsedFile
from bot.model import Build, as_utc, utc_now
from bot.store.schema import provenance_table

COMMITS = ("requested", "reported", "installed")


def _progress(p: Any) -> tuple[bool, str]:
    """How far the job had got when its record was written: the runner rewrites the record as it
    goes, so a finished record beats a snapshot, and a later end beats an earlier one."""
    ended = as_utc(p.ended_at).isoformat() if p.ended_at else ""
    return (p.status not in ("", "running"), ended)


def store_provenance(conn: Connection, parsed: ParsedFile) -> str:
    """ "stored", or "duplicate" when these bytes (or a more finished record of the run) are
    stored already. Re-ingesting changes nothing; the order of files does not matter."""
    prov = parsed.provenance
    assert prov is not None
    t = provenance_table
    row = conn.execute(sa.select(t).where(t.c.run_id == prov.run_id)).first()
    if row is not None and (row.sha256 == parsed.sha256 or _progress(row) > _progress(prov)):
        return "duplicate"
    build = {f"build_{f.name}": getattr(prov.build, f.name) if prov.build else None
             for f in fields(Build)}  # fmt: skip
    values = {
        "url": prov.url, "artifact": prov.artifact, "runner": prov.runner, "host": prov.host,
        "job": prov.job, **build, "gpus": json.dumps(list(prov.gpus)), "status": prov.status,
        "started_at": prov.started_at, "ended_at": prov.ended_at, "sha256": parsed.sha256,
        "path": str(parsed.path), "ingested_at": utc_now(),
        **{f"{k}_commit": getattr(prov, f"{k}_commit") for k in COMMITS},
    }  # fmt: skip
    if row is None:
        conn.execute(t.insert().values(run_id=prov.run_id, **values))
    else:
        conn.execute(t.update().where(t.c.run_id == prov.run_id).values(**values))
    return "stored"


def load_provenance(conn: Connection) -> dict[str, dict[str, Any]]:
    """Each run's provenance as `Run` field values, by run id."""
    found = {}
    for row in conn.execute(sa.select(provenance_table)).all():
        version = row.build_version
        build = (
            Build(**{f.name: getattr(row, f"build_{f.name}") or "" for f in fields(Build)})
            if version
            else None
        )
        found[row.run_id] = {
            "url": row.url, "host": row.host, "runner": row.runner, "artifact": row.artifact,
            "job": row.job, "build": build, "gpus": tuple(json.loads(row.gpus or "[]")),
            **{f"{k}_commit": getattr(row, f"{k}_commit") or "" for k in COMMITS},
        }  # fmt: skip
    return found
