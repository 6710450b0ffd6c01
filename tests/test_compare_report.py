"""Every number `paretobot compare` prints, reproduced from the raw files by tests/reference.py.

Three baseline and three candidate runs of the real gpt-oss sweep (InferenceX raw client output),
each run's throughput scaled by a known wobble (and the candidate's by 6%), ingested through the
CLI. The reference reads the files it wrote, not the store, and recomputes every figure.
"""

from __future__ import annotations

import json
import math
import re

import pytest
import reference as ref
from conftest import RAW, SHARED, load_json

from bot.report import md

GPTOSS = ["--hardware", "h100", "--precision", "mxfp4", "--framework", "vllm"]
GPUS = 16  # 8 prefill + 8 decode, from the file names
WOBBLE = {"v1.0.0": (0.99, 1.0, 1.012), "v1.1.0": (1.06 * 0.995, 1.06 * 1.01, 1.06 * 0.998)}
X_WOBBLE = (1.0, 1.004, 0.997)  # interactivity differs a little between runs too


@pytest.fixture
def stored(paretobot, tmp_path):
    """Write and ingest the runs; return each side's raw (interactivity, tput/GPU) points."""
    sides = {}
    for version, wobbles in WOBBLE.items():
        runs = []
        for r, (w, wx) in enumerate(zip(wobbles, X_WOBBLE, strict=True)):
            folder = tmp_path / f"{version}-run{r}" / "gptoss_multinode"
            folder.mkdir(parents=True)
            points = []
            for path in sorted(RAW.glob("*.json")):
                doc = load_json(path)
                for key in ("total_token_throughput", "output_throughput", "input_throughput"):
                    if key in doc:
                        doc[key] *= w
                doc["median_tpot_ms"] /= wx
                (folder / path.name).write_text(json.dumps(doc))
                points.append((1000 / doc["median_tpot_ms"], doc["total_token_throughput"] / GPUS))
            runs.append(points)
            run = paretobot(
                "ingest",
                folder,
                *GPTOSS,
                "--framework-version",
                version,
                "--run-id",
                f"{version}-{r}",
            )
            assert run.code == 0, run.err
        sides[version] = runs
    return sides


def close(a, b, rel=1e-9):
    return (a is None and b is None) or a == pytest.approx(b, rel=rel)


def test_compare_json_is_reproduced(paretobot, stored):
    run = paretobot("compare", "--baseline", "v1.0.0", "--candidate", "v1.1.0", "--json")
    assert run.code == 0, run.err
    (v,) = json.loads(run.out)
    r = ref.compare_runs(stored["v1.0.0"], stored["v1.1.0"])
    c = v["comparison"]
    assert c["overlap"] == pytest.approx(list(r["overlap"]))
    pairs = [("matched", r["matched"]), ("peak", r["peak"]), ("reach", r["reach"])]
    pairs += [(None, r["targets"][float(t)]) for t in c["targets"]]
    assert sorted(float(t) for t in c["targets"]) == sorted(r["targets"])
    for name, expected in pairs:
        got = c[name] if name else None
        if got is None:
            continue
        for key in ("ratio", "baseline", "candidate", "low", "high"):
            assert close(got[key], expected[key]), (name, key)
        assert got["p_value"] == pytest.approx(expected["p"], rel=1e-6)
    for t, got in c["targets"].items():
        expected = r["targets"][float(t)]
        assert close(got["ratio"], expected["ratio"]) and close(got["low"], expected["low"])
        assert close(got["baseline"], expected["baseline"])
    # costs: InferenceX's formula on the very target throughputs, with the shared data README's
    # H100 prices ($/GPU-hour 1.30 / 1.69 / 1.30, 1.73 kW all-in)
    price = {"hyperscaler": 1.30, "neocloud": 1.69, "rental-3yr": 1.30}
    assert {(row["interactivity"], row["tier"]) for row in c["costs"]} == {
        (t, tier) for t in r["targets"] for tier in price
    }
    for row in c["costs"]:
        e = r["targets"][row["interactivity"]]
        usd = price[row["tier"]]
        assert row["baseline_usd_per_mtok"] == pytest.approx(usd / (e["baseline"] * 3600 / 1e6))
        assert row["candidate_usd_per_mtok"] == pytest.approx(usd / (e["candidate"] * 3600 / 1e6))
        assert row["candidate_tokens_per_mw"] == pytest.approx(e["candidate"] * 1000 / 1.73)
        assert row["change"] == pytest.approx(1 / e["ratio"] - 1)
    # the verdict's sentence quotes the headline, to the printed precision
    m = r["matched"]
    assert f"{(m['ratio'] - 1) * 100:+.1f}%" in v["reason"]
    assert f"{(m['low'] - 1) * 100:+.1f}%..{(m['high'] - 1) * 100:+.1f}%" in v["reason"]
    assert "3 vs 3 runs" in v["reason"]
    expected_kind = "improvement" if m["p"] < 0.01 and m["ratio"] > 1.02 else "inconclusive"
    assert v["verdict"] == expected_kind


def _number(cell: str) -> float:
    cell = cell.strip().replace(",", "").replace("$", "")
    if cell.startswith("x"):
        return float(cell[1:])
    if cell.endswith("%"):
        return 1 + float(cell[:-1]) / 100
    return float(cell)


def test_markdown_table_is_reproduced(paretobot, stored):
    run = paretobot("compare", "--baseline", "v1.0.0", "--candidate", "v1.1.0")
    assert run.code == 0, run.err
    r = ref.compare_runs(stored["v1.0.0"], stored["v1.1.0"])
    rows = {}
    for line in run.out.splitlines():
        if line.startswith("| ") and not line.startswith(("| metric", "| ---")):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    lo, hi = r["overlap"]
    expected = {
        "throughput/GPU, geo-mean over": r["matched"],
        "peak throughput/GPU (tok/s)": r["peak"],
        "interactivity reach (tok/s/user)": r["reach"],
        **{f"throughput/GPU at {t:g} tok/s/user (tok/s)": e for t, e in r["targets"].items()},
    }
    for label, e in expected.items():
        (row,) = [cells for name, cells in rows.items() if name.startswith(label)]
        base, cand, change, interval = row
        # printed to 3 significant digits at most: within half a unit of the last digit
        assert _number(base) == pytest.approx(e["baseline"], rel=0.006), label
        assert _number(cand) == pytest.approx(e["candidate"], rel=0.006), label
        assert _number(change) == pytest.approx(e["ratio"], abs=0.0006), label
        low, high = (_number(x) for x in interval.split(".."))
        assert low == pytest.approx(e["low"], abs=0.0006) and high == pytest.approx(
            e["high"], abs=0.0006
        ), label
        # a row never disagrees with its own columns
        assert math.copysign(1, _number(change) - 1) == math.copysign(
            1, _number(cand) - _number(base)
        )
    (matched_label,) = [n for n in rows if n.startswith("throughput/GPU, geo-mean over")]
    span = re.findall(r"[\d.]+", matched_label.split("over")[1])
    assert float(span[0]) == pytest.approx(lo, rel=0.006)
    assert float(span[1]) == pytest.approx(hi, rel=0.006)
    assert rows["runs"][:2] == ["3", "3"]


def test_unhealthy_runs_are_marked_in_compare_and_frontier(paretobot):
    """The real CI history: the run a team marked faulty had a failed job (its run_stats say so);
    once included and compared, every view says it."""
    history = SHARED / "inferencex" / "ci-history"
    run = paretobot("ingest", history, "--framework-version", "v0.5.9")
    assert run.code == 0, run.err
    # failed jobs of 0603_sa_faulty, from its run_stats files that are not copies of another
    # run's (its glm5.1 run_stats is byte-identical to 0603_sa's)
    seen = {p.read_bytes() for p in (history / "0603_sa").rglob("run_stats.json")}
    failed = total = 0
    for path in (history / "0603_sa_faulty").rglob("run_stats.json"):
        if path.read_bytes() in seen:
            continue
        for entry in load_json(path).values():
            failed += entry["total"] - entry["n_success"]
            total += entry["total"]
    line = f"run 0603_sa_faulty: {failed} of {total} jobs on mi355x failed (run_stats)"
    assert failed >= 1
    assert paretobot("runs", "include", "0603_sa_faulty").code == 0
    qwen = "qwen3.5/fp8/mi355x/sglang/tp4*"
    args = ["compare", "--baseline", "run:0603_sa", "--candidate", "run:0603_sa_faulty"]
    (v, *_) = paretobot(*args, "--config", qwen, "--json").json()
    assert line in v["run_health"]
    assert md(line) in paretobot(*args, "--config", qwen).out
    frontier = paretobot("frontier", "--config", qwen, "--build", "run:0603_sa_faulty").out
    assert f"warning: {line}" in frontier
    # a healthy run has nothing to say
    (healthy, *_) = paretobot("frontier", "--config", qwen, "--build", "run:0603", "--json").json()
    assert healthy["run_health"] == []
