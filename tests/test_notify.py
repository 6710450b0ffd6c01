"""Alerts through apprise, delivered to real receivers on this machine: an HTTP server recording
every request (generic JSON and form webhooks, and a Teams workflow over TLS), and an SMTP server
(aiosmtpd). Nothing is mocked: what is asserted is what arrived.

Expected text is written here from the alert's own pieces, never copied from the renderer.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import subprocess
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from bot.config import ConfigError
from bot.config.notify import load_notify
from bot.notify import (
    DRY_RUN,
    FAILED,
    MARKDOWN,
    SENT,
    SKIPPED,
    Alert,
    delivery_json,
    render,
    send,
)

ZWSP = "\u200b"
# a model name as hostile as a result file can make it: a Slack broadcast, a GitHub/Slack ping,
# HTML, markdown, a terminal escape and a right-to-left override
HOSTILE = "evil <!channel> @here <script>x()</script> **b** [l](javascript:x) \x1b[31m\u202eZ"
SENTENCE = f"Regression on {HOSTILE}: output throughput fell 7.4% at 35 tok/s/user."
INTERVAL = "95% interval: -9.1% to -5.6%"
RUN = "https://github.com/org/repo/actions/runs/111"
COMMENT = "https://github.com/org/repo/pull/7#issuecomment-222"
TOKEN = "Zq7SECRETtok3n"


def regression(key: str = "chg-1", config: str = "dsr1-fp8-h200-vllm") -> Alert:
    return Alert(
        key=key,
        title=f"Regression: {HOSTILE}",
        body=f"{SENTENCE}\n{INTERVAL}",
        links=(("candidate run", RUN), ("comment", COMMENT), ("bad", "javascript:alert(1)")),
        severity="regression",
        config=config,
    )


IMPROVEMENT = Alert(
    key="chg-2",
    title="Improvement: gptoss-fp4-b200-sglang",
    body="Output throughput rose 3.0%.\n95% interval: 1.2% to 4.9%",
    links=(("candidate run", RUN),),
    severity="improvement",
    config="gptoss-fp4-b200-sglang",
)


# ---- receivers ----------------------------------------------------------------------------------


class Receiver:
    """A real HTTP server on 127.0.0.1 that records each request; `hold` makes it keep every
    request unanswered until the test ends (a hung service)."""

    def __init__(self, tls: ssl.SSLContext | None = None, hold: bool = False) -> None:
        self.requests: list[dict] = []
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                at = time.monotonic()
                request = {"path": self.path, "headers": dict(self.headers), "body": body, "at": at}
                outer.requests.append(request)
                if hold:
                    outer.release.wait(30)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:  # a held request's client gave up long ago
                    pass

            def log_message(self, *args: object) -> None:  # keep the test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def paths(self) -> list[str]:
        return [r["path"] for r in self.requests]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 collecting every message it accepts."""
    from aiosmtpd.controller import Controller

    class Collect:
        def __init__(self) -> None:
            self.messages: list[dict] = []

        async def handle_DATA(self, server, session, envelope) -> str:
            self.messages.append(
                {"from": envelope.mail_from, "to": envelope.rcpt_tos, "data": envelope.content}
            )
            return "250 OK"

    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, handler.messages
    controller.stop()


def team(tmp_path: Path, text: str) -> Path:
    """A team config folder holding notify.yaml."""
    folder = tmp_path / "team"
    folder.mkdir(exist_ok=True)
    (folder / "notify.yaml").write_text(text)
    return folder


# ---- generic webhooks ---------------------------------------------------------------------------


def test_one_message_per_alert_per_matching_channel(receiver, tmp_path, monkeypatch):
    base = f"127.0.0.1:{receiver.port}"
    monkeypatch.setenv("HOOK_URL", f"json://{base}/hook/{TOKEN}")
    path = (
        team(
            tmp_path,
            f"""
channels:
  - name: hook                  # default kinds: the regression only
    url_env: HOOK_URL
  - name: everything
    url: json://{base}/everything
    kinds: [regression, improvement]
  - name: form
    url: form://{base}/form
    configs: ["dsr1-*"]
  - name: elsewhere             # a configuration pattern no alert matches
    url: json://{base}/elsewhere
    configs: ["other-*"]
  - name: muted
    url: json://{base}/muted
    enabled: false
""",
        )
        / "notify.yaml"
    )
    deliveries = send([regression(), IMPROVEMENT], load_notify(path))

    got = [(d.channel, d.key, d.status) for d in deliveries]
    assert got == [
        ("hook", "chg-1", SENT),
        ("everything", "chg-1", SENT),
        ("form", "chg-1", SENT),
        ("everything", "chg-2", SENT),
    ]
    # exactly one request each; nothing for a filtered or disabled channel
    assert sorted(receiver.paths()) == sorted(
        [f"/hook/{TOKEN}", "/everything", "/form", "/everything"]
    )
    assert all(TOKEN not in d.detail for d in deliveries)
    assert deliveries[0].detail == f"sent to json://{base}"

    by_path = {}
    for r in receiver.requests:
        by_path.setdefault(r["path"], []).append(r)
    (hook,) = by_path[f"/hook/{TOKEN}"]
    doc = json.loads(hook["body"])
    assert doc["type"] == "failure"
    lines = doc["message"].split("\n")
    assert lines[1] == INTERVAL
    assert lines[2:] == [f"candidate run: {RUN}", f"comment: {COMMENT}"]  # javascript: dropped
    # the hostile name arrives as inert one-line text: no control or bidi character, no ping
    for text in (doc["title"], lines[0]):
        assert "\x1b" not in text and "\u202e" not in text and "\n" not in text
        assert "<!channel>" not in text and "@here" not in text and f"@{ZWSP}here" in text
    assert f"<{ZWSP}!channel>" in lines[0]  # the body's text keeps what the file said
    # a title is a subject line with no markup character in any format
    assert doc["title"] == (
        f"Regression: evil ‹{ZWSP}!channel› @{ZWSP}here ‹script›x()‹/script› b (l)(javascript:x)"
        " (31m Z"  # the escape character gone, the rest of the escape sequence kept as text
    )
    assert lines[0].startswith("Regression on evil ") and lines[0].endswith("at 35 tok/s/user.")
    assert doc["title"].startswith("Regression: evil ")

    (form,) = by_path["/form"]
    fields = parse_qs(form["body"].decode())
    assert fields["title"] == [doc["title"]] and fields["message"] == [doc["message"]]

    texts = [json.loads(r["body"])["title"] for r in by_path["/everything"]]
    assert sorted(texts) == sorted([doc["title"], IMPROVEMENT.title])


def test_an_alert_without_configuration_skips_a_channel_that_names_some(receiver, tmp_path):
    path = (
        team(
            tmp_path,
            f"channels:\n  - name: some\n    url: json://127.0.0.1:{receiver.port}/x\n"
            "    configs: ['*']\n",
        )
        / "notify.yaml"
    )
    assert send([regression(config="")], load_notify(path)) == []
    assert send([regression()], load_notify(path))[0].status == SENT
    assert receiver.paths() == ["/x"]


# ---- a Teams-shaped delivery (markdown) over TLS ------------------------------------------------


@pytest.fixture
def tls_receiver(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    r = Receiver(tls=context)
    yield r
    r.close()


def card_texts(node: object) -> list[str]:
    """Every `text` of an adaptive card (Teams' payload), depth first."""
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        return found + [t for v in node.values() for t in card_texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in card_texts(v)]
    return []


def test_teams_workflow_gets_markdown_with_inert_names(tls_receiver, tmp_path, monkeypatch):
    # apprise's Teams plugin always speaks https; the self-signed local server needs verify=no
    monkeypatch.setenv(
        "TEAMS_URL", f"workflows://127.0.0.1:{tls_receiver.port}/wf{TOKEN}/sig{TOKEN}?verify=no"
    )
    path = team(tmp_path, "channels:\n  - name: teams\n    url_env: TEAMS_URL\n") / "notify.yaml"
    (delivery,) = send([regression()], load_notify(path))
    assert delivery.status == SENT, delivery.detail
    assert delivery.detail == "sent to workflows://"  # its host holds no secret, but its path does
    (request,) = tls_receiver.requests
    assert f"/workflows/wf{TOKEN}/" in request["path"]
    texts = card_texts(json.loads(request["body"]))
    body = next(
        t for t in texts if INTERVAL.replace("-", "") in t.replace("-", "").replace("\\", "")
    )
    # markdown: the hostile name's markup is escaped, its pings broken, links are real links
    assert "**b**" not in body and "\\*\\*b\\*\\*" in body
    assert "<script>" not in body and "\\<script\\>" in body
    assert "<!channel>" not in body and "@here" not in body and f"@{ZWSP}here" in body
    assert f"[candidate run]({RUN})" in body and f"[comment]({COMMENT})" in body
    assert "javascript:alert" not in body
    assert any(t.startswith("Regression: evil ‹") and "**" not in t and "[" not in t for t in texts)


def test_slack_mrkdwn_does_not_ping():
    """Slack cannot be pointed at a local server (apprise fixes hooks.slack.com), so this checks
    the text apprise's own Slack converter makes of what we render for a markdown service."""
    from apprise.plugins.slack import NotifySlack

    _, body = render(regression(), MARKDOWN)
    slack = NotifySlack._commonmark_to_slack(body)
    assert "<!channel>" not in slack and "<!here>" not in slack and "@here" not in slack
    assert "&lt;script&gt;" in slack and "<script>" not in slack
    assert f"<{RUN}|candidate run>" in slack and f"<{COMMENT}|comment>" in slack


# ---- email --------------------------------------------------------------------------------------


def test_email_arrives_at_a_real_smtp_server(smtp, tmp_path, monkeypatch):
    port, messages = smtp
    monkeypatch.setenv(
        "MAIL_URL",
        f"mailto://127.0.0.1:{port}?from=paretobot@example.com&to=perf@example.com",
    )
    path = team(tmp_path, "channels:\n  - name: mail\n    url_env: MAIL_URL\n") / "notify.yaml"
    (delivery,) = send([regression()], load_notify(path))
    assert delivery.status == SENT, delivery.detail
    assert delivery.detail == f"sent to mailto://127.0.0.1:{port}"
    (message,) = messages
    assert message["to"] == ["perf@example.com"]
    mail = message_from_bytes(message["data"], policy=policy.default)
    assert mail["Subject"].startswith("Regression: evil ")
    assert "\x1b" not in mail["Subject"]
    part = mail.get_body(("html", "plain"))
    html_body = part.get_content()
    assert part.get_content_type() == "text/html"
    assert "<script>" not in html_body and "&lt;script&gt;" in html_body
    assert INTERVAL in html_body and "fell 7.4% at 35 tok/s/user" in html_body
    assert f'<a href="{RUN}">candidate run</a>' in html_body
    assert f"@{ZWSP}here" in html_body and "@here" not in html_body


# ---- failures -----------------------------------------------------------------------------------


def test_a_dead_channel_fails_alone_and_leaks_nothing(
    receiver, smtp, tmp_path, monkeypatch, capsys, caplog, paretobot
):
    caplog.set_level(logging.DEBUG)  # even a debugging operator's log must hold no token
    smtp_port, messages = smtp
    dead = free_port()  # nothing listens there
    monkeypatch.setenv("DEAD_URL", f"json://127.0.0.1:{dead}/hook/{TOKEN}")
    monkeypatch.setenv("LIVE_URL", f"json://127.0.0.1:{receiver.port}/live/{TOKEN}")
    monkeypatch.setenv("BAD_URL", f"nosuchservice://{TOKEN}/{TOKEN}")
    monkeypatch.setenv(
        "MAIL_URL",
        f"mailto://127.0.0.1:{smtp_port}?from=paretobot@example.com&to=perf@example.com",
    )
    monkeypatch.delenv("UNSET_URL", raising=False)
    folder = team(
        tmp_path,
        """
timeout: 2
channels:
  - {name: dead, url_env: DEAD_URL}
  - {name: bad, url_env: BAD_URL}
  - {name: unset, url_env: UNSET_URL}
  - {name: live, url_env: LIVE_URL}
  - {name: mail, url_env: MAIL_URL}
""",
    )
    deliveries = send([regression()], load_notify(folder / "notify.yaml"))
    status = {d.channel: d.status for d in deliveries}
    assert status == {"dead": FAILED, "bad": FAILED, "unset": SKIPPED, "live": SENT, "mail": SENT}
    assert receiver.paths() == [f"/live/{TOKEN}"] and len(messages) == 1
    detail = {d.channel: d.detail for d in deliveries}
    assert detail["dead"].startswith(f"json://127.0.0.1:{dead}: ")
    assert "connection refused" in detail["dead"]
    assert detail["bad"].startswith("nosuchservice://: bad address")
    assert detail["unset"] == "$UNSET_URL is not set"
    for d in deliveries:
        assert "\n" not in d.detail and TOKEN not in d.detail and TOKEN not in str(delivery_json(d))

    # the same through the command: one line per delivery, exit 1, no token anywhere
    run = paretobot("notify", "--test", "--configs", folder)
    assert run.code == 1
    lines = run.out.splitlines()
    assert [line.split()[:2] for line in lines if line.split()[0] in (SENT, FAILED, SKIPPED)] == [
        [FAILED, "dead:"], [FAILED, "bad:"], [SKIPPED, "unset:"], [SENT, "live:"], [SENT, "mail:"],
    ]  # fmt: skip
    assert "Traceback" not in run.out + run.err
    captured = capsys.readouterr()  # the run read what send() printed before it, if anything
    everything = run.out + run.err + captured.out + captured.err + caplog.text
    assert TOKEN not in everything
    assert len(messages) == 2 and receiver.paths() == [f"/live/{TOKEN}"] * 2


def test_a_hung_receiver_is_bounded_and_delays_no_other_channel(receiver, tmp_path):
    """Four alerts to a service that accepts and never answers, and to a live one: each hung
    delivery gives up after the configured timeout (0.5 s), one after another, while the live
    channel gets all four meanwhile (its requests arrive before the hung one's second). The 20 s
    bound only guards against a hang; it is not a speed figure."""
    hung = Receiver(hold=True)
    try:
        path = team(
            tmp_path,
            f"""
timeout: 0.5
channels:
  - {{name: hung, url: 'json://127.0.0.1:{hung.port}/h'}}
  - {{name: live, url: 'json://127.0.0.1:{receiver.port}/l'}}
""",
        )
        alerts = [regression(key=f"chg-{i}") for i in range(4)]
        start = time.monotonic()
        deliveries = send(alerts, load_notify(path / "notify.yaml"))
        elapsed = time.monotonic() - start
    finally:
        hung.close()
    assert [(d.channel, d.key) for d in deliveries] == [
        (name, a.key) for a in alerts for name in ("hung", "live")
    ]
    hung_ones = [d for d in deliveries if d.channel == "hung"]
    assert all(d.status == FAILED and "read timed out" in d.detail for d in hung_ones), hung_ones
    assert all(d.status == SENT for d in deliveries if d.channel == "live")
    assert len(hung.requests) == 4 and len(receiver.requests) == 4
    assert max(r["at"] for r in receiver.requests) < sorted(r["at"] for r in hung.requests)[1]
    assert elapsed < 20


# ---- the command --------------------------------------------------------------------------------


def test_notify_lists_channels_without_addresses(paretobot, tmp_path, monkeypatch):
    monkeypatch.setenv("SLACK_URL", f"slack://{TOKEN}/B0/C0")
    monkeypatch.delenv("MAIL_URL", raising=False)
    folder = team(
        tmp_path,
        """
channels:
  - {name: slack, url_env: SLACK_URL, configs: ["dsr1-*"]}
  - {name: mail, url_env: MAIL_URL, kinds: [breakage], enabled: false}
""",
    )
    run = paretobot("notify", "--configs", folder, "--json")
    assert run.code == 0, run.err
    doc = run.json()
    assert doc["file"] == str(folder / "notify.yaml")
    assert [(c["name"], c["scheme"], c["address_set"]) for c in doc["channels"]] == [
        ("slack", "slack", True),
        ("mail", None, False),
    ]
    assert doc["channels"][0]["kinds"] == ["regression", "breakage", "mixed", "partial"]
    assert doc["channels"][1]["enabled"] is False and "deliveries" not in doc
    text = paretobot("notify", "--configs", folder)
    assert text.code == 0
    assert "$SLACK_URL set" in text.out and "$MAIL_URL NOT SET" in text.out
    assert TOKEN not in run.out + text.out


def test_packaged_notify_yaml_has_no_channel(paretobot, monkeypatch):
    monkeypatch.delenv("PARETOBOT_CONFIGS", raising=False)
    run = paretobot("notify", "--json")
    assert run.code == 0 and run.json()["channels"] == []


def test_dry_run_writes_each_message_and_sends_nothing(paretobot, receiver, tmp_path, monkeypatch):
    monkeypatch.setenv("HOOK_URL", f"json://127.0.0.1:{receiver.port}/hook/{TOKEN}")
    folder = team(tmp_path, "channels:\n  - {name: hook, url_env: HOOK_URL}\n")
    out = tmp_path / "dry"
    run = paretobot("notify", "--configs", folder, "--dry-run", out, "--json")
    assert run.code == 0, run.err
    (delivery,) = run.json()["deliveries"]
    assert delivery["status"] == DRY_RUN and receiver.requests == []
    (written,) = out.iterdir()
    assert delivery["detail"] == str(written)
    doc = json.loads(written.read_text())
    assert doc["channel"] == "hook" and doc["format"] == "text"
    assert doc["title"] == "paretobot: test alert" and "(hook)" in doc["body"]
    assert TOKEN not in written.read_text()

    # the library's dry run: one file per alert and channel, the rendered text in it
    (d,) = send([regression()], load_notify(folder / "notify.yaml"), dry_run=tmp_path / "lib")
    assert d.status == DRY_RUN and receiver.requests == []
    assert INTERVAL in json.loads(Path(d.detail).read_text())["body"]


# ---- config validation --------------------------------------------------------------------------

BAD = {
    "unknown top key": ("chanels: []\n", "chanels"),
    "unknown channel key": ("channels:\n  - {name: a, urll: 'json://h/p'}\n", "channels.0.urll"),
    "bad kind": ("channels:\n  - {name: a, url: 'json://h/p', kinds: [regresion]}\n", "regresion"),
    "no address": ("channels:\n  - {name: a}\n", "exactly one of url and url_env"),
    "both addresses": ("channels:\n  - {name: a, url: 'json://h/p', url_env: X}\n", "exactly one"),
    "bad env name": ("channels:\n  - {name: a, url_env: 'A-B'}\n", "channels.0.url_env"),
    "bad name": ("channels:\n  - {name: 'a b', url: 'json://h/p'}\n", "channels.0.name"),
    "twice": (
        "channels:\n  - {name: a, url: 'json://h/p'}\n  - {name: a, url: 'json://h/q'}\n",
        "used twice",
    ),
    "bad timeout": ("timeout: 0\n", "timeout"),
    "slack literal": (f"channels:\n  - {{name: a, url: 'slack://{TOKEN}/B/C'}}\n", "url_env"),
    "https literal": (
        f"channels:\n  - {{name: a, url: 'https://hooks.slack.com/services/{TOKEN}'}}\n",
        "url_env",
    ),
    "password literal": (f"channels:\n  - {{name: a, url: 'mailtos://u:{TOKEN}@h'}}\n", "url_env"),
    "pass parameter": (f"channels:\n  - {{name: a, url: 'mailto://h?pass={TOKEN}'}}\n", "url_env"),
    "header literal": (
        f"channels:\n  - {{name: a, url: 'json://h/p?+Authorization=Bearer%20{TOKEN}'}}\n",
        "url_env",
    ),
    "token parameter": (
        f"channels:\n  - {{name: a, url: 'json://h/p?token={TOKEN}'}}\n",
        "url_env",
    ),
    "not yaml": ("channels: [\n", "cannot read YAML"),
    "not a mapping": ("- a\n", "notify.yaml"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_notify_yaml_is_one_line_naming_file_and_key(paretobot, tmp_path, case):
    text, expected = BAD[case]
    folder = team(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_notify(folder / "notify.yaml")
    message = str(exc.value)
    assert str(folder / "notify.yaml") in message and expected in message
    assert "\n" not in message and TOKEN not in message
    run = paretobot("notify", "--configs", folder)
    assert run.code == 1 and run.out == ""
    (line,) = run.err.strip().splitlines()
    assert str(folder / "notify.yaml") in line and TOKEN not in line


def test_a_literal_url_without_secret_is_accepted(tmp_path):
    folder = team(
        tmp_path, "channels:\n  - {name: a, url: 'json://hooks.example:8080/paretobot'}\n"
    )
    (channel,) = load_notify(folder / "notify.yaml").channels
    assert channel.address() == "json://hooks.example:8080/paretobot"
    assert channel.kinds == ("regression", "breakage", "mixed", "partial")
