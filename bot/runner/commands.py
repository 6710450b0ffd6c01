"""A job made concrete: its recipe, its launcher, and the exact argv lists it runs."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.runner import launch, recipe
from bot.runner.job import JobError, JobSpec, job_name, unsupported


@dataclass(frozen=True)
class JobSetup:
    index: int
    job: JobSpec
    name: str
    recipe: recipe.Recipe
    launcher: launch.Launcher
    env: dict[str, str]  # what the recipe and the job add to the environment

    @property
    def points(self) -> int:
        return self.job.repeats * len(self.job.concurrencies)


def plan_job(
    job: JobSpec, index: int, out: Path, kind: str, recipes: Path | None = None
) -> JobSetup:
    """Everything decided before anything runs; RecipeError/LaunchError when it cannot be."""
    why = unsupported(job)
    if why:
        raise JobError(f"job {index}: {why}")
    name = job_name(job, index)
    chosen = recipe.recipe_for(job, recipes)
    mounts = [out]
    for path in (job.model, job.tokenizer):
        if path and Path(path).is_dir():
            mounts.append(Path(path))
    installs = bool(job.commit and chosen.build.commit)
    launcher = launch.make_launcher(
        kind, chosen, job.image, f"paretobot-{name}", mounts, installs=installs
    )
    return JobSetup(index, job, name, chosen, launcher, recipe.environment(job, chosen))


WARMUPS_PER_CONCURRENCY = 2  # the client's own warm-up requests before each point (InferenceX's)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _values(plan: JobSetup, port: int, **point: Any) -> dict[str, str]:
    return recipe.variables(
        plan.job,
        plan.recipe,
        host=plan.launcher.client_host,
        bind_host=plan.launcher.bind_host,
        port=port,
        **point,
    )


def server_command(plan: JobSetup, port: int) -> tuple[list[str], dict[str, str]]:
    argv = recipe.server_argv(plan.job, plan.recipe, _values(plan, port))
    return launch.server_command(plan.launcher, argv, plan.env, port)


def client_command(
    plan: JobSetup, port: int, concurrency: int, prompts: int, result_dir: Path, result_file: str
) -> tuple[list[str], dict[str, str]]:
    values = _values(
        plan,
        port,
        concurrency=concurrency,
        num_prompts=prompts,
        warmups=WARMUPS_PER_CONCURRENCY * concurrency,
        result_dir=str(result_dir),
        result_file=result_file,
    )
    return launch.client_command(plan.launcher, recipe.client_argv(plan.recipe, values), plan.env)


def version_command(plan: JobSetup) -> tuple[list[str], dict[str, str]]:
    argv = recipe.render(plan.recipe.version_command, _values(plan, 0))
    return launch.once_command(plan.launcher, argv, plan.env)


def random_model_command(plan: JobSetup) -> tuple[list[str], dict[str, str]] | None:
    """(argv, environment) that builds the job's random model, or None when it asks for none."""
    argv = recipe.random_model_argv(plan.job, plan.recipe, _values(plan, 0))
    return launch.once_command(plan.launcher, argv, plan.env) if argv else None


def build_env(plan: JobSetup) -> dict[str, str]:
    """What the recipe's `build.env` adds for the install and verify commands."""
    return recipe.build_environment(plan.recipe, _values(plan, 0))


def install_commands(plan: JobSetup) -> list[tuple[list[str], dict[str, str]]]:
    """(argv, environment) of each install step: into the venv / PATH that serves (local), or
    into the job's container (docker, srun: `launch.install_commands` says how it survives)."""
    values = _values(plan, 0)
    env = {**plan.env, **build_env(plan)}
    return launch.install_commands(
        plan.launcher, recipe.install_argvs(plan.job, plan.recipe, values), env
    )


def verify_command(plan: JobSetup) -> tuple[list[str], dict[str, str]] | None:
    values = _values(plan, 0)
    argv = recipe.verify_argv(plan.job, plan.recipe, values)
    if not argv:
        return None
    env = {**plan.env, **build_env(plan)}
    return launch.once_command(plan.launcher, argv, env)
