"""What was run: the build the job asks for, installed and verified when the recipe says how
(its `build` section), the framework's version and commit as the installed framework reports
them (asked while the server starts), and the image digest when there is one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.model import same_commit
from bot.runner import launch, process, system
from bot.runner.commands import (
    JobSetup,
    install_commands,
    verify_command,
    version_command,
)

VERSION_TIMEOUT_S = 180.0
Cache = dict[tuple[str, ...], str | None]


def _key(plan: JobSetup) -> tuple[str, ...]:
    """Jobs that would run the same version query share its answer."""
    argv, env = version_command(plan)
    # after an install the same command answers for another build
    installs = plan.job.commit if install_commands(plan) else ""
    return (plan.launcher.kind, plan.job.image, env.get("PATH", ""), installs, *argv)


def start_query(plan: JobSetup, cache: Cache, log: Path, cwd: Path) -> process.Proc | None:
    """Start the recipe's version command (None if its answer is known or it cannot start)."""
    if _key(plan) in cache:
        return None
    argv, env = version_command(plan)
    try:
        return process.start(argv, env, log, cwd)
    except OSError:
        return None


def resolve(
    plan: JobSetup, cache: Cache, query: process.Proc | None, installed: str | None = None
) -> dict[str, Any]:
    """The build: what the job names (the dispatcher's build: a release tag, a PR's merge commit,
    an AITER tag under vLLM), else what the framework reported, else the image tag. Results are
    filed under it, so a probe's results land on the commit the bisection asked for; what the
    framework itself reported is kept beside it. `installed`: the commit the build section's
    verify found (it matched the job's), the longer of the two is filed."""
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
    if installed and commit and same_commit(installed, commit) and len(installed) > len(commit):
        commit = installed
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
        "installed_commit": installed,
        "image_digest": system.image_digest(job.image, inspect),
    }


# ---- the build at a commit: install, then verify ------------------------------------------------

_HEX = re.compile(r"[0-9a-fA-F]{7,40}")


def installed_commit(output: str) -> str | None:
    """The commit a verify command printed: its last line that is a hex commit, or a version
    that carries one ('0.11.1.dev45+g1234abcd')."""
    for line in reversed(output.splitlines()):
        word = line.strip().split(" ")[-1] if line.strip() else ""
        if _HEX.fullmatch(word):
            return word.lower()
        carried = system.commit_from_version(word) if word else None
        if carried:
            return carried.lower()
    return None


def run_step(argv: list[str], env: dict[str, str], log: Path, cwd: Path, timeout_s: float) -> str:
    """Run one step to its end; "" when it exited 0, else why not."""
    with log.open("a", encoding="utf-8") as f:
        f.write(f"$ {argv!r}\n")
    proc = None
    try:
        with process.shielded():
            try:
                proc = process.start(argv, env, log, cwd)
            except OSError as exc:
                return f"cannot start {argv[0]!r}: {exc.strerror}"
        rc = process.wait_exit(proc, timeout_s)
    finally:
        if proc is not None and not proc.exited():
            process.stop(proc, 5.0)
    if rc is None:
        return f"{argv[0]} did not finish within {timeout_s:g} s"
    return "" if rc == 0 else f"{argv[0]} exited with code {rc}"


def install_and_verify(plan: JobSetup, logs: Path, cwd: Path) -> dict[str, Any]:
    """Put the job's commit in place (the recipe's `build.commit` commands) and check it (its
    `build.verify`). The record says what ran and `status`: verified, install-failed, mismatch,
    unverified (installed, but verify did not name a commit: a failure), not-verifiable (nothing
    installed, and the environment does not say its commit: as before, not a failure), or none
    (nothing to do). `failed` is true when the job's build cannot be trusted to be its commit."""
    job = plan.job
    installs = install_commands(plan)
    verify = verify_command(plan)
    record: dict[str, Any] = {
        "requested_commit": job.commit or None,
        "install": [argv for argv, _ in installs],
        "verify": verify[0] if verify else None,
        "installed_commit": None,
        "status": "none",
        "message": "",
        "failed": False,
    }
    if not installs and verify is None:
        return record
    if installs and not _HEX.fullmatch(job.commit):
        # job text is untrusted: only a commit goes into a pip requirement or URL
        return record | {
            "status": "install-failed",
            "failed": True,
            "message": f"refused to install {job.commit[:40]!r}: a commit is 7-40 hex characters",
        }
    timeout = plan.recipe.build.timeout_s
    log = logs / "install.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    for step, (argv, env) in enumerate(installs, 1):
        why = run_step(argv, env, log, cwd, timeout)
        if why:
            return record | {
                "status": "install-failed",
                "failed": True,
                "message": f"install step {step} of {len(installs)} failed: {why}",
            }
    if verify is None:
        return record | {
            "status": "unverified",
            "failed": True,
            "message": "installed, but the recipe has no build.verify to check the commit",
        }
    verify_log = logs / "verify.log"
    why = run_step(*verify, verify_log, cwd, timeout)
    found = None if why else installed_commit(verify_log.read_text(errors="replace"))
    record["installed_commit"] = found
    if found is None:
        what = why or "it printed no commit"
        if not installs:  # the environment is the build and does not say its commit
            return record | {"status": "not-verifiable", "message": f"verify: {what}"}
        return record | {
            "status": "unverified",
            "failed": True,
            "message": f"cannot verify the installed build is {job.commit[:12]}: {what}",
        }
    if not same_commit(found, job.commit):
        return record | {
            "status": "mismatch",
            "failed": True,
            "message": f"asked for commit {job.commit[:12]}, the installed build is {found[:12]}",
        }
    return record | {"status": "verified"}
