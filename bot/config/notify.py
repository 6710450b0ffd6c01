"""`notify.yaml`: where alerts go (bot/notify.py sends them).

A channel names an apprise URL (https://github.com/caronc/apprise/wiki) either through `url_env`,
the name of an environment variable that holds it, or as a literal `url`. Most apprise URLs carry
their secret in the address itself (`slack://TokenA/TokenB/TokenC`, `msteams://...`,
`mailto://user:password@host`), and config folders are committed to a repository, so a literal
`url` is accepted only where it can hold no token we know of: a generic webhook (`json://`,
`form://`, `xml://`) or an email relay (`mailto://`), with no user, password or token-like query
parameter. Anything else is refused with a line that says to use `url_env`. A generic webhook's
path may still be a secret we cannot recognise; docs/alerts.md says to use `url_env` for those too.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator

from bot.config import ConfigError, Strict, config_file, describe, read_yaml
from bot.model import BREAKAGE, MIXED, PARTIAL, REGRESSION, VERDICT_KINDS
from bot.urls import has_credentials

NOTIFY_FILE = "notify.yaml"

# what a channel receives when it does not say: the changes someone has to act on
DEFAULT_KINDS = (REGRESSION, BREAKAGE, MIXED, PARTIAL)

# schemes whose address names a server and a path, never a service token by construction; every
# other apprise scheme (slack, msteams, discord, telegram, ...) keeps its token in the address
LITERAL_SCHEMES = frozenset({"json", "jsons", "form", "forms", "xml", "xmls", "mailto", "mailtos"})

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CHANNEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # printed and used in file names


# apprise query parameters that carry a secret besides bot.urls' list: mailto's `user`/`pass`,
# and `+Name=value`, which the generic webhooks send as an HTTP header (`+Authorization=...`)
_APPRISE_SECRETS = frozenset({"user", "pass", "pwd", "passwd", "password", "bearer"})


def _secret_params(url: str) -> bool:
    try:
        query = urlsplit(url).query
    except ValueError:  # an address we cannot read cannot be vouched for
        return True
    # split by hand: parse_qsl would read the `+` of a header parameter as a space
    keys = [unquote(part.partition("=")[0]).strip().lower() for part in query.split("&")]
    return any(k.startswith("+") or k in _APPRISE_SECRETS for k in keys)


def scheme_of(url: str) -> str:
    """The apprise scheme of `url` ('json', 'slack', ...), lower case; '' when it has none."""
    head, sep, _ = url.partition("://")
    return head.strip().lower() if sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", head) else ""


class Channel(Strict):
    """One destination: an apprise URL (from the environment, or literal) and what it receives."""

    name: str
    url: str | None = None
    url_env: str | None = None
    kinds: tuple[str, ...] = DEFAULT_KINDS
    configs: tuple[str, ...] = ()  # glob patterns of configuration slugs; empty: every one
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _CHANNEL_NAME.match(value):
            raise ValueError("a name is letters, digits, '.', '_' or '-' (at most 64)")
        return value

    @field_validator("url_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.match(value):
            raise ValueError("not an environment variable name")
        return value

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [k for k in value if k not in VERDICT_KINDS]
        if unknown:
            raise ValueError(f"unknown kind {unknown[0]!r}; kinds are {', '.join(VERDICT_KINDS)}")
        if not value:
            raise ValueError("an empty list would receive nothing; set enabled: false instead")
        return value

    @field_validator("url")
    @classmethod
    def _literal_url(cls, value: str | None) -> str | None:
        # the message never repeats the URL: it is exactly what may hold a secret
        if value is None:
            return None
        scheme = scheme_of(value)
        if not scheme:
            raise ValueError("not an apprise URL (scheme://...)")
        if scheme not in LITERAL_SCHEMES:
            raise ValueError(
                f"{scheme}:// addresses carry their token; put the URL in an environment "
                "variable and name it with url_env"
            )
        if has_credentials(value) or _secret_params(value):
            raise ValueError(
                "holds a user, password or token; put the URL in an environment variable and "
                "name it with url_env"
            )
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Channel:
        if (self.url is None) == (self.url_env is None):
            raise ValueError(f"channel {self.name!r} needs exactly one of url and url_env")
        return self

    def address(self) -> str | None:
        """The URL in force: the literal one, or the environment variable's value (None when
        unset or empty). It may hold a secret: never print it."""
        if self.url is not None:
            return self.url
        return os.environ.get(self.url_env or "") or None


class NotifyFile(Strict):
    """configs/notify.yaml."""

    # seconds one delivery may wait to connect and again to read an answer: a hung receiver
    # costs at most about twice this, never a stuck pass of the bot
    timeout: float = Field(10.0, gt=0, le=120)
    channels: tuple[Channel, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> NotifyFile:
        names = [c.name for c in self.channels]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"channel name {twice[0]!r} is used twice")
        return self


def load_notify(path: Path | None = None) -> NotifyFile:
    """configs/notify.yaml (an empty file or no channels: nothing is sent)."""
    path = path or config_file(NOTIFY_FILE)
    try:
        raw = read_yaml(path)
    except ConfigError as exc:  # YAML's own message spans lines (it draws a caret)
        raise ConfigError(" ".join(str(exc).split())) from None
    try:
        return NotifyFile.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe(exc)}") from None
