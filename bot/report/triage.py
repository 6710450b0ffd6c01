"""A change's triage state in words: for terminals (`paretobot changes`), comments, the digest,
alerts and JSON. Reasons and names are people's text: escaped like any other."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot.model import ACKNOWLEDGED, ATTRIBUTED, FIXED, IGNORED, Change, ChangeEvent, Run
from bot.report import build_json, config_json, run_url, safe_url
from bot.text import md, plain

if TYPE_CHECKING:
    from bot.notify import Alert

COMMAND = "/paretobot"  # what a maintainer types in a reply (bot/app/commands.py reads it)


def effect_text(c: Change) -> str:
    """'-15.0% (95% CI -18.1%..-11.8%)', or '' where the change has no single figure."""
    if c.effect is None:
        return ""
    text = f"{c.effect:+.1%}"
    if c.low is not None and c.high is not None:
        text += f" (CI {c.low:+.1%}..{c.high:+.1%})"
    return text


def state_text(c: Change, esc: Any = plain) -> str:
    """'ignored by alice until 2026-12-31: known driver issue', 'new', ..."""
    text = c.state
    if c.actor and c.state in (ACKNOWLEDGED, IGNORED):
        text += f" by {esc(c.actor)}"
    if c.state == IGNORED and c.expires_at is not None:
        text += f" until {c.expires_at.date().isoformat()}"
    if c.state == ATTRIBUTED and c.pull:
        text += f" to {esc(c.pull)}"
    if c.state == FIXED and c.fixed_by:
        text += f" by change {esc(c.fixed_by.rsplit('@', 1)[-1])}"
    if c.reason:
        text += f": {esc(c.reason)}"
    return text


def triage_markdown(c: Change | None) -> str:
    """The comment's triage block: the state, and how to change it from GitHub."""
    if c is None:
        return ""
    return (
        f"**Triage** (change `{c.id}`): {state_text(c, md)}\n\n"
        f"<sub>A maintainer can reply `{COMMAND} ack {c.id} REASON`, "
        f"`{COMMAND} ignore {c.id} REASON [--until YYYY-MM-DD]` or "
        f"`{COMMAND} note {c.id} TEXT`.</sub>"
    )


def change_json(c: Change, events: Sequence[ChangeEvent] | None = None) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": c.id,
        "key": c.key,
        "source": c.source,
        "config": config_json(c.config),
        "baseline": build_json(c.baseline),
        "candidate": build_json(c.candidate),
        "kind": c.kind,
        "sentence": c.sentence,
        "effect": c.effect,
        "low": c.low,
        "high": c.high,
        "runs": list(c.runs),
        "state": c.state,
        "reason": c.reason or None,
        "actor": c.actor or None,
        "expires_at": c.expires_at.isoformat() if c.expires_at else None,
        "fixed_by": c.fixed_by or None,
        "pull": c.pull or None,
        "comment_url": c.comment_url or None,
        "first_seen": c.first_seen.isoformat(),
        "last_seen": c.last_seen.isoformat(),
        "alerted_at": c.alerted_at.isoformat() if c.alerted_at else None,
    }
    if events is not None:
        shown["events"] = [
            {"at": e.at.isoformat(), "action": e.action, "actor": e.actor, "text": e.text}
            for e in events
        ]
    return shown


def alert_of(c: Change, runs: Mapping[str, Run]) -> Alert:
    """The message a channel gets for a new change: what changed (the sentence, with its interval),
    where (configuration, builds), how sure, and links to the comment and the runs. Plain text:
    the channel escapes it for its own format (bot/notify.py)."""
    from bot.notify import Alert

    links: list[tuple[str, str]] = []
    if c.comment_url and safe_url(c.comment_url):
        links.append(("comment", c.comment_url))
    if c.pull and safe_url(c.pull):
        links.append(("pull request", c.pull))
    for run_id in c.runs:
        url = run_url(run_id, runs)
        if url:
            links.append((f"run {run_id}", url))
    body = "\n".join(
        [
            c.sentence,
            f"configuration: {c.config.slug}",
            f"baseline {c.baseline.label} -> candidate {c.candidate.label}",
            f"change {c.id}: paretobot changes show {c.id}",
        ]
    )
    return Alert(
        key=c.key,
        title=f"paretobot: {c.kind} on {c.config.slug}",
        body=body,
        links=tuple(links),
        severity=c.kind,
        config=c.config.slug,
    )
