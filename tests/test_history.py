"""The morning answer: did the newest build change anything? Each expected figure is computed
here from the generated series (the level is the median of the builds before, on logs: with an
even count, the geometric mean of the middle two)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bot.analysis.changepoints import CONFIRM_AFTER, detect
from bot.analysis.history import NEWEST_CHANGED, NEWEST_NONE, NEWEST_POSSIBLE, newest_check


def series(n: int = 30, noise: float = 0.01, seed: int = 2) -> list[float]:
    return [float(v) for v in 100 * np.exp(np.random.default_rng(seed).normal(0, noise, n))]


def check(values: list[float]):
    return newest_check(values, detect(values), min_effect=0.02)


def test_a_fresh_drop_is_possible_until_enough_builds_confirm_it():
    base = series()
    level = math.exp(np.median(np.log(base)))
    one = check([*base, 90.0])
    assert (one.status, one.since, one.index) == (NEWEST_POSSIBLE, 30, 30)
    assert one.change == pytest.approx(90.0 / level - 1, rel=1e-9)
    assert one.builds_to_confirm == CONFIRM_AFTER - 1 == 2 and one.z < -4
    two = check([*base, 90.0, 89.5])
    assert (two.status, two.since, two.builds_to_confirm) == (NEWEST_POSSIBLE, 30, 1)
    assert two.change == pytest.approx(math.exp(np.median(np.log([90.0, 89.5]))) / level - 1)
    three = check([*base, 90.0, 89.5, 90.3])  # CONFIRM_AFTER builds: the detector confirms it
    assert (three.status, three.since, three.builds_to_confirm) == (NEWEST_CHANGED, 30, 0)
    assert three.change == pytest.approx(-0.10, abs=0.01)


def test_a_new_drop_after_a_confirmed_change_is_not_hidden_by_it():
    values = [*series(), 90.0, 89.5, 90.3, 90.1, 89.9, 90.2, 80.0]
    answer = check(values)
    assert (answer.status, answer.since) == (NEWEST_POSSIBLE, 36)
    level = math.exp(np.median(np.log(values[30:36])))  # the level since the confirmed change
    assert answer.change == pytest.approx(80.0 / level - 1, rel=1e-9)


def test_a_build_within_the_noise_is_no_change_and_says_how_long_a_step_would_take():
    base = series()
    answer = check([*base, float(np.median(base)) * 1.004])
    assert answer.status == NEWEST_NONE and abs(answer.z) < 1
    assert answer.builds_to_confirm == CONFIRM_AFTER - 1
    assert check(base[:5]) is None  # too few builds to say anything


def test_false_possible_changes_on_pure_noise_are_rare():
    """On 400 pure-noise histories of 40 builds (1-2% noise, Gaussian): the newest build is
    called a possible change in under 1% of mornings, and a confirmed change in under 1%."""
    rng = np.random.default_rng(11)
    answers = []
    for _ in range(400):
        noise = rng.uniform(0.01, 0.02)
        values = [float(v) for v in 100 * np.exp(rng.normal(0, noise, 40))]
        answers.append(check(values).status)
    assert answers.count(NEWEST_POSSIBLE) < 4 and answers.count(NEWEST_CHANGED) < 4


def test_a_slow_drift_is_a_trend_not_a_change_point():
    """4% down over 200 builds at 1% noise: no step, a trend whose size is the Theil-Sen line's
    (computed here by hand: the median slope of all pairs, on logs, times the span)."""
    from bot.analysis.changepoints import trend

    rng = np.random.default_rng(4)
    logs = np.linspace(0, math.log(0.96), 200) + rng.normal(0, 0.01, 200)
    values = [float(v) for v in 100 * np.exp(logs)]
    assert detect(values) == []
    found = trend(values, alpha=0.001, min_effect=0.02)
    i, j = np.triu_indices(200, k=1)
    slope = np.median((logs[j] - logs[i]) / (j - i))
    assert (found.start, found.end, found.n) == (0, 200, 200)
    assert found.change == pytest.approx(math.expm1(slope * 199), rel=1e-9)
    assert found.change == pytest.approx(-0.04, abs=0.01) and found.p_value < 1e-10
    flat = [float(v) for v in 100 * np.exp(rng.normal(0, 0.01, 200))]
    assert trend(flat, alpha=0.001, min_effect=0.02) is None
