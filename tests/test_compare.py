"""Frontier comparison on frontiers whose answers are known by construction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bot.analysis.compare import compare, local_slopes
from bot.analysis.frontier import frontier_of
from bot.config import load_prices
from bot.model import Build, ConfigKey, Point, Sweep

CONFIG = ConfigKey("m", "fp8", "h100", "vllm", isl=1024, osl=1024, gpus=8, tp=8)
OLD, NEW = Build("vllm", "0.1"), Build("vllm", "0.2")
CURVE = [(1, 120.0, 60.0), (4, 80.0, 200.0), (16, 40.0, 600.0), (64, 15.0, 1400.0)]


def sweep(build, scale_y=1.0, scale_x=1.0, run="r", curve=CURVE):
    pts = tuple(Point(c, y * scale_y, x * scale_x) for c, x, y in curve)
    return Sweep(CONFIG, build, run, pts)


def test_uniform_throughput_gain_is_exact_and_sure():
    base = [sweep(OLD, s, run=f"b{i}") for i, s in enumerate((0.99, 1.0, 1.01))]
    cand = [sweep(NEW, 1.10 * s, run=f"c{i}") for i, s in enumerate((0.99, 1.0, 1.01))]
    c = compare(base, cand)
    # the same +-1% run pattern on both sides: the means differ by exactly 10%
    assert c.matched.ratio == pytest.approx(1.10)
    assert c.matched.low < 1.10 < c.matched.high
    assert c.matched.low > 1.0 and c.matched.p_value < 1e-6
    assert c.peak.ratio == pytest.approx(1.10)
    assert c.reach.ratio == pytest.approx(1.0)
    assert set(c.targets) == {20.0, 35.0, 50.0}
    assert all(e.ratio == pytest.approx(1.10) for e in c.targets.values())
    assert (c.baseline_runs, c.candidate_runs) == (3, 3)


def test_local_slopes_on_a_power_law():
    # y = 160 * (x/25)^-2 through both points: slope -2 everywhere
    f = frontier_of([sweep(OLD, curve=[(1, 100.0, 10.0), (8, 25.0, 160.0)])])
    assert local_slopes(f) == {8: pytest.approx(-2.0), 1: pytest.approx(-2.0)}


def test_interactivity_shift_on_a_power_law_segment():
    # On y ~ x^-2, reaching every throughput at 1.2x the interactivity means 1.2^2 = 1.44x the
    # throughput at any matched interactivity (worked by hand).
    curve = [(1, 100.0, 10.0), (8, 25.0, 160.0)]
    base = [sweep(OLD, s, run=f"b{i}", curve=curve) for i, s in enumerate((0.99, 1.01))]
    cand = [sweep(NEW, s, 1.2, run=f"c{i}", curve=curve) for i, s in enumerate((0.99, 1.01))]
    c = compare(base, cand)
    assert c.matched.ratio == pytest.approx(1.44)
    assert c.overlap == (30.0, 100.0)
    assert c.reach.ratio == pytest.approx(1.2)
    assert c.peak.ratio == pytest.approx(1.0)


def test_grid_fallback_when_concurrencies_differ():
    other = [(c * 3, x, y) for c, x, y in CURVE]  # same curve, other concurrency labels
    base = [sweep(OLD, s, run=f"b{s}") for s in (0.99, 1.01)]
    cand = [sweep(NEW, 1.05 * s, run=f"c{s}", curve=other) for s in (0.99, 1.01)]
    c = compare(base, cand)
    assert c.matched.ratio == pytest.approx(1.05)
    assert "pooled t over runs" in c.matched.method


def test_no_overlap_is_said_not_guessed():
    c = compare([sweep(OLD)], [sweep(NEW, scale_x=10.0)])
    assert c.matched is None and c.overlap is None
    assert any("share no interactivity range" in n for n in c.notes)
    assert c.reach.ratio == pytest.approx(10.0)
    assert c.headline is c.peak


def test_single_run_each_side_has_no_interval_without_history():
    c = compare([sweep(OLD)], [sweep(NEW, 1.2)])
    assert c.matched.ratio == pytest.approx(1.2)
    assert not c.matched.has_interval and c.matched.p_value is None
    assert "no noise history" in c.matched.method


def test_all_points_failed_is_refused():
    empty = Sweep(CONFIG, NEW, "x", (), status="failed", cause="oom")
    with pytest.raises(ValueError, match="at least one sweep with points"):
        compare([sweep(OLD)], [empty])


def test_mixed_configurations_are_refused():
    other = ConfigKey("m", "fp8", "h100", "vllm", isl=8192, osl=1024, gpus=8, tp=8)
    with pytest.raises(ValueError, match="one configuration"):
        compare([sweep(OLD)], [Sweep(other, NEW, "r", sweep(NEW).points)])


def test_costs_at_matched_interactivity():
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
    assert row.baseline_usd_per_mtok == pytest.approx(1.30 / (tput * 3600 / 1e6))
    assert row.candidate_tokens_per_mw == pytest.approx(1.25 * tput * 1000 / 1.73)
    assert np.isfinite(row.baseline_tokens_per_mw)
