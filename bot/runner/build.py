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
    """The build: what the framework reported, else what the job says, else the image tag."""
    job = plan.job
    key = _key(plan)
    if key not in cache:
        reported = None
        if query is not None and process.wait_exit(query, VERSION_TIMEOUT_S) == 0:
            reported = system.parse_version(query.log.read_text(errors="replace"))
        cache[key] = reported
    reported = cache[key]
    tag = job.image.rsplit(":", 1)[-1] if ":" in job.image.rsplit("/", 1)[-1] else None
    version = reported or job.version or tag or "unknown"
    source = "reported" if reported else "job" if job.version else "image tag" if tag else "none"
    commit = (system.commit_from_version(reported) if reported else None) or job.commit or None
    digest_argv = launch.digest_command(plan.launcher)
    inspect = system.run_query(digest_argv) if digest_argv else None
    return {
        "name": job.framework,
        "version": version,
        "version_source": source,
        "commit": commit,
        "requested_version": job.version or None,
        "requested_commit": job.commit or None,
        "image_digest": system.image_digest(job.image, inspect),
    }
