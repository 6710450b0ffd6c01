"""`paretobot demo`: the whole loop on the bundled inputs (bot/app/demo.py), printed stage by stage,
with a last line saying where each file it wrote is."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.cli.attribute import print_attribution
from bot.cli.common import out
from bot.cli.publish import print_outcomes
from bot.cli.results import print_frontier
from bot.cli.watch import print_handled


def add_demo_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    demo = sub.add_parser(
        "demo", parents=[common], help="the whole loop on the bundled inputs, no network"
    )
    demo.add_argument(
        "--out",
        default="paretobot-demo",
        metavar="DIR",
        help="where the plan, results, comment, changelog and digest go (default ./paretobot-demo)",
    )
    demo.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from bot import report, store
    from bot.app.demo import DEMO, run_demo
    from bot.config import load_policy

    engine = store.open_store(args.db)
    folder = Path(args.out)
    demo = run_demo(engine, folder)
    e = demo.handled.event
    out.rule(f"watch: {e.upstream} {e.key} (a real release payload, {DEMO.name}/release.json)")
    print_handled(demo.handled)
    out.print(f"  dry run: the dispatch's inputs written to {folder / 'plan'}/", markup=False)
    out.rule("run: the job's results (real run-job output, vLLM on a CPU; see the demo README)")
    summary = demo.ingested.summary()
    out.print(
        f"ingest: stored {summary['stored']} file(s) ({summary['points']} points), "
        f"{summary['duplicate']} already stored, {summary['error']} quarantined, "
        f"into {engine.url.render_as_string(hide_password=True)}",
        markup=False,
    )
    out.rule("frontier: the candidate's runs")
    for f, suspect in demo.frontiers:
        print_frontier(f, suspect)
    out.rule(f"compare: {demo.candidate} against {demo.baseline}")
    print(report.verdicts_markdown(demo.verdicts, load_policy()), end="")
    out.rule(f"attribute: the {e.upstream} PRs between the two releases (bundled real history)")
    for a in demo.attributions.values():
        print_attribution(a, None, 5)
    if not demo.attributions:
        out.print("no change to attribute", markup=False)
    out.rule("publish: comment, changelog entry, digest (written, not posted)")
    print_outcomes(demo.published.outcomes + demo.digest_outcomes)
    out.print("", markup=False)
    for name, path in demo.files.items():
        out.print(f"{name}: {path}", markup=False)
    return 0
