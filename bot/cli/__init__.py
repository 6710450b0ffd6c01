"""`paretobot` subcommands: parse arguments, call one stage, print. No logic of its own."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.cli.attribute import add_attribute_parser
from bot.cli.command import add_command_parser
from bot.cli.common import err
from bot.cli.config import add_config_parser
from bot.cli.demo import add_demo_parser
from bot.cli.export import add_export_parser
from bot.cli.listing import add_listing_parsers
from bot.cli.notify import add_notify_parser
from bot.cli.publish import add_publish_parsers
from bot.cli.results import (
    META_OPTIONS,
    cmd_compare,
    cmd_detect,
    cmd_frontier,
    cmd_history,
    cmd_ingest,
    cmd_quarantine,
)
from bot.cli.run import add_run_job_parser
from bot.cli.runs import add_runs_parser
from bot.cli.site import add_site_parser
from bot.cli.store import add_store_parser
from bot.cli.triage import add_triage_parsers
from bot.cli.watch import cmd_watch
from bot.errors import ParetobotError

# ---- argument parsing ---------------------------------------------------------------------------


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("paretobot")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


class _VersionAction(argparse._VersionAction):
    """`--version`, the installed version looked up only when asked (importlib.metadata alone
    takes as long to import as Python takes to start)."""

    def __call__(self, *args: object, **kwargs: object) -> None:
        self.version = f"paretobot {_version()}"
        super().__call__(*args, **kwargs)


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="SQLAlchemy URL (default: $PARETOBOT_DB or paretobot.db)")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    common.add_argument(
        "--configs",
        metavar="DIR",
        help="team config folder for this call (as $PARETOBOT_CONFIGS; a file it lacks is read "
        "from the packaged defaults)",
    )
    parser = argparse.ArgumentParser(prog="paretobot", description=__doc__)
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", parents=[common], help="load result files or folders")
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    meta = ingest.add_argument_group("metadata a file lacks (overrides sidecars)")
    for name, kind in META_OPTIONS.items():
        meta.add_argument("--" + name.replace("_", "-"), type=kind, dest=name)
    meta.add_argument("--dp-attention", action="store_true")
    meta.add_argument("--disagg", action="store_true")
    ingest.set_defaults(func=cmd_ingest)

    frontier = sub.add_parser("frontier", parents=[common], help="Pareto frontier(s)")
    frontier.add_argument("--config", help="configuration pattern (substring or glob of the slug)")
    frontier.add_argument("--build", help="build selector (default: latest stored build)")
    frontier.set_defaults(func=cmd_frontier)

    comp = sub.add_parser("compare", parents=[common], help="candidate frontier vs baseline")
    comp.add_argument("--baseline", required=True, help="build (version, tag, commit) or run:ID")
    comp.add_argument("--candidate", required=True, help="build (version, tag, commit) or run:ID")
    comp.add_argument("--config", help="configuration pattern (default: every common one)")
    comp.add_argument("--markdown", action="store_true", help="markdown table (the default)")
    comp.add_argument(
        "--fail-on",
        metavar="KINDS",
        help="exit 3 when a verdict is of these kinds (comma-separated, e.g. regression,breakage)",
    )
    comp.set_defaults(func=cmd_compare)

    watch = sub.add_parser("watch", parents=[common], help="poll upstreams, plan, dispatch")
    watch.add_argument("--once", action="store_true", help="one pass, then exit")
    watch.add_argument(
        "--dry-run",
        nargs="?",
        const="paretobot-plan",
        metavar="DIR",
        help="write the plans to DIR (default ./paretobot-plan) instead of dispatching",
    )
    watch.add_argument(
        "--event",
        metavar="FILE",
        help="handle one webhook payload (e.g. $GITHUB_EVENT_PATH) instead of polling",
    )
    watch.add_argument(
        "--event-name", help="its event name (default: $GITHUB_EVENT_NAME): release, push, ..."
    )
    watch.add_argument("--interval", type=float, default=1800, help="seconds between passes")
    watch.add_argument(
        "--settle-seconds",
        type=float,
        default=5.0,
        help="wait before concluding from the run list that a failed dispatch did not land",
    )
    watch.set_defaults(func=cmd_watch)

    hist = sub.add_parser(
        "history", parents=[common], help="a configuration's series over builds or run dates"
    )
    hist.add_argument(
        "--by",
        choices=("build", "date"),
        default="build",
        help="one value per build (default), or per run in date order (shows drift between days)",
    )
    hist.add_argument("--config", help="configuration pattern (default: every configuration)")
    hist.set_defaults(func=cmd_history)

    det = sub.add_parser("detect", parents=[common], help="change points of one series (CSV)")
    det.add_argument("--csv", required=True, help="CSV with a header line, one row per build")
    det.add_argument("--column", help="value column (default: the last one)")
    det.add_argument("--alpha", type=float, help="significance per test (configs/analysis.yaml)")
    det.add_argument("--min-size", type=int, help="fewest rows on each side of a change")
    det.add_argument("--min-effect", type=float, default=0.0, help="smallest relative change")
    det.set_defaults(func=cmd_detect)

    add_runs_parser(sub, common)
    add_listing_parsers(sub, common)
    add_store_parser(sub, common)
    add_export_parser(sub, common)

    quar = sub.add_parser("quarantine", parents=[common], help="files refused, with reasons")
    quar.set_defaults(func=cmd_quarantine)

    add_publish_parsers(sub, common)
    add_site_parser(sub, common)
    add_triage_parsers(sub, common)
    add_notify_parser(sub, common)
    add_command_parser(sub, common)
    add_attribute_parser(sub, common)

    add_config_parser(sub, common)
    add_demo_parser(sub, common)
    add_run_job_parser(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Exit codes: 0 ok, 1 a user-facing error (one line), 2 a usage error (argparse), 3 the
    `compare --fail-on` gate found a verdict of a failing kind."""
    args = _parser().parse_args(argv)
    from bot.config import using_configs  # pydantic and yaml: not for --help

    try:
        with using_configs(getattr(args, "configs", None)):
            return args.func(args)
    except ParetobotError as exc:
        err.print(f"paretobot: {exc}", markup=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())
