"""`paretobot site OUT`: the dashboard as a static site (bot/app/site.py gathers, bot/report/site.py
writes)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.cli.common import CliError, out, parse_since, print_json


def add_site_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    site = sub.add_parser(
        "site",
        parents=[common],
        help="the dashboard as a static site (open OUT/index.html, or publish it)",
        description="Write a static site: an overview (newest verdicts, changes, failing runs, "
        "stale configurations), a page per configuration (Pareto chart, history, costs, runs, "
        "how to reproduce) and a page comparing any two builds. It needs no server: open "
        "OUT/index.html from disk, or publish OUT (the digest workflow publishes it to GitHub "
        "Pages).",
    )
    site.add_argument("out", metavar="OUT", help="an empty or new folder, or a site written before")
    site.add_argument("--config", help="configuration pattern (default: every configuration)")
    site.add_argument("--title", default="paretobot", help="the site's name in every page")
    site.add_argument(
        "--stale-after",
        default="14d",
        metavar="SPAN",
        help="a configuration with no run this long before the newest run is stale (default 14d)",
    )
    site.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="processes judging configurations side by side (default: one per CPU; Linux)",
    )
    site.set_defaults(func=cmd_site)


def cmd_site(args: argparse.Namespace) -> int:
    from bot import store
    from bot.app.site import build_site
    from bot.model import utc_now

    if args.jobs is not None and args.jobs < 1:
        raise CliError("--jobs: give 1 or more processes")
    now = utc_now()
    stale_after = now - parse_since(args.stale_after, now, "--stale-after")
    engine = store.open_store(args.db)
    built = build_site(
        engine, Path(args.out), config=args.config, title=args.title, stale_after=stale_after,
        now=now, jobs=args.jobs,
    )  # fmt: skip
    index = built.folder / "index.html"
    if args.json:
        print_json(
            {"folder": str(built.folder), "index": str(index), "configs": built.configs,
             "pages": built.pages, "pairs": built.pairs, "seconds": round(built.seconds, 3)}
        )  # fmt: skip
        return 0
    out.print(
        f"wrote {built.pages} pages ({built.configs} configuration(s), {built.pairs} build pairs "
        f"compared) to {built.folder} in {built.seconds:.1f} s; open {index}",
        markup=False,
        soft_wrap=True,
    )
    return 0
