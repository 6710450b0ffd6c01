"""One job on this machine: start the server, wait for health, warm up, sweep every repeat and
concurrency, record what happened; the server is stopped whatever happens.

A failure of the configuration (it would not start, ran out of memory, crashed, hung, or failed
requests) is recorded as data and the next job runs. Only the bot's own problems (a recipe that
cannot be rendered, an executable that is not there) raise BotError.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import ParetobotError
from bot.runner import build, launch, output, process, recipe, system
from bot.runner import failure as fl
from bot.runner.commands import (
    WARMUPS_PER_CONCURRENCY,
    JobSetup,
    client_command,
    free_port,
    random_model_command,
    server_command,
    version_command,
)
from bot.runner.progress import Progress

RECHECK_S = 5.0  # how long a server that just served errors gets to show it is still healthy


class BotError(ParetobotError):
    """The bot's own failure (not the configuration's): reported in one line, exit code 1."""


@dataclass
class Session:
    """What one run-job invocation shares between its jobs."""

    out: Path
    run_id: str
    progress: Progress
    host: dict[str, Any]
    accelerators: dict[str, Any]
    versions: build.Cache = field(default_factory=dict)


@dataclass
class _Run:
    """The state of one job's run (kept in paretobot-run.json as it goes)."""

    plan: JobSetup
    session: Session
    folder: Path
    work: Path  # the commands' working folder
    port: int
    record: dict[str, Any]
    server: process.Proc | None = None
    oom_kills_at_start: int = 0
    repeat_in_progress: int | None = None

    @property
    def logs(self) -> Path:
        return self.folder / "logs"

    @property
    def health_url(self) -> str:
        return (
            f"http://{self.plan.launcher.client_host}:{self.port}{self.plan.recipe.server.health}"
        )

    def save(self) -> None:
        output.write_json(self.folder / output.RUN, self.record)

    def repeat_record(self, repeat: int) -> dict[str, Any]:
        return self.record["repeats"][repeat]

    def meta(self, repeat: int, started_at: str) -> None:
        output.write_json(
            self.folder / f"r{repeat}" / output.META,
            output.metadata(
                self.plan.job,
                framework_version=self.record["framework"]["version"],
                framework_commit=self.record["framework"]["commit"],
                image_digest=self.record["framework"]["image_digest"],
                run_id=self.record["results_run_id"],
                repeat=repeat,
                started_at=started_at,
            ),
        )

    def fail(
        self,
        repeat: int,
        cause: str,
        message: str,
        concurrency: int | None,
        log: str = "server.log",
    ) -> None:
        lines = fl.read_log(self.logs / log)
        record = fl.failure_record(
            cause, message, concurrency, lines,
            run_id=self.record["results_run_id"], at=output.now_iso(),
        )  # fmt: skip
        output.write_json(self.folder / f"r{repeat}" / output.FAILURE, record)
        rep = self.repeat_record(repeat)
        rep.update(status="failed", cause=cause, concurrency=concurrency, message=message)
        self.session.progress.say(f"{self.plan.name} r{repeat}: {cause}: {message}")


def _new_record(plan: JobSetup, session: Session) -> dict[str, Any]:
    return {
        "paretobot": "run",
        "run_id": session.run_id,
        "name": plan.name,
        "job_index": plan.index,
        "job": plan.job.model_dump(mode="json"),
        "recipe": {"name": plan.recipe.name, "path": plan.recipe.path},
        "launcher": plan.launcher.kind,
        "env": plan.env,
        "commands": {"server": None, "version": None, "warmup": None, "clients": []},
        "framework": {},
        "image": {"tag": plan.job.image or None, "digest": None},
        "accelerators": session.accelerators,
        "host": session.host,
        "dispatch": system.dispatch_context(),
        "links": system.links(),
        "results_run_id": output.results_run_id(session.run_id, plan.name),
        "started_at": output.now_iso(),
        "ended_at": None,
        "status": "running",
        "server": {},
        "warmup": None,
        "repeats": [
            {"repeat": r, "status": "pending", "points": []} for r in range(plan.job.repeats)
        ],
    }


def _first_failure(
    run: _Run, cause: str, message: str, concurrency: int | None, log: str = "server.log"
) -> None:
    """A failure before any point: r0 holds it (with its metadata); no other repeat runs."""
    run.meta(0, run.record["started_at"])
    run.fail(0, cause, message, concurrency, log)
    for rep in run.record["repeats"][1:]:
        rep["status"] = "skipped"
    run.session.progress.drop(run.plan.points)


def _server_failure(run: _Run, before_healthy: bool, during: str) -> tuple[str, str]:
    assert run.server is not None
    rc = run.server.returncode
    lines = fl.read_log(run.logs / "server.log")
    oom = system.oom_kills() - run.oom_kills_at_start
    cause = fl.server_cause(rc, lines, before_healthy, oom)
    what = fl.cause_line(lines)
    message = f"server {fl.exit_text(rc)} {during}"
    if oom > 0:
        message += f" (the kernel's OOM killer killed {oom} process(es) meanwhile)"
    return cause, message + (f": {what}" if what else "")


def _server_down(run: _Run) -> bool:
    """True if the server exited or stopped answering its health endpoint (given a moment)."""
    assert run.server is not None
    until = time.monotonic() + RECHECK_S
    while True:
        if run.server.exited():
            return True
        if process.healthy(run.health_url):
            return False
        if time.monotonic() >= until:
            return True
        time.sleep(0.5)


def _last_error(log: Path) -> str:
    lines = fl.read_log(log)
    return fl.cause_line(lines) or next((ln.strip() for ln in reversed(lines) if ln.strip()), "")


def _run_point(
    run: _Run, repeat: int | None, concurrency: int, result_dir: Path
) -> tuple[dict[str, Any], tuple[str, str] | None]:
    """One client run. Returns its record and (cause, message) if it failed."""
    plan, job, progress = run.plan, run.plan.job, run.session.progress
    warm = repeat is None
    prompts = 2 * concurrency if warm else job.prompts_for(concurrency)
    result_file = recipe.result_name(plan.recipe, concurrency)
    if warm:  # kept with the logs, under a name ingest does not read
        result_file = f"warmup-{result_file}.txt"
    argv, env = client_command(plan, run.port, concurrency, prompts, result_dir, result_file)
    result = result_dir / result_file
    result.unlink(missing_ok=True)  # SGLang's client appends to its output file
    log = run.logs / ("client-warmup.log" if warm else f"client-r{repeat}-c{concurrency}.log")
    point: dict[str, Any] = {"concurrency": concurrency, "prompts": prompts, "argv": argv}
    point["started_at"] = output.now_iso()
    if warm:
        progress.say(f"{plan.name}: warm-up at concurrency {concurrency} ({prompts} prompts)")
    else:
        assert repeat is not None
        progress.point_begins(plan.name, repeat, job.repeats, concurrency, prompts)
    server_log = run.logs / "server.log"
    log_from = server_log.stat().st_size if server_log.exists() else 0
    ran = process.run_client(argv, env, log, run.work, job.timeouts.client_s, run.server)
    point["seconds"] = round(ran.seconds, 3)
    during = "during the warm-up" if warm else f"during the run at concurrency {concurrency}"
    failed: tuple[str, str] | None = None
    if ran.server_died or _server_down(run):
        if run.server is not None and not run.server.exited():
            # hung, not gone: what it logged since the point began says why, when it does
            what = fl.cause_line(fl.read_lines(_since(server_log, log_from)))
            failed = (
                "crash",
                f"server stopped answering {plan.recipe.server.health} {during}"
                + (f": {what}" if what else ""),
            )
        else:
            failed = _server_failure(run, False, during)
    elif ran.timed_out:
        failed = ("timeout", f"client did not finish within {job.timeouts.client_s:g} s {during}")
    elif ran.returncode != 0:
        failed = (
            "client-errors",
            f"client exited with code {ran.returncode} {during}: " + _last_error(log),
        )
    else:
        try:
            counts = fl.read_point(result, plan.recipe.client.result_format, prompts)
        except ValueError as exc:
            failed = ("client-errors", f"{exc} ({during})")
        else:
            point.update(completed=counts.completed, failed=counts.failed)
            inexact = _output_lengths(run, server_log, log_from, point, counts.completed)
            if inexact and not warm:
                failed = ("client-errors", f"{inexact} ({during})")
            elif counts.too_many_errors:
                total = counts.completed + counts.failed
                failed = (
                    "client-errors",
                    f"{counts.failed} of {total} requests failed {during} (more than "
                    f"{fl.MAX_FAILED_FRACTION:.0%})",
                )
    if failed and failed[0] in ("client-errors", "timeout", "crash"):
        # the server may have run out of memory serving the requests and lived on (failing
        # them) or hung (no longer answering its health check): its log since the point says
        oom = fl.oom_line(fl.read_lines(_since(server_log, log_from)))
        if oom:
            failed = ("out-of-memory", f"the server ran out of memory {during}: {oom}")
    if not warm and failed:
        moved = output.set_aside(result, output.FAILED_SUFFIX)
        point["set_aside"] = str(moved.relative_to(run.folder)) if moved else None
    elif not warm:
        point["result_file"] = str(result.relative_to(run.folder))
    point["status"] = failed[0] if failed else "ok"
    if not warm:
        progress.point_done(ran.seconds, point["status"])
    return point, failed


def _since(log: Path, offset: int) -> str:
    """What a log gained after `offset` (a point's share of the server's log)."""
    try:
        with log.open("rb") as f:
            f.seek(offset)
            return f.read(64 * fl.READ_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""


def _output_lengths(
    run: _Run, server_log: Path, log_from: int, point: dict[str, Any], completed: int
) -> str:
    """With a recipe's `usage_line`, the token counts the server logged for this point's
    requests (in point["tokens"]); why the point cannot be trusted, or "". Lengths are checked
    only where every request asks for the same length (random_range_ratio 1)."""
    pattern = run.plan.recipe.server.usage_line
    if not pattern:
        return ""
    text = _since(server_log, log_from)
    found = [(int(m["prompt"]), int(m["completion"])) for m in re.finditer(pattern, text)]
    # the client's own warm-up requests come first, with lengths of its choosing (SGLang: 32)
    found = found[WARMUPS_PER_CONCURRENCY * int(point["concurrency"]) :]
    job = run.plan.job
    want = job.osl
    point["tokens"] = {
        "requests": len(found),
        "prompt": sorted({p for p, _ in found}),
        "completion": sorted({c for _, c in found}),
    }
    if job.random_range_ratio != 1.0:
        return ""
    short = sum(1 for _, c in found if c != want)
    if short:
        return (
            f"{short} of {len(found)} requests generated other than {want} tokens "
            f"({point['tokens']['completion'][:5]}): the server stopped early (EOS?) and every "
            "figure per output token would be wrong"
        )
    if len(found) < completed:
        return f"the server logged {len(found)} finished requests for {completed} completed"
    return ""


def _sweep(run: _Run) -> None:
    job, progress = run.plan.job, run.session.progress
    for r in range(job.repeats):
        rep = run.repeat_record(r)
        rep.update(status="running", started_at=output.now_iso())
        run.repeat_in_progress = r
        run.meta(r, rep["started_at"])
        stop_config = False
        for i, c in enumerate(job.concurrencies):
            point, failed = _run_point(run, r, c, run.folder / f"r{r}")
            rep["points"].append(point)
            run.record["commands"]["clients"].append({"repeat": r, "argv": point["argv"]})
            if failed:
                run.fail(r, failed[0], failed[1], c)
                progress.drop(len(job.concurrencies) - i - 1)
                # A dead, hung or unhealthy server ends the configuration; failed requests
                # end this repeat only (the server still answers; the next repeat may not).
                stop_config = failed[0] != "client-errors"
                break
            run.save()
        else:
            rep["status"] = "ok"
        rep["ended_at"] = output.now_iso()
        run.repeat_in_progress = None
        run.save()
        if stop_config:
            for later in run.record["repeats"][r + 1 :]:
                later["status"] = "skipped"
            progress.drop((job.repeats - r - 1) * len(job.concurrencies))
            return


def _set_aside_partial(run: _Run) -> None:
    """A cancelled repeat is not a sweep: its result files (also one a client was still writing)
    are renamed so that ingest skips them."""
    r = run.repeat_in_progress
    if r is None or (run.folder / f"r{r}" / output.FAILURE).exists():
        return  # nothing in progress, or it had already ended as a recorded failure
    rep = run.repeat_record(r)
    rep["status"] = "cancelled"
    for path in sorted((run.folder / f"r{r}").glob("*.json*")):
        if path.suffix in (".json", ".jsonl") and path.name != output.META:
            rep.setdefault("set_aside", []).append(
                str(output.set_aside(path, output.CANCELLED_SUFFIX))
            )


BUILD_UNVERIFIED = "build-unverified"


def _install(run: _Run) -> str | None:
    """The recipe's build steps for the job's commit; the installed commit once verified. A build
    that cannot be installed or is not the job's commit is recorded as the configuration's
    failure (build-unverified, nothing measured): results are never filed under a commit that
    did not run."""
    plan, progress = run.plan, run.session.progress
    if plan.job.commit and (plan.recipe.build.commit or plan.recipe.build.verify):
        progress.say(f"{plan.name}: installing and verifying {plan.job.commit[:12]}")
    checked = build.install_and_verify(plan, run.logs, run.work)
    failed = checked.pop("failed")
    run.record["build"] = checked
    run.record["commands"]["install"] = checked["install"]
    run.record["commands"]["verify"] = checked["verify"]
    run.save()
    if failed:
        run.record["framework"] = build.resolve(plan, {}, None)  # not asked: cache nothing
        run.record["image"]["digest"] = run.record["framework"]["image_digest"]
        log = "verify.log" if checked["status"] in ("mismatch", "unverified") else "install.log"
        _first_failure(run, BUILD_UNVERIFIED, checked["message"], None, log)
        raise _BuildFailed
    if checked["status"] == "verified":
        progress.say(f"{plan.name}: installed build is {checked['installed_commit'][:12]}")
    return checked["installed_commit"] if checked["status"] == "verified" else None


class _BuildFailed(Exception):
    """The job's build is not in place: recorded; nothing else of the job runs."""


def _random_model(run: _Run) -> bool:
    """Build the job's random model into its model folder (recipe `random_model`); False when
    that failed (recorded as the configuration's launch failure)."""
    command = random_model_command(run.plan)
    if command is None:
        return True
    argv, env = command
    run.record["commands"]["random_model"] = argv
    run.session.progress.say(
        f"{run.plan.name}: building a random-weight model in {run.plan.job.model}"
    )
    started = time.monotonic()
    run.logs.mkdir(parents=True, exist_ok=True)
    why = build.run_step(
        argv, env, run.logs / "model.log", run.work, run.plan.job.timeouts.health_s
    )
    run.record["random_model"] = {"seconds": round(time.monotonic() - started, 1), "error": why}
    if why:
        _first_failure(
            run, "launch-failure", f"building the random model: {why}", None, "model.log"
        )
        return False
    return True


def _execute(run: _Run) -> None:
    plan, job, progress = run.plan, run.plan.job, run.session.progress
    try:
        installed = _install(run)
    except _BuildFailed:
        return
    if not _random_model(run):
        return
    argv, env = server_command(plan, run.port)
    run.record["commands"]["server"] = argv
    run.record["server"]["port"] = run.port
    run.oom_kills_at_start = system.oom_kills()
    run.record["commands"]["version"] = version_command(plan)[0]
    progress.say(f"{plan.name}: starting the {job.framework} server ({plan.launcher.kind})")
    query = None
    try:
        with process.shielded():  # a signal now must not leave a server nobody knows to stop
            query = build.start_query(
                plan, run.session.versions, run.logs / "version.log", run.work
            )
            try:
                run.server = process.start(argv, env, run.logs / "server.log", run.work)
            except OSError as exc:
                raise BotError(
                    f"job {plan.index}: cannot start the server {argv[0]!r}: {exc.strerror}"
                ) from None
        run.record["server"]["pid"] = run.server.pid
        run.save()
        wait = process.wait_healthy(run.server, run.health_url, job.timeouts.health_s)
        run.record["server"]["health"] = {
            "outcome": wait.outcome,
            "seconds": round(wait.seconds, 1),
        }
        progress.server_started(wait.seconds if wait.outcome == "healthy" else None)
        run.record["framework"] = build.resolve(plan, run.session.versions, query, installed)
        run.record["image"]["digest"] = run.record["framework"]["image_digest"]
    finally:
        if query is not None:
            process.stop(query, 2.0)
    if wait.outcome == "exited":
        _first_failure(run, *_server_failure(run, True, "before it was healthy"), None)
        return
    if wait.outcome == "timeout":
        message = f"server not healthy within {job.timeouts.health_s:g} s"
        _first_failure(run, "health-timeout", message, None)
        return
    progress.say(f"{plan.name}: healthy after {wait.seconds:.0f} s")
    if job.warmup:
        point, failed = _run_point(run, None, job.concurrencies[0], run.logs)
        run.record["warmup"] = point
        run.record["commands"]["warmup"] = point["argv"]
        if failed:
            _first_failure(run, failed[0], failed[1], job.concurrencies[0])
            return
    _sweep(run)


def run_job(plan: JobSetup, session: Session) -> str:
    """Run one job to its end and record it; returns its status (ok, failed, cancelled).
    Raises BotError for the bot's own errors and Cancelled when paretobot is told to stop."""
    folder = session.out / plan.name
    folder.mkdir(parents=True, exist_ok=True)
    # Commands run where paretobot runs, as by hand: a relative model path means the same to both.
    run = _Run(plan, session, folder, Path.cwd(), free_port(), _new_record(plan, session))
    status = "error"
    try:
        _execute(run)
        failed = any(rep["status"] == "failed" for rep in run.record["repeats"])
        status = "failed" if failed else "ok"
    except process.Cancelled:
        status = "cancelled"
        _set_aside_partial(run)
        for rep in run.record["repeats"]:
            if rep["status"] == "pending":
                rep["status"] = "not run"
        raise
    finally:
        with process.shielded():
            if run.server is not None:
                stopped = process.stop(run.server, plan.job.timeouts.stop_s)
                run.record["server"]["stopped"] = stopped
            if run.server is not None or plan.launcher.build_from:
                for argv in launch.cleanup_commands(plan.launcher):
                    system.run_query(argv)
            run.record["status"] = status
            run.record["ended_at"] = output.now_iso()
            run.save()
    return status
