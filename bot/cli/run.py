"""`paretobot run-job`: on a runner, serve and sweep every job of a job file, write the results."""

# heavy libraries are imported by the command that needs them, so --help stays fast

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.cli.common import CliError, err, out, print_json
from bot.launchers import KINDS


def add_run_job_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register `run-job` on the subcommand parsers."""
    run = sub.add_parser(
        "run-job", parents=[common], help="on a runner: serve, sweep, write results"
    )
    run.add_argument("job", metavar="JOB", help="job file (JSON): one job object or a list")
    run.add_argument("--out", required=True, metavar="DIR", help="results folder")
    run.add_argument(
        "--launcher",
        choices=KINDS,
        default="local",
        help="how the server starts: a local process (default), docker run, or srun (pyxis)",
    )
    run.add_argument(
        "--dry-run", action="store_true", help="print the commands each job would run; run none"
    )
    run.add_argument(
        "--run-id", help="default: $GITHUB_RUN_ID-$GITHUB_RUN_ATTEMPT, else a timestamp"
    )
    run.add_argument(
        "--recipes",
        metavar="DIR",
        help="recipe folder (default: $PARETOBOT_RECIPES or the bundled recipes)",
    )
    run.set_defaults(func=cmd_run_job)


def _print_plan(plans: list[dict[str, Any]]) -> None:
    import shlex

    for p in plans:
        out.print(f"job {p['job']}: {p['name']} ({p['recipe']}, {p['launcher']})", markup=False)
        for name, value in sorted(p["env"].items()):
            out.print(f"  env    {name}={shlex.quote(value)}", markup=False)
        for name, value in sorted((p.get("build_env") or {}).items()):
            out.print(f"  install env {name}={shlex.quote(value)}", markup=False)
        for argv in p.get("install") or []:
            out.print(f"  install {shlex.join(argv)}", markup=False)
        if p.get("verify"):
            out.print(f"  verify {shlex.join(p['verify'])}", markup=False)
        out.print(f"  server {shlex.join(p['server'])}", markup=False)
        out.print(f"  client {shlex.join(p['client_first_point'])}", markup=False)
        out.print(f"  {p['client_runs']} client runs, results in {p['output']}", markup=False)


def cmd_run_job(args: argparse.Namespace) -> int:
    """Run the job file; 0 when every job ran (failed configurations are recorded results)."""
    from bot.runner import (
        BotError,
        Cancelled,
        JobError,
        LaunchError,
        RecipeError,
        describe_plan,
        load_jobs,
        plan_jobs,
        run_jobs,
    )
    from bot.runner.output import check_writable, make_run_id
    from bot.runner.process import cancel_on_signals

    folder = Path(args.out)
    recipes = Path(args.recipes) if args.recipes else None
    try:
        plans = plan_jobs(load_jobs(Path(args.job)), folder, args.launcher, recipes)
    except (JobError, RecipeError, LaunchError) as exc:
        raise CliError(str(exc)) from None
    if args.dry_run:
        described = [describe_plan(p, folder) for p in plans]
        print_json(described) if args.json else _print_plan(described)
        return 0
    try:
        check_writable(folder)
    except OSError as exc:
        raise CliError(f"--out {folder}: cannot write there: {exc.strerror or exc}") from None
    taken = next((p.name for p in plans if (folder / p.name).exists()), None)
    if taken:
        raise CliError(f"--out {folder} already holds {taken}; give a new results folder")
    run_id = args.run_id or make_run_id()
    try:
        with cancel_on_signals():
            statuses = run_jobs(plans, folder, run_id)
    except BotError as exc:
        raise CliError(str(exc)) from None
    except Cancelled as exc:
        err.print(f"paretobot: cancelled by {exc}; servers stopped", markup=False)
        return 128 + exc.signum
    if args.json:
        print_json({"run_id": run_id, "out": str(folder), "jobs": statuses})
    else:
        for name, status in statuses.items():
            out.print(f"{status:<9} {folder / name}", markup=False)
    return 0
