"""`paretobot attribute`: for each change between two builds, the PRs behind it, ranked, and a
bisection (dispatched probe by probe, one step per call) when the ranking is not sure."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.cli.common import CliError, out, print_json

if TYPE_CHECKING:
    from bot.attribution.bisect import Bisection
    from bot.model import Attribution


def print_attribution(a: Attribution, b: Bisection | None, top: int) -> None:
    from bot.report import plain

    out.print(f"{a.change}: {a.config.slug}: {plain(a.summary, 200)}", markup=False)
    if a.culprit:
        p = a.culprit
        out.print(f"  culprit ({a.decided_by}): #{p.number} {plain(p.title)} {p.url}", markup=False)
    else:
        out.print(f"  no culprit yet ({len(a.candidates)} candidates)", markup=False)
    for c in a.candidates[:top]:
        why = "; ".join(c.reasons[:3])
        out.print(
            f"  {c.score:6.2f}  #{c.pull.number} {plain(c.pull.title, 60)}  ({why})", markup=False
        )
    if b is not None:
        probe = b.commits[b.probe][:12] if b.probe is not None else "-"
        out.print(
            f"  bisection {b.status}: good {b.commits[b.good][:12]}, bad {b.commits[b.bad][:12]}, "
            f"probing {probe}, {b.runs}/{b.budget} runs",
            markup=False,
        )


def cmd_attribute(args: argparse.Namespace) -> int:
    from bot import report, store
    from bot.app import judge
    from bot.app.attribute import Options, attribution_for
    from bot.model import CHANGE_KINDS

    engine = store.open_store(args.db)
    verdicts = judge.verdicts(engine, args.baseline, args.candidate, args.config)
    changes = [v for v in verdicts if v.kind in CHANGE_KINDS]
    if not changes:
        raise CliError("no change to attribute: every configuration is no-change or inconclusive")
    options = Options(args.repo_upstream, args.bisect, args.budget, args.settle_seconds)
    results = [attribution_for(engine, v, options) for v in changes]
    if args.json:
        print_json([report.attribution_json(a, b) for a, b in results])
    else:
        for a, b in results:
            print_attribution(a, b, args.top)
    return 0


def add_attribute_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    att = sub.add_parser("attribute", parents=[common], help="which upstream PR caused a change")
    att.add_argument("--baseline", required=True, help="build (version, tag, commit) or run:ID")
    att.add_argument("--candidate", required=True, help="build (version, tag, commit) or run:ID")
    att.add_argument("--config", help="configuration pattern (default: every changed one)")
    att.add_argument(
        "--repo",
        dest="repo_upstream",
        help="upstream repository (default: the one feeding the framework)",
    )
    att.add_argument("--bisect", action="store_true", help="dispatch probes when ranking is unsure")
    att.add_argument("--budget", type=int, help="benchmark runs a bisection may spend")
    att.add_argument("--top", type=int, default=5, help="candidates to print")
    att.add_argument("--settle-seconds", type=float, default=5.0, help="see `watch --help`")
    att.set_defaults(func=cmd_attribute)
