"""Verdicts: each kind on a case built to be it, and the noise model behind thin evidence."""

from __future__ import annotations

import math

import pytest

from bot.analysis.noise import noise_model
from bot.analysis.verdict import (
    BREAKAGE,
    IMPROVEMENT,
    INCONCLUSIVE,
    NO_CHANGE,
    PARTIAL,
    REGRESSION,
    UNLOCK,
    judge,
)
from bot.config import AnalysisPolicy
from bot.model import Build, ConfigKey, Point, Sweep

CONFIG = ConfigKey("m", "fp8", "mi355x", "vllm", isl=1024, osl=1024, gpus=8, tp=8)
OLD, NEW = Build("vllm", "0.1"), Build("vllm", "0.2")
CURVE = [(4, 110.0, 100.0), (16, 70.0, 400.0), (64, 35.0, 1100.0), (256, 12.0, 2400.0)]
WOBBLE = (0.99, 1.0, 1.01)  # the same run-to-run pattern on each side: known spread
POLICY = AnalysisPolicy()


def runs(build, shift=1.0, wobble=WOBBLE, failed=None):
    out = []
    for i, w in enumerate(wobble):
        points = tuple(
            Point(c, y * shift * w, x, completed=100, failed=(failed or {}).get(c, 0))
            for c, x, y in CURVE
        )
        out.append(Sweep(CONFIG, build, f"{build.version}-{i}", points, repeat=i))
    return out


def failed(build, cause="oom"):
    return [Sweep(CONFIG, build, "f", (), status="failed", cause=cause)]


@pytest.mark.parametrize(
    "shift, kind",
    [(0.90, REGRESSION), (1.08, IMPROVEMENT), (1.0, NO_CHANGE), (1.005, NO_CHANGE)],
)
def test_performance_verdicts(shift, kind):
    v = judge(runs(OLD), runs(NEW, shift), POLICY)
    assert v.kind == kind, v.reason
    assert (v.config, v.baseline, v.candidate) == (CONFIG, OLD, NEW)


def test_regression_reason_carries_effect_and_interval():
    v = judge(runs(OLD), runs(NEW, 0.9), POLICY)
    assert v.reason.startswith(
        "throughput/GPU at matched interactivity over 12-110 tok/s/user -10.0% (95% CI "
    )
    assert "3 vs 3 runs" in v.reason


def test_sure_but_tiny_change_is_no_change():
    # +0.5% with a tiny spread is statistically sure, and below the 2% that matters
    quiet = (0.999, 1.0, 1.001)
    v = judge(runs(OLD, wobble=quiet), runs(NEW, 1.005, wobble=quiet), POLICY)
    assert v.comparison.matched.p_value < 0.01
    assert v.kind == NO_CHANGE


def test_noisy_runs_are_inconclusive():
    v = judge(runs(OLD, wobble=(0.85, 1.0, 1.15)), runs(NEW, 1.03, wobble=(0.9, 1.2, 1.0)), POLICY)
    assert v.kind == INCONCLUSIVE


def test_unlock_and_breakage_name_the_cause():
    v = judge(failed(OLD), runs(NEW), POLICY)
    assert v.kind == UNLOCK and "oom" in v.reason and v.comparison is None
    v = judge(runs(OLD), failed(NEW, "launch failure"), POLICY)
    assert v.kind == BREAKAGE and "launch failure" in v.reason
    v = judge(failed(OLD), failed(NEW), POLICY)
    assert v.kind == INCONCLUSIVE


def test_partial_when_a_concurrency_starts_failing():
    # 10 failed of 110 requests at concurrency 256 is over the 5% a point may lose
    v = judge(runs(OLD), runs(NEW, 1.0, failed={256: 10}), POLICY)
    assert v.kind == PARTIAL
    assert v.failed_concurrencies == (256,)
    assert "concurrency 256 now fails" in v.reason
    # under the threshold (5 of 105 = 4.8%) the point still counts
    assert judge(runs(OLD), runs(NEW, 1.0, failed={256: 5}), POLICY).kind == NO_CHANGE


def test_single_run_uses_the_noise_history():
    one_old, one_new = runs(OLD, wobble=(1.0,)), runs(NEW, 0.9, wobble=(1.0,))
    bare = judge(one_old, one_new, POLICY)
    assert bare.kind == INCONCLUSIVE and "no interval" in bare.reason
    older = [*runs(Build("vllm", "0.0a")), *runs(Build("vllm", "0.0b"))]
    noise = noise_model(older, AnalysisPolicy(noise_half_life=1e9))
    # two builds with runs at +-1%: the summary spread is 1% in log terms, 4 df
    assert noise.builds == 2 and noise.df == pytest.approx(4)
    assert noise.summary_sd == pytest.approx(0.01, rel=0.01)
    assert noise.cv_by_concurrency[16] == pytest.approx(0.01, rel=0.01)
    informed = judge(one_old, one_new, POLICY, history=[*older, *one_old, *one_new])
    assert informed.kind == REGRESSION
    assert "noise history of other builds" in informed.comparison.matched.method
    assert informed.repeats_needed == informed.noise.repeats_for(POLICY.min_effect)


def test_noise_never_comes_from_the_builds_compared():
    # With one run a side and nothing else stored, there is no history: the two runs compared
    # must not serve as their own noise estimate.
    two = [*runs(OLD, wobble=(1.0,)), *runs(NEW, 0.9, wobble=(1.0,))]
    v = judge(two[:1], two[1:], POLICY, history=two)
    assert v.kind == INCONCLUSIVE and v.noise.summary_sd is None
    # repeats of the compared builds do not feed the prior either
    many = [*runs(OLD), *runs(NEW, 0.9)]
    assert noise_model(many, exclude={OLD, NEW}).summary_sd is None


def test_recent_builds_weigh_more():
    # an old noisy build (+-10%) and a recent quiet one (+-1%): with a half-life of one build
    # the quiet one dominates; with an endless half-life they count alike. By hand: run
    # summaries are the log of the wobble, so sums of squares are 2 * log(1.1)^2-ish and
    # 2 * log(1.01)^2-ish, each on 2 df.
    noisy = runs(Build("vllm", "0.0a"), wobble=(0.9, 1.0, 1.1))
    quiet = runs(Build("vllm", "0.0b"), wobble=(0.99, 1.0, 1.01))

    def ss(w):
        logs = [math.log(x) for x in w]
        m = sum(logs) / 3
        return sum((v - m) ** 2 for v in logs)

    aged = noise_model([*noisy, *quiet], AnalysisPolicy(noise_half_life=1.0))
    flat = noise_model([*noisy, *quiet], AnalysisPolicy(noise_half_life=1e9))
    assert aged.summary_sd == pytest.approx(
        math.sqrt((0.5 * ss((0.9, 1, 1.1)) + ss((0.99, 1, 1.01))) / 3)
    )
    assert flat.summary_sd == pytest.approx(
        math.sqrt((ss((0.9, 1, 1.1)) + ss((0.99, 1, 1.01))) / 4)
    )
    assert aged.df == pytest.approx(3.0)


def test_a_build_that_could_not_be_installed_is_not_a_breakage():
    """A build-unverified record (the runner could not install or verify the commit) measured
    nothing of the build: no breakage, no unlock; runs of the build that did verify still count."""
    from bot.model import BUILD_UNVERIFIED, Build, ConfigKey, Point, Sweep

    config = ConfigKey("m", "fp8", "h200", "vllm", isl=128, osl=64, gpus=1, tp=1)
    old, new = Build("vllm", "v1", "a" * 40), Build("vllm", "v2", "b" * 40)
    curve = tuple(Point(c, 100.0 * c**0.5, 60.0 / c**0.2) for c in (1, 2, 4, 8))
    base = [Sweep(config, old, f"b{i}", curve) for i in range(3)]
    broken = Sweep(config, new, "c0", (), status="failed", cause=BUILD_UNVERIFIED)
    v = judge(base, [broken], AnalysisPolicy())
    assert v.kind == "inconclusive" and "build-unverified" in v.reason
    fine = [Sweep(config, new, f"c{i}", curve) for i in (1, 2, 3)]
    assert judge(base, [broken, *fine], AnalysisPolicy()).kind != "breakage"


def test_a_side_whose_every_point_is_suspect_is_inconclusive_not_a_traceback(paretobot):
    """InferenceX's agg files (tests/data/shared/inferencex/agg) state a mean interactivity above
    their own p90 at every point, so each is suspect: compare says so in a verdict, and frontier
    in one line, rather than raising."""
    import json

    from conftest import AGG

    assert paretobot("ingest", AGG).code == 0
    done = paretobot("compare", "--baseline", "v0.21.0", "--candidate", "v0.21.0", "--json")
    assert done.code == 0, done.err
    verdicts = done.json()
    assert verdicts and {v["verdict"] for v in verdicts} == {"inconclusive"}
    for v in verdicts:
        assert v["reason"].startswith("every point of the baseline and candidate is suspect (")
        assert v["reason"].endswith("): nothing to compare")
    # the files' own figures, read here: every point's mean interactivity is above its p90
    points = [json.loads(p.read_text()) for p in sorted(AGG.glob("*.json"))]
    assert all(p["mean_intvty"] > p["p90_intvty"] for p in points), points
    frontier = paretobot("frontier")
    assert frontier.code == 1 and frontier.err.count("\n") == 1
    assert "is suspect" in frontier.err and "Traceback" not in frontier.err
