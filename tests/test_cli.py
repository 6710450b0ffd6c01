"""The CLI contract: ingest, frontier --json, compare --json/--markdown, as scripts call them."""

from __future__ import annotations

import json
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
    (v,) = paretobot("compare", "--baseline", "v0.11.0", "--candidate", "0.12.0", "--json").json()
    assert v["baseline"]["version"] == "v0.11.0" and v["candidate"]["version"] == "v0.12.0"
    # one run per side and no history: the ratio, and the honest word for it
    assert v["verdict"] == "inconclusive"
    c = v["comparison"]
    assert c["matched"]["ratio"] == pytest.approx(1.0) and c["matched"]["low"] is None
    assert c["peak"]["ratio"] == pytest.approx(1.0) and c["reach"]["ratio"] == pytest.approx(1.0)
    assert set(c["targets"]) == {"50.0"}  # 45-119 tok/s/user: only 50 is in range
    assert {row["tier"] for row in c["costs"]} == {"hyperscaler", "neocloud", "rental-3yr"}
    assert c["overlap"][0] == pytest.approx(c["baseline_frontier"][0]["interactivity"])
    assert v["noise"]["summary_sd"] is None
    text = paretobot("compare", "--baseline", "v0.11.0", "--candidate", "v0.12.0").out
    assert "| peak throughput/GPU (tok/s) | 2,817 | 2,817 | +0.0% | – |" in text
    assert "**inconclusive**" in text and "run each side at least 3 times" in text


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
    assert "\\[link\\]" in escaped  # no link


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


def test_detect_csv_json(paretobot, tmp_path):
    rows = ["build,tput"]
    rows += [f"a{i},{100 + (i % 3) * 0.1}" for i in range(30)]
    rows += [f"b{i},{110 + (i % 3) * 0.1}" for i in range(29)]
    rows.insert(12, "gap,")  # a missing build, row 11
    path = tmp_path / "series.csv"
    path.write_text("\n".join(rows) + "\n")
    out = paretobot("detect", "--csv", path, "--json").json()
    assert out["rows"] == 60 and out["missing"] == 1 and out["column"] == "tput"
    (cp,) = out["change_points"]
    assert cp["index"] == 31 and cp["label"] == "b0"  # 30 'a' rows plus the gap come first
    assert cp["before"]["n"] == 30 and cp["after"]["n"] == 29
    assert cp["before"]["mean"] == pytest.approx(100.1, abs=0.01)
    assert cp["change"] == pytest.approx(0.1, abs=0.002)
    bad = tmp_path / "bad.csv"
    bad.write_text("build,tput\nx,fast\n")
    run = paretobot("detect", "--csv", bad)
    assert run.code == 1 and "row 0, column 'tput': not a number" in run.err


def test_history_over_stored_builds(paretobot, tmp_path):
    """Twelve builds of the real gpt-oss sweep, the last six 8% faster: one change, at build 6."""
    for i in range(12):
        folder = tmp_path / f"b{i:02d}" / "gptoss_multinode"
        folder.mkdir(parents=True)
        for path in RAW.glob("*.json"):
            doc = load_json(path)
            wobble = 1 + 0.002 * ((i * 7 + doc["max_concurrency"]) % 5 - 2)
            doc["total_token_throughput"] *= (1.08 if i >= 6 else 1.0) * wobble
            doc["output_throughput"] *= (1.08 if i >= 6 else 1.0) * wobble
            doc["date"] = f"202601{i + 1:02d}-000000"  # each build ran on its own day
            (folder / path.name).write_text(json.dumps(doc))
        run = paretobot("ingest", folder, *GPTOSS, "--framework-version", f"v0.{i}.0")
        assert run.code == 0, run.err
    (h,) = paretobot("history", "--json").json()
    assert h["by"] == "build"
    assert [b["build"]["version"] for b in h["series"]] == [f"v0.{i}.0" for i in range(12)]
    assert all(b["runs"] == 1 and b["low"] is None for b in h["series"])  # one run: no interval
    (cp,) = h["change_points"]
    assert cp["index"] == 6 and cp["label"] == "vllm v0.6.0"
    assert cp["change"] == pytest.approx(0.08, abs=0.01)
    text = paretobot("history").out
    assert "+8" in text and "at vllm v0.6.0 (#6" in text
    # the morning answer: the newest build is on the far side of a change its builds confirmed
    newest = h["newest"]
    assert (newest["status"], newest["label"], newest["since_label"]) == (
        "changed",
        "vllm v0.11.0",
        "vllm v0.6.0",
    )
    assert f"newest build vllm v0.11.0: changed {cp['change']:+.1%} from vllm v0.6.0" in text
    # the series it tested is printed, one row per build, with its value
    rows = [line.split() for line in text.splitlines() if line.strip().startswith(("0 ", "11 "))]
    assert [r[0] for r in rows] == ["0", "11"]
    first = h["series"][0]["value"]
    assert float(rows[0][-3].replace(",", "")) == pytest.approx(first, rel=0.005)
    (by_date,) = paretobot("history", "--by", "date", "--json").json()
    assert by_date["by"] == "date" and len(by_date["series"]) == 12
    assert [v["at"][:10] for v in by_date["series"]] == [f"2026-01-{d:02d}" for d in range(1, 13)]


def test_plain_text_for_terminals():
    from bot.report import plain

    assert plain("[Perf] \x1b[2J\x1b[31mred\nline") == "[Perf] [2J [31mred line"
    assert plain("x" * 100, limit=10) == "x" * 9 + "…"


def test_json_output_cannot_carry_a_workflow_command(capsys):
    """`##[` is a command form GitHub's runner honours anywhere in a line; --json writes the
    bracket escaped, which any JSON parser reads back as the same text."""
    from bot.cli.common import print_json

    print_json({"model": "x##[error]pwned", "n": [1.5]})
    text = capsys.readouterr().out
    assert "##[" not in text and json.loads(text) == {"model": "x##[error]pwned", "n": [1.5]}


def test_json_output_is_strict_json(capsys):
    """NaN and infinities are not JSON (strict parsers reject Python's NaN/Infinity): null."""
    from bot.cli.common import print_json

    print_json({"ratio": float("inf"), "runs": [float("nan"), 1.5], "nested": {"x": -float("inf")}})
    text = capsys.readouterr().out
    assert json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict {c}")) == {
        "ratio": None,
        "runs": [None, 1.5],
        "nested": {"x": None},
    }
