"""Which stored sweeps a question is about: a build or run selector, the latest build per config."""

from __future__ import annotations

import bisect
import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from bot.errors import ParetobotError
from bot.model import Build, ConfigKey, Sweep
from bot.text import plain

RUN_PREFIX = "run:"


class SelectionError(ParetobotError, ValueError):
    """A selector that cannot name one thing."""


def matches(sweep: Sweep, selector: str) -> bool:
    """`run:ID` selects a run; anything else a build (version, image or tag, commit prefix)."""
    if selector.startswith(RUN_PREFIX):
        return sweep.run_id == selector[len(RUN_PREFIX) :]
    return sweep.build.matches(selector)


def by_config(sweeps: Sequence[Sweep]) -> dict[ConfigKey, list[Sweep]]:
    grouped: dict[ConfigKey, list[Sweep]] = defaultdict(list)
    for sweep in sweeps:
        grouped[sweep.config].append(sweep)
    return dict(grouped)


def latest_build(sweeps: Sequence[Sweep]) -> Build:
    """The build of the most recently stored sweep (sweeps come in storage order)."""
    return sweeps[-1].build


def of_build(sweeps: Sequence[Sweep], build: Build) -> list[Sweep]:
    return [s for s in sweeps if s.build == build]


def pick(sweeps: Sequence[Sweep], selector: str) -> list[Sweep]:
    """Sweeps matching the selector; refuses a selector that names two different builds."""
    chosen = [s for s in sweeps if matches(s, selector)]
    builds = {s.build for s in chosen}
    if len(builds) > 1:
        labels = ", ".join(sorted(plain(b.label, 120) for b in builds))  # text from files
        raise SelectionError(
            f"'{selector}' matches more than one build ({labels}); be more specific: "
            "`paretobot builds` gives each build a selector that names only it"
        )
    return chosen


# ---- names for a selection that matched nothing, and selectors that name exactly one build ----

_SEPARATORS = re.compile(r"[\s/_\-:@*?\[\]]+")


def closest(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Up to `n` stored names close to `name`, best first (case-insensitive). Two signs: the
    parts of `name` (split at '-', '/', '_', ':' ...) that a candidate contains, so that
    'llama3-70b-h100' finds a slug holding 'llama3.1-70b' and 'h100' though the whole strings
    differ in length (half of the parts at least); and difflib's similarity of the whole
    strings, for a misspelt short name (a build's 'v0.5.8' for 'v0.5.9')."""
    parts = [p for p in _SEPARATORS.split(name.lower()) if len(p) >= 3]  # 'sa' is in 'disagg'
    scored = []
    for candidate in dict.fromkeys(candidates):
        low = candidate.lower()
        hits = sum(p in low for p in parts)
        if not hits:  # a misspelt part counts half: 'lama3' in 'llama3'
            words = _SEPARATORS.split(low)
            hits = sum(bool(difflib.get_close_matches(p, words, 1, 0.8)) for p in parts) / 2
        ratio = difflib.SequenceMatcher(None, name.lower(), low).ratio()
        # half the parts at least, so that one common word ('fp8') does not make a slug close
        if (hits and 2 * hits >= len(parts)) or ratio >= 0.8:
            scored.append((-hits, -ratio, candidate))
    return [c for _, _, c in sorted(scored)[:n]]


def hint(name: str, candidates: Iterable[str], kind: str, lister: str) -> str:
    """The tail of a one-line error about `name` matching nothing: the close names (as safe
    text: they come from result files) and the command that lists them all."""
    names = list(candidates)
    near = closest(name, names)
    if near:
        found = "closest: " + ", ".join(plain(c, 120) for c in near)
    elif names:
        found = f"nothing close among {len(set(names))} stored {kind}"
    else:
        return ""
    return f"; {found}; list them with `{lister}`"


def selectors(builds: Sequence[Build]) -> dict[Build, str | None]:
    """For each build, a selector that `Build.matches` finds in it and in no other of `builds`
    (what to paste into `compare --baseline`), or None where none exists (two builds that differ
    only by image digest). Tried in the order people name builds: version, image tag, a commit
    prefix, the image, the label, the whole commit."""
    exact: dict[str, set[Build]] = defaultdict(set)
    unversioned: dict[str, set[Build]] = defaultdict(set)
    for b in builds:  # an index of what `Build.matches` compares, so the search is not N^2
        for text in (b.version, b.image, b.label):
            exact[text.lower()].add(b)
        if b.image:
            exact[b.image.lower().rsplit(":", 1)[-1]].add(b)
        unversioned[b.version.lower().lstrip("v")].add(b)
    commits = sorted((b.commit.lower(), i) for i, b in enumerate(builds) if b.commit)
    keys = [c for c, _ in commits]

    def named(selector: str) -> set[Build]:
        s = selector.strip().lower()
        found = exact.get(s, set()) | unversioned.get(s.lstrip("v"), set())
        if len(s) >= 7:  # a commit prefix: the commits that start with it sort together
            at = bisect.bisect_left(keys, s)
            while at < len(keys) and keys[at].startswith(s):
                found.add(builds[commits[at][1]])
                at += 1
        return found

    chosen: dict[Build, str | None] = {}
    for b in builds:
        tag = b.image.rsplit(":", 1)[-1] if ":" in b.image.rsplit("/", 1)[-1] else ""
        tries = [b.version, tag, b.commit[:12], b.image, b.label, b.commit]
        chosen[b] = next(
            (t for t in tries if t.strip() and not t.startswith(RUN_PREFIX) and named(t) == {b}),
            None,
        )
    return chosen
