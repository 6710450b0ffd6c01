"""Maps an upstream event to the benchmark jobs it can affect, saying which rule chose each one.

Rules (configs/rules.yaml) are data: a rule matches an event by kind, upstream, touched paths,
labels or a model named in the title, and selects matrix jobs by model, hardware, vendor or
precision, always within the frameworks (and hardware) the upstream feeds. When the selection is
larger than the per-event budget, jobs chosen by the narrowest rules go first: a rule that picks
three configurations says more about this change than one that picks everything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache

from bot.config.matrix import MatrixJob
from bot.config.upstreams import PINNED, Budget, Rule, RulesFile, Upstream
from bot.model import Build, Job, UpstreamEvent


@dataclass(frozen=True)
class Plan:
    event: UpstreamEvent
    jobs: tuple[Job, ...]  # within the per-event budget, most specific first
    dropped: tuple[tuple[Job, str], ...] = ()  # and why each was left out


@cache
def _glob(pattern: str) -> re.Pattern[str]:
    """A path glob where `*` stays within one folder and `**` spans folders."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def touches(files: Iterable[str], patterns: Iterable[str]) -> bool:
    return any(_glob(p).match(f) for p in patterns for f in files)


def models_in_title(title: str, aliases: dict[str, tuple[str, ...]]) -> set[str]:
    found = set()
    for model, names in aliases.items():
        for name in names:
            if re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", title, re.IGNORECASE):
                found.add(model)
    return found


def is_watched(event: UpstreamEvent, upstream: Upstream) -> bool:
    """Releases and tags always are; a merged PR only if it touches a watched path or label."""
    if event.kind != "pull":
        return True
    labels = {label.lower() for label in event.labels}
    return touches(event.files, upstream.watch.paths) or bool(
        labels & {label.lower() for label in upstream.watch.labels}
    )


def _matches(rule: Rule, event: UpstreamEvent, rules: RulesFile) -> bool:
    m = rule.match
    labels = {label.lower() for label in event.labels}
    return (
        (not m.kinds or event.kind in m.kinds)
        and (not m.upstreams or event.upstream in m.upstreams)
        and (not m.paths or touches(event.files, m.paths))
        and (not m.labels or bool(labels & {label.lower() for label in m.labels}))
        and (not m.title_models or bool(models_in_title(event.title, rules.models)))
    )


def _selects(rule: Rule, job: MatrixJob, event: UpstreamEvent, rules: RulesFile) -> bool:
    s, config = rule.select, job.config
    vendor_skus = rules.vendors.get(s.vendor, ()) if s.vendor else ()
    return (
        (not s.models or config.model in s.models)
        and (not s.hardware or config.hardware in s.hardware)
        and (not s.vendor or config.hardware in vendor_skus)
        and (not s.precisions or config.precision in s.precisions)
        and (not s.title_models or config.model in models_in_title(event.title, rules.models))
    )


def feeds(upstream: Upstream, job: MatrixJob) -> bool:
    return job.config.framework in upstream.frameworks and (
        not upstream.hardware or job.config.hardware in upstream.hardware
    )


# the version inside an image tag: v0.11.2, 0.5.6, v0.12.0rc1, 0.11.0.post1 (then any suffix)
_IMAGE_VERSION = re.compile(r"v?\d+\.\d+(?:\.\d+)?(?:rc\d+|\.post\d+)?")


def image_for(template: str, version: str) -> str:
    """The template image with its tag's version replaced by `version` (a release or tag name):
    'vllm/vllm-openai:v0.11.2' -> ':v0.12.0', 'lmsysorg/sglang:v0.5.6-cu129' -> ':v0.5.7-cu129'.
    Upstreams publish an image per release; a tag without a version is kept as it is."""
    name, sep, tag = template.rpartition(":")
    if not sep or "/" in tag or not _IMAGE_VERSION.match(tag) or not _IMAGE_VERSION.match(version):
        return template
    return f"{name}:{_IMAGE_VERSION.sub(version, tag, count=1)}"


def matrix_build(framework: str, template: str) -> Build:
    """The build the benchmark matrix pins today: its image, versioned by the image's tag."""
    tag = template.rpartition(":")[2] if ":" in template else ""
    found = _IMAGE_VERSION.match(tag)
    return Build(framework=framework, version=found.group(0) if found else tag, image=template)


def build_of(event: UpstreamEvent, framework: str) -> Build:
    """The build under test: a release or tag by name, a merged PR by its merge commit."""
    version = event.name if event.kind != "pull" else f"pr-{event.name}"
    return Build(framework=framework, version=version, commit=event.ref)


@dataclass(frozen=True)
class Earlier:
    """What the watcher remembers of earlier events of the same kind from the same upstream,
    most recent first, and which of their builds have good (stored, not failed) results."""

    names: tuple[str, ...] = ()
    good: frozenset[str] = frozenset()


def baseline_of(
    event: UpstreamEvent,
    rule: str,
    framework: str,
    template: str,
    earlier: Earlier = Earlier(),
    image_tags: bool = True,
) -> Build:
    """The build this event's build is judged against, by the upstream's rule for its kind
    (configs/upstreams.yaml `baseline`); the matrix build when the rule finds nothing."""
    name = ""
    if rule.startswith(PINNED):
        name = rule.removeprefix(PINNED).strip()
    elif rule == "previous":
        name = next(iter(earlier.names), "")
    elif rule == "last-good":
        name = next((n for n in earlier.names if n in earlier.good), "")
    elif rule == "merge-base" and event.base:
        version = f"pr-{event.name}-base"
        return Build(framework=framework, version=version, commit=event.base)
    if not name:
        return matrix_build(framework, template)
    return Build(
        framework=framework, version=name, image=image_for(template, name) if image_tags else ""
    )


def _job(
    event: UpstreamEvent,
    template: MatrixJob,
    reasons: tuple[str, ...],
    upstream: Upstream,
    budget: Budget,
    earlier: Earlier,
    repeats: int,
) -> Job:
    framework = template.config.framework
    image = template.image
    if event.kind != "pull" and upstream.image_tags:
        image = image_for(template.image, event.name)
    rule = upstream.baseline.rule(event.kind)
    baseline = baseline_of(event, rule, framework, template.image, earlier, upstream.image_tags)
    return Job(
        config=template.config, entry=template.entry, model_id=template.model_id, image=image,
        runner=template.runner, concurrencies=template.concurrencies, repeats=repeats,
        build=build_of(event, framework), reasons=reasons, baseline=baseline,
        upstream=event.upstream,
    )  # fmt: skip


def plan(
    event: UpstreamEvent,
    upstream: Upstream,
    rules: RulesFile,
    matrix: Sequence[MatrixJob],
    budget: Budget,
    earlier: Earlier = Earlier(),
    interleave: Callable[[MatrixJob, Build], bool] = lambda job, baseline: True,
    repeats: Callable[[MatrixJob], int] | None = None,
) -> Plan:
    """The jobs this event can affect, each with its baseline; `interleave(job, baseline)` says
    whether the baseline must run again beside the candidate, `repeats(job)` how many runs each
    (default: the budget's; the watcher asks the store)."""
    candidates = [job for job in matrix if feeds(upstream, job)]
    chosen: dict[int, list[str]] = {}  # index into candidates -> rule names, in rule order
    breadth: dict[str, int] = {}
    for rule in rules.rules:
        if not _matches(rule, event, rules):
            continue
        picked = [i for i, job in enumerate(candidates) if _selects(rule, job, event, rules)]
        breadth[rule.name] = len(picked)
        for i in picked:
            chosen.setdefault(i, []).append(rule.name)
    # narrowest rule first, then matrix order
    order = sorted(chosen, key=lambda i: (min(breadth[r] for r in chosen[i]), i))
    runs = repeats or (lambda job: budget.repeats)
    jobs = [
        _job(event, candidates[i], tuple(chosen[i]), upstream, budget, earlier, runs(candidates[i]))
        for i in order
    ]
    limit = budget.jobs_per_event
    dropped = tuple((job, f"over the per-event budget of {limit} jobs") for job in jobs[limit:])
    kept = [
        replace(job, interleave=budget.interleave == "always" or (
            budget.interleave == "auto" and interleave(candidates[i], job.baseline)
        ))
        for i, job in zip(order, jobs[:limit], strict=False)
    ]  # fmt: skip
    return Plan(event, tuple(kept), dropped)
