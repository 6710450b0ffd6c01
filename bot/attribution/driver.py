"""Drives one bisection a step at a time: read the probe's results, decide, dispatch the next probe.

Every step starts from the state in the store and ends by saving it, so a crash between steps
loses nothing; probe dispatches go through the exactly-once dispatcher with keys derived from the
bisection, the probe and the attempt, so a rerun never starts a probe twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot import dispatch, store
from bot.attribution.bisect import RUNNING, Bisection, classify, dispatched, record
from bot.config import AnalysisPolicy
from bot.model import Build, Job, Sweep, UpstreamEvent

SweepsAt = Callable[[str], Sequence[Sweep]]  # commit -> the stored sweeps of that build


def _one_build(sweeps: Sequence[Sweep]) -> list[Sweep]:
    """The runs of one build at a commit: several builds (nightlies, probes) can share a commit,
    and a comparison is of one build per side; the most recently stored one stands for it."""
    return [s for s in sweeps if s.build == sweeps[-1].build] if sweeps else []


def save(engine: Engine, b: Bisection) -> None:
    store.save_bisection(engine, b.key, b.status, json.dumps(asdict(b)))


def load(engine: Engine, key: str) -> Bisection | None:
    state = store.load_bisections(engine).get(key)
    if state is None:
        return None
    raw = json.loads(state)
    return Bisection(**raw | {"commits": tuple(raw["commits"])})


def probe_event(b: Bisection) -> UpstreamEvent:
    """The dispatcher keys on an event: a probe attempt is one."""
    assert b.probe is not None
    commit = b.commits[b.probe]
    return UpstreamEvent(
        upstream=b.repo,
        kind="bisect",
        name=f"{hashlib.sha256(b.key.encode()).hexdigest()[:12]}-{b.probe}-{b.tries}",
        title=f"bisect {b.config_slug} at {commit[:12]}",
        url="",
        at=datetime.now(UTC),
        ref=commit,
    )


def probe_job(template: Job, b: Bisection) -> Job:
    assert b.probe is not None
    commit = b.commits[b.probe]
    build = Build(template.build.framework, f"{b.repo}@{commit[:12]}", commit)
    return replace(template, build=build, repeats=b.repeats, reasons=("bisection",))


def step(
    engine: Engine,
    github: dispatch.GitHubActions,
    b: Bisection,
    template: Job,
    sweeps_at: SweepsAt,
    policy: AnalysisPolicy,
    *,
    settle_seconds: float = 5.0,
) -> Bisection:
    """One step: classify a probe whose results are in, then send the next probe if any."""
    if b.status != RUNNING:
        return b
    if b.probe is not None and b.tries > 0:
        results = _one_build(sweeps_at(b.commits[b.probe]))
        if len(results) < b.tries * b.repeats:
            return b  # the probe's runs are not all in yet
        good = _one_build(sweeps_at(b.commits[b.good]))
        bad = _one_build(sweeps_at(b.commits[b.bad]))
        outcome = classify(results, good, bad, policy)
        b = record(b, outcome)
        save(engine, b)
    if b.status == RUNNING and b.probe is not None:
        d = dispatch.Dispatch(
            dispatch.dispatch_key(probe_event(b), 0), probe_event(b), (probe_job(template, b),)
        )
        dispatch.send(engine, github, d, settle_seconds=settle_seconds)
        b = dispatched(b)
        save(engine, b)
    return b
