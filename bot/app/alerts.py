"""Alerts as a use case: the changes an alert is owed (new, never alerted; an ignored one never
is) sent to the channels in configs/notify.yaml, and marked alerted once every channel took them.
A channel that failed leaves its change owed, so the next publish or digest tries again."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.app import triage
from bot.model import Change, Run
from bot.notify import Delivery
from bot.report.triage import alert_of


def alert_new(
    engine: Engine,
    changes: Iterable[Change],
    *,
    runs: Mapping[str, Run] | None = None,
    dry_run: Path | None = None,
) -> list[Delivery]:
    """One message per owed change per matching channel; nothing when no channel is configured
    (the changes stay owed, and are alerted once a channel is). A dry run writes the messages to
    its folder and marks nothing."""
    from bot import notify

    channels = notify.load_channels()
    if not any(c.enabled for c in channels.channels):
        return []
    # as stored now: the comment's link was set after recording, and a rerun may find a change
    # alerted already by another process
    owed = triage.to_alert(triage.states_by_key(engine, [c.key for c in changes]).values())
    if not owed:
        return []
    deliveries = notify.send([alert_of(c, runs or {}) for c in owed], channels, dry_run=dry_run)
    failed = {d.key for d in deliveries if d.status == "failed"}
    sent = {d.key for d in deliveries if d.status == "sent"}
    if dry_run is None:
        triage.mark_alerted(engine, [c.key for c in owed if c.key in sent - failed])
    return deliveries
