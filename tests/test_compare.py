"""Frontier comparison, checked against the independent reference in tests/reference.py and
against answers known by construction."""

from __future__ import annotations

import math

import numpy as np
import pytest
import reference as ref

from bot.analysis.compare import compare
from bot.analysis.verdict import MIXED, judge
from bot.config import AnalysisPolicy, load_prices
from bot.model import Build, ConfigKey, Point, Sweep
from bot.report.comment import headline

CONFIG = ConfigKey("m", "fp8", "h100", "vllm", isl=1024, osl=1024, gpus=8, tp=8)
OLD, NEW = Build("vllm", "0.1"), Build("vllm", "0.2")
CURVE = [(1, 120.0, 60.0), (4, 80.0, 200.0), (16, 40.0, 600.0), (64, 15.0, 1400.0)]
POLICY = AnalysisPolicy()


def sweep(build, scale_y=1.0, scale_x=1.0, run="r", curve=CURVE):
    pts = tuple(Point(c, y * scale_y, x * scale_x) for c, x, y in curve)
    return Sweep(CONFIG, build, run, pts)


def raw(sweeps):
    return [[(p.interactivity, p.tput_per_gpu) for p in s.points] for s in sweeps]


def noisy_runs(build, n, rng, gain=lambda c: 1.0, sd=0.03):
    """Runs of CURVE with per-point noise on both axes and a run-level effect."""
    runs = []
    for i in range(n):
        run_effect = rng.normal(0, 0.02)
        pts = tuple(
            Point(
                c,
                y * gain(c) * math.exp(run_effect + rng.normal(0, sd)),
                x * math.exp(rng.normal(0, 0.01)),
            )
            for c, x, y in CURVE
        )
        runs.append(Sweep(CONFIG, build, f"{build.version}-{i}", pts))
    return runs


def assert_matches(e, r):
    assert e.ratio == pytest.approx(r["ratio"], rel=1e-9)
    assert e.baseline == pytest.approx(r["baseline"], rel=1e-9)
    assert e.candidate == pytest.approx(r["candidate"], rel=1e-9)
    if r["p"] is None:
        assert e.low is None and e.high is None and e.p_value is None
    else:
        assert e.low == pytest.approx(r["low"], rel=1e-9)
        assert e.high == pytest.approx(r["high"], rel=1e-9)
        assert e.p_value == pytest.approx(r["p"], rel=1e-6)


@pytest.mark.parametrize("n_base, n_cand", [(2, 2), (3, 3), (2, 5), (1, 3)])
def test_every_estimate_matches_the_reference(n_base, n_cand):
    rng = np.random.default_rng(n_base * 10 + n_cand)
    base = noisy_runs(OLD, n_base, rng)
    cand = noisy_runs(NEW, n_cand, rng, gain=lambda c: 1.07)
    c = compare(base, cand)
    r = ref.compare_runs(raw(base), raw(cand))
    assert c.overlap == pytest.approx(r["overlap"])
    assert_matches(c.matched, r["matched"])
    assert_matches(c.peak, r["peak"])
    assert_matches(c.reach, r["reach"])
    assert set(c.targets) == set(r["targets"])
    for t, e in c.targets.items():
        assert_matches(e, r["targets"][t])


def test_every_row_is_its_own_columns():
    rng = np.random.default_rng(7)
    c = compare(noisy_runs(OLD, 3, rng), noisy_runs(NEW, 3, rng, gain=lambda c: 0.9))
    for e in [c.matched, c.peak, c.reach, *c.targets.values(), *(lv.estimate for lv in c.profile)]:
        assert e.ratio == pytest.approx(e.candidate / e.baseline, rel=1e-12)
        if e.has_interval:
            assert e.low <= e.ratio <= e.high


def test_uniform_throughput_gain_is_exact_and_sure():
    base = [sweep(OLD, s, run=f"b{i}") for i, s in enumerate((0.99, 1.0, 1.01))]
    cand = [sweep(NEW, 1.10 * s, run=f"c{i}") for i, s in enumerate((0.99, 1.0, 1.01))]
    c = compare(base, cand)
    assert c.matched.ratio == pytest.approx(1.10)
    # +-1% runs, 3 a side: sure, and no surer than 4 degrees of freedom allow (by hand:
    # t = log 1.1 / sqrt(0.01^2 * 2/3) = 11.7 on 4 df, p = 3e-4)
    assert c.matched.low > 1.0 and 1e-4 < c.matched.p_value < 1e-3
    assert c.peak.ratio == pytest.approx(1.10)
    assert c.reach.ratio == pytest.approx(1.0)
    assert set(c.targets) == {20.0, 35.0, 50.0}
    assert all(e.ratio == pytest.approx(1.10) for e in c.targets.values())
    assert (c.baseline_runs, c.candidate_runs) == (3, 3)
    assert [r.ahead for r in c.regions] == ["candidate"] and not c.crossing


def test_degrees_of_freedom_are_runs_not_concurrencies():
    # 3 runs a side over 40 concurrencies: the interval must be the one 3 runs support (4 df),
    # however many levels each run measured.
    curve = [(c, 200.0 / (1 + c / 8), 50.0 * c**0.7) for c in range(1, 41)]
    rng = np.random.default_rng(3)

    def runs(build, gain):
        return [
            sweep(
                build, gain * math.exp(rng.normal(0, 0.02)), run=f"{build.version}{i}", curve=curve
            )
            for i in range(3)
        ]

    base, cand = runs(OLD, 1.0), runs(NEW, 1.05)
    c = compare(base, cand)
    assert c.matched.df == 4
    summaries = [
        [
            np.mean([math.log(ref.at(ref.pareto(r), g)) for g in ref.levels(*c.overlap)])
            for r in side
        ]
        for side in (raw(base), raw(cand))
    ]
    t = ref.two_sample(*summaries)
    assert c.matched.p_value == pytest.approx(t["p"], rel=1e-6)


def test_interactivity_shift_on_a_power_law_segment():
    # On y ~ x^-2, reaching every throughput at 1.2x the interactivity means 1.2^2 = 1.44x the
    # throughput at any matched interactivity (worked by hand); only the overlap is compared.
    curve = [(1, 100.0, 10.0), (8, 25.0, 160.0)]
    base = [sweep(OLD, s, run=f"b{i}", curve=curve) for i, s in enumerate((0.99, 1.01))]
    cand = [sweep(NEW, s, 1.2, run=f"c{i}", curve=curve) for i, s in enumerate((0.99, 1.01))]
    c = compare(base, cand)
    assert c.matched.ratio == pytest.approx(1.44)
    assert c.overlap == (30.0, 100.0)
    assert c.reach.ratio == pytest.approx(1.2)
    assert c.peak.ratio == pytest.approx(1.0)


def test_crossing_frontiers_are_mixed_and_say_where():
    # The candidate loses 25% at high throughput (low interactivity) and gains 30% at high
    # interactivity: an average would hide both.
    gain = {1: 1.30, 4: 1.15, 16: 0.85, 64: 0.75}
    rng = np.random.default_rng(11)
    base = noisy_runs(OLD, 3, rng, sd=0.01)
    cand = noisy_runs(NEW, 3, rng, gain=lambda c: gain[c], sd=0.01)
    c = compare(base, cand)
    assert c.crossing
    ahead = [r for r in c.regions if r.ahead == "candidate"]
    behind = [r for r in c.regions if r.ahead == "baseline"]
    assert min(r.low for r in ahead) > max(r.high for r in behind)  # ahead at high interactivity
    assert all(r.ratio > 1.02 for r in ahead) and all(r.ratio < 0.98 for r in behind)
    v = judge(base, cand, POLICY)
    assert v.kind == MIXED
    assert "frontiers cross" in v.reason and "ahead at" in v.reason and "behind at" in v.reason
    # the published sentence says the same, never "improved" or "regressed"
    sentence = headline(v, markdown=False)
    assert "reshaped the frontier of" in sentence and "frontiers cross" in sentence
    assert "improved" not in sentence and "regressed" not in sentence


def test_sure_estimates_in_opposite_directions_are_mixed():
    # 10% more throughput wherever both were measured, but the baseline also reached 2,000
    # tok/s/GPU at a concurrency the candidate no longer sustains: its peak is 23% lower.
    curve_b = [*CURVE, (256, 8.0, 2000.0)]
    curve_c = CURVE
    base = [sweep(OLD, s, run=f"b{i}", curve=curve_b) for i, s in enumerate((0.99, 1.0, 1.01))]
    cand = [
        sweep(NEW, 1.1 * s, run=f"c{i}", curve=curve_c) for i, s in enumerate((0.99, 1.0, 1.01))
    ]
    v = judge(base, cand, POLICY)
    assert v.comparison.peak.ratio < 0.98 and v.comparison.targets[35.0].ratio > 1.02
    assert v.kind == MIXED and "behind at peak throughput" in v.reason


def test_suspect_point_is_left_out_and_listed():
    # One candidate run has a point whose interactivity jumps with concurrency: it would make the
    # frontiers seem to cross; it is left out and named.
    base = [sweep(OLD, s, run=f"b{i}") for i, s in enumerate((0.99, 1.0, 1.01))]
    cand = [sweep(NEW, 0.9 * s, run=f"c{i}") for i, s in enumerate((0.99, 1.0, 1.01))]
    odd = list(cand[0].points)
    odd[3] = Point(64, 1400.0, 95.0)  # concurrency 64 "faster" per user than concurrency 16
    cand[0] = cand[0].with_points(tuple(odd))
    c = compare(base, cand)
    assert [(p.run_id, p.concurrency) for p in c.suspect] == [("c0", 64)]
    assert "rises with concurrency" in c.suspect[0].reason
    assert c.matched.ratio < 0.95
    flagged = sweep(NEW, 0.9, run="c9")
    marked = list(flagged.points)
    marked[0] = Point(1, 54.0, 120.0, suspect="mean interactivity 342.7 above its p90 167.4")
    c = compare(base, [flagged.with_points(tuple(marked)), *cand[1:]])
    assert any(p.concurrency == 1 and "p90" in p.reason for p in c.suspect)


def test_no_overlap_is_said_not_guessed():
    c = compare([sweep(OLD)], [sweep(NEW, scale_x=10.0)])
    assert c.matched is None and c.overlap is None
    assert any("share no interactivity range" in n for n in c.notes)
    assert c.reach.ratio == pytest.approx(10.0)
    assert c.headline is c.peak


def test_a_single_shared_level_is_not_a_range():
    one = [(8, 30.0, 500.0)]
    c = compare([sweep(OLD, curve=one)], [sweep(NEW, 1.1, curve=one)])
    assert c.matched is None and c.overlap is None and not c.targets
    assert any("only one interactivity level" in n for n in c.notes)


def test_single_run_each_side_has_no_interval_and_says_so():
    c = compare([sweep(OLD)], [sweep(NEW, 1.2)])
    assert c.matched.ratio == pytest.approx(1.2)
    assert not c.matched.has_interval and c.matched.p_value is None
    assert "no noise history" in c.matched.method


def test_one_run_a_side_crossing_is_noted_not_claimed():
    gain = {1: 1.3, 4: 1.15, 16: 0.85, 64: 0.75}
    base = [sweep(OLD)]
    cand = [Sweep(CONFIG, NEW, "c", tuple(Point(c, y * gain[c], x) for c, x, y in CURVE))]
    c = compare(base, cand)
    assert not c.regions
    assert any("seem to cross" in n for n in c.notes)


def test_all_points_failed_is_refused():
    empty = Sweep(CONFIG, NEW, "x", (), status="failed", cause="oom")
    with pytest.raises(ValueError, match="at least one sweep with points"):
        compare([sweep(OLD)], [empty])


def test_mixed_configurations_are_refused():
    other = ConfigKey("m", "fp8", "h100", "vllm", isl=8192, osl=1024, gpus=8, tp=8)
    with pytest.raises(ValueError, match="one configuration"):
        compare([sweep(OLD)], [Sweep(other, NEW, "r", sweep(NEW).points)])


def test_costs_come_from_the_target_rows():
    c = compare([sweep(OLD)], [sweep(NEW, 1.25)], prices=load_prices())
    rows = {(r.interactivity, r.tier): r for r in c.costs}
    assert set(rows) == {(t, tier) for t in (20.0, 35.0, 50.0) for tier in ("hyperscaler",
                         "neocloud", "rental-3yr")}  # fmt: skip
    row = rows[(35.0, "hyperscaler")]
    # 25% more tokens for the same GPU-hour: the cost is 1/1.25 = 0.8 of the baseline's
    assert row.change == pytest.approx(0.8 - 1)
    # baseline throughput at 35 tok/s/user, by hand on the (40, 600)-(15, 1400) segment in log-log
    slope = math.log(1400 / 600) / math.log(15 / 40)
    tput = 600 * (35 / 40) ** slope
    assert c.targets[35.0].baseline == pytest.approx(tput)
    assert row.baseline_usd_per_mtok == pytest.approx(1.30 / (tput * 3600 / 1e6))
    assert row.candidate_tokens_per_mw == pytest.approx(1.25 * tput * 1000 / 1.73)


def test_tokens_that_arrived_in_a_burst_are_suspect(tmp_path):
    """Real files of a starved CPU server (tests/data/real/vllm-burst): median TPOT 0.003 ms.
    Checked independently: each user's rate times the users against what the server produced."""
    import json
    from pathlib import Path

    from bot.analysis.suspect import BURST, suspect_points
    from bot.ingest import Metadata, parse_file

    folder = Path(__file__).parent / "data" / "real" / "vllm-burst"
    meta = Metadata(hardware="cpu", gpus=1, precision="bf16", framework="vllm",
                    framework_version="0.32.0", isl=128, run_id="burst")  # fmt: skip
    points = []
    for name in ("c1.json", "c2.json"):
        doc = json.loads((folder / name).read_text())
        received = 1000 / doc["median_tpot_ms"] * doc["max_concurrency"]
        assert received > 100 * doc["output_throughput"]  # hundreds of times, not 20
        (sweep,) = parse_file(folder / name, meta, None).sweeps
        points += sweep.points
    flagged = suspect_points(sweep.with_points(tuple(points)), rise=0.10)
    assert sorted(flagged) == [1, 2]
    assert all("arrived in bursts" in why for why in flagged.values())
    # the real well-streamed sweep (tests/data/real/vllm) is not flagged: 1.07x at concurrency 1
    ok = json.loads((folder.parent / "vllm" / "c1.json").read_text())
    assert 1000 / ok["median_tpot_ms"] < BURST * ok["output_throughput"]
