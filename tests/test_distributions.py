"""bot/analysis/distributions.py against scipy, which paretobot no longer imports (its import was
most of a short command's time) and the tests keep as the independent reference."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from bot.analysis.distributions import norm_ppf, t_ppf, t_sf, t_two_sided

DFS = (1.0, 2.0, 2.5, 3.0, 4.0, 7.3, 9.7, 30.0, 250.0, 1e5)


@pytest.mark.parametrize("df", DFS)
def test_t_quantiles_match_scipy(df):
    for q in (0.5, 0.6, 0.8, 0.9, 0.95, 0.975, 0.99, 0.995, 0.9995, 0.025, 0.1):
        assert t_ppf(q, df) == pytest.approx(stats.t.ppf(q, df), rel=1e-9, abs=1e-12), (q, df)


@pytest.mark.parametrize("df", DFS)
def test_t_tails_match_scipy(df):
    for t in (-5.0, -1.0, 0.0, 0.3, 1.0, 2.2, 6.0, 40.0):
        assert t_sf(t, df) == pytest.approx(stats.t.sf(t, df), rel=1e-9, abs=1e-300), (t, df)
        want = 2 * stats.t.sf(abs(t), df)
        assert t_two_sided(t, df) == pytest.approx(want, rel=1e-9, abs=1e-300), (t, df)


def test_edges():
    assert t_two_sided(math.inf, 3) == 0.0
    assert math.isnan(t_two_sided(math.nan, 3))  # 0 / 0: no p-value, as scipy says
    assert t_ppf(0.975, math.inf) == pytest.approx(stats.norm.ppf(0.975), rel=1e-12)
    with pytest.raises(ValueError, match="0 < q < 1"):
        t_ppf(1.0, 3)
    for q in (0.8, 0.9, 0.975):
        assert norm_ppf(q) == pytest.approx(stats.norm.ppf(q), rel=1e-12)


def test_no_command_imports_scipy():
    """scipy is a test dependency only: the installed package must never import it."""
    import subprocess
    import sys

    code = (
        "import sys, bot.cli, bot.app.ingest, bot.app.judge, bot.app.publish, bot.app.digest, "
        "bot.app.attribute, bot.analysis.history; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
