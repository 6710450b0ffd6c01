"""Baselines chosen, not asked for: each event's jobs carry the build they are judged against, the
dispatch names both builds, and where runners differ the runner measures both, interleaved."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config.matrix import load_matrix
from bot.config.upstreams import Baselines, load_rules, load_upstreams
from bot.dispatch import chunk
from bot.model import Build, UpstreamEvent
from bot.plan import Earlier, baseline_of, image_for, matrix_build, plan
from bot.runner.job import interleave, parse_jobs

MATRIX = load_matrix()
UPSTREAMS = load_upstreams()
VLLM = UPSTREAMS.upstream("vllm-project/vllm")
NOW = datetime(2026, 11, 27, tzinfo=UTC)
TEMPLATE = next(j for j in MATRIX if j.config.framework == "vllm" and ":" in j.image)


def release(name: str = "v0.22.0") -> UpstreamEvent:
    return UpstreamEvent(VLLM.repo, "release", name, name, "u", NOW, name)


def merged(number: int = 35850, base: str = "b" * 40) -> UpstreamEvent:
    return UpstreamEvent(
        VLLM.repo, "pull", str(number), "[Perf] x", "u", NOW, "m" * 40, base=base,
        files=("vllm/v1/x.py",), labels=("performance",),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("template", "version", "expected"),
    [
        ("vllm/vllm-openai:v0.11.2", "v0.12.0", "vllm/vllm-openai:v0.12.0"),
        ("lmsysorg/sglang:v0.5.6-cu129-amd64", "v0.5.7", "lmsysorg/sglang:v0.5.7-cu129-amd64"),
        ("rocm/vllm-dev:nightly", "v0.12.0", "rocm/vllm-dev:nightly"),  # no version to replace
        ("registry:5000/vllm", "v0.12.0", "registry:5000/vllm"),  # a port, not a tag
        ("vllm/vllm-openai:v0.11.2", "nightly-1127", "vllm/vllm-openai:v0.11.2"),
    ],
)
def test_image_for_a_release_replaces_only_the_version_in_the_tag(template, version, expected):
    assert image_for(template, version) == expected


def test_each_rule_picks_its_baseline():
    framework, image = "vllm", TEMPLATE.image
    earlier = Earlier(("v0.21.1", "v0.21.0"), frozenset({"v0.21.0"}))
    pinned = baseline_of(release(), "pinned:v0.20.0", framework, image, earlier)
    assert (pinned.version, pinned.image) == ("v0.20.0", image_for(image, "v0.20.0"))
    assert baseline_of(release(), "previous", framework, image, earlier).version == "v0.21.1"
    assert baseline_of(release(), "last-good", framework, image, earlier).version == "v0.21.0"
    base = baseline_of(merged(), "merge-base", framework, image)
    assert (base.commit, base.version) == ("b" * 40, "pr-35850-base")
    # nothing earlier (the first release seen), or a PR payload without a base: the matrix build
    assert baseline_of(release(), "previous", framework, image) == matrix_build(framework, image)
    assert baseline_of(merged(base=""), "merge-base", framework, image).image == image
    assert matrix_build("vllm", "vllm/vllm-openai:v0.11.2").version == "v0.11.2"


def test_unknown_baseline_rules_are_config_errors():
    with pytest.raises(ValueError, match="baseline rule 'newest'"):
        Baselines(release="newest")
    with pytest.raises(ValueError, match="baseline rule 'previous'"):
        Baselines(pull="previous")  # a PR has no "previous PR" to be judged against
    assert Baselines(tag="pinned:nightly-1120").rule("tag") == "pinned:nightly-1120"


def test_every_planned_job_carries_its_baseline_and_dispatches_name_both_builds():
    earlier = Earlier(("v0.21.1",))
    p = plan(release(), VLLM, load_rules(), MATRIX, UPSTREAMS.budget, earlier)
    assert p.jobs and all(j.baseline is not None for j in p.jobs)
    assert {j.baseline.version for j in p.jobs} == {"v0.21.1"}
    for d in chunk(p.event, p.jobs, per_dispatch=2):
        inputs = d.inputs()
        assert (inputs["baseline"], inputs["candidate"]) == ("v0.21.1", "v0.22.0")
        assert len(json.loads(inputs["jobs"])) <= 2


def test_jobs_with_different_baselines_go_in_different_dispatches():
    p = plan(release(), VLLM, load_rules(), MATRIX, UPSTREAMS.budget)  # matrix builds: per image
    pairs = {(j.baseline.selector, j.build.selector) for j in p.jobs}
    dispatches = chunk(p.event, p.jobs, per_dispatch=64)
    assert len(dispatches) == len(pairs)
    for d in dispatches:
        inputs = d.inputs()
        assert {(j.baseline.selector, j.build.selector) for j in d.jobs} == {
            (inputs["baseline"], inputs["candidate"])
        }
    assert len({d.key for d in dispatches}) == len(dispatches)


def test_interleaving_is_asked_per_configuration_and_travels_in_the_job():
    asked = []

    def noisy(job, baseline):
        asked.append((job.config.slug, baseline.version))
        return job.config.tp >= 8

    small = UPSTREAMS.budget.model_copy(update={"jobs_per_event": 200})
    p = plan(merged(), VLLM, load_rules(), MATRIX, small, interleave=noisy)
    assert p.jobs and len(asked) == len(p.jobs)
    assert {j.interleave for j in p.jobs} == {True, False}  # both cases are exercised
    for job in p.jobs:
        wire = chunk(p.event, [job], 1)[0].inputs()
        (spec,) = parse_jobs(json.loads(wire["jobs"]))
        assert (spec.baseline is not None) == (job.config.tp >= 8)
        if spec.baseline:
            assert (spec.baseline.commit, spec.baseline.version) == ("b" * 40, "pr-35850-base")
    never = UPSTREAMS.budget.model_copy(update={"interleave": "never"})
    assert not any(j.interleave for j in plan(merged(), VLLM, load_rules(), MATRIX, never).jobs)


def test_the_runner_interleaves_baseline_and_candidate_abba():
    (job,) = parse_jobs(
        [{"model": "m", "framework": "vllm", "hardware": "h200", "precision": "fp8", "isl": 128,
          "osl": 64, "concurrencies": [1, 4], "repeats": 4, "version": "pr-7", "commit": "c" * 40,
          "baseline": {"version": "pr-7-base", "commit": "b" * 40}}]
    )  # fmt: skip
    order = interleave([job])
    assert [j.version for j in order] == [
        "pr-7-base", "pr-7", "pr-7", "pr-7-base", "pr-7-base", "pr-7", "pr-7", "pr-7-base",
    ]  # fmt: skip
    assert all(j.repeats == 1 and j.baseline is None for j in order)
    assert {j.commit for j in order if j.version == "pr-7-base"} == {"b" * 40}
    assert all(j.concurrencies == [1, 4] for j in order)


def test_a_job_without_baseline_is_left_alone():
    one = {"model": "m", "framework": "vllm", "hardware": "h200", "precision": "fp8"}
    (job,) = parse_jobs([{**one, "isl": 128, "osl": 64, "concurrencies": [1]}])
    assert interleave([job]) == [job]
    assert replace(Build("vllm", "v1"), commit="abc").selector == "v1"


def test_a_job_repeating_a_stored_one_keeps_its_hand_written_settings():
    """A bisection probe of a configuration outside the matrix is rebuilt from the job its run
    ran (paretobot-run.json): recipe, env and server flags travel; the build is the probe's."""
    from bot.app.attribute import _from_run
    from bot.runner.job import spec_of

    stored = json.loads(
        (Path(__file__).parent / "data" / "jobs" / "vllm-cpu-tiny.json").read_text()
    )
    config = MATRIX[0].config
    probe = _from_run(config, stored, Build("vllm", "ROCm/aiter@0123456789ab", "0123456789ab" * 3))
    spec = spec_of(probe)
    assert (spec.extra_args, spec.env, spec.num_prompts) == (
        stored["extra_args"], stored["env"], stored["num_prompts"],
    )  # fmt: skip
    assert spec.timeouts.health_s == stored["timeouts"]["health_s"]
    assert (spec.commit, spec.version) == ("0123456789ab" * 3, "ROCm/aiter@0123456789ab")


def _runs_to_see(sd: float, effect: float, confidence: float = 0.95, power: float = 0.8) -> int:
    """Runs a side for a two-sample comparison of log throughput (normal approximation),
    computed here from the textbook formula, not from bot.analysis.stats."""
    from math import ceil, log
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + confidence / 2) + NormalDist().inv_cdf(power)
    return max(2, ceil(2 * (z * sd / log(1 + effect)) ** 2))


def test_auto_repeats_size_each_job_to_its_configurations_noise(engine):
    """With budget.auto_repeats the watcher asks each configuration for the runs its noise needs
    (no history: analysis.yaml's noise_default, the H200 runs' spread), within repeats..most."""
    from bot.config import load_policy
    from bot.config.upstreams import AutoRepeats
    from bot.watch import Context, _baseline_context

    policy = load_policy()
    assert policy.noise_default == 0.07
    budget = UPSTREAMS.budget.model_copy(update={"auto_repeats": AutoRepeats(detect=0.15)})
    config = UPSTREAMS.model_copy(update={"budget": budget})
    ctx = Context(engine, None, config, load_rules(), MATRIX, policy=policy)
    _, _, repeats = _baseline_context(ctx, merged(), VLLM)
    want = _runs_to_see(0.07, 0.15)
    assert want == 4 and repeats(TEMPLATE) == want  # more than the budget's 3
    tight = budget.model_copy(update={"auto_repeats": AutoRepeats(detect=0.10, most=5)})
    ctx = Context(engine, None, config.model_copy(update={"budget": tight}), load_rules(), MATRIX)
    _, _, repeats = _baseline_context(ctx, merged(), VLLM)
    assert _runs_to_see(0.07, 0.10) == 9 and repeats(TEMPLATE) == 5  # capped at `most`
    p = plan(merged(), VLLM, load_rules(), MATRIX, tight, repeats=repeats)
    assert p.jobs and {j.repeats for j in p.jobs} == {5}
    off = plan(merged(), VLLM, load_rules(), MATRIX, UPSTREAMS.budget)
    assert {j.repeats for j in off.jobs} == {3}  # the default: the budget's repeats
