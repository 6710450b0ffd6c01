"""Intervals and repeat counts, checked against independent computations."""

from __future__ import annotations

import math

import pytest
from scipy import stats as sps

from bot.analysis.stats import Prior, ratio_of_logs, repeats_needed


def test_pooled_t_matches_scipy_students_t_test():
    b, c = [0.0, 0.02, 0.01], [0.1, 0.12, 0.08]
    e = ratio_of_logs(b, c)
    reference = sps.ttest_ind(c, b, equal_var=True)
    assert e.p_value == pytest.approx(reference.pvalue)
    assert e.ratio == pytest.approx(math.exp(0.1 - 0.01))
    # by hand: pooled variance (0.0002 + 0.0008) / 4 = 0.00025, se = sqrt(0.00025 * 2/3)
    se = math.sqrt(0.00025 * (2 / 3))
    t = sps.t.ppf(0.975, 4)
    assert math.log(e.low) == pytest.approx(0.09 - t * se)
    assert math.log(e.high) == pytest.approx(0.09 + t * se)


def test_prior_adds_degrees_of_freedom():
    b, c = [0.0, 0.02], [0.1, 0.12]
    plain = ratio_of_logs(b, c)
    with_history = ratio_of_logs(b, c, prior=Prior(variance=0.0004, df=10, source="history"))
    # pooled: (0.0002 * 2 + 0.0004 * 10) / 12 with 12 df, by hand
    se = math.sqrt((0.0002 * 2 + 0.0004 * 10) / 12 * (1 / 2 + 1 / 2))
    assert math.log(with_history.high) == pytest.approx(0.1 + sps.t.ppf(0.975, 12) * se)
    assert "history" in with_history.method
    assert (plain.high - plain.low) > (with_history.high - with_history.low)


def test_one_run_each_and_no_prior_has_no_interval():
    e = ratio_of_logs([0.0], [0.05])
    assert e.ratio == pytest.approx(math.exp(0.05))
    assert not e.has_interval and e.p_value is None
    e = ratio_of_logs([0.0], [0.05], prior=Prior(0.0001, 20, "history"))
    assert e.has_interval


def test_repeats_needed_by_hand():
    # n = 2 * ((1.959964 + 0.841621) * 0.03 / ln 1.02)^2 = 36.03 -> 37 runs per side
    assert repeats_needed(0.03, effect=0.02) == 37
    # a quiet configuration still needs two runs to have any spread at all
    assert repeats_needed(0.001) == 2
