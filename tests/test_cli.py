"""The CLI contract: ingest, frontier --json, compare --json/--markdown, as scripts call them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import AGG, RAW, load_json

from bot.report import md

GPTOSS = ["--hardware", "h100", "--precision", "mxfp4", "--framework", "vllm"]


def two_builds(tmp_path):
    """The real gpt-oss sweep, and the same measurements saved again as a second build."""
    again = tmp_path / "again"
    again.mkdir()
    for path in RAW.glob("*.json"):
        (again / path.name).write_text(path.read_text() + "\n")  # other bytes, same numbers
    return again


def test_frontier_json_fields(paretobot):
    assert paretobot("ingest", RAW, *GPTOSS, "--framework-version", "v0.11.0").code == 0
    (frontier,) = paretobot("frontier", "--json").json()
    assert frontier["config"]["slug"].startswith("openai/gpt-oss-120b/mxfp4/h100/vllm/")
    assert frontier["config"]["gpus"] == 16
    assert frontier["build"]["version"] == "v0.11.0"
    assert frontier["runs"] == ["gptoss_multinode"]
    points = frontier["points"]
    # every concurrency of this sweep is Pareto-optimal: more users, more throughput, slower each
    assert [p["concurrency"] for p in points] == [512, 256, 128, 64, 32, 16, 8, 4]
    raw = load_json(RAW / "concurrency_512_req_rate_inf_gpus_16_ctx_8_gen_8.json")
    assert points[0]["tput_per_gpu"] == pytest.approx(raw["total_token_throughput"] / 16)
    assert points[0]["interactivity"] == pytest.approx(1000 / raw["median_tpot_ms"])
    assert points[0]["cost_per_mtok"]["hyperscaler"] == pytest.approx(
        1.30 / (raw["total_token_throughput"] / 16 * 3600 / 1e6)
    )
    assert set(points[0]) == {
        "interactivity", "tput_per_gpu", "concurrency", "cost_per_mtok", "tokens_per_mw"
    }  # fmt: skip


def test_compare_same_measurements_as_two_builds(paretobot, tmp_path):
    paretobot("ingest", RAW, *GPTOSS, "--framework-version", "v0.11.0")
    paretobot("ingest", two_builds(tmp_path), *GPTOSS, "--framework-version", "v0.12.0")
    (c,) = paretobot("compare", "--baseline", "v0.11.0", "--candidate", "0.12.0", "--json").json()
    assert c["matched_ratio"] == pytest.approx(1.0)
    assert c["peak_ratio"] == pytest.approx(1.0) and c["reach_ratio"] == pytest.approx(1.0)
    assert c["baseline"]["version"] == "v0.11.0" and c["candidate"]["version"] == "v0.12.0"
    assert set(c["target_ratios"]) == {"50.0"}  # 45-119 tok/s/user: only 50 is in range
    assert c["overlap"][0] == pytest.approx(c["baseline_frontier"][0]["interactivity"])
    text = paretobot("compare", "--baseline", "v0.11.0", "--candidate", "v0.12.0").out
    assert "| peak throughput/GPU (tok/s) | 2,817 | 2,817 | +0.0% |" in text
    assert "one run on a side" in text


def test_frontier_picks_the_latest_build_unless_told(paretobot, tmp_path):
    paretobot("ingest", RAW, *GPTOSS, "--framework-version", "v0.11.0")
    paretobot("ingest", two_builds(tmp_path), *GPTOSS, "--framework-version", "v0.12.0")
    assert paretobot("frontier", "--json").json()[0]["build"]["version"] == "v0.12.0"
    chosen = paretobot("frontier", "--json", "--build", "v0.11.0").json()
    assert chosen[0]["build"]["version"] == "v0.11.0"


def test_clear_errors_when_nothing_matches(paretobot):
    run = paretobot("frontier")
    assert run.code == 1 and "no results stored" in run.err
    paretobot("ingest", AGG)
    run = paretobot("compare", "--baseline", "v0.21.0", "--candidate", "v9")
    assert run.code == 1 and "no configuration has results for both" in run.err
    run = paretobot("frontier", "--config", "no-such-model")
    assert run.code == 1 and "matching 'no-such-model'" in run.err


def test_markdown_escaping_keeps_tables_whole():
    hostile = "x|y\n<img src=x onerror=alert(1)> @octocat [link](http://e) `code`"
    escaped = md(hostile)
    assert "\n" not in escaped
    assert "|" not in escaped.replace("\\|", "")
    assert "<img" not in escaped
    assert "@octocat" not in escaped  # no ping
    assert "](" not in escaped


def test_console_script_runs(tmp_path):
    """The installed `paretobot` entry point (the README's command) works end to end."""
    exe = Path(sys.executable).parent / "paretobot"
    run = subprocess.run(
        [str(exe), "ingest", "--db", f"sqlite:///{tmp_path}/c.db", str(AGG)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "stored 3 file(s) (3 points)" in run.stdout
