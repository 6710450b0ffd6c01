"""Runs benchmark jobs on a runner: serve from a recipe, sweep, record results and failures.

`run_jobs` is what `paretobot run-job` calls: it plans every job first (a bad recipe or launcher
fails before any GPU time is spent), then runs them one after the other. Only this package starts
processes on a runner.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.runner import system
from bot.runner.commands import (
    JobSetup,
    build_env,
    client_command,
    install_commands,
    plan_job,
    server_command,
    verify_command,
    version_command,
)
from bot.runner.execute import BotError, Session, run_job
from bot.runner.job import JobError, JobSpec, interleave, load_jobs, parse_jobs
from bot.runner.launch import LaunchError
from bot.runner.process import Cancelled
from bot.runner.progress import Progress, fmt_duration
from bot.runner.recipe import RecipeError, result_name

__all__ = [
    "BotError",
    "Cancelled",
    "JobError",
    "JobSetup",
    "JobSpec",
    "LaunchError",
    "RecipeError",
    "describe_plan",
    "load_jobs",
    "parse_jobs",
    "plan_jobs",
    "run_jobs",
]

DRY_RUN_PORT = 8000


def plan_jobs(
    jobs: Sequence[JobSpec], out: Path, launcher: str, recipes: Path | None = None
) -> list[JobSetup]:
    """Plans for every job, or RecipeError/LaunchError naming the job that cannot be run."""
    plans = []
    for index, job in enumerate(interleave(list(jobs))):
        try:
            plans.append(plan_job(job, index, out.resolve(), launcher, recipes))
        except (RecipeError, LaunchError) as exc:
            raise type(exc)(f"job {index}: {exc}") from None
    return plans


def describe_plan(plan: JobSetup, out: Path) -> dict[str, Any]:
    """What a dry run shows: the commands each job would run (port shown as 8000)."""
    folder = out.resolve() / plan.name
    first = plan.job.concurrencies[0]
    server, _ = server_command(plan, DRY_RUN_PORT)
    verify = verify_command(plan)
    client, _ = client_command(
        plan,
        DRY_RUN_PORT,
        first,
        plan.job.prompts_for(first),
        folder / "r0",
        result_name(plan.recipe, first),
    )
    return {
        "job": plan.index,
        "name": plan.name,
        "recipe": plan.recipe.name,
        "launcher": plan.launcher.kind,
        "env": plan.env,
        "server": server,
        "version": version_command(plan)[0],
        "install": [argv for argv, _ in install_commands(plan)],
        "verify": verify[0] if verify else None,
        "build_env": build_env(plan) if plan.job.commit else {},
        "client_first_point": client,
        "client_runs": plan.points + (1 if plan.job.warmup else 0),
        "output": str(folder),
    }


def run_jobs(
    plans: Sequence[JobSetup], out: Path, run_id: str, progress: Progress | None = None
) -> dict[str, str]:
    """Run every planned job; {name: status}. Raises BotError or Cancelled (after stopping
    everything it started and recording the job in progress)."""
    progress = progress or Progress(
        points_total=sum(p.points for p in plans), starts_total=len(plans)
    )
    session = Session(
        out=out.resolve(),
        run_id=run_id,
        progress=progress,
        host=system.host_facts(),
        accelerators=system.accelerators(),
    )
    statuses = {}
    for plan in plans:
        statuses[plan.name] = run_job(plan, session)
    progress.say(
        f"done: {sum(s == 'ok' for s in statuses.values())} ok, "
        f"{sum(s == 'failed' for s in statuses.values())} failed (recorded) "
        f"in {fmt_duration(progress.elapsed())}"
    )
    return statuses
