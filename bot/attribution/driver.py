"""Drives one bisection a step at a time: read the results that came back, decide, dispatch runs.

Every step starts from the state in the store and ends by saving it, so an interrupted bisection
resumes where it was. Runs are dispatched through the exactly-once dispatcher with a key numbered
by the bisection (the state says how many it sent), and the state with the new pending runs is
computed before the POST: a step rerun after a crash sends the same keys, which the dispatcher
recognises. A dispatch whose results do not come back within `timeout_hours` is sent again once,
then the bisection gives up and says so.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, fields, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from bot import dispatch, store
from bot.attribution.bisect import (
    BAD,
    FAILURE,
    FOUND,
    GOOD,
    NO_RESULTS,
    OUT_OF_BUDGET,
    RUNNING,
    UNCLEAR_AFTER_BUDGET,
    UNLIKE_ENDS,
    Bisection,
    Pending,
    decide_any_failure,
    decide_failure,
    decide_performance,
    finish,
    mode_of,
    record,
    say,
)
from bot.config import AnalysisPolicy
from bot.model import (
    BUILD_UNVERIFIED,
    SWEEP_OK,
    Build,
    Job,
    Sweep,
    UpstreamEvent,
    same_commit,
)

SweepsAt = Callable[[str], Sequence[Sweep]]  # commit -> the stored sweeps at that commit


def at_commit(sweeps: Sequence[Sweep], commit: str) -> list[Sweep]:
    """The runs of any build at this commit, matched by prefix either way (`same_commit`). A
    build-unverified record measured nothing at that commit: it is no result (the probe waits,
    is dispatched again after the timeout, then reported as without results)."""
    return [
        s for s in sweeps if same_commit(s.build.commit, commit) and s.cause != BUILD_UNVERIFIED
    ]


def save(engine: Engine, b: Bisection) -> None:
    store.save_bisection(engine, b.key, b.status, json.dumps(asdict(b)))


def load(engine: Engine, key: str) -> Bisection | None:
    state = store.load_bisections(engine).get(key)
    if state is None:
        return None
    raw = json.loads(state)
    known = {f.name for f in fields(Bisection)}
    raw = {k: v for k, v in raw.items() if k in known}  # older states: unknown keys dropped
    raw["commits"] = tuple(raw["commits"])
    raw["priority"] = tuple(raw.get("priority", ()))
    raw["log"] = tuple(raw.get("log", ()))
    raw["pending"] = tuple(Pending(**p) for p in raw.get("pending", ()))
    return Bisection(**raw)


def probe_event(b: Bisection, index: int, number: int) -> UpstreamEvent:
    """The dispatcher keys on an event: each dispatch of a bisection is one."""
    commit = b.commits[index]
    return UpstreamEvent(
        upstream=b.repo,
        kind="bisect",
        name=f"{hashlib.sha256(b.key.encode()).hexdigest()[:12]}-{number}",
        title=f"bisect {b.config_slug} at {commit[:12]}",
        url="",
        at=datetime.now(UTC),
        ref=commit,
    )


def probe_job(template: Job, b: Bisection, index: int, runs: int) -> Job:
    """The template job at this commit: the runner installs `commit`; results carry `version`."""
    commit = b.commits[index]
    build = Build(template.build.framework, f"{b.repo}@{commit[:12]}", commit)
    return replace(
        template, build=build, repeats=runs, reasons=("bisection",), baseline=None,
        interleave=False, upstream=b.repo,
    )  # fmt: skip


def _records(sweeps: Sequence[Sweep]) -> int:
    return len({(s.run_id, s.repeat) for s in sweeps})


def _arrived(p: Pending, sweeps: Sequence[Sweep]) -> bool:
    new = _records(sweeps) - p.before
    # a failing run ends its job: the runner skips the other repeats and writes one failure
    return new >= p.runs or (new >= 1 and any(s.status != SWEEP_OK for s in sweeps))


def _send(
    engine: Engine,
    github: dispatch.GitHubActions,
    b: Bisection,
    template: Job,
    sweeps_at: SweepsAt,
    asks: dict[int, int],
    now: datetime,
    settle_seconds: float,
    attempt: int = 0,
) -> Bisection:
    """Charge the budget, record the runs as pending, save, then dispatch (exactly once)."""
    plans = []
    for index, runs in sorted(asks.items()):
        event = probe_event(b, index, b.sent + len(plans))
        key = dispatch.dispatch_key(event, 0)
        before = _records(sweeps_at(b.commits[index]))
        plans.append((event, key, index, runs, before))
    pending = tuple(Pending(i, r, n, now.isoformat(), k, attempt) for _, k, i, r, n in plans)
    b = replace(
        b, runs=b.runs + sum(asks.values()), sent=b.sent + len(plans),
        pending=b.pending + pending, probe_spent=b.probe_spent + asks.get(b.probe or -1, 0),
    )  # fmt: skip
    save(engine, b)
    for event, key, index, runs, _ in plans:
        job = probe_job(template, b, index, runs)
        dispatch.send(
            engine, github, dispatch.Dispatch(key, event, (job,)), settle_seconds=settle_seconds
        )
    return b


def _waiting(
    engine: Engine,
    github: dispatch.GitHubActions,
    b: Bisection,
    template: Job,
    sweeps_at: SweepsAt,
    now: datetime,
    settle_seconds: float,
) -> Bisection | None:
    """The bisection while runs are still out (re-dispatched or given up on a timeout), or None
    when every pending dispatch's results are in."""
    late = [p for p in b.pending if not _arrived(p, sweeps_at(b.commits[p.index]))]
    if not late:
        return None
    limit = timedelta(hours=b.timeout_hours)
    overdue = [p for p in late if now - datetime.fromisoformat(p.sent_at) > limit]
    if not overdue:
        return b
    if any(p.attempt >= 1 for p in overdue):
        where = ", ".join(str(p.index) for p in overdue)
        b = finish(b, NO_RESULTS, f"no results at index {where} within {b.timeout_hours:g} h, "
                   "even after sending it again")  # fmt: skip
        save(engine, b)
        return b
    b = replace(b, pending=tuple(p for p in b.pending if p not in overdue))
    for p in overdue:
        b = say(b, f"no results at index {p.index} within {b.timeout_hours:g} h: sent again")
        # the runs sent first are not charged twice
        b = replace(b, runs=b.runs - p.runs)
        b = _send(engine, github, b, template, sweeps_at, {p.index: p.runs}, now,
                  settle_seconds, attempt=1)  # fmt: skip
    save(engine, b)
    return b


def _fit(b: Bisection, asks: dict[int, int]) -> dict[int, int]:
    """The runs asked for, trimmed (largest ask first, one run each at least) to what the
    budget left pays for; empty when not even that fits. The last few runs still decide."""
    asks = dict(asks)
    while not b.affords(sum(asks.values())) and max(asks.values(), default=1) > 1:
        most = max(asks, key=asks.__getitem__)
        asks[most] -= 1
    return asks if asks and b.affords(sum(asks.values())) else {}


def step(
    engine: Engine,
    github: dispatch.GitHubActions,
    b: Bisection,
    template: Job,
    sweeps_at: SweepsAt,
    policy: AnalysisPolicy,
    *,
    settle_seconds: float = 5.0,
    prior: tuple[float, float] | None = None,
    now: datetime | None = None,
) -> Bisection:
    """One step: if the runs sent are back, decide (a side, or where more runs go), then send.
    `prior` is the configuration's run noise from its history (`bisect.history_noise`)."""
    if b.status != RUNNING:
        return b
    now = now or datetime.now(UTC)
    if b.pending:
        waiting = _waiting(engine, github, b, template, sweeps_at, now, settle_seconds)
        if waiting is not None:
            return waiting
        b = replace(b, pending=())
    asks: dict[int, int] = {}
    while b.status == RUNNING and b.probe is not None and not asks:
        indices = set(range(len(b.commits)))  # every measured commit informs the levels
        by_index = {i: list(sweeps_at(b.commits[i])) for i in indices}
        by_index = {i: ss for i, ss in by_index.items() if ss}
        if mode_of(by_index, b, policy) == FAILURE:
            decision = decide_failure(b, by_index, policy)
        else:
            decision = decide_any_failure(b, by_index, policy)
            if decision is None:
                b, decision = decide_performance(b, by_index, policy, prior, batch=2)
        if decision.outcome == FOUND:
            break
        if decision.outcome in (GOOD, BAD):
            b = record(b, decision.outcome, " " + decision.why)
            continue
        if decision.outcome == UNLIKE_ENDS:
            b = finish(b, UNLIKE_ENDS, decision.why)
            break
        probe_runs = len(by_index.get(b.probe, []))
        if probe_runs >= b.max_probe_runs:
            b = finish(b, UNCLEAR_AFTER_BUDGET, f"probe {b.probe} still unclear after "
                       f"{probe_runs} runs (the most a probe gets); {decision.why}")  # fmt: skip
            break
        asks = _fit(b, decision.asks)
        if not asks:
            status = OUT_OF_BUDGET
            spent = f"{b.runs} of {b.budget} runs spent ({b.gpu_hours:g} GPU-hours)"
            b = finish(b, status, f"{spent}; the next {sum(decision.asks.values())} do not fit; "
                       f"the culprit is in {b.good + 1}..{b.bad}; {decision.why}")  # fmt: skip
            break
        b = say(b, decision.why)
        if asks != decision.asks:
            b = say(b, f"the budget left pays for {sum(asks.values())} of those runs: sent")
    if asks:
        return _send(engine, github, b, template, sweeps_at, asks, now, settle_seconds)
    save(engine, b)
    return b
