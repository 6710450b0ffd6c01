"""Webhook payloads (as GitHub Actions hands them over in GITHUB_EVENT_PATH) into UpstreamEvents.

An upstream's webhook, relayed to the bot's repository, lets `paretobot watch --event FILE`
handle a release, a tag push or a merged PR as soon as it happens instead of at the next poll.
Payloads that are not such an event (a PR closed without merging, a draft release, a branch push)
give None; payloads that claim to be one but are malformed raise EventError.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.errors import ParetobotError
from bot.model import UpstreamEvent

RELEASE_ACTIONS = {"published", "released"}


class EventError(ParetobotError, ValueError):
    """A webhook payload that cannot be read; the message names the field."""


def _get(doc: Any, *path: str) -> Any:
    value = doc
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            raise EventError(f"payload has no {'.'.join(path)}")
        value = value[key]
    return value


def _text(doc: Any, *path: str) -> str:
    value = _get(doc, *path)
    if not isinstance(value, str) or not value:
        raise EventError(f"payload field {'.'.join(path)} is not a non-empty string")
    return value


def _number(doc: Any, *path: str) -> int:
    value = _get(doc, *path)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise EventError(f"payload field {'.'.join(path)} is not a positive number")
    return value


def _time(doc: Any, *path: str) -> datetime:
    text = _text(doc, *path)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise EventError(f"payload field {'.'.join(path)} is not a time: {text[:40]!r}") from None


def _release(payload: Mapping[str, Any], repo: str) -> UpstreamEvent | None:
    release = _get(payload, "release")
    if payload.get("action") not in RELEASE_ACTIONS or release.get("draft"):
        return None
    tag = _text(payload, "release", "tag_name")
    return UpstreamEvent(
        upstream=repo,
        kind="release",
        name=tag,
        title=release.get("name") or tag,
        url=_text(payload, "release", "html_url"),
        at=_time(payload, "release", "published_at"),
        ref=tag,
    )


def _pull(payload: Mapping[str, Any], repo: str) -> UpstreamEvent | None:
    pr = _get(payload, "pull_request")
    if payload.get("action") != "closed" or not pr.get("merged"):
        return None
    labels = pr.get("labels") or []
    if not isinstance(labels, list):
        raise EventError("payload field pull_request.labels is not a list")
    return UpstreamEvent(
        upstream=repo,
        kind="pull",
        name=str(_get(payload, "pull_request", "number")),
        title=_text(payload, "pull_request", "title"),
        url=_text(payload, "pull_request", "html_url"),
        at=_time(payload, "pull_request", "merged_at"),
        ref=pr.get("merge_commit_sha") or "",
        labels=tuple(str(label.get("name", "")) for label in labels if isinstance(label, dict)),
        author=str((pr.get("user") or {}).get("login", "")),
        base=str((pr.get("base") or {}).get("sha") or ""),
    )


def _push(payload: Mapping[str, Any], repo: str) -> UpstreamEvent | None:
    ref = _text(payload, "ref")
    if not ref.startswith("refs/tags/") or payload.get("deleted"):
        return None
    tag = ref.removeprefix("refs/tags/")
    return UpstreamEvent(
        upstream=repo,
        kind="tag",
        name=tag,
        title=tag,
        url=f"https://github.com/{repo}/releases/tag/{tag}",
        at=_time(payload, "head_commit", "timestamp"),
        ref=_text(payload, "after"),
    )


READERS = {"release": _release, "pull_request": _pull, "push": _push}


def event_from_payload(name: str, payload: Any) -> UpstreamEvent | None:
    """The upstream event a webhook delivery describes, or None if it describes none."""
    reader = READERS.get(name)
    if reader is None:
        return None
    if not isinstance(payload, Mapping):
        raise EventError("payload is not a JSON object")
    return reader(payload, _text(payload, "repository", "full_name"))


def read_payload(path: Path) -> Any:
    """A webhook payload file (e.g. $GITHUB_EVENT_PATH) as JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EventError(f"{path}: cannot read the event payload: {exc}") from None


def read_event_file(path: Path, name: str) -> UpstreamEvent | None:
    return event_from_payload(name, read_payload(path))


@dataclass(frozen=True)
class CommentEvent:
    """An `issue_comment` webhook payload, as much of it as maintainers' commands need."""

    action: str  # created | edited
    repo: str  # owner/name
    number: int  # the issue or pull request
    is_pull: bool
    comment_id: int
    body: str
    login: str
    user_type: str  # User | Bot | Organization
    url: str = ""


def comment_event(payload: Any, event_name: str = "issue_comment") -> CommentEvent | None:
    """The comment of an `issue_comment` payload that was created or edited; None for any other
    event or action (a deleted comment commands nothing)."""
    if event_name and event_name != "issue_comment":
        return None
    action = _text(payload, "action")
    if action not in ("created", "edited"):
        return None
    issue = _get(payload, "issue")
    body = _get(payload, "comment", "body")
    return CommentEvent(
        action=action,
        repo=_text(payload, "repository", "full_name"),
        number=_number(payload, "issue", "number"),
        is_pull=isinstance(issue, Mapping) and issue.get("pull_request") is not None,
        comment_id=_number(payload, "comment", "id"),
        body=body if isinstance(body, str) else "",
        login=_text(payload, "comment", "user", "login"),
        user_type=str(_get(payload, "comment", "user").get("type") or ""),
        url=str(_get(payload, "comment").get("html_url") or ""),
    )
