"""Bad input: a one-line error naming the file and the problem, a quarantine record, and every good
file in the same call still stored. Nothing from a refused file reaches the store."""

from __future__ import annotations

import json
import re

import pytest
from conftest import AGENTIC, AGG, RAW, VLLM_CPU, load_json
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import store
from bot.ingest import IngestError, Metadata, parse_file

CPU_META = [
    "--hardware", "cpu", "--tp", "1", "--precision", "bf16", "--framework", "vllm",
    "--framework-version", "0.32.0", "--isl", "128",
]  # fmt: skip
GOOD_AGG = next(AGG.glob("agg_kimik2.5_1k1k_*_conc4_*.json"))


def edited(tmp_path, name, source, change):
    doc = load_json(source)
    change(doc)
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def bad_files(tmp_path):
    """(file, words the error must contain) for each kind of bad input."""
    raw = RAW / "concurrency_4_req_rate_inf_gpus_16_ctx_8_gen_8.json"
    text = raw.read_text()
    cases = []
    truncated = tmp_path / "truncated.json"
    truncated.write_text(text[: len(text) // 2])
    cases.append((truncated, "invalid JSON"))
    empty = tmp_path / "empty.json"
    empty.write_text("")
    cases.append((empty, "file is empty"))
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    cases.append((binary, "not UTF-8"))
    unknown = tmp_path / "unknown.json"
    unknown.write_text('{"hello": "world"}')
    cases.append((unknown, "unknown format"))
    cases.append((tmp_path / "scalar.json", "unknown format"))
    cases[-1][0].write_text("42")
    nan = tmp_path / "nan.json"
    nan.write_text(
        re.sub(r'"total_token_throughput": [0-9.]+', '"total_token_throughput": NaN', text)
    )
    cases.append((nan, "'total_token_throughput' is nan"))
    cases.append(
        (
            edited(tmp_path, "negative.json", GOOD_AGG, lambda d: d.update(tput_per_gpu=-5.0)),
            "'tput_per_gpu' is negative",
        )
    )
    cases.append(
        (
            edited(tmp_path, "missing.json", GOOD_AGG, lambda d: d.pop("hw")),
            "unknown format",  # without 'hw' it is no longer an InferenceX agg file
        )
    )
    cases.append(
        (edited(tmp_path, "zero_tp.json", GOOD_AGG, lambda d: d.update(tp=0)), "'tp' is zero")
    )
    cases.append(
        (
            edited(
                tmp_path, "string_number.json", GOOD_AGG, lambda d: d.update(conc="4; rm -rf /")
            ),
            "'conc' is not a number",
        )
    )
    cases.append(
        (
            edited(tmp_path, "bool_number.json", GOOD_AGG, lambda d: d.update(tput_per_gpu=True)),
            "'tput_per_gpu' is not a number",
        )
    )
    cases.append(
        (
            edited(tmp_path, "no_tpot.json", raw, lambda d: d.pop("median_tpot_ms")),
            "unknown format",
        )
    )
    cases.append(
        (
            edited(tmp_path, "zero_tpot.json", raw, lambda d: d.update(median_tpot_ms=0)),
            "interactivity is undefined",
        )
    )
    cases.append(
        (
            edited(tmp_path, "none_done.json", raw, lambda d: d.update(completed=0)),
            "no request completed",
        )
    )
    return cases


def test_each_bad_file_is_refused_with_its_reason(tmp_path):
    for path, words in bad_files(tmp_path):
        with pytest.raises(IngestError) as caught:
            parse_file(path, Metadata(hardware="h100", gpus=8, precision="fp8", framework="vllm"))
        message = str(caught.value)
        assert words in message, (path.name, message)
        assert "\n" not in message


def test_zero_or_missing_gpu_count(tmp_path):
    raw = RAW / "concurrency_4_req_rate_inf_gpus_16_ctx_8_gen_8.json"
    zero = tmp_path / "concurrency_4_req_rate_inf_gpus_0.json"
    zero.write_bytes(raw.read_bytes())
    with pytest.raises(IngestError, match="0 GPUs"):
        parse_file(zero)
    plain = tmp_path / "c4.json"
    plain.write_bytes(VLLM_CPU.read_bytes())
    meta = Metadata(
        hardware="cpu", precision="bf16", framework="vllm", framework_version="1", isl=1
    )
    with pytest.raises(IngestError, match="GPU count unknown"):
        parse_file(plain, meta)


def test_metadata_contradicting_the_file_is_refused():
    with pytest.raises(IngestError, match="metadata says hardware='h100' but the file says"):
        parse_file(GOOD_AGG, Metadata(hardware="h100"))


def test_bad_sidecar_names_the_field(tmp_path):
    target = tmp_path / "c4.json"
    target.write_bytes(VLLM_CPU.read_bytes())
    (tmp_path / "paretobot-meta.json").write_text('{"hardwre": "cpu", "gpus": 0}')
    with pytest.raises(IngestError) as caught:
        parse_file(target)
    assert "hardwre" in str(caught.value) and "gpus" in str(caught.value)


def test_one_call_stores_good_files_and_quarantines_bad_ones(tmp_path, paretobot, engine):
    folder = tmp_path / "mixed"
    folder.mkdir()
    bad = bad_files(tmp_path)
    for path, _ in bad:
        path.rename(folder / path.name)
    good = folder / "good_agg.json"
    good.write_bytes(GOOD_AGG.read_bytes())
    empty = tmp_path / "empty_folder"
    empty.mkdir()
    run = paretobot(
        "ingest", folder, empty, tmp_path / "nope.json", "--gpus", "8", "--precision", "fp8"
    )
    assert run.code == 1
    error_lines = [line for line in run.err.splitlines() if line.startswith("error")]
    # one line per bad file, plus the empty folder and the missing path, each naming its path
    assert len(error_lines) == len(bad) + 2
    for path, words in bad:
        assert any(str(folder / path.name) in line and words in line for line in error_lines)
    assert any("empty_folder" in line and "no .json" in line for line in error_lines)
    assert store.count_rows(engine) == {"files": 1, "sweeps": 1, "points": 1}
    reasons = {q.path: q.reason for q in store.quarantined(engine)}
    assert len(reasons) == len(bad)  # files that exist are recorded with their reason
    assert all(q.endswith(".json") for q in reasons)
    # the bad files are still where they were, byte for byte: recorded, never moved or changed
    assert all((folder / p.name).exists() for p, _ in bad)
    listing = paretobot("quarantine", "--json").json()
    assert {row["path"] for row in listing} == set(reasons)


def test_a_file_with_one_bad_entry_stores_nothing(tmp_path, paretobot, engine):
    doc = load_json(AGENTIC / "kimik2.5-fp4-mi355x-vllm-0603" / "agg_bmk.json")
    doc[13]["mean_intvty"] = None
    doc[13]["tput_per_gpu"] = float("inf")
    path = tmp_path / "agg_bmk.json"
    path.write_text(json.dumps(doc))
    run = paretobot("ingest", path)
    assert run.code == 1
    assert "entry 13" in run.err and "inf" in run.err
    assert store.count_rows(engine) == {"files": 0, "sweeps": 0, "points": 0}


def test_hostile_names_are_stored_as_data(tmp_path, paretobot, engine):
    hostile = "'; DROP TABLE points; --<script>@everyone|"
    path = edited(
        tmp_path, "hostile.json", GOOD_AGG, lambda d: d.update(infmax_model_prefix=hostile)
    )
    assert paretobot("ingest", path).code == 0
    (sweep,) = store.load_sweeps(engine)
    assert sweep.config.model == hostile
    assert store.count_rows(engine)["points"] == 1


SGLANG = RAW.parents[3] / "real" / "sglang" / "tiny_sweep.jsonl"
REAL_FILES = (
    GOOD_AGG,
    VLLM_CPU,
    RAW / "concurrency_8_req_rate_inf_gpus_16_ctx_8_gen_8.json",
    SGLANG,
)
real_texts = [p.read_text() for p in REAL_FILES]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    source=st.sampled_from(real_texts),
    cut=st.floats(min_value=0, max_value=1),
    junk=st.text(max_size=20),
)
def test_mangled_real_files_parse_or_fail_cleanly(tmp_path, source, cut, junk):
    """Truncated or garbled real files never raise anything but IngestError."""
    path = tmp_path / "mangled.json"
    path.write_text(source[: int(len(source) * cut)] + junk)
    meta = Metadata(hardware="cpu", gpus=1, precision="bf16", framework="vllm", isl=1, osl=1)
    try:
        parse_file(path, meta.model_copy(update={"framework_version": "1"}))
    except IngestError as exc:
        assert str(exc)


def test_cli_rejects_bad_option_values(paretobot):
    run = paretobot("ingest", str(VLLM_CPU), *CPU_META, "--gpus", "0")
    assert run.code == 1
    assert "--gpus" in run.err and "greater than 0" in run.err


def test_truncated_jsonl_names_the_line(tmp_path):
    lines = SGLANG.read_text().splitlines()
    path = tmp_path / "sweep.jsonl"
    path.write_text("\n".join([*lines[:2], lines[2][:100]]) + "\n")
    with pytest.raises(IngestError, match="invalid JSON on line 3"):
        parse_file(path)
    # a bad value deep in an otherwise good JSONL file names its line too
    bad = [json.loads(x) for x in lines]
    bad[3]["output_throughput"] = -1
    path.write_text("\n".join(json.dumps(x) for x in bad))
    meta = Metadata(hardware="cpu", gpus=1, precision="bf16", framework="vllm", model="t")
    with pytest.raises(IngestError, match=r"'output_throughput' is negative: -1.0 \(line 4\)"):
        parse_file(path, meta.model_copy(update={"framework_version": "0.32.0"}))
