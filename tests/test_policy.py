"""Policy per configuration: analysis.yaml `overrides` by configuration pattern, validated with
errors that name the override, shown by `config show`, and used by compare, publish, digest,
history and the planner. The verdicts are checked on the real H200 runs (tests/data/h200): eager
against SDPA is +71.7% there, so a minimum effect of 90% for that configuration alone must turn
it into no-change (sure, but smaller than what matters) and leave every other one as it was."""

from __future__ import annotations

import math
import statistics

import pytest
from test_h200 import RESULTS, _peak

from bot.analysis.verdict import judge
from bot.config import AnalysisPolicy, ConfigError, load_policy
from bot.model import Build, ConfigKey, Point, Sweep

SLUG = "llama-1b-random/bf16/h200/transformers"  # the H200 runs' configuration (its slug's start)
EAGER, SDPA = "5.17.0+eager", "5.17.0+sdpa"


@pytest.fixture
def team(tmp_path, monkeypatch):
    folder = tmp_path / "team-configs"
    folder.mkdir()
    monkeypatch.setenv("PARETOBOT_CONFIGS", str(folder))

    def write(text: str):
        (folder / "analysis.yaml").write_text(text)
        return folder / "analysis.yaml"

    return write


@pytest.fixture
def h200(paretobot):
    for setting, label in (("eager", EAGER), ("sdpa", SDPA)):
        folders = [RESULTS / f"{setting}-r{i}" for i in range(3)]
        done = paretobot("ingest", *folders, "--framework-version", label)
        assert done.code == 0, done.err


def _verdict(paretobot, *extra):
    done = paretobot("compare", "--baseline", SDPA, "--candidate", EAGER, "--json", *extra)
    assert done.code == 0, done.err
    (v,) = done.json()
    return v


def _effect():
    """Eager over SDPA from SGLang's own output: geometric means of each run's peak."""
    geo = {
        s: math.exp(statistics.fmean(math.log(_peak(s, f"r{i}")) for i in range(3)))
        for s in ("eager", "sdpa")
    }
    return geo["eager"] / geo["sdpa"]


def test_an_override_changes_the_verdict_of_the_configurations_it_names(paretobot, h200, team):
    assert 1.5 < _effect() < 1.9  # what the thresholds below are chosen around
    plain = _verdict(paretobot)
    assert plain["verdict"] == "improvement"
    team(
        "min_effect: 0.02\n"
        "overrides:\n"
        f"  - match: '{SLUG}*'\n    min_effect: 0.9\n    equivalence: 0.95\n"
        "  - match: '*mi355x*'\n    min_effect: 0.01\n"
    )
    v = _verdict(paretobot)
    assert v["verdict"] == "no-change"  # sure (p < 0.01), but under the 90% that matters here
    assert v["comparison"]["peak"]["ratio"] == pytest.approx(_effect(), rel=1e-6)
    team("overrides:\n  - match: '*h100*'\n    min_effect: 0.9\n    equivalence: 0.95\n")
    assert _verdict(paretobot)["verdict"] == "improvement"  # another configuration's override


def test_overrides_reach_publish_digest_and_history(paretobot, h200, team, tmp_path):
    team(f"overrides:\n  - match: '{SLUG}*'\n    min_effect: 0.9\n    equivalence: 0.95\n")
    done = paretobot(
        "publish", "--baseline", SDPA, "--candidate", EAGER, "--changelog", tmp_path / "c.yaml",
        "--dry-run", tmp_path / "posts", "--json",
    )  # fmt: skip
    assert done.code == 0, done.err
    assert [c["verdict"] for c in done.json()["changes"]] == ["no-change"]
    assert paretobot("changes", "--json").json() == []  # no change recorded, none alerted
    digest = paretobot("digest", "--since", "2020-01-01", "--json").json()
    assert digest["unchanged"] == 1 and digest["improvements"] == []
    team(f"overrides:\n  - match: '{SLUG}*'\n    metrics: [peak]\n    targets: [7]\n")
    (history,) = paretobot("history", "--json").json()
    assert history["config"]["slug"].startswith(SLUG)


def test_bad_overrides_are_one_line_naming_the_override(paretobot, team):
    for text, line in (
        ("overrides:\n  - match: x\n    min_efect: 0.1\n", "overrides.0.min_efect"),
        (
            "overrides:\n  - match: x\n    min_effect: 0.2\n",
            "overrides[0] (match 'x'): equivalence must be at least min_effect",
        ),
        ("overrides:\n  - match: x\n    metrics: [matched]\n", "peak among them"),
        ("overrides:\n  - min_effect: 0.01\n", "overrides.0.match"),
        ("metrics: [peak, p99]\n", "metrics must name some of matched, targets, peak"),
    ):
        path = team(text)
        done = paretobot("config", "show")
        assert done.code == 1 and done.err.count("\n") == 1, done.err
        assert done.err.startswith(f"paretobot: {path}: ") and line in done.err, done.err


def test_overrides_that_clash_together_name_the_configuration():
    policy = AnalysisPolicy.model_validate(
        {
            "overrides": [
                {"match": "a*", "min_effect": 0.04, "equivalence": 0.04},
                {"match": "*fp8*", "min_effect": 0.045},
            ]
        }
    )
    config = ConfigKey("a", "fp8", "h200", "vllm", 1024, 1024, gpus=8, tp=8)
    with pytest.raises(ConfigError, match=r"overrides matching a/fp8/h200.*min_effect"):
        policy.for_config(config)


def test_config_show_lists_the_overrides(paretobot, team):
    team("overrides:\n  - match: '*mi355x*'\n    min_effect: 0.05\n    repeats: 5\n")
    done = paretobot("config", "show")
    assert done.code == 0, done.err
    assert (
        "  overrides[0] for configurations matching '*mi355x*': min_effect = 0.05, repeats = 5\n"
        in done.out
    )
    shown = paretobot("config", "show", "--json").json()
    assert shown["policy"]["overrides"][0]["repeats"] == 5


def _sweeps(build, shifts):
    """Two runs of a frontier; `shifts` scales throughput per concurrency (a crossing shape)."""
    curve = [(4, 110.0, 100.0), (16, 70.0, 400.0), (64, 35.0, 1100.0), (256, 12.0, 2400.0)]
    return [
        Sweep(
            CONFIG,
            build,
            f"{build.version}-{i}",
            tuple(
                Point(c, y * shifts[k] * w, x, completed=100, failed=0)
                for k, (c, x, y) in enumerate(curve)
            ),
            repeat=i,
        )
        for i, w in enumerate((0.995, 1.0, 1.005))
    ]


CONFIG = ConfigKey("m", "fp8", "h200", "vllm", 1024, 1024, gpus=8, tp=8)


def test_metrics_left_out_can_neither_lead_nor_make_a_verdict_mixed():
    base = _sweeps(Build("vllm", "1"), (1.0, 1.0, 1.0, 1.0))
    # better at low concurrency (high interactivity), worse at peak: a crossing
    cand = _sweeps(Build("vllm", "2"), (1.3, 1.2, 0.9, 0.8))
    everything = judge(base, cand, AnalysisPolicy())
    assert everything.comparison.matched is not None
    peak_only = judge(base, cand, AnalysisPolicy(metrics=("peak",)))
    assert peak_only.comparison.matched is None and peak_only.comparison.targets == {}
    assert peak_only.kind == "regression"  # the peak: 0.8 of the baseline's
    assert peak_only.comparison.peak.ratio == pytest.approx(0.8, rel=1e-9)


def test_the_planner_asks_an_overrides_repeats(engine, team):
    from test_baselines import MATRIX, TEMPLATE, UPSTREAMS, VLLM, merged

    from bot.config.upstreams import load_rules
    from bot.plan import plan
    from bot.watch import Context, _baseline_context

    team(f"overrides:\n  - match: '{TEMPLATE.config.slug}'\n    repeats: 6\n")
    ctx = Context(engine, None, UPSTREAMS, load_rules(), MATRIX, policy=load_policy())
    _, _, repeats = _baseline_context(ctx, merged(), VLLM)
    p = plan(merged(), VLLM, load_rules(), MATRIX, UPSTREAMS.budget, repeats=repeats)
    chosen = {j.config.slug: j.repeats for j in p.jobs}
    assert chosen[TEMPLATE.config.slug] == 6
    assert {r for slug, r in chosen.items() if slug != TEMPLATE.config.slug} <= {
        UPSTREAMS.budget.repeats
    }
