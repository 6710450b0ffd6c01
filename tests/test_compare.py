"""Frontier comparison on frontiers whose answers are known by construction."""

from __future__ import annotations

import pytest

from bot.analysis.compare import compare
from bot.model import Build, ConfigKey, Point, Sweep

CONFIG = ConfigKey("m", "fp8", "h100", "vllm", isl=1024, osl=1024, gpus=8, tp=8)
OLD, NEW = Build("vllm", "0.1"), Build("vllm", "0.2")
CURVE = [(1, 120.0, 60.0), (4, 80.0, 200.0), (16, 40.0, 600.0), (64, 15.0, 1400.0)]


def sweep(build, scale_y=1.0, scale_x=1.0, run="r", curve=CURVE):
    pts = tuple(Point(c, y * scale_y, x * scale_x) for c, x, y in curve)
    return Sweep(CONFIG, build, run, pts)


def test_uniform_throughput_gain():
    c = compare([sweep(OLD)], [sweep(NEW, scale_y=1.10)])
    assert c.matched_ratio == pytest.approx(1.10)
    assert c.peak_ratio == pytest.approx(1.10)
    assert c.reach_ratio == pytest.approx(1.0)
    assert c.target_ratios == {20.0: pytest.approx(1.10), 35.0: pytest.approx(1.10),
                               50.0: pytest.approx(1.10)}  # fmt: skip
    assert c.overlap == (15.0, 120.0)
    assert any("one run" in n for n in c.notes)


def test_interactivity_shift_on_a_power_law_segment():
    # one segment y = 600 * (x/40)^-1; the candidate reaches each throughput at 1.2x the
    # interactivity, so at matched x its throughput is 1.2x: (1.2x)^-1 scaling, worked by hand
    curve = [(1, 80.0, 300.0), (16, 40.0, 600.0)]
    c = compare([sweep(OLD, curve=curve)], [sweep(NEW, scale_x=1.2, curve=curve)])
    assert c.matched_ratio == pytest.approx(1.2)
    assert c.overlap == (48.0, 80.0)
    assert c.reach_ratio == pytest.approx(1.2)
    assert c.peak_ratio == pytest.approx(1.0)


def test_no_overlap_is_said_not_guessed():
    c = compare([sweep(OLD)], [sweep(NEW, scale_x=10.0)])
    assert c.matched_ratio is None and c.overlap is None
    assert any("share no interactivity range" in n for n in c.notes)
    assert c.reach_ratio == pytest.approx(10.0)


def test_repeats_pair_up_and_combine_geometrically():
    base = [sweep(OLD, 1.0, run="a"), sweep(OLD, 1.0, run="b")]
    cand = [sweep(NEW, 1.21, run="c"), sweep(NEW, 1.0, run="d")]
    c = compare(base, cand)
    assert len(c.pairs) == 4
    assert c.matched_ratio == pytest.approx(1.1)  # sqrt(1.21 * 1.0)
    assert (c.baseline_runs, c.candidate_runs) == (2, 2)
    assert not any("one run" in n for n in c.notes)


def test_all_points_failed_is_refused():
    empty = Sweep(CONFIG, NEW, "x", (), status="failed", cause="oom")
    with pytest.raises(ValueError, match="at least one sweep with points"):
        compare([sweep(OLD)], [empty])


def test_mixed_configurations_are_refused():
    other = ConfigKey("m", "fp8", "h100", "vllm", isl=8192, osl=1024, gpus=8, tp=8)
    with pytest.raises(ValueError, match="one configuration"):
        compare([sweep(OLD)], [Sweep(other, NEW, "r", sweep(NEW).points)])
