"""`paretobot notify`: the alert channels in force, and a test message to each."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.cli.common import out, print_json


def add_notify_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    notify = sub.add_parser(
        "notify",
        parents=[common],
        help="the alert channels of notify.yaml (never their addresses); --test sends to each",
    )
    notify.add_argument(
        "--test",
        action="store_true",
        help="send a test alert to every enabled channel, one line per delivery (exit 1 if any "
        "failed)",
    )
    notify.add_argument(
        "--dry-run",
        metavar="DIR",
        type=Path,
        help="as --test, but each message is written to a file in DIR instead of sent",
    )
    notify.set_defaults(func=cmd_notify)


def cmd_notify(args: argparse.Namespace) -> int:
    from bot.config import config_file
    from bot.config.notify import NOTIFY_FILE
    from bot.notify import FAILED, channel_json, delivery_json, load_channels, probe_alert, send
    from bot.text import plain

    path = config_file(NOTIFY_FILE)
    settings = load_channels(path)
    channels = [channel_json(c) for c in settings.channels]
    deliveries = []
    testing = args.test or args.dry_run is not None
    if testing:
        # each channel its own alert (it says what that channel receives), under the file's timeout
        for channel in settings.channels:
            if channel.enabled:
                one = settings.model_copy(update={"channels": (channel,)})
                alert = probe_alert(channel)
                deliveries += send([alert], one, dry_run=args.dry_run, everywhere=True)
    failed = any(d.status == FAILED for d in deliveries)
    if args.json:
        doc: dict[str, Any] = {"file": str(path), "timeout": settings.timeout, "channels": channels}
        if testing:
            doc["deliveries"] = [delivery_json(d) for d in deliveries]
        print_json(doc)
        return 1 if failed else 0
    out.print(f"{path}: {len(channels)} channel(s), timeout {settings.timeout:g}s", markup=False)
    rows = []
    for c in channels:
        source = "url in notify.yaml"
        if c["url_env"]:
            source = f"${c['url_env']} {'set' if c['address_set'] else 'NOT SET'}"
        scheme = f"{c['scheme']}://" if c["scheme"] else "-"
        configs = plain(",".join(c["configs"]), 120) or "*"
        state = "" if c["enabled"] else "  (disabled)"
        rows.append(
            (c["name"], scheme, source, f"kinds: {','.join(c['kinds'])}  configs: {configs}{state}")
        )
    widths = [max((len(r[k]) for r in rows), default=0) for k in range(3)]
    for row in rows:
        cells = "  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True))
        out.print(f"  {cells}  {row[3]}", markup=False)
    if not channels:
        out.print("  no channels: nothing is sent (docs/alerts.md)", markup=False)
    for d in deliveries:
        out.print(f"{d.status:<8} {d.channel}: {plain(d.detail, 240)}", markup=False)
    return 1 if failed else 0
