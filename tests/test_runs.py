"""The real InferenceX CI history in one call: runs by day, run_stats, copies, faulty runs, triage.

Every expected number is computed here from the raw files."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import SHARED, load_json

from bot import store
from bot.config.ingest import model_key
from bot.ingest import IngestError, Metadata, detect_format, parse_file
from bot.ingest.infer import precision_from_model
from bot.ingest.runs import date_from_name, run_folder
from bot.store import schema

HISTORY = SHARED / "inferencex" / "ci-history"
DAYS = ("0601", "0602", "0603", "0603_sa", "0603_sa_faulty", "0604")
VERSION = "v0.5.9"


def _files() -> list[Path]:
    return sorted(p for p in HISTORY.rglob("*.json"))


def _day(path: Path) -> str:
    return path.relative_to(HISTORY).parts[0]


def _first_seen() -> dict[str, str]:
    """sha256 -> the day whose file was ingested first (files are taken in sorted order)."""
    seen: dict[str, str] = {}
    for path in _files():
        seen.setdefault(hashlib.sha256(path.read_bytes()).hexdigest(), _day(path))
    return seen


@pytest.fixture
def history(paretobot):
    run = paretobot("ingest", HISTORY, "--framework-version", VERSION)
    assert run.code == 0, run.err
    return run


def test_every_file_is_stored_or_recognised_as_a_copy_in_one_call(history, engine):
    assert "quarantined" in history.out and "0 quarantined" in history.out
    for day in DAYS:
        assert f"run {day}: " in history.out
    assert "run 0601: 0601/results_bmk (2), 0601/results_bmk (3), 0601/results_bmk (9)" in (
        history.out
    )
    runs = {r.run_id: r for r in store.load_runs(engine)}
    assert set(runs) == set(DAYS)
    assert {r.started_at.date() for r in runs.values()} == {
        date(runs["0601"].started_at.year, 6, d) for d in (1, 2, 3, 4)
    }
    assert all(r.date_source == "folder name" for r in runs.values())


def test_points_belong_to_their_day_and_qwen_spellings_share_one_model(history, engine):
    sweeps = store.load_sweeps(engine, include_excluded=True)
    runs_of = defaultdict(set)
    for s in sweeps:
        for p in s.points:
            runs_of[(s.config.hardware, s.config.tp, p.concurrency, p.tput_per_gpu)].add(s.run_id)
    first = _first_seen()
    for path in _files():
        doc = load_json(path)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        if not isinstance(doc, list) or first[sha] != _day(path) or "_high" in str(path):
            continue
        for e in doc:
            assert _day(path) in runs_of[(e["hw"], e["tp"], e["conc"], e["tput_per_gpu"])]
    qwen_days = {s.run_id for s in sweeps if s.config.model == "qwen3.5"}
    assert {"0601", "0602", "0603"} <= qwen_days  # HF id (0601, 0602) and prefix (0603)
    assert {s.config.model for s in sweeps} == {"qwen3.5", "glm5.1"}
    versions = {s.run_id: s.build.version for s in sweeps}
    assert versions["0601"] == versions["0602"] == VERSION  # no image: the option
    tag = load_json(next(HISTORY.glob("0603/*/agg_bmk.json")))[0]["image"].rsplit(":", 1)[1]
    assert versions["0603"] == tag  # the file's own image tag wins over the option
    assert f"--framework-version {VERSION} applied to 4 file(s)" in history.out


def test_run_stats_add_up_per_run_without_copies(history, engine):
    first = _first_seen()
    expected: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for path in _files():
        doc = load_json(path)
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        if isinstance(doc, list) or first[sha] != _day(path):
            continue
        for hw, v in doc.items():
            if v["total"]:
                got = expected[_day(path)].setdefault(hw, [0, 0])
                got[0] += v["n_success"]
                got[1] += v["total"]
    runs = {r.run_id: r for r in store.load_runs(engine)}
    for day in DAYS:
        assert {j.hardware: [j.succeeded, j.total] for j in runs[day].jobs} == expected.get(day, {})
    faulty = expected["0603_sa_faulty"]["mi355x"]
    assert runs["0603_sa_faulty"].failed_jobs == faulty[1] - faulty[0] == 1
    assert "1 of 32 jobs on mi355x failed in run '0603_sa_faulty'" in history.err


def test_copied_day_and_copied_points_are_copies(history, engine):
    runs = {r.run_id: r for r in store.load_runs(engine)}
    assert set(runs["0604"].copies) == {str(p) for p in _files() if _day(p) == "0604"}
    high = next(HISTORY.glob("0603_sa_faulty/*_high/results_bmk/agg_bmk.json"))
    assert str(high) in runs["0603_sa_faulty"].copies
    assert f"copy   {high}: all {len(load_json(high))} points" in history.err
    # 0604's files were no new repeat: nothing is stored under it
    assert not [s for s in store.load_sweeps(engine, include_excluded=True) if s.run_id == "0604"]
    with engine.connect() as conn:
        kinds = conn.execute(sa.select(schema.copies_table.c.kind)).scalars().all()
    assert kinds.count("point") == len(load_json(high))


def test_ingesting_the_history_again_adds_nothing(history, engine, paretobot):
    before = store.count_rows(engine, ("files", "points", "copies", "run_stats", "runs"))
    again = paretobot("ingest", HISTORY, "--framework-version", VERSION)
    assert again.code == 0 and "stored 0 file(s)" in again.out
    assert store.count_rows(engine, ("files", "points", "copies", "run_stats", "runs")) == before


def test_faulty_run_is_excluded_until_included(history, engine, paretobot):
    faulty = {r.run_id: r for r in store.load_runs(engine)}["0603_sa_faulty"]
    assert faulty.excluded and faulty.exclude_reason == (
        "folder name marks it faulty (0603_sa_faulty)"
    )
    assert "paretobot runs include 0603_sa_faulty" in history.err
    assert "0603_sa_faulty" not in {s.run_id for s in store.load_sweeps(engine)}
    assert "0603_sa_faulty" in {s.run_id for s in store.load_sweeps(engine, include_excluded=True)}
    assert paretobot("runs", "include", "0603_sa_faulty").code == 0
    assert "0603_sa_faulty" in {s.run_id for s in store.load_sweeps(engine)}
    assert paretobot("runs", "exclude", "0602", "--reason", "bad node").code == 0
    listing = {r["run_id"]: r for r in paretobot("runs", "--json").json()}
    assert listing["0602"]["excluded"] and listing["0602"]["exclude_reason"] == "bad node"
    assert listing["0603_sa_faulty"]["failed_jobs"] == 1
    assert listing["0604"]["points"] == 0 and len(listing["0604"]["copies"]) == 4
    missing = paretobot("runs", "include", "no-such-run")
    assert missing.code == 1 and "no run 'no-such-run'" in missing.err
    with pytest.raises(store.StoreError, match="no run 'x'"):
        store.exclude_run(engine, "x", "why")


def test_interactivity_is_one_over_mean_tpot_and_heavy_tails_are_suspect(history, engine):
    path = next(HISTORY.glob("0603_sa/qwen*/results_bmk/agg_bmk.json"))
    parsed = parse_file(path)
    by = {(s.config.scenario, p.concurrency): p for s in parsed.sweeps for p in s.points}
    for e in load_json(path):
        scenario = "agentic-coding" + ("+offload-hicache" if e["offloading"] == "hicache" else "")
        point = by[(scenario, e["conc"])]
        assert point.interactivity == pytest.approx(1000 / (e["mean_tpot"] * 1000), rel=1e-12)
        assert point.interactivity_source == "mean_tpot"
        assert (point.suspect is not None) == (e["mean_intvty"] > e["p90_intvty"])


def test_a_failed_entry_is_a_failed_concurrency_and_the_rest_is_stored(tmp_path, paretobot, engine):
    doc = load_json(next(HISTORY.glob("0602/*/agg_bmk.json")))
    doc[3]["num_requests_total"] = 0
    del doc[3]["tput_per_gpu"]
    day = tmp_path / "0605" / "results_bmk (1)"
    day.mkdir(parents=True)
    (day / "agg_bmk.json").write_text(json.dumps(doc))
    assert detect_format(doc) == "inferencex-agg-bmk"
    run = paretobot("ingest", tmp_path, "--framework-version", VERSION)
    assert run.code == 0, run.err
    assert f"concurrency {doc[3]['conc']} of" in run.err and "client-errors" in run.err
    (failed,) = [
        s
        for s in store.load_sweeps(engine)
        if ("hicache" in s.config.scenario) == (doc[3]["offloading"] == "hicache")
    ]
    assert failed.run_id == "0605" and failed.status == "ok"
    assert failed.failed_at == (doc[3]["conc"],) and failed.cause == "client-errors"
    assert store.count_rows(engine)["points"] == len(doc) - 1
    with engine.connect() as conn:
        row = conn.execute(sa.select(schema.failures_table)).one()
    assert (row.concurrency, row.cause) == (doc[3]["conc"], "client-errors")
    assert "num_requests_total is 0" in row.message


def test_unknown_list_says_what_it_found():
    entry = load_json(next(HISTORY.glob("0602/*/agg_bmk.json")))[0]
    with pytest.raises(
        IngestError, match=r"a list of 3 records: 2 inferencex-agg, 1 with keys a, b"
    ):
        detect_format([entry, entry, {"a": 1, "b": 2}])


def test_missing_metadata_is_reported_all_at_once(tmp_path):
    doc = load_json(next(HISTORY.glob("0601/results_bmk (2)/agg_bmk.json")))[:1]
    for e in doc:
        e["offloading"] = "none"  # no offload mode names the framework
        e["model"] = "Qwen/Qwen3.5-397B-A17B"  # no suffix names the precision
    path = tmp_path / "agg_bmk.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(IngestError) as caught:
        parse_file(path)
    assert str(caught.value).startswith(
        "framework, precision and framework version unknown: the file does not say; "
        "pass --framework, --precision, --framework-version or a sidecar"
    )
    meta = Metadata(framework="sglang", precision="bf16", framework_version="v1")
    assert {s.config.precision for s in parse_file(path, meta).sweeps} == {"bf16"}


def test_run_folders_skip_artifact_and_configuration_names(tmp_path):
    glm = HISTORY / "0603_sa" / "glm5.1-fp4-mi355x-sglang-agentic-hicache"
    assert run_folder(glm / "results_bmk" / "agg_bmk.json", None, ["mi355x"], ["glm5.1"])[0] == (
        "0603_sa"
    )
    assert run_folder(glm / "run-stats" / "run_stats.json", None, ["mi355x"], [])[0] == "0603_sa"
    # a folder argument is never walked above; it may be the run itself
    assert run_folder(glm / "results_bmk" / "agg_bmk.json", glm, ["mi355x"], ["glm5.1"])[0] == (
        glm.name
    )
    nested = HISTORY / "0601" / "results_bmk (9)" / "agg_bmk.json"
    assert run_folder(nested, HISTORY / "0601", ["mi300x"], [])[0] == "0601"
    assert date_from_name("0603_sa", date(2026, 6, 10)) == date(2026, 6, 3)
    assert date_from_name("1231", date(2026, 6, 10)) == date(2025, 12, 31)  # not in the future
    assert date_from_name("nightly-2026-02-01") == date(2026, 2, 1)
    assert date_from_name("results_bmk (16)") is None


def test_model_keys_and_precision_suffixes():
    for name, key in [
        ("Qwen/Qwen3.5-397B-A17B-FP8", "qwen3.5"),
        ("qwen3.5", "qwen3.5"),
        ("amd/GLM-5.1-MXFP4", "glm5.1"),
        ("zai-org/GLM-5.1-FP8", "glm5.1"),
        ("amd/MiniMax-M2.5-MXFP4", "minimaxm2.5"),
        ("moonshotai/Kimi-K2.5", "kimik2.5"),
        ("deepseek-ai/DeepSeek-R1-0528", "dsr1"),
        ("nvidia/DeepSeek-R1-0528-NVFP4-v2", "dsr1"),  # learnt from the bundled matrix
        ("openai/gpt-oss-120b", "openai/gpt-oss-120b"),  # unknown: kept
    ]:
        assert model_key(name) == key, name
    assert precision_from_model("amd/DeepSeek-R1-0528-MXFP4-Preview") == "fp4"
    assert precision_from_model("Qwen/Qwen3.5-397B-A17B-FP8") == "fp8"
    assert precision_from_model("x/y-W4A16") == "int4"
    assert precision_from_model("openai/gpt-oss-120b") is None


def test_identical_failure_records_of_two_configurations_are_two_facts(tmp_path, paretobot, engine):
    record = {"paretobot": "failure", "cause": "out-of-memory", "message": "x", "log_tail": []}
    for model in ("m-a", "m-b"):
        folder = tmp_path / f"run-{model}"
        folder.mkdir()
        (folder / "failure.json").write_text(json.dumps(record))
        meta = {"hardware": "h100", "gpus": 8, "precision": "fp8", "framework": "vllm",
                "framework_version": "v1", "model": model, "isl": 1, "osl": 1,
                "run_id": "r1"}  # fmt: skip
        (folder / "paretobot-meta.json").write_text(json.dumps(meta))
    assert paretobot("ingest", tmp_path).code == 0
    sweeps = store.load_sweeps(engine)
    assert sorted(s.config.model for s in sweeps) == ["m-a", "m-b"]
    assert all(s.status == "failed" for s in sweeps)


def test_two_configurations_with_one_slug_are_two(tmp_path, paretobot, engine):
    """The slug joins fields with '/', which a model name holds: 'org/m' + 'fp8' and 'org' +
    'm/fp8' spell one slug. Their points and identical failure records stay apart."""
    record = {"paretobot": "failure", "cause": "out-of-memory", "message": "x", "log_tail": []}
    for model, precision in (("org/m", "fp8"), ("org", "m/fp8")):
        folder = tmp_path / precision.replace("/", "_")
        folder.mkdir()
        (folder / "failure.json").write_text(json.dumps(record))
        meta = {"hardware": "h100", "gpus": 8, "precision": precision, "framework": "vllm",
                "framework_version": "v1", "model": model, "isl": 1, "osl": 1,
                "run_id": "r1"}  # fmt: skip
        (folder / "paretobot-meta.json").write_text(json.dumps(meta))
    assert paretobot("ingest", tmp_path).code == 0
    configs = [s.config for s in store.load_sweeps(engine)]
    assert len(configs) == 2 and configs[0].slug == configs[1].slug
    assert sorted((c.model, c.precision) for c in configs) == [("org", "m/fp8"), ("org/m", "fp8")]
    assert store.count_rows(engine, ["configs", "files"]) == {"configs": 2, "files": 2}


@pytest.mark.parametrize(
    "pattern", ["*mi355x*", "glm*", "hicache", "qwen3.5/fp8/mi300x*", "no-such-config"]
)
def test_a_pattern_reads_only_its_configurations_sweeps(history, engine, pattern):
    """The pattern is matched in the store's query, not over every loaded point: the same
    sweeps (points, failures and order) as filtering everything by hand."""
    everything = store.load_sweeps(engine, include_excluded=True)
    by_hand = [s for s in everything if s.config.matches(pattern)]
    assert store.load_sweeps(engine, config_pattern=pattern, include_excluded=True) == by_hand
    kept = [s for s in store.load_sweeps(engine) if s.config.matches(pattern)]
    assert store.load_sweeps(engine, config_pattern=pattern) == kept
    assert (pattern == "no-such-config") == (not by_hand)
