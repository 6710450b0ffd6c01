"""Triage as a use case: every detected change recorded with an identity and a state, the states
people set (`ack`, `ignore`, `note`, `reopen`), and what follows from later evidence (an ignore
that lapses is new again; a later comparison that undoes a regression fixes it; a named PR
attributes it). Only "new" changes not yet alerted are alerted (bot/notify.py).

The identity is the comment's (`change_key`: the configuration and both builds), so the comment,
the changelog entry, the alert and the triage state of one change are found by one key."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.engine import Connection, Engine

from bot.analysis.history import BY_BUILD, History
from bot.analysis.verdict import Verdict, percent
from bot.errors import ParetobotError
from bot.model import (
    ACKNOWLEDGED,
    ATTRIBUTED,
    BREAKAGE,
    CHANGE_KINDS,
    FIXED,
    IGNORED,
    IMPROVEMENT,
    INCONCLUSIVE,
    NEW,
    NO_CHANGE,
    OPEN_STATES,
    REGRESSION,
    UNLOCK,
    WORSE_KINDS,
    Attribution,
    Change,
    utc_now,
)
from bot.report.comment import change_key, headline, pull_url
from bot.store import triage as rows
from bot.store.engine import write_retrying, writing

VERDICT, CHANGEPOINT = "verdict", "changepoint"
ACTIONS = ("ack", "ignore", "note", "reopen")  # what people do to a change


class ChangeNotFound(ParetobotError):
    """A change name that matches no stored change, or more than one."""


@dataclass(frozen=True)
class Recorded:
    """What recording detections did: the changes as now stored, those first seen now (or whose
    ignore lapsed: alerted again), and those a comparison just showed undone."""

    changes: list[Change]
    new: list[Change]
    fixed: list[Change]


def detected(v: Verdict, *, confidence: float, now: datetime | None = None) -> Change:
    """A verdict as a detected change (state new until the store says otherwise)."""
    now = now or utc_now()
    c = v.comparison
    h = c.headline if c is not None else None
    runs = (*c.baseline_frontier.run_ids, *c.candidate_frontier.run_ids) if c else ()
    return Change(
        key=change_key(v.config, v.baseline, v.candidate),
        source=VERDICT,
        config=v.config,
        baseline=v.baseline,
        candidate=v.candidate,
        kind=v.kind,
        sentence=headline(v, confidence=confidence, markdown=False),
        state=NEW,
        first_seen=now,
        last_seen=now,
        updated_at=now,
        effect=None if h is None else h.ratio - 1,
        low=None if h is None or h.low is None else h.low - 1,
        high=None if h is None or h.high is None else h.high - 1,
        runs=tuple(dict.fromkeys(runs)),
    )


def changepoints(history: History, now: datetime | None = None) -> list[Change]:
    """Each change point of a per-build history as a detected change between the builds on its
    two sides (a per-date history has runs, not builds, on its sides: not a change of a build)."""
    if history.by != BY_BUILD:
        return []
    now = now or utc_now()
    found = []
    for cp in history.changes:
        before, after = history.values[cp.index - 1], history.values[cp.index]
        kind = IMPROVEMENT if cp.change > 0 else REGRESSION
        sentence = (
            f"{after.build.label} starts a step of {percent(1 + cp.change)} in "
            f"{history.measure} of {history.config.slug} over its history "
            f"(change point, p={cp.p_value:.2g}; median of {cp.before.n} builds before, "
            f"{cp.after.n} after)"
        )
        found.append(
            Change(
                key=change_key(history.config, before.build, after.build),
                source=CHANGEPOINT,
                config=history.config,
                baseline=before.build,
                candidate=after.build,
                kind=kind,
                sentence=sentence,
                state=NEW,
                first_seen=now,
                last_seen=now,
                updated_at=now,
                effect=cp.change,
            )
        )
    return found


def _undoes(v: Verdict, worse: Change) -> bool:
    """Whether comparison `v` shows the worse change `worse` undone: a gain from its candidate
    (an improvement or unlock measured from the build that got worse), or its baseline measured
    again against a newer build with nothing worse left (the pinned-baseline way)."""
    if v.config != worse.config or (v.baseline, v.candidate) == (worse.baseline, worse.candidate):
        return False
    if v.baseline == worse.candidate:
        return v.kind in (IMPROVEMENT, UNLOCK)
    if v.baseline == worse.baseline and v.candidate != worse.candidate:
        if worse.kind == BREAKAGE:
            return v.kind not in (BREAKAGE, INCONCLUSIVE)
        return v.kind in (NO_CHANGE, IMPROVEMENT)
    return False


def _store(conn: Connection, change: Change, pull: str, now: datetime) -> tuple[Change, bool]:
    """One detection stored: (the change as stored, whether it is owed an alert anew)."""
    old = rows.get(conn, change.key)
    if old is None:
        change = replace(change, state=ATTRIBUTED if pull else NEW, pull=pull)
        rows.insert(conn, change)
        rows.add_event(conn, change.key, "detected", text=change.sentence)
        if pull:
            rows.add_event(conn, change.key, ATTRIBUTED, text=pull)
        return change, True
    values = {
        "kind": change.kind,
        "sentence": change.sentence,
        "effect": change.effect,
        "low": change.low,
        "high": change.high,
        "runs": change.runs or old.runs,
        "last_seen": now,
        "updated_at": now,
    }
    lapsed = old.state == IGNORED and old.expires_at is not None and old.expires_at <= now
    if lapsed:
        values |= {"state": NEW, "alerted_at": None, "reason": "", "expires_at": None}
        rows.add_event(conn, old.key, "reopened", text="the ignore lapsed")
    if pull and (lapsed or old.state in (NEW, ACKNOWLEDGED)):
        values |= {"state": ATTRIBUTED, "pull": pull}
        rows.add_event(conn, old.key, ATTRIBUTED, text=pull)
    rows.update(conn, old.key, **values)
    stored = rows.get(conn, old.key)
    assert stored is not None
    return stored, lapsed


def _fix(conn: Connection, v: Verdict, now: datetime) -> list[Change]:
    """The open worse changes of v's configuration that v shows undone, now fixed."""
    key = change_key(v.config, v.baseline, v.candidate)
    fixed = []
    for worse in rows.of_config(conn, v.config.canonical):
        if worse.state in OPEN_STATES and worse.kind in WORSE_KINDS and _undoes(v, worse):
            reason = f"{v.candidate.label}: {v.kind} against {v.baseline.label}"
            rows.update(conn, worse.key, state=FIXED, fixed_by=key, reason=reason, updated_at=now)
            rows.add_event(conn, worse.key, FIXED, text=reason)
            fixed.append(replace(worse, state=FIXED, fixed_by=key, reason=reason))
    return fixed


def record(
    engine: Engine,
    verdicts: Sequence[Verdict] = (),
    *,
    confidence: float = 0.95,
    extra: Sequence[Change] = (),
    attributions: Mapping[str, Attribution] | None = None,
    now: datetime | None = None,
) -> Recorded:
    """Store what was detected: the change verdicts (and `extra`, e.g. change points) as changes,
    each new one with state new; a known one gets the latest evidence and keeps its state, except
    an ignore that has lapsed (new again, alerted again) and a named PR (attributed). Every
    verdict, a no-change one too, may fix an open worse change of its configuration."""
    now = now or utc_now()
    found = [
        detected(v, confidence=confidence, now=now) for v in verdicts if v.kind in CHANGE_KINDS
    ]

    def pull(key: str) -> str:
        attribution = (attributions or {}).get(key)
        culprit = attribution.culprit if attribution is not None else None
        return pull_url(culprit) if culprit is not None else ""

    def work(conn: Connection) -> Recorded:
        stored = [_store(conn, c, pull(c.key), now) for c in [*found, *extra]]
        fixed = [c for v in verdicts for c in _fix(conn, v, now)]
        gone = {c.key: c for c in fixed}
        return Recorded(
            changes=[gone.get(c.key, c) for c, _ in stored],
            new=[c for c, owed in stored if owed and c.key not in gone],
            fixed=fixed,
        )

    return write_retrying(engine, work)


def find_one(engine: Engine, ident: str) -> Change:
    """The change a person named: its id (or the start of it, 6 characters at least) or key."""
    ident = ident.strip()
    found = rows.find(engine, ident) if len(ident) >= 6 or "@" in ident else []
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        names = ", ".join(c.id for c in found[:5])
        raise ChangeNotFound(f"'{ident}' names {len(found)} changes ({names}): give more of the id")
    known = [c.id for c in rows.load_changes(engine)]
    close = difflib.get_close_matches(ident.lower(), known, n=3, cutoff=0.5)
    hint = f"; closest: {', '.join(close)}" if close else ""
    if len(ident) < 6 and "@" not in ident:
        hint = "; give 6 or more characters of its id" + hint
    raise ChangeNotFound(f"no change '{ident}'{hint} (list them with `paretobot changes`)")


def act(
    engine: Engine,
    ident: str,
    action: str,
    *,
    reason: str,
    actor: str = "",
    until: datetime | None = None,
) -> Change:
    """A person's triage: acknowledge (owns it), ignore (known and accepted, maybe until a date:
    never alerted again), note (a comment, the state kept), reopen (new again). Every action is
    kept in the change's events with who and why."""
    if action not in ACTIONS:
        raise ParetobotError(f"unknown triage action '{action}' (one of {', '.join(ACTIONS)})")
    reason = " ".join(reason.split())
    if not reason and action != "reopen":
        raise ParetobotError(f"{action} needs a reason (--reason TEXT)")
    now = utc_now()
    if until is not None and until <= now:
        raise ParetobotError("--until must be in the future")
    change = find_one(engine, ident)
    with writing(engine) as conn:
        if action == "note":
            rows.update(conn, change.key, updated_at=now)
        else:
            state = {"ack": ACKNOWLEDGED, "ignore": IGNORED, "reopen": NEW}[action]
            rows.update(
                conn,
                change.key,
                state=state,
                reason=reason,
                actor=actor,
                expires_at=until if action == "ignore" else None,
                updated_at=now,
            )
        text = reason + (f" (until {until.date().isoformat()})" if until else "")
        rows.add_event(conn, change.key, action, actor=actor, text=text)
        after = rows.get(conn, change.key)
    assert after is not None
    return after


def listing(
    engine: Engine, *, states: Sequence[str] = (), config: str | None = None
) -> list[Change]:
    """Changes to triage: open ones first (worse kinds before better), then the rest, newest
    first within each; only of matching configurations with `config`."""
    found = [
        c
        for c in rows.load_changes(engine, states=states)
        if not config or c.config.matches(config)
    ]
    order = {k: i for i, k in enumerate((*WORSE_KINDS, *CHANGE_KINDS))}
    return sorted(
        found,
        key=lambda c: (
            c.state not in OPEN_STATES,
            order.get(c.kind, len(order)),
            -c.last_seen.timestamp(),
        ),
    )


def to_alert(changes: Iterable[Change]) -> list[Change]:
    """The changes an alert is owed: never alerted, and nobody has taken them up (new, or
    attributed by the bot itself); an acknowledged, ignored or fixed one is known already."""
    return [c for c in changes if c.state in (NEW, ATTRIBUTED) and c.alerted_at is None]


def mark_alerted(engine: Engine, keys: Iterable[str], at: datetime | None = None) -> None:
    keys = list(keys)
    if not keys:
        return
    with writing(engine) as conn:
        for key in keys:
            rows.update(conn, key, alerted_at=at or utc_now())
            rows.add_event(conn, key, "alerted")


def set_comment(engine: Engine, links: Mapping[str, str]) -> None:
    """Each change's comment link, once it is posted."""
    with writing(engine) as conn:
        for key, url in links.items():
            if url and rows.get(conn, key) is not None:
                rows.update(conn, key, comment_url=url)


def states_by_key(engine: Engine, keys: Iterable[str]) -> dict[str, Change]:
    return {c.key: c for c in rows.load_changes(engine, keys=keys)}
