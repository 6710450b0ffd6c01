"""Pareto frontiers and log-log interpolation, on cases small enough to check by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bot.analysis.frontier import frontier_of, pareto_points, throughput_at
from bot.model import Build, ConfigKey, Point, Sweep

CONFIG = ConfigKey("m", "fp8", "h100", "vllm", isl=1024, osl=1024, gpus=8, tp=8)
BUILD = Build("vllm", "0.1")


def pt(conc, x, y):
    return Point(concurrency=conc, tput_per_gpu=y, interactivity=x)


def sweep(*points, build=BUILD, run="r"):
    return Sweep(CONFIG, build, run, tuple(points))


def test_dominated_points_are_dropped():
    points = [pt(1, 100, 10), pt(2, 90, 20), pt(4, 80, 15), pt(8, 50, 40), pt(16, 40, 35)]
    # (80, 15) is beaten by (90, 20); (40, 35) by (50, 40)
    assert [p.concurrency for p in pareto_points(points)] == [8, 2, 1]


def test_two_point_frontier_and_ties():
    points = [pt(1, 100, 10), pt(2, 50, 40), pt(4, 50, 40), pt(8, 100, 10)]
    kept = pareto_points(points)
    assert [(p.interactivity, p.tput_per_gpu) for p in kept] == [(50, 40), (100, 10)]
    assert [p.concurrency for p in kept] == [2, 1]  # ties keep the lower concurrency


def test_interpolation_is_linear_in_log_log():
    f = frontier_of([sweep(pt(1, 100, 10), pt(8, 25, 160))])
    # halfway in log x between 25 and 100 is 50; halfway in log y between 160 and 10 is 40
    assert throughput_at(f, 50.0)[0] == pytest.approx(40.0)
    assert throughput_at(f, 25.0)[0] == pytest.approx(160.0)
    # y = 160 * (x/25)^-2 on this segment
    assert throughput_at(f, 30.0)[0] == pytest.approx(160 * (30 / 25) ** -2)


def test_interpolation_is_monotone_and_never_extrapolates():
    f = frontier_of([sweep(pt(1, 120, 5), pt(2, 90, 30), pt(4, 60, 50), pt(8, 20, 300))])
    xs = np.geomspace(20, 120, 200)
    ys = throughput_at(f, xs)
    assert np.all(np.diff(ys) <= 1e-9)
    assert math.isnan(throughput_at(f, 19.99)[0]) and math.isnan(throughput_at(f, 121)[0])


def test_single_point_frontier():
    f = frontier_of([sweep(pt(4, 30, 100))])
    assert throughput_at(f, 30.0)[0] == pytest.approx(100.0)
    assert math.isnan(throughput_at(f, 31.0)[0])


def test_frontier_of_repeats_is_their_union():
    f = frontier_of([sweep(pt(1, 100, 10), run="a"), sweep(pt(1, 101, 9), pt(2, 60, 30), run="b")])
    assert [(p.interactivity, p.tput_per_gpu) for p in f.points] == [(60, 30), (100, 10), (101, 9)]
    assert f.run_ids == ("a", "b")


def test_frontier_refuses_mixed_builds():
    with pytest.raises(ValueError, match="one configuration and one build"):
        frontier_of([sweep(pt(1, 1, 1)), sweep(pt(1, 1, 1), build=Build("vllm", "0.2"))])


def test_band_is_the_spread_of_the_runs_frontiers_where_two_reach():
    from bot.analysis.frontier import band
    from bot.model import Build, ConfigKey, Frontier, FrontierPoint

    key, build = ConfigKey("m", "fp8", "h200", "vllm", 1024, 1024, 8), Build("vllm", "1")

    def run(*points: tuple[float, float]) -> Frontier:
        return Frontier(key, build, tuple(FrontierPoint(x, y, 1) for x, y in points))

    one, two = run((10, 100), (20, 50)), run((10, 110), (40, 20))
    # levels 10, 20, 40: at 20 the second run is log-log between (10, 110) and (40, 20), half
    # way in log x: 110 * (20/110)^0.5; at 40 only the second run reaches, so no band there
    (at10, at20) = band([one, two], levels=3)
    assert at10 == pytest.approx((10, 100, 110))
    assert at20 == pytest.approx((20, math.sqrt(110 * 20), 50))
    assert band([one]) == [] and band([one, run()]) == []
