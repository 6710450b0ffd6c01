"""Hostile input at the file boundary: each case is one hostile file beside a real good one, in one
`paretobot ingest` call. The hostile file gets exactly one line naming it and the problem and a
quarantine record; the good file is stored; nothing prints a traceback. Then a store that cannot
be used: one line, exit 1, nothing created or lost. Runs on SQLite and, where configured, on the
real PostgreSQL (the `db_url` fixture)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3

import pytest
from conftest import AGG, RAW, load_json
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import store

GOOD_AGG = next(AGG.glob("agg_kimik2.5_1k1k_*_conc4_*.json"))
AGG_META = ["--gpus", "8", "--precision", "fp8"]
RAW_FILE = RAW / "concurrency_4_req_rate_inf_gpus_16_ctx_8_gen_8.json"


def _agg(**change) -> bytes:
    return json.dumps(load_json(GOOD_AGG) | change).encode()


def _dup_key() -> bytes:
    text = GOOD_AGG.read_text()
    return text.replace("{", '{"hw": "h100", ', 1).encode()  # the file says "hw" again later


HOSTILE = [
    # (file name, its bytes, the reason printed and recorded)
    ("deep.json", b"[" * 100_000 + b"]" * 100_000, "invalid JSON: nested too deeply"),
    ("deep_object.json", b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
     "invalid JSON: nested too deeply"),
    ("conc_1e19.json", _agg(conc=1e19), "field 'conc' is out of range: 1e+19"),
    ("conc_5000_digits.json",
     GOOD_AGG.read_text().replace('"conc": 4', '"conc": ' + "9" * 5000).encode(),
     "invalid JSON: Exceeds the limit (4300 digits) for integer string conversion"),
    ("tput_1e308.json", _agg(tput_per_gpu=1e308), "field 'tput_per_gpu' is out of range: 1e+308"),
    ("nul_in_name.json", _agg(infmax_model_prefix="kimi\u0000x"),
     "field 'infmax_model_prefix' holds a control character: 'kimi\\x00x'"),
    ("escape_in_name.json", _agg(infmax_model_prefix="kimi\u001b[2J"),
     "field 'infmax_model_prefix' holds a control character: 'kimi\\x1b[2J'"),
    ("bidi_in_name.json", _agg(infmax_model_prefix="kimi\u202eevil"),
     "field 'infmax_model_prefix' holds a control character: 'kimi\\u202eevil'"),
    ("duplicate_key.json", _dup_key(), "key 'hw' appears twice in one object"),
    # found by the fuzz test below on PostgreSQL, which refuses a NUL in the quarantine reason:
    # a reason that quotes the file shows its controls escaped
    ("nul_key.json", b'[{"\\u0000": null}]',
     "unknown format: a list of 1 records: 1 with keys \\x00"),
    ("esc_key.json", b'[{"\\u001b[2J": 1}]',
     "unknown format: a list of 1 records: 1 with keys \\x1b[2J"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "reason"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_file_is_one_line_and_its_good_neighbour_is_stored(
    tmp_path, paretobot, engine, name, data, reason
):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / name).write_bytes(data)
    shutil.copy(GOOD_AGG, folder / "zz_good.json")
    done = paretobot("ingest", folder, *AGG_META)
    assert done.code == 1
    assert done.err.splitlines() == [f"error  {folder / name}: {reason}"]
    (q,) = store.quarantined(engine)
    assert (q.path, q.reason) == (str(folder / name), reason)
    (sweep,) = store.load_sweeps(engine)
    assert sweep.points[0].concurrency == 4 and store.count_rows(engine)["files"] == 1


def test_tiny_tpot_is_refused_before_it_becomes_an_infinite_interactivity(tmp_path, paretobot):
    doc = load_json(RAW_FILE) | {"median_tpot_ms": 1e-320}
    path = tmp_path / "tpot.json"
    path.write_text(json.dumps(doc))
    done = paretobot("ingest", path, "--hardware", "gb200", "--precision", "fp4", "--framework",
                     "trt", "--framework-version", "1.0", "--gpus", "16")  # fmt: skip
    assert done.code == 1
    assert done.err.splitlines() == [
        f"error  {path}: median TPOT is 1e-320 ms: interactivity is out of range"
    ]


def test_a_file_name_that_is_not_utf8_is_quarantined_with_an_escaped_name(
    tmp_path, paretobot, engine
):
    folder = tmp_path / "run"
    folder.mkdir()
    odd = os.fsencode(folder) + b"/r\xff\xfe.json"
    with open(odd, "wb") as f:
        f.write(b"{not json")
    shutil.copy(GOOD_AGG, folder / "zz_good.json")
    done = paretobot("ingest", folder, *AGG_META)
    assert done.code == 1 and "Traceback" not in done.err
    (q,) = store.quarantined(engine)
    assert q.path == f"{folder}/r\\xff\\xfe.json" and q.reason.startswith("invalid JSON")
    assert store.count_rows(engine)["files"] == 1


def test_an_unreadable_folder_is_an_error_not_a_silent_gap(tmp_path, paretobot, monkeypatch):
    """The suite runs as root, where permissions do not bind: the folder's read fails in
    os.scandir as it would for another user (os.walk reports it through onerror)."""
    folder = tmp_path / "run"
    (folder / "locked").mkdir(parents=True)
    shutil.copy(GOOD_AGG, folder / "zz_good.json")
    real_scandir = os.scandir

    def scandir(path=".", *args):
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path, *args)

    monkeypatch.setattr(os, "scandir", scandir)
    done = paretobot("ingest", folder, *AGG_META)
    assert done.code == 1
    assert f"error  {folder / 'locked'}: cannot read folder: Permission denied" in done.err
    assert "stored 1 file(s)" in done.out


def test_a_store_that_cannot_be_used_is_one_line(tmp_path, paretobot):
    good = tmp_path / "good.json"
    shutil.copy(GOOD_AGG, good)
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"SQLite format 3\x00" + b"\x13" * 4096)
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    locked = tmp_path / "no-such-folder" / "x.db"
    for db, words in (
        (corrupt, "cannot open the store sqlite:///"),
        (empty, "is an empty file (0 bytes), not a paretobot store"),
        (locked, "cannot open the store sqlite:///"),
    ):
        done = paretobot("ingest", good, *AGG_META, "--db", f"sqlite:///{db}")
        assert done.code == 1, done.err
        (line,) = done.err.splitlines()
        assert line.startswith("paretobot: ") and words in line, line
        if "cannot open" in words:
            assert line.endswith(" (`paretobot store check` says more)"), line
    assert empty.stat().st_size == 0 and not locked.parent.exists()  # nothing made in their place
    with pytest.raises(sqlite3.DatabaseError):  # still the same bytes: not rebuilt over
        sqlite3.connect(corrupt).execute("select * from sqlite_master").fetchall()
    check = paretobot("store", "check", "--db", f"sqlite:///{corrupt}")
    assert check.code == 1 and check.out.splitlines()[-1].startswith(
        f"error   integrity: cannot read sqlite:///{corrupt}: "
    ), check.out


def test_a_file_over_the_size_bound_is_refused_unread(tmp_path, paretobot, engine, monkeypatch):
    import bot.ingest

    monkeypatch.setattr(bot.ingest, "MAX_FILE_BYTES", 1_000_000)  # 512 MiB in use: same check
    folder = tmp_path / "run"
    folder.mkdir()
    huge = folder / "huge.json"
    huge.write_text(json.dumps([load_json(GOOD_AGG)] * 2_000))
    shutil.copy(GOOD_AGG, folder / "zz_good.json")
    done = paretobot("ingest", folder, *AGG_META)
    assert done.code == 1
    size = huge.stat().st_size
    assert size > 1_000_000
    assert done.err.splitlines() == [
        f"error  {huge}: file is {size} bytes; larger than any benchmark result"
    ]
    assert store.count_rows(engine)["files"] == 1


@settings(
    max_examples=int(os.environ.get("PARETOBOT_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.recursive(
            st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=12), inner, max_size=6)
            ),
            max_leaves=30,
        ).map(lambda doc: json.dumps(doc, allow_nan=True).encode()),
        # a real file with one field replaced by anything JSON can hold
        st.tuples(
            st.sampled_from(sorted(load_json(GOOD_AGG))),
            st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=30),
        ).map(lambda kv: json.dumps(load_json(GOOD_AGG) | {kv[0]: kv[1]}).encode()),
    )
)
def test_any_bytes_are_stored_or_refused_in_one_line_never_a_traceback(tmp_path, paretobot, data):
    folder = tmp_path / f"f{hash(data) & 0xFFFFFFFF}"
    folder.mkdir(exist_ok=True)
    path = folder / "x.json"
    path.write_bytes(data)
    done = paretobot("ingest", path, *AGG_META)
    assert done.code in (0, 1), done.err
    assert "Traceback" not in done.err
    for line in done.err.splitlines():  # each problem is one line naming the file
        assert line.startswith(tuple(f"{w} {path}: " for w in ("error ", "warning", "copy  "))), (
            line
        )
    if done.code == 1:
        assert done.err.startswith(f"error  {path}: ")
