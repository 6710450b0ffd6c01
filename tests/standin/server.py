"""The HTTP side of the stand-in: one handler thread per connection, keep-alive, faults
injected before a request is handled, every reply carrying GitHub's rate-limit headers."""

from __future__ import annotations

import json
import time
import traceback
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from . import routes, routes_actions, routes_git, shapes  # noqa: F401  (registers endpoints)

if TYPE_CHECKING:
    from .github import GitHubStandIn

SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID ABCD:1234."
)
API_PREFIX = "/api/v3"  # GitHub Enterprise style base_url; accepted and echoed back in URLs


def _fault_reply(standin: GitHubStandIn, kind: str) -> routes.Reply:
    if kind == "429":
        headers = {"Retry-After": str(standin.retry_after)}
        return routes.Reply(429, shapes.error("Too Many Requests"), headers)
    if kind == "403-secondary":
        headers = {"Retry-After": str(standin.retry_after)}
        return routes.Reply(403, shapes.error(SECONDARY_MESSAGE), headers)
    messages = {"500": "Server Error", "502": "Bad Gateway", "503": "Service Unavailable"}
    return routes.Reply(int(kind), shapes.error(messages[kind]))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as PyGithub's requests session expects
    wbufsize = -1  # buffer the reply: headers and body leave in one write ...
    disable_nagle_algorithm = True  # ... immediately (else delayed ACKs cost ~40 ms a request)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self, method: str) -> None:
        standin: GitHubStandIn = self.server.standin  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        kind = standin._take_fault(method, self.path)
        if kind == "drop":
            standin._record(method, self.path, None)
            self.close_connection = True
            return  # the server closes the socket without a byte of response
        if kind == "slow":
            time.sleep(standin.slow_seconds)
        if kind and kind != "slow":
            reply = _fault_reply(standin, kind)  # before handling: state stays untouched
        elif standin.token is not None and not self.headers.get("Authorization"):
            reply = routes.Reply(401, shapes.error("Requires authentication", 401))
        elif not standin._authorized(self.headers.get("Authorization")):
            reply = routes.Reply(401, shapes.error("Bad credentials", 401))
        else:
            hold = standin._claim_hold(method, self.path)
            try:
                reply = self._handle(standin, method, raw)
            except Exception as exc:  # a stand-in bug: answer 500 and keep it for the fixture
                standin._errors.append(traceback.format_exc())
                reply = routes.Reply(500, shapes.error(f"stand-in error: {exc!r}", 500))
            standin._meet(hold)
        standin._record(method, self.path, reply.status)
        self._send(standin, reply)

    def _handle(self, standin: GitHubStandIn, method: str, raw: bytes) -> routes.Reply:
        parts = urlsplit(self.path)
        path, prefix = parts.path, ""
        if path.startswith(API_PREFIX + "/"):
            path, prefix = path[len(API_PREFIX) :], API_PREFIX
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return routes.Reply(400, shapes.error("Problems parsing JSON"))
        request = routes.Request(
            method=method,
            path=path,
            query=parse_qsl(parts.query, keep_blank_values=True),
            body=body,
            api=standin.url + prefix,
            web=standin.url,
        )
        with standin._lock:
            return routes.dispatch(standin, request)

    def _send(self, standin: GitHubStandIn, reply: routes.Reply) -> None:
        data = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        headers = {
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "X-GitHub-Request-Id": f"STANDIN:{len(standin._requests)}",
            **standin._rate_headers(),
            **reply.headers,
        }
        if reply.status != 204:
            headers["Content-Type"] = "application/json; charset=utf-8"
            headers["Content-Length"] = str(len(data))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if data:
            self.wfile.write(data)
