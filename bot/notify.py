"""Alerts where people work: one message per change to each channel of `notify.yaml` that wants it,
sent through apprise (Slack, Teams, email, generic webhooks, ...), never through a client of ours.

The caller (triage) decides which changes are new and writes each one's `Alert`; this module only
delivers. Three rules hold for every delivery:

- Text from result files is hostile (a model name can hold markdown, `<!channel>`, HTML, control
  characters). `Alert.title`, `body` and link labels are plain, unescaped text; each is made inert
  here for the format the destination reads (text, markdown or HTML), and every `@` or `<!`/`<@`
  is broken with a zero-width space so nothing pings.
- A channel's address usually holds its secret (`slack://TokenA/TokenB/TokenC`). It is never
  printed, logged or put in a `Delivery`: a delivery names the channel and at most the scheme and,
  for generic webhooks and mail relays, the host. Apprise's own log lines (which quote full URLs
  and payloads) are kept out of the process's log handlers and used, redacted, as the reason of
  a failure.
- One channel failing (refused, hung, misconfigured) never stops the others, and nothing raises:
  a failure is a `Delivery` with status `failed` and a one-line reason. Each attempt is bounded
  by `notify.yaml` `timeout` (connect, then read).

apprise is imported inside the functions that send, so `paretobot --help` does not load it.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from bot.text import plain, visible
from bot.urls import without_credentials

if TYPE_CHECKING:
    from bot.config.notify import Channel, NotifyFile

SENT, FAILED, SKIPPED, DRY_RUN = "sent", "failed", "skipped", "dry-run"
TEXT, MARKDOWN, HTML = "text", "markdown", "html"  # apprise's NotifyFormat values
_THREADS = "paretobot-notify"  # the name of delivery threads, known to the log filter
MAX_WORKERS = 8  # channels served at once (each sends its messages in order)
_LINE = 1000  # longest body line kept (a sentence is far shorter; a hostile name may not be)


@dataclass(frozen=True)
class Alert:
    """One change to tell people about. Every text field is plain and unescaped: `send` makes it
    safe for each destination's format."""

    key: str  # the change's identity (triage's): one message per key per channel
    title: str
    body: str  # the sentence and the interval, one thought a line
    links: tuple[tuple[str, str], ...]  # (label, http(s) URL): the runs, the comment
    severity: str  # a verdict kind (bot.model.VERDICT_KINDS) matched against a channel's `kinds`
    config: str = ""  # the configuration slug, matched against a channel's `configs` patterns


@dataclass(frozen=True)
class Delivery:
    """What became of one alert on one channel. `detail` holds no secret."""

    channel: str
    key: str
    status: str  # SENT, FAILED, SKIPPED (no address in force), DRY_RUN
    detail: str


def delivery_json(d: Delivery) -> dict[str, str]:
    return asdict(d)


def load_channels(path: Path | None = None) -> NotifyFile:
    """notify.yaml (team folder or packaged default): its channels and timeout; a bad file is a
    `ConfigError` naming file and key."""
    from bot.config.notify import load_notify

    return load_notify(path)


def channel_json(channel: Channel) -> dict[str, Any]:
    """A channel as it may be shown: never its address, only the scheme of the one in force."""
    from bot.config.notify import scheme_of

    url = channel.address()
    return {
        "name": channel.name,
        "scheme": scheme_of(url) if url else None,
        "url_env": channel.url_env,
        "address_set": url is not None,
        "kinds": list(channel.kinds),
        "configs": list(channel.configs),
        "enabled": channel.enabled,
    }


def wants(channel: Channel, alert: Alert) -> bool:
    """Whether `channel` receives `alert`: enabled, the alert's kind among its kinds, and its
    configuration matching one of its patterns when it has any (an alert with no configuration
    does not match a channel that names some)."""
    if not channel.enabled or alert.severity not in channel.kinds:
        return False
    if not channel.configs:
        return True
    return bool(alert.config) and any(fnmatchcase(alert.config, p) for p in channel.configs)


def probe_alert(channel: Channel) -> Alert:
    """The message `paretobot notify --test` sends: says what the channel would receive."""
    where = ", ".join(channel.configs) or "every configuration"
    return Alert(
        key="paretobot-test",
        title="paretobot: test alert",
        body=(
            f"This channel ({channel.name}) works. It receives {', '.join(channel.kinds)} "
            f"changes of {where}."
        ),
        links=(),
        severity="test",
    )


def send(
    alerts: Iterable[Alert],
    channels: NotifyFile | Sequence[Channel],
    *,
    dry_run: Path | None = None,
    everywhere: bool = False,
) -> list[Delivery]:
    """One message per alert per channel that wants it (every enabled channel when `everywhere`,
    as `--test` does); with `dry_run`, each message is written to a file there instead. Never
    raises for a delivery: every attempt comes back as a `Delivery`, in alert then channel order."""
    from bot.config.notify import NotifyFile

    settings = (
        channels if isinstance(channels, NotifyFile) else NotifyFile(channels=tuple(channels))
    )
    tasks = [
        (alert, channel)
        for alert in alerts
        for channel in settings.channels
        if (channel.enabled if everywhere else wants(channel, alert))
    ]
    if not tasks:
        return []
    if dry_run is not None:
        dry_run.mkdir(parents=True, exist_ok=True)
        return [_write(alert, channel, dry_run) for alert, channel in tasks]
    # one channel's messages go one after another, through one apprise object (its own rate
    # limit between them: Slack answers a burst with 429); channels go side by side, so a hung
    # one delays only its own messages, each by at most its timeout
    queues: dict[str, list[tuple[int, Alert]]] = {}
    for i, (alert, channel) in enumerate(tasks):
        queues.setdefault(channel.name, []).append((i, alert))
    by_name = {c.name: c for c in settings.channels}
    done: list[Delivery | None] = [None] * len(tasks)
    with (
        _apprise_quiet(),
        ThreadPoolExecutor(min(MAX_WORKERS, len(queues)), thread_name_prefix=_THREADS) as pool,
    ):
        batches = pool.map(
            lambda name: _deliver_all(by_name[name], queues[name], settings.timeout), queues
        )
        for batch in batches:
            for i, delivery in batch:
                done[i] = delivery
    return [d for d in done if d is not None]


# ---- one channel's deliveries -------------------------------------------------------------------


def _deliver_all(
    channel: Channel, queue: list[tuple[int, Alert]], timeout: float
) -> list[tuple[int, Delivery]]:
    """Each alert of `queue` to `channel`, in order; never raises."""
    url = channel.address()
    if url is None:
        why = f"${channel.url_env} is not set"
        return [(i, Delivery(channel.name, a.key, SKIPPED, why)) for i, a in queue]
    where = where_of(url)
    records: list[logging.LogRecord] = []
    _CAPTURE.records = records
    try:
        import apprise

        plugin = apprise.Apprise.instantiate(url)
    except Exception as exc:  # one channel's fault is its deliveries' line, never a raise
        plugin, records = None, [_record(f"{type(exc).__name__}: {exc}")]
    finally:
        _CAPTURE.records = None
    if plugin is None:
        why = f"{where}: bad address: {_reason(records, url) or 'apprise cannot use it'}"
        return [(i, Delivery(channel.name, a.key, FAILED, why)) for i, a in queue]
    # both timeouts: an unreachable host and a receiver that accepts and never answers
    plugin.socket_connect_timeout = plugin.socket_read_timeout = timeout
    return [(i, _deliver(plugin, channel, alert, url)) for i, alert in queue]


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("paretobot.notify", logging.ERROR, __file__, 0, message, None, None)


def _deliver(plugin: Any, channel: Channel, alert: Alert, url: str) -> Delivery:
    where = where_of(url)
    records: list[logging.LogRecord] = []
    _CAPTURE.records = records
    try:
        fmt = _format_of(plugin)
        title, body = render(alert, fmt, title_in_body=plugin.title_maxlen <= 0)
        ok = plugin.notify(
            body=body, title=title, notify_type=_notify_type(alert.severity), body_format=fmt
        )
    except Exception as exc:  # one alert's fault is its delivery's line, never a raise
        ok, records = False, [_record(f"{type(exc).__name__}: {exc}")]
    finally:
        _CAPTURE.records = None
    if ok:
        return Delivery(channel.name, alert.key, SENT, f"sent to {where}")
    reason = _reason(records, url) or "the service refused it"
    return Delivery(channel.name, alert.key, FAILED, f"{where}: {reason}")


def _write(alert: Alert, channel: Channel, folder: Path) -> Delivery:
    """The message as this channel would get it, in a file (no network; the address is only
    parsed, to know the format)."""
    fmt = TEXT
    url = channel.address()
    if url is not None:
        with _apprise_quiet():
            import apprise

            plugin = apprise.Apprise.instantiate(url)
        fmt = _format_of(plugin) if plugin is not None else TEXT
    title, body = render(alert, fmt, title_in_body=False)
    digest = hashlib.sha256(alert.key.encode()).hexdigest()[:10]
    safe_key = re.sub(r"[^A-Za-z0-9_.-]+", "_", alert.key)[:60]
    path = folder / f"{channel.name}--{safe_key}-{digest}.json"
    doc = {"channel": channel.name, "key": alert.key, "format": fmt, "title": title, "body": body}
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return Delivery(channel.name, alert.key, DRY_RUN, str(path))


def _format_of(plugin: Any) -> str:
    """The format the service reads natively (apprise lists it first)."""
    formats = plugin.notify_format
    first = formats[0] if isinstance(formats, tuple | list) else formats
    return str(getattr(first, "value", first))


def _notify_type(severity: str) -> Any:
    from apprise import NotifyType

    from bot.model import BREAKAGE, IMPROVEMENT, MIXED, PARTIAL, REGRESSION, UNLOCK

    if severity in (REGRESSION, BREAKAGE):
        return NotifyType.FAILURE
    if severity in (IMPROVEMENT, UNLOCK):
        return NotifyType.SUCCESS
    if severity in (MIXED, PARTIAL):
        return NotifyType.WARNING
    return NotifyType.INFO


# ---- what may be shown about an address ---------------------------------------------------------

_HOST_SCHEMES = frozenset({"json", "jsons", "form", "forms", "xml", "xmls", "mailto", "mailtos"})


def where_of(url: str) -> str:
    """An address as it may be shown: the scheme, plus host and port for the schemes whose host
    is a server (generic webhooks, mail relays). Other schemes keep tokens where a host would be
    (`slack://TokenA/...`), so only their scheme is shown."""
    from bot.config.notify import scheme_of

    scheme = scheme_of(url) or "?"
    if scheme not in _HOST_SCHEMES:
        return f"{scheme}://"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return f"{scheme}://"
    return f"{scheme}://{host}{port}"


def _secret_pieces(url: str) -> list[str]:
    """The parts of `url` that may be a secret: everything after the scheme split at URL
    punctuation, but the host of a generic webhook or mail relay (shown anyway)."""
    from bot.config.notify import scheme_of

    rest = url.partition("://")[2]
    pieces = {p for p in re.split(r"[/?&=@:#;,+]+", rest) if len(p) >= 4}
    if scheme_of(url) in _HOST_SCHEMES:
        with suppress(ValueError):
            pieces.discard(urlsplit(url).hostname or "")
    # longest first, so a piece that contains another is removed whole
    return sorted(pieces, key=len, reverse=True)


_ADDRESS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*)://[^\s<>\"'`]+")


def _redact(text: str, url: str) -> str:
    """`text` (an apprise log line or exception) as one short line with no piece of `url` that
    could be a secret, and every address in it cut to its scheme and host."""
    for piece in _secret_pieces(url):
        text = text.replace(piece, "…")
        text = text.replace(quote(piece, safe=""), "…")

    def cut(m: re.Match[str]) -> str:
        try:
            host = urlsplit(without_credentials(m.group(0))).hostname or ""
        except ValueError:
            host = ""
        return f"{m.group(1)}://{host}"

    return plain(_ADDRESS.sub(cut, text), 200)


# what apprise's debug lines say about why a connection failed, as the few words a person needs
_CAUSES = (
    (re.compile(r"(?i)read timed out"), "read timed out"),
    (re.compile(r"(?i)connect(ion)? timed out|ConnectTimeout"), "connect timed out"),
    (re.compile(r"(?i)timed? ?out"), "timed out"),
    (re.compile(r"(?i)connection refused"), "connection refused"),
    (
        re.compile(r"(?i)name or service not known|nodename nor servname|getaddrinfo"),
        "unknown host",
    ),
    (re.compile(r"(?i)certificate verify failed"), "TLS certificate not trusted"),
    (re.compile(r"(?i)authentication|SMTP AUTH"), "authentication failed"),
)


def _reason(records: list[logging.LogRecord], url: str) -> str:
    """The first warning or error apprise logged for this delivery, redacted, with the cause its
    debug lines name (refused, timed out, ...) when one does."""
    messages = []
    for record in records:
        try:
            messages.append((record.levelno, record.getMessage()))
        except Exception:  # a malformed record is no reason at all
            continue
    first = next((m for level, m in messages if level >= logging.WARNING), "")
    cause = next(
        (words for pattern, words in _CAUSES for _, m in messages if pattern.search(m)), ""
    )
    if cause and cause not in first:
        first = f"{first.rstrip('.')} ({cause})" if first else cause
    return _redact(first, url) if first else ""


# ---- apprise's log ------------------------------------------------------------------------------


class _Capture(logging.Filter):
    """A filter on apprise's logger that takes every record away from all handlers (the
    process's, a test runner's, any a user adds): the delivery running on the record's thread
    reads it (deliveries run in a pool; each sets `records` for its duration), no one else."""

    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()

    @property
    def records(self) -> list[logging.LogRecord] | None:
        return getattr(self._local, "records", None)

    @records.setter
    def records(self, value: list[logging.LogRecord] | None) -> None:
        self._local.records = value

    def filter(self, record: logging.LogRecord) -> bool:
        if self.records is not None:
            self.records.append(record)
        return False  # handled: no handler sees it


_CAPTURE = _Capture()
_QUIET_LOCK = threading.Lock()


@contextmanager
def _apprise_quiet() -> Iterator[None]:
    """Apprise's records reach `_CAPTURE` only, never a handler (stderr, a log file): its lines
    quote whole URLs, tokens included, and its debug lines whole payloads. Left so after the
    first send: this process uses apprise for nothing else, and a later send would set it again
    anyway. urllib3 logs each request's path (a webhook's token) at debug level: its records
    made on a delivery's thread are dropped too."""
    logger = logging.getLogger("apprise")
    with _QUIET_LOCK:
        if _CAPTURE not in logger.filters:
            logger.addFilter(_CAPTURE)
        logger.propagate = False
        # debug records too: they name the cause of a failure (refused, timed out), and they
        # are dropped by the filter like every other
        logger.setLevel(logging.DEBUG)
        pool = logging.getLogger("urllib3.connectionpool")
        if _NOT_OURS not in pool.filters:
            pool.addFilter(_NOT_OURS)
    yield


def _not_ours(record: logging.LogRecord) -> bool:
    return not record.threadName.startswith(_THREADS)


_NOT_OURS = _not_ours


# ---- rendering ----------------------------------------------------------------------------------

# a mention in Slack (`<!channel>`, `<@U123>`, `<#C1>`), Teams, Discord, GitHub (`@name`): a
# zero-width space after the `@` or the `<` keeps the text and drops the ping
_PING = re.compile(r"@(?!\u200b)|<(?=[!@#])")
_CM_SPECIAL = re.compile(r"([\\`*_\[\]<>()#!|~])")  # CommonMark: emphasis, code, links, HTML


def _quiet(text: str) -> str:
    return _PING.sub(lambda m: m.group() + "\u200b", text)


def _line(text: str, limit: int) -> str:
    """One line of hostile text: no control or bidi character, whitespace runs as one space,
    at most `limit` characters, no ping."""
    return _quiet(plain(visible(text), limit))


# A title is a subject line: some services show it as is (email subjects, Slack headers), others
# read markdown in it (a Teams card's text block), and which one is apprise's business. So it
# carries no markup character in any format: brackets become their look-alikes, the rest goes.
_TITLE = str.maketrans({"[": "(", "]": ")", "<": "‹", ">": "›", **dict.fromkeys("*`\\|~#", "")})


def _cm(text: str) -> str:
    return _CM_SPECIAL.sub(r"\\\1", text)


def _link_url(url: str) -> str | None:
    """A link target we vouch for: http(s) only, without credentials, with the characters that
    would end a markdown link or an HTML attribute percent-encoded; None otherwise."""
    url = url.strip()
    if not re.match(r"(?i)^https?://[^\s/?#]", url) or any(not c.isprintable() for c in url):
        return None
    return quote(without_credentials(url), safe=":/?#[]@!$&'*+,;=%~-._")


def render(alert: Alert, fmt: str, *, title_in_body: bool = False) -> tuple[str, str]:
    """(title, body) of `alert` for a destination that reads `fmt` (text, markdown, html): every
    piece of its text escaped for that format. `title_in_body`: the service has no title field and
    apprise puts the title into the body as it is, so it is escaped like the body."""
    lines = [_line(x, _LINE) for x in alert.body.splitlines()]
    lines = [x for x in lines if x]
    links = [(_line(label, 80), target) for label, url in alert.links if (target := _link_url(url))]
    title = " ".join(_line(alert.title, 200).translate(_TITLE).split())
    if fmt == HTML:
        body = "<br>\n".join(html.escape(x) for x in lines)
        if links:
            body += "<br>\n" + " · ".join(
                f'<a href="{html.escape(u, quote=True)}">{html.escape(label)}</a>'
                for label, u in links
            )
        return (html.escape(title) if title_in_body else title), body
    if fmt == MARKDOWN:
        body = "\n".join(_cm(x) for x in lines)
        if links:
            body += "\n" + " · ".join(f"[{_cm(label)}]({u})" for label, u in links)
        return (_cm(title) if title_in_body else title), body
    body = "\n".join(lines)
    if links:
        body += "\n" + "\n".join(f"{label}: {u}" for label, u in links)
    return title, body
