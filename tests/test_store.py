"""The store: schema on first use, append-only, one transaction per file, same bytes stored once."""

from __future__ import annotations

import json
from dataclasses import fields, replace

import pytest
import sqlalchemy as sa
from conftest import AGENTIC, AGG, RAW

from bot import store
from bot.ingest import Metadata, parse_file
from bot.model import ConfigKey, Point
from bot.store import schema

GPTOSS = Metadata(hardware="h100", precision="mxfp4", framework="vllm", framework_version="v0.11")


def test_schema_version_is_recorded_and_checked(db_url):
    engine = store.open_store(db_url)
    with engine.begin() as conn:
        version = conn.execute(
            sa.text("SELECT value FROM meta WHERE key='schema_version'")
        ).scalar()
        assert version == str(store.SCHEMA_VERSION)
        conn.execute(sa.text("UPDATE meta SET value='999' WHERE key='schema_version'"))
    engine.dispose()
    with pytest.raises(store.StoreError, match="schema version 999"):
        store.open_store(db_url)


def test_same_bytes_are_stored_once(engine):
    parsed = parse_file(AGENTIC / "kimik2.5-fp4-mi355x-vllm-0603" / "agg_bmk.json")
    assert store.add_file(engine, parsed).status == "stored"
    assert store.add_file(engine, parsed).status == "duplicate"
    assert store.count_rows(engine) == {"files": 1, "sweeps": 2, "points": 20}


def test_round_trip_keeps_every_field(engine):
    files = sorted(RAW.glob("*.json"))
    parsed = [parse_file(p, GPTOSS) for p in files]
    for p in parsed:
        store.add_file(engine, p)
    (sweep,) = store.load_sweeps(engine)  # one folder, one run: eight files, one sweep
    expected = sorted((p.sweeps[0].points[0] for p in parsed), key=lambda pt: pt.concurrency)
    assert list(sweep.points) == expected
    assert sweep.config == parsed[0].sweeps[0].config
    assert sweep.build == parsed[0].sweeps[0].build


def test_a_point_is_never_replaced(engine, tmp_path):
    path = RAW / "concurrency_4_req_rate_inf_gpus_16_ctx_8_gen_8.json"
    store.add_file(engine, parse_file(path, GPTOSS))
    # the same concurrency of the same run again, other numbers
    copy = tmp_path / "gptoss_multinode" / path.name
    copy.parent.mkdir()
    doc = json.loads(path.read_text())
    doc["total_token_throughput"] *= 1.01
    copy.write_text(json.dumps(doc))
    with pytest.raises(store.StoreError, match="already has concurrency 4"):
        store.add_file(engine, parse_file(copy, GPTOSS))
    assert store.count_rows(engine) == {"files": 1, "sweeps": 1, "points": 1}
    # as a second repeat it is welcome
    store.add_file(engine, parse_file(copy, GPTOSS.model_copy(update={"repeat": 1})))
    assert store.count_rows(engine)["points"] == 2


def test_failure_mid_file_rolls_back_everything(engine):
    parsed = parse_file(AGENTIC / "kimik2.5-fp4-mi355x-vllm-0603" / "agg_bmk.json")
    first, second = parsed.sweeps
    # the second sweep repeats a concurrency: the insert fails after the first sweep went in
    broken = replace(second, points=(*second.points, second.points[0]))
    with pytest.raises(
        store.StoreError, match=r"the store refused it: .*(UNIQUE|unique|duplicate)"
    ):
        store.add_file(engine, replace(parsed, sweeps=(first, broken)))
    assert store.count_rows(engine) == {"files": 0, "sweeps": 0, "points": 0}


def test_config_pattern_filters(engine):
    for path in AGG.glob("*.json"):
        store.add_file(engine, parse_file(path))
    assert len(store.load_sweeps(engine)) == 2
    assert len(store.load_sweeps(engine, config_pattern="8192x1024")) == 1
    assert len(store.load_sweeps(engine, config_pattern="kimi*mi355x*1024x1024*")) == 1
    assert store.load_sweeps(engine, config_pattern="h100") == []


def test_database_from_environment(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path}/env.db"
    monkeypatch.setenv("PARETOBOT_DB", url)
    assert store.database_url() == url
    store.open_store().dispose()
    assert (tmp_path / "env.db").exists()


def _v1_schema() -> sa.MetaData:
    """The version-1 tables as they were: sha256 unique on files, no runs or copies, points
    without interactivity_source/suspect, configs slugged with '0x0' for trace replay."""
    old = sa.MetaData()
    for table in schema.metadata.sorted_tables:
        if table.name in {"files", "points", "runs", "copies"}:
            continue
        table.to_metadata(old)
    sa.Table(
        "files", old,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("path", sa.String, nullable=False),
        sa.Column("format", sa.String, nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
    )  # fmt: skip
    point_cols = [
        c.copy() for c in schema.points_table.columns
        if c.name not in {"interactivity_source", "suspect"}
    ]  # fmt: skip
    sa.Table("points", old, *point_cols)
    return old


def test_a_version_1_database_is_migrated_in_place(db_url):
    from datetime import UTC, datetime

    old = _v1_schema()
    engine = sa.create_engine(db_url)
    old.create_all(engine)
    path = AGENTIC / "kimik2.5-fp4-mi355x-vllm-0603" / "agg_bmk.json"
    parsed = parse_file(path)
    sweep = parsed.sweeps[0]
    cfg = {f.name: getattr(sweep.config, f.name) for f in fields(ConfigKey)}
    old_slug = sweep.config.slug.replace("/trace/", "/0x0/")
    point = {f.name: getattr(sweep.points[0], f.name) for f in fields(Point)}
    point.pop("interactivity_source"), point.pop("suspect")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        t = old.tables
        conn.execute(t["meta"].insert().values(key="schema_version", value="1"))
        conn.execute(t["configs"].insert().values(id=1, slug=old_slug, **cfg))
        conn.execute(t["builds"].insert().values(id=1, framework="vllm", version="v0.21.0",
                                                 commit="", image="", image_digest=""))  # fmt: skip
        conn.execute(t["files"].insert().values(id=1, sha256=parsed.sha256, path=str(path),
                                                format=parsed.format, ingested_at=now))  # fmt: skip
        conn.execute(t["sweeps"].insert().values(id=1, config_id=1, build_id=1, run_id="old-run",
                                                 repeat=0, status="ok", cause=""))  # fmt: skip
        conn.execute(t["points"].insert().values(id=1, sweep_id=1, file_id=1, **point))
    engine.dispose()

    migrated = store.open_store(db_url)
    with migrated.connect() as conn:
        version = conn.execute(sa.text("SELECT value FROM meta WHERE key='schema_version'"))
        assert version.scalar() == str(store.SCHEMA_VERSION)  # through 2 to the latest
        assert conn.execute(sa.text("SELECT slug FROM configs")).scalar() == sweep.config.slug
        assert conn.execute(sa.text("SELECT run_id FROM files")).scalar() == "old-run"
    (loaded,) = store.load_sweeps(migrated)
    assert loaded.config == sweep.config and loaded.points[0].tput_per_gpu == point["tput_per_gpu"]
    assert [r.run_id for r in store.load_runs(migrated)] == ["old-run"]
    store.exclude_run(migrated, "old-run", "migrated and then excluded")
    assert store.load_sweeps(migrated) == []
    # the same bytes under the run they were stored under: a duplicate; under another: a copy
    assert store.add_file(migrated, replace(parsed, run_id="old-run")).status == "duplicate"
    assert store.add_file(migrated, parsed).status == "copy"
    migrated.dispose()
    store.open_store(db_url).dispose()  # opening a migrated store again changes nothing


def test_a_version_2_database_is_migrated_in_place(db_url):
    """Version 3 adds the provenance table (runner records); what a version-2 store holds stays,
    read the same, and runs have no provenance until a runner record is ingested."""
    engine = store.open_store(db_url)
    path = AGENTIC / "kimik2.5-fp4-mi355x-vllm-0603" / "agg_bmk.json"
    store.add_file(engine, parse_file(path))
    sweeps, runs = store.load_sweeps(engine), store.load_runs(engine)
    with engine.begin() as conn:  # as version 2 left it: no provenance table
        schema.provenance_table.drop(conn)
        conn.execute(sa.text("DROP TABLE alembic_version"))  # made before Alembic
        conn.execute(sa.text("UPDATE meta SET value='2' WHERE key='schema_version'"))
    engine.dispose()

    migrated = store.open_store(db_url)
    with migrated.connect() as conn:
        version = conn.execute(sa.text("SELECT value FROM meta WHERE key='schema_version'"))
        assert version.scalar() == str(store.SCHEMA_VERSION)  # through 3 to the latest
        assert sa.inspect(conn).has_table("provenance")
    assert store.load_sweeps(migrated) == sweeps
    assert store.load_runs(migrated) == runs
    assert all(r.url == "" and r.job == "" and r.measured for r in runs)
    assert store.count_rows(migrated, ["provenance"]) == {"provenance": 0}
    assert store.add_file(migrated, parse_file(path)).status == "duplicate"
    migrated.dispose()
    store.open_store(db_url).dispose()  # opening a migrated store again changes nothing
