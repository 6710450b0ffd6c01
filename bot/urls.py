"""Addresses with no credential in them: the one helper every URL passes before it is written into
a file, a comment or a log line.

A token can ride in an address two ways: as userinfo (`https://x-access-token:TOKEN@host`, the
shape `git` and some CI setups use) and as a query parameter (`?access_token=...`). Both are
dropped; the rest of the address is kept as it was, so a link still leads where it led.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# query parameters that carry a secret in the APIs and CI systems an address can come from
SECRET_PARAMS = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "auth",
        "client_secret",
        "code",
        "key",
        "password",
        "private_token",
        "secret",
        "sig",
        "signature",
        "token",
        "x-access-token",
        "x-amz-credential",
        "x-amz-security-token",
        "x-amz-signature",
    }
)
# an address inside free text: scheme, "//", then up to the first character that ends a link
_IN_TEXT = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s<>()\[\]\"'`]+")


def without_credentials(url: str) -> str:
    """`url` without userinfo and without secret-carrying query parameters; anything that is not
    an address with a host comes back unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" in the host: not an address we can vouch for
        return re.sub(r"//[^/@\s]*@", "//", url)
    if not parts.netloc:
        return url
    netloc, query = parts.netloc.rpartition("@")[2], parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if k.lower() not in SECRET_PARAMS]
        query = urlencode(kept) if len(kept) != len(pairs) else query
    if (netloc, query) == (parts.netloc, parts.query):
        return url  # nothing to drop: the address exactly as it was
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def scrub(text: str) -> str:
    """Every address inside `text` without credentials (for whole bodies and files)."""
    if "://" not in text:
        return text
    return _IN_TEXT.sub(lambda m: without_credentials(m.group(0)), text)


def has_credentials(url: str) -> bool:
    return without_credentials(url) != url
