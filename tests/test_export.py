"""Data out: `paretobot export` and `bot.frames`. The points export read back by `ingest` gives the
same stored sweeps, field for field, for every real file under tests/data/shared and in each
format; the DataFrames' numbers are checked against the raw files and against what the CLI prints;
hostile export files are one line each. Runs on SQLite and, where configured, PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import AGENTIC, AGG, RAW, REAL, SHARED, VLLM_CPU, load_json
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import cli, frames, store
from bot.ingest import IngestError, parse_file
from bot.ingest import export as fmt

GPTOSS = ["--hardware", "h100", "--precision", "mxfp4", "--framework", "vllm"]
CPU = ["--hardware", "cpu", "--gpus", "1", "--precision", "bf16", "--framework", "vllm",
       "--framework-version", "0.32.0", "--isl", "128"]  # fmt: skip
HISTORY = SHARED / "inferencex" / "ci-history"
FORMATS = ("csv", "jsonl", "parquet")


@pytest.fixture
def second_url(db_url, tmp_path):
    """A second, empty store on the same engine as `db_url` (the export's destination)."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/second.db"
        return
    import sqlalchemy as sa

    admin_url = os.environ["PARETOBOT_TEST_PG_URL"]
    name = db_url.rsplit("/", 1)[1] + "_2"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield admin_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def failure_runs(root: Path) -> list[Path]:
    """Runner-layout folders (real vLLM client files + failure.json) with a failed configuration
    that measured nothing, and a sweep that crashed at concurrency 8 after three points."""
    meta = {"hardware": "cpu", "gpus": 1, "precision": "bf16", "framework": "vllm",
            "model": "tiny", "isl": 128, "osl": 64}  # fmt: skip
    made = []
    for version, failure, concurrencies in (
        ("0.31.0", {"cause": "out-of-memory", "concurrency": None}, ()),
        ("0.33.0", {"cause": "crash", "concurrency": 8}, (1, 2, 4)),
    ):
        folder = root / version
        folder.mkdir(parents=True)
        (folder / "paretobot-meta.json").write_text(
            json.dumps(meta | {"framework_version": version, "run_id": f"run-{version}"})
        )
        for c in concurrencies:
            doc = load_json(REAL / "vllm" / f"c{c}.json") | {"date": version}
            (folder / f"c{c}.json").write_text(json.dumps(doc))
        record = {"paretobot": "failure", "message": "died", "log_tail": ["x"], **failure}
        (folder / "failure.json").write_text(json.dumps(record))
        made.append(folder)
    return made


def ingest_every_shared_file(paretobot, tmp_path) -> int:
    """Every real file under tests/data/shared with the options it needs (as the ingest tests
    give them), plus runner failure records; returns the number of files stored or copied."""
    calls = [
        (RAW, *GPTOSS, "--framework-version", "v0.11"),
        (AGG,), (AGENTIC,),
        (HISTORY, "--framework-version", "v0.5.9"),
        (VLLM_CPU, *CPU),
        (*failure_runs(tmp_path / "runner"),),
    ]  # fmt: skip
    done = 0
    for args in calls:
        run = paretobot("ingest", *args, "--json")
        assert run.code == 0, run.err
        done += sum(f["status"] in ("stored", "copy") for f in run.json()["files"])
    return done


def stored(url: str) -> list[tuple]:
    """Every stored sweep as a tuple of all it holds (the points with every field), in storage
    order, read straight from the store."""
    engine = store.open_store(url)
    try:
        return [
            (s.config, s.build, s.run_id, s.repeat, s.status, s.cause, s.started_at, s.failed_at,
             s.points)
            for s in store.load_sweeps(engine)
        ]  # fmt: skip
    finally:
        engine.dispose()


@pytest.mark.parametrize("form", FORMATS)
def test_round_trip_of_every_shared_file(paretobot, db_url, second_url, tmp_path, form):
    files = ingest_every_shared_file(paretobot, tmp_path)
    # every real result file (all but the H100 noise study, which is no benchmark result) and
    # the four runner files went in
    shared = [p for p in SHARED.rglob("*.json") if p.name != "h100-hf-generate-repeats.json"]
    assert files == len(shared) + 5
    before = stored(db_url)
    kinds = {(s[4], bool(s[8]), s[5]) for s in before}
    assert ("failed", False, "out-of-memory") in kinds  # a failed sweep without points
    assert ("ok", True, "crash") in kinds  # a sweep that crashed after some points
    out = tmp_path / f"points.{form}"
    done = paretobot("export", "--format", form, "-o", out)
    assert done.code == 0, done.err
    n_points = sum(len(s[8]) for s in before)
    assert f"exported {n_points} points and 1 sweeps without points" in done.out
    again = paretobot("ingest", out, "--db", second_url, "--json")
    assert again.code == 0, again.err
    assert [f["format"] for f in again.json()["files"]] == ["paretobot-export"]
    after = stored(second_url)
    assert sorted(after, key=repr) == sorted(before, key=repr)
    assert after == before  # the storage order too: "latest build" is the latest stored
    # every run of the export is a run of the new store (listed, and named by `runs exclude`)
    listed = {r["run_id"] for r in paretobot("runs", "--db", second_url, "--json").json()}
    assert listed == {s[2] for s in before}
    # ingesting it again is a duplicate, not new points
    twice = paretobot("ingest", out, "--db", second_url, "--json")
    assert twice.json()["summary"]["points"] == 0


def test_csv_text_cannot_become_a_formula_and_reads_back(paretobot, db_url, second_url, tmp_path):
    hostile = {
        '=HYPERLINK("http://evil","x")': "+1",
        "@SUM(A1)": "-2",
        "'quoted": 'r,with "quotes"\nand a newline\r',
        "-minus": "=cmd|' /C calc'!A0",
    }
    for i, (model, run_id) in enumerate(hostile.items()):
        path = tmp_path / f"c{i}.json"  # bytes of its own: the same bytes again are a copy
        path.write_text(json.dumps(load_json(VLLM_CPU) | {"date": f"2026010{i}-000000"}))
        run = paretobot("ingest", path, *CPU, f"--model={model}", f"--run-id={run_id}")
        assert run.code == 0, run.err
    done = paretobot("export", "--format", "csv")
    assert done.code == 0
    rows = list(csv.reader(io.StringIO(done.out)))
    header, body = rows[0], rows[1:]
    assert len(body) == len(hostile)
    cells = [cell for row in body for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    models = {row[header.index("model")] for row in body}
    assert models == {"'" + m for m in hostile}  # each prefixed with exactly one quote
    runs = {row[header.index("run_id")] for row in body}
    assert 'r,with "quotes"\nand a newline\r' in runs  # CSV quoting keeps controls intact
    path = tmp_path / "hostile.csv"
    path.write_text(done.out, newline="")
    assert paretobot("ingest", path, "--db", second_url).code == 0
    assert sorted(stored(second_url), key=repr) == sorted(stored(db_url), key=repr)
    assert {s[0].model: s[2] for s in stored(second_url)} == hostile


def test_jsonl_is_inert_in_a_terminal_and_a_ci_log_and_reads_back(
    paretobot, db_url, second_url, tmp_path
):
    model = "##[error]pwned \u00e9"
    assert paretobot("ingest", VLLM_CPU, *CPU, f"--model={model}").code == 0
    done = paretobot("export", "--format", "jsonl")
    (line,) = done.out.splitlines()
    assert "##[" not in line and line.isascii()
    assert json.loads(line)["model"] == model
    path = tmp_path / "points.jsonl"
    path.write_text(done.out)
    assert paretobot("ingest", path, "--db", second_url).code == 0
    assert stored(second_url) == stored(db_url)


def test_points_frame_matches_the_raw_files(paretobot, engine):
    assert paretobot("ingest", RAW, *GPTOSS, "--framework-version", "v0.11.0").code == 0
    df = frames.points(engine)
    raw = sorted(RAW.glob("*.json"))
    assert len(df) == len(raw) == 8
    for path in raw:
        doc = load_json(path)
        (row,) = df[df["concurrency"] == doc["max_concurrency"]].itertuples()
        assert row.tput_per_gpu == pytest.approx(doc["total_token_throughput"] / 16, rel=1e-12)
        assert row.interactivity == pytest.approx(1000 / doc["median_tpot_ms"], rel=1e-12)
        assert (row.gpus, row.build_version, row.run_id) == (16, "v0.11.0", "gptoss_multinode")
    assert str(df["concurrency"].dtype) == "Int64"
    assert frames.points(engine, config="no-such-model").empty
    assert len(frames.points(engine, run="gptoss_multinode")) == 8


def _pareto(points: list[tuple[float, float, int]]) -> list[tuple[float, float, int]]:
    """Upper-right Pareto set by brute force: nothing else is at least as good on both axes."""
    kept = [
        p for p in points
        if not any(q != p and q[0] >= p[0] and q[1] >= p[1] for q in points)
    ]  # fmt: skip
    return sorted(kept)


def test_frontier_frame_is_the_pareto_set_and_what_the_cli_prints(paretobot, engine):
    assert paretobot("ingest", AGENTIC / "kimik2.5-fp4-mi355x-vllm-0603").code == 0
    df = frames.frontiers(engine)
    printed = paretobot("frontier", "--json").json()
    assert set(df["slug"]) == {f["config"]["slug"] for f in printed}
    for sweep in store.load_sweeps(engine):
        mine = df[df["slug"] == sweep.config.slug]
        expected = _pareto([(p.interactivity, p.tput_per_gpu, p.concurrency)
                            for p in sweep.points if p.suspect is None])  # fmt: skip
        got = sorted(zip(mine["interactivity"], mine["tput_per_gpu"], mine["concurrency"],
                         strict=True))  # fmt: skip
        assert got == expected and len(got) >= 2
        (cli_frontier,) = [f for f in printed if f["config"]["slug"] == sweep.config.slug]
        assert [p["concurrency"] for p in cli_frontier["points"]] == list(mine["concurrency"])
        cost = [p["cost_per_mtok"]["hyperscaler"] for p in cli_frontier["points"]]
        assert list(mine["cost_hyperscaler"]) == pytest.approx(cost)


def faster_copy(root: Path, factor: float) -> Path:
    """The real gpt-oss sweep again, every throughput times `factor` (latencies unchanged)."""
    root.mkdir()
    for path in RAW.glob("*.json"):
        doc = load_json(path)
        for key in ("total_token_throughput", "output_throughput"):
            doc[key] *= factor
        (root / path.name).write_text(json.dumps(doc))
    return root


def test_comparison_and_history_frames_match_the_cli(paretobot, engine, tmp_path):
    assert paretobot("ingest", RAW, *GPTOSS, "--framework-version", "v0.11.0").code == 0
    faster = faster_copy(tmp_path / "faster", 1.1)
    assert paretobot("ingest", faster, *GPTOSS, "--framework-version", "v0.12.0").code == 0
    df = frames.comparisons("v0.11.0", "v0.12.0", db=engine)
    (v,) = paretobot("compare", "--baseline", "v0.11.0", "--candidate", "v0.12.0", "--json").json()
    (row,) = df.itertuples()
    assert row.matched_ratio == pytest.approx(1.1, rel=1e-9)  # known by construction
    assert row.matched_ratio == v["comparison"]["matched"]["ratio"]
    assert row.peak_ratio == v["comparison"]["peak"]["ratio"]
    assert (row.verdict, row.reason) == (v["verdict"], v["reason"])
    assert (row.baseline_version, row.candidate_version) == ("v0.11.0", "v0.12.0")
    hist = frames.history(db=engine)
    (h,) = paretobot("history", "--json").json()
    assert list(hist["label"]) == [s["label"] for s in h["series"]]
    assert list(hist["value"]) == pytest.approx([s["value"] for s in h["series"]])
    assert hist["value"].iloc[1] / hist["value"].iloc[0] == pytest.approx(1.1, rel=1e-9)
    sweeps = frames.sweeps(engine)
    assert list(sweeps["points"]) == [8, 8] and list(sweeps["status"]) == ["ok", "ok"]
    assert len(frames.sweeps(engine, build="v0.12.0")) == 1


@pytest.mark.parametrize("what", ["sweeps", "frontiers", "history"])
def test_other_tables_export_in_every_format(paretobot, tmp_path, what):
    assert paretobot("ingest", RAW, *GPTOSS, "--framework-version", "v0.11.0").code == 0
    text = paretobot("export", "--format", "jsonl", "--what", what)
    lines = [json.loads(line) for line in text.out.splitlines()]
    assert lines and all(line["slug"].startswith("openai/gpt-oss-120b/") for line in lines)
    table = paretobot("export", "--format", "csv", "--what", what)
    assert len(table.out.splitlines()) == len(lines) + 1
    out = tmp_path / f"{what}.parquet"
    assert paretobot("export", "--format", "parquet", "--what", what, "-o", out).code == 0
    import pyarrow.parquet as pq

    assert pq.read_table(out).num_rows == len(lines)
    # not the points format: ingest does not take it for an export
    assert not fmt.is_export(table.out.encode()) and not fmt.is_export(text.out.encode())


def test_usage_errors_are_one_line(paretobot, tmp_path, monkeypatch):
    empty = paretobot("export", "--format", "csv")
    assert empty.code == 1 and "nothing to export" in empty.err
    assert paretobot("ingest", RAW, *GPTOSS, "--framework-version", "v0.11.0").code == 0
    for args, words in [
        (("--format", "parquet"), "give -o FILE"),
        (("--format", "csv", "--json"), "--json reports on a file written with -o"),
        (("--format", "csv", "--what", "frontiers", "--run", "x"), "--run does not apply"),
        (("--format", "csv", "--what", "comparisons"), "needs --baseline and --candidate"),
        (("--format", "csv", "-o", tmp_path / "no" / "such" / "dir.csv"), "cannot write"),
    ]:
        done = paretobot("export", *args)
        assert done.code == 1 and len(done.err.splitlines()) == 1, done.err
        assert words in done.err and "Traceback" not in done.err
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if the extra were not installed
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    done = paretobot("export", "--format", "parquet", "-o", tmp_path / "x.parquet")
    assert done.code == 1
    assert done.err.splitlines() == [
        "paretobot: --format parquet needs pyarrow: pip install 'paretobot[parquet]'"
    ]
    assert not (tmp_path / "x.parquet").exists()


def test_the_cli_spells_the_formats_and_tables_of_the_use_case():
    # bot/cli/export.py repeats them so that --help loads no SQLAlchemy: they must agree
    from bot.app import export as app
    from bot.cli import export as command

    assert (command.FORMATS, command.WHATS) == (app.FORMATS, app.WHATS)


def test_importing_frames_loads_no_pandas():
    probe = "import sys, bot.frames; print(sorted({'pandas', 'pyarrow'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, timeout=60)  # fmt: skip
    assert done.stdout.strip() == "[]"


# ---- hostile export files: one line each, quarantined, the good file beside it stored ----------


@pytest.fixture(scope="module")
def good_exports(tmp_path_factory) -> dict[str, bytes]:
    """The real gpt-oss sweep exported in each format (from a store of its own)."""
    folder = tmp_path_factory.mktemp("good")
    url = f"sqlite:///{folder}/good.db"
    assert cli.main(["ingest", str(RAW), *GPTOSS, "--framework-version", "v0.11", "--db", url]) == 0
    found = {}
    for form in FORMATS:
        out = folder / f"good.{form}"
        assert cli.main(["export", "--format", form, "-o", str(out), "--db", url]) == 0
        found[form] = out.read_bytes()
    return found


def _csv_edit(data: bytes, column: str, value: str, row: int = 0) -> bytes:
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    rows[1 + row][rows[0].index(column)] = value
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue().encode()


def _jsonl_edit(data: bytes, **change) -> bytes:
    lines = data.decode().splitlines()
    lines[0] = json.dumps(json.loads(lines[0]) | change)
    return ("\n".join(lines) + "\n").encode()


def _hostile(good: dict[str, bytes]) -> list[tuple[str, bytes, str]]:
    c, j, p = good["csv"], good["jsonl"], good["parquet"]
    header = c.split(b"\n", 1)[0] + b"\n"
    return [
        ("truncated.csv", c[: len(c) // 2], "cells; the header has"),
        ("truncated.jsonl", j[: len(j) // 2], "invalid JSON on line"),
        ("truncated.parquet", p[: len(p) // 2], "invalid Parquet"),
        ("header_only.csv", header, "an export with no rows"),
        ("version2.csv", _csv_edit(c, fmt.MARKER, "2"),
         "row 1: export format version 2; this paretobot reads 1 (written by a newer paretobot"),
        ("version2.jsonl", _jsonl_edit(j, paretobot_export=2), "row 1: export format version 2"),
        ("nan.csv", _csv_edit(c, "tput_per_gpu", "nan"), "row 1: field 'tput_per_gpu' is nan"),
        ("inf.csv", _csv_edit(c, "interactivity", "inf"), "field 'interactivity' is inf"),
        ("negative.csv", _csv_edit(c, "tput_per_gpu", "-5"), "field 'tput_per_gpu' is negative"),
        ("negative.jsonl", _jsonl_edit(j, median_ttft_ms=-1.0), "'median_ttft_ms' is negative"),
        ("huge_number.jsonl", _jsonl_edit(j, concurrency=1e19), "'concurrency' is out of range"),
        ("huge_cell.csv", _csv_edit(c, "suspect", "x" * 200_000), "invalid CSV: field larger"),
        ("not_a_number.csv", _csv_edit(c, "concurrency", "many"),
         "row 1: field 'concurrency' is not a number: 'many'"),
        ("bad_bool.jsonl", _jsonl_edit(j, disagg="maybe"), "'disagg' is not true/false"),
        ("bad_row.jsonl", _jsonl_edit(j, row="other"), "field 'row' is 'other'"),
        ("bad_status.csv", _csv_edit(c, "status", "weird"), "field 'status' is 'weird'"),
        ("escape.jsonl", _jsonl_edit(j, model="gpt\u001b[2J"), "'model' holds a control"),
        ("empty_model.csv", _csv_edit(c, "model", ""), "field 'model' is empty"),
        ("zero_gpus.csv", _csv_edit(c, "gpus", "0"), "field 'gpus' is 0; at least 1"),
        ("twice.csv", _csv_edit(c, "concurrency", "4", row=1), "appears twice"),
        ("unknown_column.csv", c.replace(b",suspect\n", b",sus\n", 1), "unknown column 'sus'"),
        ("missing_column.jsonl", _drop_key(j, "run_id"), "missing column 'run_id'"),
        ("not_utf8.csv", header + b"\xff\xfe\n", "file is not UTF-8 text"),
        ("bad_time.csv", _csv_edit(c, "started_at", "yesterday"), "not an ISO 8601 time"),
        ("bad_failed_at.csv", _csv_edit(c, "failed_at", "8 4"), "not increasing positive"),
        ("other.parquet", _other_parquet(), "not a paretobot export"),
    ]  # fmt: skip


def _drop_key(data: bytes, key: str) -> bytes:
    doc = json.loads(data.decode().splitlines()[0])
    del doc[key]
    return (json.dumps(doc) + "\n").encode()


def _other_parquet() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pq.write_table(pa.table({"a": [1, 2]}), out)
    return out.getvalue()


@pytest.fixture
def hostile_cases(good_exports):
    return _hostile(good_exports)


CASE_NAMES = [
    "truncated.csv", "truncated.jsonl", "truncated.parquet", "header_only.csv", "version2.csv",
    "version2.jsonl", "nan.csv", "inf.csv", "negative.csv", "negative.jsonl", "huge_number.jsonl",
    "huge_cell.csv", "not_a_number.csv", "bad_bool.jsonl", "bad_row.jsonl", "bad_status.csv",
    "escape.jsonl", "empty_model.csv", "zero_gpus.csv", "twice.csv", "unknown_column.csv",
    "missing_column.jsonl", "not_utf8.csv", "bad_time.csv", "bad_failed_at.csv", "other.parquet",
]  # fmt: skip


@pytest.mark.parametrize("name", CASE_NAMES)
def test_a_hostile_export_is_one_line_and_the_next_file_is_stored(
    paretobot, engine, tmp_path, good_exports, hostile_cases, name
):
    (data, words) = next((d, w) for n, d, w in hostile_cases if n == name)
    bad = tmp_path / name
    bad.write_bytes(data)
    good = tmp_path / "zz_good.jsonl"
    good.write_bytes(good_exports["jsonl"])
    done = paretobot("ingest", bad, good)
    assert done.code == 1
    (line,) = done.err.splitlines()
    assert line.startswith(f"error  {bad}: ") and words in line, line
    assert "Traceback" not in done.err
    (q,) = store.quarantined(engine)
    assert q.path == str(bad) and words in q.reason
    assert sum(len(s.points) for s in store.load_sweeps(engine)) == 8


def test_options_that_contradict_an_export_are_refused(paretobot, tmp_path, good_exports):
    path = tmp_path / "good.csv"
    path.write_bytes(good_exports["csv"])
    done = paretobot("ingest", path, "--hardware", "b200")
    assert done.code == 1
    assert "metadata says hardware='b200' but the export says hardware='h100'" in done.err
    assert paretobot("ingest", path, "--hardware", "h100").code == 0  # agreeing is fine


def test_parquet_ingest_without_pyarrow_is_one_line(paretobot, tmp_path, good_exports, monkeypatch):
    path = tmp_path / "good.parquet"
    path.write_bytes(good_exports["parquet"])
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    done = paretobot("ingest", path)
    assert done.code == 1
    assert done.err.splitlines() == [
        f"error  {path}: reading a Parquet export needs pyarrow: pip install 'paretobot[parquet]'"
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    form=st.sampled_from(FORMATS),
    at=st.floats(min_value=0, max_value=1),
    junk=st.binary(min_size=0, max_size=8),
    cut=st.booleans(),
)
def test_a_mangled_export_parses_or_is_one_ingest_error(good_exports, tmp_path_factory, form, at,
                                                       junk, cut):  # fmt: skip
    data = good_exports[form]
    where = int(at * (len(data) - 1))
    mangled = data[:where] + junk + (b"" if cut else data[where + len(junk) :])
    path = tmp_path_factory.mktemp("fuzz") / f"x.{form}"
    path.write_bytes(mangled)
    try:
        parsed = parse_file(path)
    except IngestError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert parsed.format == fmt.FORMAT and parsed.n_points <= 8


def test_a_control_character_in_a_name_is_refused_from_an_export_too(paretobot, tmp_path):
    """An option may name a model with a bidi override (the store keeps what the user typed), but
    a name read from a file never holds one: its export is refused on ingest, in one line."""
    assert paretobot("ingest", VLLM_CPU, *CPU, "--model=evil\u202egpj.exe").code == 0
    path = tmp_path / "points.jsonl"
    assert paretobot("export", "--format", "jsonl", "-o", path).code == 0
    done = paretobot("ingest", path, "--db", f"sqlite:///{tmp_path}/other.db")
    assert done.code == 1
    assert done.err.splitlines() == [
        f"error  {path}: row 1: field 'model' holds a control character: 'evil\\u202egpj.exe'"
    ]
