"""configs/upstreams.yaml (what to watch, the GPU budget, where to dispatch) and configs/rules.yaml
(which configurations an upstream change can affect)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, model_validator

from bot.config import ConfigError, Strict, config_file, describe, read_yaml

EVENT_KINDS = ("release", "tag", "pull")


class Watch(Strict):
    paths: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()


PINNED = "pinned:"


def _baseline_rule(rule: str, allowed: tuple[str, ...]) -> str:
    if rule.startswith(PINNED) and rule.removeprefix(PINNED).strip():
        return rule
    if rule not in allowed:
        raise ValueError(f"baseline rule {rule!r}: use one of {list(allowed)} or 'pinned:BUILD'")
    return rule


class Baselines(Strict):
    """What each kind of event is judged against (bot/plan.py `baseline_of`):
    previous: the previous event of the same kind that was benchmarked (the previous release);
    last-good: the latest earlier one whose results are stored and did not fail (nightlies);
    merge-base: the commit a merged PR was merged onto; matrix: the build the benchmark matrix
    pins today; pinned:BUILD: that release or tag. Without an earlier event: the matrix build."""

    release: str = "previous"
    tag: str = "last-good"
    pull: str = "merge-base"

    @model_validator(mode="after")
    def _known(self) -> Baselines:
        events = ("previous", "last-good", "matrix")
        _baseline_rule(self.release, events)
        _baseline_rule(self.tag, events)
        _baseline_rule(self.pull, ("merge-base", "matrix"))
        return self

    def rule(self, kind: str) -> str:
        return {"release": self.release, "tag": self.tag, "pull": self.pull}[kind]


class Upstream(Strict):
    repo: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    frameworks: tuple[str, ...] = Field(min_length=1)
    hardware: tuple[str, ...] = ()  # when set, only these SKUs
    tags: tuple[str, ...] = ()
    watch: Watch = Watch()
    baseline: Baselines = Baselines()
    # the upstream publishes the framework's image per release, tagged with the release name
    # (vllm/vllm-openai:v0.12.0): a release's job runs that image. Not so for a library under
    # the framework (AITER): its builds keep the matrix image and are installed by the runner.
    image_tags: bool = False


class AutoRepeats(Strict):
    """Repeats sized to the noise: enough runs a side to see a change of `detect` (at the
    analysis confidence, 80% power), from the configuration's own noise history, else
    `noise_default` (configs/analysis.yaml); never fewer than `repeats`, never more than `most`."""

    detect: float = Field(0.10, gt=0, lt=1)
    most: int = Field(8, ge=1)


class Budget(Strict):
    jobs_per_event: int = Field(ge=1)
    jobs_per_day: int = Field(ge=1)
    repeats: int = Field(3, ge=1)
    auto_repeats: AutoRepeats | None = None  # off by default: more repeats cost GPU hours
    # run the baseline again beside the candidate, repeats interleaved on one runner: auto when
    # the configuration has no stored baseline runs, or its run-to-run noise is above half the
    # smallest change that matters (runners and days differ as much as the changes to catch)
    interleave: str = Field("auto", pattern="^(auto|always|never)$")


class BenchmarkTarget(Strict):
    repo: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    workflow: str = Field(min_length=1)
    ref: str = Field("main", min_length=1)
    jobs_per_dispatch: int = Field(64, ge=1, le=256)


class UpstreamsFile(Strict):
    upstreams: tuple[Upstream, ...] = Field(min_length=1)
    budget: Budget
    benchmark: BenchmarkTarget

    @model_validator(mode="after")
    def _unique(self) -> UpstreamsFile:
        repos = [u.repo for u in self.upstreams]
        if len(set(repos)) != len(repos):
            raise ValueError("an upstream repo is listed twice")
        return self

    def upstream(self, repo: str) -> Upstream:
        return next(u for u in self.upstreams if u.repo == repo)


class Match(Strict):
    kinds: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    title_models: bool = False
    upstreams: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _kinds(self) -> Match:
        unknown = set(self.kinds) - set(EVENT_KINDS)
        if unknown:
            raise ValueError(f"unknown event kinds {sorted(unknown)}; use {list(EVENT_KINDS)}")
        return self


class Select(Strict):
    models: tuple[str, ...] = ()
    hardware: tuple[str, ...] = ()
    vendor: str | None = None
    precisions: tuple[str, ...] = ()
    title_models: bool = False


class Rule(Strict):
    name: str = Field(min_length=1)
    match: Match
    select: Select


class RulesFile(Strict):
    rules: tuple[Rule, ...] = Field(min_length=1)
    models: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    vendors: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _references(self) -> RulesFile:
        names = [r.name for r in self.rules]
        if len(set(names)) != len(names):
            raise ValueError("two rules share a name")
        for rule in self.rules:
            if rule.select.vendor and rule.select.vendor not in self.vendors:
                raise ValueError(
                    f"rule {rule.name}: vendor '{rule.select.vendor}' is not in vendors"
                )
            unknown = set(rule.select.models) - set(self.models)
            if unknown:
                raise ValueError(f"rule {rule.name}: models {sorted(unknown)} are not in models")
        return self


def _load(model: type[BaseModel], path: Path) -> BaseModel:
    raw = read_yaml(path)
    try:
        return model.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe(exc)}") from None


def load_upstreams(path: Path | None = None) -> UpstreamsFile:
    result = _load(UpstreamsFile, path or config_file("upstreams.yaml"))
    assert isinstance(result, UpstreamsFile)
    return result


def load_rules(path: Path | None = None) -> RulesFile:
    result = _load(RulesFile, path or config_file("rules.yaml"))
    assert isinstance(result, RulesFile)
    return result
