"""Turns a plan into workflow_dispatch calls of the benchmark workflow, each exactly once.

Exactly once, across crashes and retries: each dispatch has an idempotency key (from the
upstream, the event and the chunk), written to the store as *pending* before the POST and marked
*sent* after it. The benchmark workflow puts the key in its run title (`run-name`), so a pending
dispatch found on a rerun, or a POST that failed without saying whether it landed, is settled by
looking for the key among the workflow's runs before sending again.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot import store
from bot.model import Job, UpstreamEvent
from bot.runner.job import spec_of

SENT, ALREADY_SENT, FOUND = "sent", "already sent", "found among runs"
MAX_INPUT_CHARS = 65_535  # GitHub's limit for one workflow_dispatch input


@dataclass(frozen=True)
class Dispatch:
    key: str
    event: UpstreamEvent
    jobs: tuple[Job, ...]

    @property
    def title(self) -> str:
        """What the benchmark workflow's run-name renders to (it must contain the key)."""
        return f"benchmark {self.key}"

    @property
    def builds(self) -> tuple[str, str]:
        """(baseline, candidate) as analyze.yml names them; `chunk` keeps one pair per dispatch."""
        return builds(self.jobs[0])

    def inputs(self) -> dict[str, str]:
        jobs = json.dumps([job_json(job) for job in self.jobs], separators=(",", ":"))
        if len(jobs) > MAX_INPUT_CHARS:
            raise ValueError(f"dispatch {self.key}: jobs input is {len(jobs)} characters")
        baseline, candidate = self.builds
        return {
            "jobs": jobs,
            "key": self.key,
            "upstream": self.event.upstream,
            "event": self.event.key,
            "baseline": baseline,  # what analyze.yml compares once the results are in
            "candidate": candidate,
        }


def builds(job: Job) -> tuple[str, str]:
    """The job's (baseline, candidate) selectors: the pair its dispatch names."""
    return (job.baseline.selector if job.baseline else "", job.build.selector)


def job_json(job: Job) -> dict[str, Any]:
    """A job as the benchmark workflow's matrix and `run-job` read it (bot/runner/job.py)."""
    return spec_of(job).model_dump(mode="json", exclude_unset=True)


def dispatch_key(event: UpstreamEvent, chunk: int) -> str:
    text = f"{event.upstream}|{event.key}|{chunk}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def chunk(event: UpstreamEvent, jobs: Sequence[Job], per_dispatch: int) -> list[Dispatch]:
    """Dispatches of at most `per_dispatch` jobs, each holding one baseline/candidate pair (jobs
    of one event can have different baselines: the matrix build differs per framework)."""
    pairs: dict[tuple[str, str], list[Job]] = {}
    for job in jobs:
        pairs.setdefault(builds(job), []).append(job)
    groups = [
        group[i : i + per_dispatch]
        for group in pairs.values()
        for i in range(0, len(group), per_dispatch)
    ]
    return [Dispatch(dispatch_key(event, n), event, tuple(g)) for n, g in enumerate(groups)]


def within_daily_budget(
    engine: Engine, jobs: Sequence[Job], per_day: int, now: datetime | None = None
) -> tuple[list[Job], list[tuple[Job, str]]]:
    """The jobs that fit in what is left of today's (UTC) budget, and the ones that do not."""
    now = now or datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    left = max(0, per_day - store.jobs_dispatched_since(engine, midnight))
    why = f"over the daily budget of {per_day} jobs"
    return list(jobs[:left]), [(job, why) for job in jobs[left:]]


@dataclass(frozen=True)
class GitHubActions:
    """What sending needs from GitHub: a POST and a look at the runs (bot/github/api.py)."""

    post: Callable[[dict[str, str]], None]
    titles: Callable[[], set[str]]


def send(
    engine: Engine,
    github: GitHubActions,
    d: Dispatch,
    *,
    attempts: int = 3,
    settle_seconds: float = 5.0,
) -> str:
    """Dispatch once: skip if sent, settle a pending one by the run list, else POST (bounded).

    settle_seconds: GitHub lists a dispatched run a few seconds after the POST returns; wait
    that long before concluding from the run list that a failed POST did not land.
    """
    state = store.dispatch_state(engine, d.key)
    if state == "sent":
        return ALREADY_SENT
    if state is None:
        store.record_dispatch(engine, d.key, d.event.upstream, d.event.key, len(d.jobs))
    else:  # pending: an earlier pass died around the POST; give a run it started time to show
        time.sleep(settle_seconds)
        if d.title in github.titles():
            store.mark_sent(engine, d.key)
            return FOUND
    last: Exception | None = None
    for _ in range(attempts):
        try:
            github.post(d.inputs())
        except Exception as exc:
            last = exc
            time.sleep(settle_seconds)
            if d.title in github.titles():
                store.mark_sent(engine, d.key)
                return FOUND
            continue
        store.mark_sent(engine, d.key)
        return SENT
    assert last is not None
    raise last
