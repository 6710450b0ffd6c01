"""Ranks candidate pull requests by how likely each caused a change on one configuration.

A small additive model, every weight in configs/components.yaml (its header says what each term
means): the components a PR touches that this configuration uses, the configuration's model,
hardware and precision named in the title, body or paths, words whose weight depends on the kind
of change ("revert" behind an improvement, "fix" behind an unlock), labels and size. Each term
that fires is one line of the explanation, with its contribution, so a reader can check the sum.
Deterministic: equal scores are ordered newest merge first, then by PR number.
"""

from __future__ import annotations

import fnmatch
import functools
import math
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from bot.config import ConfigError, Strict, config_file, describe, read_yaml
from bot.model import CHANGE_KINDS, Candidate, ConfigKey, PullRequest

# ---- components.yaml ---------------------------------------------------------------------------


class Weights(Strict):
    components_cap: float = Field(gt=0)
    further_components: float = Field(1.0, ge=0, le=1)  # weight factor after the first
    size_per_decade: float = Field(ge=0)
    size_cap: float = Field(ge=0)
    inert_only: float
    model_in_title: float
    model_in_body: float
    model_in_paths: float
    other_model_only: float
    hardware_in_title: float
    hardware_in_body: float
    hardware_in_paths: float
    other_hardware_only: float
    precision_in_title: float
    framework_in_title: float
    body_factor: float = Field(ge=0, le=1)


class Decisive(Strict):
    min_margin: float = Field(ge=0)
    min_ratio: float = Field(ge=1)


class When(Strict):
    traits: tuple[str, ...] = ()
    precisions: tuple[str, ...] = ()
    vendors: tuple[str, ...] = ()
    spec: bool | None = None
    multi_gpu: bool | None = None


class Component(Strict):
    label: str = Field(min_length=1)
    weight: float
    mismatch: float = 0.0  # when touched but `when` fails for this configuration
    paths: tuple[str, ...] = Field(min_length=1)
    when: When = When()


class WordGroup(Strict):
    label: str = Field(min_length=1)
    patterns: tuple[str, ...] = Field(min_length=1)
    default: float
    kinds: dict[str, float] = Field(default_factory=dict)

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} does not compile: {exc}") from None
        return patterns

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, kinds: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(kinds) - set(CHANGE_KINDS))
        if unknown:
            raise ValueError(f"unknown change kinds {unknown}; use {list(CHANGE_KINDS)}")
        return kinds


class Capability(Strict):
    """A PR that makes something run that did not: an enabling verb and a concrete target (a head
    count, a dtype, an architecture, a size), or a removed guard. Weights per change kind."""

    verbs: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    guards: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()  # not a capability when these are there too (tuning)
    adds: dict[str, float] = Field(default_factory=dict)  # verb and target
    verb_only: dict[str, float] = Field(default_factory=dict)
    removes_guard: dict[str, float] = Field(default_factory=dict)

    @field_validator("verbs", "targets", "guards", "unless")
    @classmethod
    def _compiles(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        return WordGroup._compiles(patterns)

    @field_validator("adds", "verb_only", "removes_guard")
    @classmethod
    def _known_kinds(cls, kinds: dict[str, float]) -> dict[str, float]:
        return WordGroup._known_kinds(kinds)


class Model(Strict):
    names: tuple[str, ...] = Field(min_length=1)
    traits: tuple[str, ...] = ()


class Hardware(Strict):
    vendor: str = Field(min_length=1)
    names: tuple[str, ...] = Field(min_length=1)


class Components(Strict):
    """configs/components.yaml, validated."""

    weights: Weights
    decisive: Decisive
    inert: tuple[str, ...] = ()
    components: dict[str, Component]
    words: dict[str, WordGroup] = Field(default_factory=dict)
    capability: Capability = Capability()
    labels: dict[str, float] = Field(default_factory=dict)
    models: dict[str, Model] = Field(default_factory=dict)
    hardware: dict[str, Hardware] = Field(default_factory=dict)
    precisions: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    frameworks: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _references(self) -> Components:
        traits = {t for m in self.models.values() for t in m.traits}
        vendors = {h.vendor for h in self.hardware.values()}
        for name, comp in self.components.items():
            for field, known, used in (
                ("traits", traits, comp.when.traits),
                ("vendors", vendors, comp.when.vendors),
                ("precisions", set(self.precisions), comp.when.precisions),
            ):
                unknown = sorted(set(used) - known)
                if unknown:
                    raise ValueError(
                        f"components.{name}.when.{field}: {unknown} not defined "
                        f"(known: {sorted(known)})"
                    )
        return self


def load_components(path: Path | None = None) -> Components:
    """configs/components.yaml (or `path`); ConfigError names the file, key and field."""
    path = path or config_file("components.yaml")
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0
    return _load(path, stamp)


@functools.lru_cache(maxsize=8)
def _load(path: Path, stamp: int) -> Components:
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: (top): expected a mapping of sections")
    try:
        return Components.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe(exc)}") from None


# ---- scoring ------------------------------------------------------------------------------------


def rank(
    pulls: Sequence[PullRequest],
    config: ConfigKey | None,
    change_kind: str,
    components: Components | None = None,
) -> list[Candidate]:
    """The pulls scored and sorted, most likely cause first.

    config None means the configuration is unknown or the change spans several: every component
    then counts as used, and names of models and GPUs are not looked for."""
    kind = change_kind.strip().lower()
    if kind not in CHANGE_KINDS:
        raise ValueError(f"unknown change kind {change_kind!r}; use one of {list(CHANGE_KINDS)}")
    spec = components or load_components()
    context = _Context.of(spec, config)
    scored = [_score(spec, context, kind, pull) for pull in pulls]
    return sorted(scored, key=_order)


def is_decisive(candidates: Sequence[Candidate], components: Components | None = None) -> bool:
    """True when the ranking alone names the culprit: the top score leads the second by at least
    `decisive.min_margin` and (when the second is positive) by the factor `min_ratio`.
    One candidate is decisive (nothing else could have done it); none is not."""
    if not candidates:
        return False
    if len(candidates) == 1:
        return True
    rule = (components or load_components()).decisive
    top, second = sorted((c.score for c in candidates), reverse=True)[:2]
    if top - second < rule.min_margin:
        return False
    return second <= 0 or top >= rule.min_ratio * second


def _order(c: Candidate) -> tuple[float, float, int, str]:
    merged = c.pull.merged_at.timestamp() if isinstance(c.pull.merged_at, datetime) else -math.inf
    return (-c.score, -merged, -c.pull.number, c.pull.title)


class _Context:
    """What a configuration is, in the vocabulary of components.yaml."""

    def __init__(self) -> None:
        self.known = False
        self.model = self.sku = self.vendor = self.precision = self.framework = ""
        self.traits: set[str] = set()
        self.model_names: tuple[str, ...] = ()
        self.other_models: dict[str, tuple[str, ...]] = {}
        self.hw_names: tuple[str, ...] = ()
        self.other_hw: dict[str, tuple[str, ...]] = {}
        self.precision_names: tuple[str, ...] = ()
        self.framework_names: tuple[str, ...] = ()
        self.spec = False
        self.multi_gpu = False

    @classmethod
    def of(cls, spec: Components, config: ConfigKey | None) -> _Context:
        ctx = cls()
        if config is None:
            return ctx
        ctx.known = True
        ctx.model = _lookup(spec.models, config.model)
        if ctx.model:
            ours = spec.models[ctx.model]
            ctx.traits, ctx.model_names = set(ours.traits), ours.names
            ctx.other_models = {
                k: tuple(n for n in m.names if n not in ours.names)
                for k, m in spec.models.items()
                if k != ctx.model
            }
        ctx.sku = _lookup(spec.hardware, config.hardware)
        if ctx.sku:
            ours_hw = spec.hardware[ctx.sku]
            ctx.vendor, ctx.hw_names = ours_hw.vendor, ours_hw.names
            ctx.other_hw = {
                k: tuple(n for n in h.names if n not in ours_hw.names)
                for k, h in spec.hardware.items()
                if k != ctx.sku
            }
        ctx.precision = config.precision.lower()
        ctx.precision_names = spec.precisions.get(ctx.precision, (ctx.precision,))
        ctx.framework = _lookup(spec.frameworks, config.framework)
        ctx.framework_names = spec.frameworks.get(ctx.framework, ())
        ctx.spec = config.spec_method.lower() not in ("", "none")
        ctx.multi_gpu = config.gpus > 1 or config.tp * config.ep * config.pp > 1
        return ctx

    def uses(self, when: When) -> bool:
        """Whether this configuration uses a component; what is not known (no configuration, a
        model or GPU missing from components.yaml) does not rule a component out."""
        if not self.known:
            return True
        return (
            (not when.traits or not self.model or bool(self.traits & set(when.traits)))
            and (not when.precisions or self.precision in when.precisions)
            and (not when.vendors or not self.sku or self.vendor in when.vendors)
            and (when.spec is None or when.spec == self.spec)
            and (when.multi_gpu is None or when.multi_gpu == self.multi_gpu)
        )


def _lookup(table: dict[str, Any], name: str) -> str:
    """The table's key for a configuration's name: exact, else the longest key it starts with
    ('mi355x-amds' -> 'mi355x')."""
    name = name.strip().lower()
    if name in table:
        return name
    prefixes = [k for k in table if name.startswith(k)]
    return max(prefixes, key=len, default="")


@functools.lru_cache(maxsize=1024)
def _name_regex(name: str) -> re.Pattern[str]:
    """A name as a whole word, with '-', '_', ' ' or nothing between its parts."""
    parts = [re.escape(p) for p in re.split(r"[-_ ]+", name.strip().lower()) if p]
    return re.compile(r"(?<![a-z0-9])" + "[-_ ]?".join(parts) + r"(?![a-z0-9])", re.IGNORECASE)


def _named(names: Sequence[str], texts: Sequence[str]) -> str | None:
    """The first of `names` found in any of `texts`, as written there."""
    for text in texts:
        for name in names:
            hit = _name_regex(name).search(text)
            if hit:
                return hit.group(0)
    return None


def _other(table: dict[str, tuple[str, ...]], texts: Sequence[str]) -> tuple[str, str] | None:
    for key, names in table.items():
        hit = _named(names, texts)
        if hit:
            return key, hit
    return None


def _matches(path: str, globs: Sequence[str]) -> bool:
    low = path.lower()
    return any(fnmatch.fnmatchcase(low, g) for g in globs)


def _some(paths: Sequence[str]) -> str:
    shown = ", ".join(p[:100] for p in paths[:2])
    return shown + (f" and {len(paths) - 2} more" if len(paths) > 2 else "")


def _score(spec: Components, ctx: _Context, kind: str, pull: PullRequest) -> Candidate:
    w = spec.weights
    terms: list[tuple[float, str]] = []
    title, body = pull.title or "", pull.body or ""
    is_inert = [_matches(f, spec.inert) for f in pull.files]
    inert = [f for f, dead in zip(pull.files, is_inert, strict=True) if dead]
    live = [f for f, dead in zip(pull.files, is_inert, strict=True) if not dead]
    if inert and not live:
        terms.append((w.inert_only, f"only docs/tests/CI files ({_some(inert)})"))

    touched = []
    for comp in spec.components.values():
        hits = [f for f in live if _matches(f, comp.paths)]
        if hits and ctx.uses(comp.when):
            touched.append((comp, hits))
        elif hits and comp.mismatch:
            terms.append((comp.mismatch, f"touches {comp.label}, not this hardware's ({hits[0]})"))
    used = 0.0
    # the most telling component counts in full; further ones partly (breadth is also size)
    for n, (comp, hits) in enumerate(sorted(touched, key=lambda t: -t[0].weight)):
        value = comp.weight * (1.0 if n == 0 else w.further_components)
        used += value
        terms.append((value, f"{'also ' if n else ''}touches {comp.label} ({_some(hits)})"))
    if used > w.components_cap:
        terms.append((w.components_cap - used, f"components capped at {w.components_cap:+.1f}"))

    if ctx.known:
        terms += _names(w, ctx, title, body, live)
    terms += _words(spec, kind, title, body)
    terms += _capability(spec, kind, title, body)
    for label in pull.labels:
        weight = spec.labels.get(label.strip().lower())
        if weight:
            terms.append((weight, f"labelled '{label[:50]}'"))
    lines = max(pull.additions, 0) + max(pull.deletions, 0)
    if lines and w.size_per_decade:
        size = min(w.size_per_decade * math.log10(1 + lines), w.size_cap)
        terms.append((size, f"size: {lines} lines changed"))

    terms = [(round(v, 3), text) for v, text in terms if v]
    score = round(sum(v for v, _ in terms), 3)
    return Candidate(pull, score, tuple(f"{text}: {v:+.1f}" for v, text in terms))


def _names(
    w: Weights, ctx: _Context, title: str, body: str, live: Sequence[str]
) -> list[tuple[float, str]]:
    terms: list[tuple[float, str]] = []
    model = ctx.model or "this model"
    if ctx.model_names:
        if hit := _named(ctx.model_names, [title]):
            terms.append((w.model_in_title, f"names {hit} ({model}) in the title"))
        elif hit := _named(ctx.model_names, [body]):
            terms.append((w.model_in_body, f"names {hit} ({model}) in the body"))
        if hit := _named(ctx.model_names, live):
            terms.append((w.model_in_paths, f"touches files named for {model} ('{hit}')"))
        if not _named(ctx.model_names, [title, body, *live]):
            other = _other(ctx.other_models, [title, *live])
            if other:
                text = f"names another model ({other[1]}: {other[0]}), not {model}"
                terms.append((w.other_model_only, text))
    if ctx.hw_names:
        sku = ctx.sku.upper()
        shown = lambda hit: sku if hit.lower() == ctx.sku else f"{hit} ({sku})"  # noqa: E731
        if hit := _named(ctx.hw_names, [title]):
            terms.append((w.hardware_in_title, f"names {shown(hit)} in the title"))
        elif hit := _named(ctx.hw_names, [body]):
            terms.append((w.hardware_in_body, f"names {shown(hit)} in the body"))
        if hit := _named(ctx.hw_names, live):
            terms.append((w.hardware_in_paths, f"touches {shown(hit)}-specific files"))
        if not _named(ctx.hw_names, [title, body, *live]):
            other = _other(ctx.other_hw, [title, *live])
            if other:
                terms.append((w.other_hardware_only, f"names another GPU ({other[1]}), not {sku}"))
    if ctx.precision_names and (hit := _named(ctx.precision_names, [title])):
        precision = ctx.precision.upper()
        shown_p = precision if hit.lower() == ctx.precision else f"{hit} ({precision})"
        terms.append((w.precision_in_title, f"names {shown_p} in the title"))
    if ctx.framework_names and (hit := _named(ctx.framework_names, [title])):
        terms.append((w.framework_in_title, f"names {hit} in the title"))
    return terms


def _words(spec: Components, kind: str, title: str, body: str) -> list[tuple[float, str]]:
    terms: list[tuple[float, str]] = []
    for group in spec.words.values():
        weight = group.kinds.get(kind, group.default)
        if not weight:
            continue
        places = (("title", title, 1.0), ("body", body, spec.weights.body_factor))
        for where, text, factor in places:
            hit = next(
                (m for p in group.patterns if (m := re.search(p, text, re.IGNORECASE))), None
            )
            if hit and factor:
                word = hit.group(0).strip()[:40]
                terms.append((weight * factor, f"{group.label} ('{word}' in the {where})"))
                break
    return terms


def _first(patterns: Sequence[str], text: str) -> str | None:
    hit = next((m for p in patterns if (m := re.search(p, text, re.IGNORECASE))), None)
    return hit.group(0).strip()[:40] if hit else None


def _capability(spec: Components, kind: str, title: str, body: str) -> list[tuple[float, str]]:
    """A capability added (verb + target) or a guard removed, in the title, else the body."""
    cap = spec.capability
    for where, text, factor in (("title", title, 1.0), ("body", body, spec.weights.body_factor)):
        if not text or not factor or _first(cap.unless, text):
            continue
        if (guard := _first(cap.guards, text)) and cap.removes_guard.get(kind):
            weight = cap.removes_guard[kind] * factor
            return [(weight, f"removes a guard ('{guard}' in the {where})")]
        verb = _first(cap.verbs, text)
        target = _first(cap.targets, text) if verb else None
        if target and cap.adds.get(kind):
            text_ = f"adds a capability ('{verb}' ... '{target}' in the {where})"
            return [(cap.adds[kind] * factor, text_)]
        if verb and cap.verb_only.get(kind):
            return [(cap.verb_only[kind] * factor, f"enables something ('{verb}' in the {where})")]
    return []


def probe_priority(candidates: Sequence[Candidate]) -> list[tuple[str, float]]:
    """The order in which a bisection should probe: (merge commit, score), most likely cause
    first, as `rank` orders them (score, then newest merge, then PR number); candidates without a
    merge commit and repeated commits are left out. Scores compare within one ranking only."""
    seen: set[str] = set()
    out = []
    for c in sorted(candidates, key=_order):
        sha = c.pull.merge_commit
        if sha and sha not in seen:
            seen.add(sha)
            out.append((sha, c.score))
    return out


__all__ = [
    "CHANGE_KINDS",
    "Components",
    "ConfigError",
    "is_decisive",
    "load_components",
    "probe_priority",
    "rank",
]
