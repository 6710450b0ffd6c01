"""What was run: the framework's version and commit as the installed framework reports them
(asked while the server starts), and the image digest when there is one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.runner import launch, process, system
from bot.runner.commands import JobSetup, version_command

VERSION_TIMEOUT_S = 180.0
Cache = dict[tuple[str, ...], str | None]


def _key(plan: JobSetup) -> tuple[str, ...]:
    """Jobs that would run the same version query share its answer."""
    argv, env = version_command(plan)
    return (plan.launcher.kind, plan.job.image, env.get("PATH", ""), *argv)


def start_query(plan: JobSetup, cache: Cache, log: Path, cwd: Path) -> process.Proc | None:
    """Start the recipe's version command (None if its answer is known or it cannot start)."""
    if _key(plan) in cache:
        return None
    argv, env = version_command(plan)
    try:
        return process.start(argv, env, log, cwd)
    except OSError:
        return None


def resolve(plan: JobSetup, cache: Cache, query: process.Proc | None) -> dict[str, Any]:
    """The build: what the job names (the dispatcher's build: a release tag, a PR's merge commit,
    an AITER tag under vLLM), else what the framework reported, else the image tag. Results are
    filed under it, so a probe's results land on the commit the bisection asked for; what the
    framework itself reported is kept beside it."""
    job = plan.job
    key = _key(plan)
    if key not in cache:
        reported = None
        if query is not None and process.wait_exit(query, VERSION_TIMEOUT_S) == 0:
            reported = system.parse_version(query.log.read_text(errors="replace"))
        cache[key] = reported
    reported = cache[key]
    tag = job.image.rsplit(":", 1)[-1] if ":" in job.image.rsplit("/", 1)[-1] else None
    version = job.version or reported or tag or "unknown"
    source = "job" if job.version else "reported" if reported else "image tag" if tag else "none"
    reported_commit = system.commit_from_version(reported) if reported else None
    commit = job.commit or reported_commit or None
    digest_argv = launch.digest_command(plan.launcher)
    inspect = system.run_query(digest_argv) if digest_argv else None
    return {
        "name": job.framework,
        "version": version,
        "version_source": source,
        "commit": commit,
        "requested_version": job.version or None,
        "requested_commit": job.commit or None,
        "reported_version": reported,
        "reported_commit": reported_commit,
        "image_digest": system.image_digest(job.image, inspect),
    }
