"""`paretobot demo`: the whole loop on the bundled inputs, and every figure it prints checked
against an independent computation from the bundled result files."""

from __future__ import annotations

import json
import re

import pytest
import reference as ref
import yaml

from bot.defaults import DEFAULTS

DEMO = DEFAULTS / "demo"
RISE, BURST = 0.10, 20.0  # configs/analysis.yaml suspect_rise; bot/analysis/suspect.py BURST


def builds() -> tuple[str, str]:
    """The builds the demo compares, read from its inputs, not from the code."""
    upstreams = yaml.safe_load((DEMO / "configs" / "upstreams.yaml").read_text())
    baseline = upstreams["upstreams"][0]["baseline"]["release"].removeprefix("pinned:")
    candidate = json.loads((DEMO / "release.json").read_text())["release"]["tag_name"]
    return baseline, candidate


def measured() -> dict[str, list[list[tuple[float, float]]]]:
    """Each build's runs as (interactivity, throughput per GPU) points, suspect ones left out by
    the two rules written out here: a burst (users x rate over 20x the output), or a rise."""
    sides: dict[str, list[list[tuple[float, float]]]] = {}
    for folder in sorted((DEMO / "results").iterdir()):
        version = json.loads((folder / "paretobot-run.json").read_text())["job"]["version"]
        kept, previous = [], None
        for path in sorted(folder.glob("r0/c*.json"), key=lambda p: int(p.stem[1:])):
            doc = json.loads(path.read_text())
            x, conc = 1000 / doc["median_tpot_ms"], doc["max_concurrency"]
            if x * conc > BURST * doc["output_throughput"]:
                continue
            if previous is not None and x > previous * (1 + RISE):
                continue
            kept.append((x, doc["total_token_throughput"]))  # one GPU (the CPU)
            previous = x
        if kept:
            sides.setdefault(version, []).append(kept)
    return sides


@pytest.fixture
def demo(paretobot, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = paretobot("demo", "--out", "out")
    assert run.code == 0, run.err
    return run


def test_the_demo_leaves_a_plan_a_comment_a_changelog_entry_and_a_digest(demo, tmp_path):
    out = tmp_path / "out"
    lines = demo.out.strip().splitlines()
    written = dict(line.split(": ", 1) for line in lines[-7:])
    assert set(written) == {
        "plan", "results", "comment", "changelog", "changelog (markdown)", "digest page",
        "digest (markdown)",
    }  # fmt: skip
    for path in written.values():
        assert (tmp_path / path).exists(), path
    baseline, candidate = builds()
    (plan,) = (out / "plan").glob("*.json")
    (job,) = json.loads(plan.read_text())["jobs"]
    assert (job["baseline"]["version"], job["version"]) == (baseline, candidate)
    comment = (tmp_path / written["comment"]).read_text()
    history = [json.loads(line) for line in (DEMO / "upstream" / "aiter-commits.jsonl").open()]
    pulls = {c["pr"] for c in history if c["pr"]}
    named = {int(n) for n in re.findall(r"github.com/ROCm/aiter/pull/(\d+)", comment)}
    assert named and named <= pulls  # real PRs of the bundled history between the releases
    assert (out / "posts" / "perf-changelog.yaml").read_text().count("# paretobot:change:") == 1
    assert "<html" in (out / "digest.html").read_text()


def test_the_demo_comparison_is_reproduced_from_the_files(demo, paretobot):
    baseline, candidate = builds()
    got = paretobot("compare", "--baseline", baseline, "--candidate", candidate, "--json")
    assert got.code == 0, got.err
    (v,) = json.loads(got.out)
    sides = measured()
    r = ref.compare_runs(sides[baseline], sides[candidate])
    c = v["comparison"]
    assert len(sides[baseline]) >= 3 and len(sides[candidate]) >= 3  # repeated runs per side
    name = "matched" if c["matched"] is not None else "peak"
    for key in ("ratio", "low", "high"):
        assert c[name][key] == pytest.approx(r[name][key], rel=1e-6), (name, key)
    assert c[name]["high"] < 1.0 and v["verdict"] == "regression"  # a sure slowdown, not noise


def test_a_second_demo_changes_nothing(demo, paretobot, tmp_path):
    out = tmp_path / "out"
    files = sorted(p for p in out.rglob("*") if p.is_file() and "results" not in p.parts)
    before = {p: p.read_bytes() for p in files}
    again = paretobot("demo", "--out", "out")
    assert again.code == 0, again.err
    assert "stored 0 file(s) (0 points)" in again.out
    assert {p: p.read_bytes() for p in files} == before
