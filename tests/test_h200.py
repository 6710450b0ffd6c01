"""The runner's GPU path on real data: sweeps `paretobot run-job` made on an NVIDIA H200 with the
transformers recipe (tests/data/h200/README.md says how). Ingested as a user would, they must
carry the GPU's facts, the out-of-memory run's classification and log tail, exact request
lengths, and give the verdicts the settings deserve: eager against SDPA attention called with an
interval that holds the effect computed here from the raw files, and every split of one
setting's repeats no-change or inconclusive. On SQLite and, where configured, PostgreSQL."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

import pytest

from bot import store

RESULTS = Path(__file__).parent / "data" / "h200" / "results"
SETTINGS = ("eager", "sdpa")
REPEATS = ("r0", "r1", "r2")
CONCURRENCIES = (1, 16, 64)
ISL, OSL = 256, 64


def _run_folder(setting: str, repeat: str) -> Path:
    (folder,) = (RESULTS / f"{setting}-{repeat}").iterdir()
    return folder


def _record(setting: str, repeat: str) -> dict:
    return json.loads((_run_folder(setting, repeat) / "paretobot-run.json").read_text())


def _result(setting: str, repeat: str, concurrency: int) -> dict:
    path = _run_folder(setting, repeat) / "r0" / f"c{concurrency}.jsonl"
    return json.loads(path.read_text().splitlines()[-1])


def _peak(setting: str, repeat: str) -> float:
    """A run's peak total throughput (tokens/s, one GPU), straight from SGLang's output."""
    return max(
        _result(setting, repeat, c)["input_throughput"]
        + _result(setting, repeat, c)["output_throughput"]
        for c in CONCURRENCIES
    )


def _ingest(paretobot, label: str, *folders: Path) -> None:
    done = paretobot("ingest", *folders, "--framework-version", label)
    assert done.code == 0, done.err


def test_the_runner_recorded_the_gpu_it_ran_on():
    for setting in SETTINGS:
        for repeat in REPEATS:
            gpu = _record(setting, repeat)["accelerators"]
            assert (gpu["kind"], gpu["count"], gpu["model"]) == ("nvidia", 1, "NVIDIA H200")
            assert gpu["memory_mib"] == 143771 and gpu["driver"] == "580.159.04"
    machine = (RESULTS / "machine.txt").read_text()  # nvidia-smi's own words, same call
    assert "NVIDIA H200, 580.159.04, 143771 MiB" in machine


def test_every_request_was_exactly_the_lengths_asked_for():
    """The server's own token counts (the recipe's usage_line), per point, in the run record."""
    for setting in SETTINGS:
        for repeat in REPEATS:
            points = _record(setting, repeat)["repeats"][0]["points"]
            assert [p["concurrency"] for p in points] == list(CONCURRENCIES)
            for p in points:
                assert p["status"] == "ok"
                assert p["tokens"]["prompt"] == [ISL] and p["tokens"]["completion"] == [OSL]
                # the point's prompts, after the client's own 2 x concurrency warm-ups
                assert p["tokens"]["requests"] == p["prompts"] == 2 * p["concurrency"]


def test_the_out_of_memory_run_is_recorded_as_such(paretobot, engine):
    folder = next((RESULTS / "oom-r0").iterdir())
    record = json.loads((folder / "r0" / "failure.json").read_text())
    assert record["cause"] == "out-of-memory"
    assert "MemoryError: Memory footprint" in record["message"]
    assert any("is more than available memory" in line for line in record["log_tail"])
    done = paretobot("ingest", RESULTS / "oom-r0")
    assert done.code == 0, done.err
    (sweep,) = store.load_sweeps(engine)
    assert (sweep.status, sweep.cause, sweep.points) == ("failed", "out-of-memory", ())
    assert sweep.config.hardware == "h200" and sweep.config.framework == "transformers"
    (run,) = paretobot("runs", "--json").json()
    assert run["gpus"] == ["NVIDIA H200"]


def test_eager_attention_is_called_an_improvement_over_sdpa(paretobot):
    for setting in SETTINGS:
        _ingest(paretobot, f"5.17.0+{setting}", *(RESULTS / f"{setting}-{r}" for r in REPEATS))
    done = paretobot(
        "compare", "--baseline", "5.17.0+sdpa", "--candidate", "5.17.0+eager", "--json"
    )
    assert done.code == 0, done.err
    (verdict,) = done.json()
    assert verdict["verdict"] == "improvement", verdict["reason"]
    peak = verdict["comparison"]["peak"]
    # the effect from all repeats, computed here: geometric means of each run's peak
    effect = math.exp(
        statistics.fmean(math.log(_peak("eager", r)) for r in REPEATS)
        - statistics.fmean(math.log(_peak("sdpa", r)) for r in REPEATS)
    )
    assert peak["ratio"] == pytest.approx(effect, rel=1e-6)
    assert peak["low"] < effect < peak["high"]
    assert peak["low"] > 1.0  # sure, in the direction of the measured difference


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize("alone", REPEATS)
def test_a_split_of_one_settings_repeats_is_no_change_or_inconclusive(paretobot, setting, alone):
    _ingest(paretobot, "A", RESULTS / f"{setting}-{alone}")
    _ingest(paretobot, "B", *(RESULTS / f"{setting}-{r}" for r in REPEATS if r != alone))
    done = paretobot("compare", "--baseline", "B", "--candidate", "A", "--json")
    assert done.code == 0, done.err
    (verdict,) = done.json()
    assert verdict["verdict"] in ("no-change", "inconclusive"), verdict["reason"]


def test_the_figures_in_the_fixtures_readme():
    """tests/data/h200/README.md's table and repeat counts, computed again from the raw files."""
    from bot.analysis.stats import repeats_needed

    readme = (RESULTS.parent / "README.md").read_text()
    for setting in SETTINGS:
        for c in CONCURRENCIES:
            outs = [_result(setting, r, c)["output_throughput"] for r in REPEATS]
            mean = statistics.fmean(outs)
            cv = statistics.stdev(outs) / mean
            row = f"| {setting} | {c} | {', '.join(f'{x:.1f}' for x in outs)} | {mean:.1f} | "
            assert row + f"{cv:.1%} |" in readme, row
    assert [repeats_needed(0.07, e) for e in (0.15, 0.10, 0.05, 0.02)] == [4, 9, 33, 197]
    assert "4 runs a side to see a 15% change, 9 for 10%, 33 for 5% and 197 for 2%" in readme
