"""Processes in their own process group: start with output to a log, wait with a deadline, stop.

Every server and client starts in a new session (so its own process group, out of reach of the
terminal's signals), and is stopped by signalling the whole group: SIGTERM, then SIGKILL after a
grace period. A group is over only when no live member is left (the leader exiting is not
enough: vLLM's engine core is a child of the API server).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

POLL_S = 0.2


class Cancelled(BaseException):
    """paretobot itself got SIGTERM or SIGINT. A BaseException, so that no `except Exception`
    on the way swallows it; every `finally` on the way stops what it started."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_signals: dict[str, Any] = {"shield": 0, "pending": None, "raised": False}


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _signals["raised"]:
        return  # already stopping: a second signal must not interrupt the stop
    if _signals["shield"]:
        _signals["pending"] = signum
        return
    _signals["raised"] = True
    raise Cancelled(signum)


@contextlib.contextmanager
def cancel_on_signals() -> Iterator[None]:
    """While inside, SIGTERM and SIGINT raise Cancelled (once) in the main thread."""
    _signals.update(shield=0, pending=None, raised=False)
    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Code that stops processes: a signal arriving inside is held until the end of it."""
    _signals["shield"] += 1
    try:
        yield
    finally:
        _signals["shield"] -= 1
    pending = _signals["pending"]
    if not _signals["shield"] and pending is not None and not _signals["raised"]:
        _signals.update(pending=None, raised=True)
        raise Cancelled(pending)


@dataclass
class Proc:
    popen: subprocess.Popen[bytes]
    argv: list[str]
    log: Path
    started: float  # time.monotonic()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def exited(self) -> bool:
        return self.popen.poll() is not None

    @property
    def returncode(self) -> int | None:
        return self.popen.poll()


def start(argv: list[str], env: dict[str, str], log: Path, cwd: Path) -> Proc:
    """Start argv (a list: never through a shell) in a new process group, output to `log`.
    Call it inside `shielded()` and keep the result where a `finally` will stop it.

    Raises FileNotFoundError / PermissionError when argv[0] cannot be executed."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        popen = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Proc(popen, list(argv), log, time.monotonic())


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()  # after "pid (comm) "
        if len(fields) > 2 and fields[0] not in ("Z", "X") and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def group_alive(pgid: int) -> bool:
    if os.path.isdir("/proc/self"):
        return bool(group_members(pgid))
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _wait_group_gone(proc: Proc, until: float) -> bool:
    while time.monotonic() < until:
        proc.popen.poll()  # reap the leader so it does not linger as a zombie
        if not group_alive(proc.pid):
            return True
        time.sleep(0.05)
    proc.popen.poll()
    return not group_alive(proc.pid)


def stop(proc: Proc, grace_s: float) -> str:
    """Stop the whole process group: SIGTERM, then SIGKILL after grace_s. Says how it went."""
    with shielded():
        return _stop(proc, grace_s)


def _stop(proc: Proc, grace_s: float) -> str:
    t0 = time.monotonic()
    proc.popen.poll()
    if not group_alive(proc.pid):
        rc = proc.popen.wait()
        return f"had exited by itself (code {rc})"
    _signal_group(proc.pid, signal.SIGTERM)
    if _wait_group_gone(proc, t0 + grace_s):
        how = f"stopped by SIGTERM in {time.monotonic() - t0:.1f} s"
    else:
        _signal_group(proc.pid, signal.SIGKILL)
        _wait_group_gone(proc, time.monotonic() + 10)
        how = f"did not stop within {grace_s:g} s of SIGTERM: SIGKILL"
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.popen.wait(timeout=5)
    return how


def healthy(url: str, timeout_s: float = 2.0) -> bool:
    """True when GET url answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


@dataclass(frozen=True)
class HealthWait:
    outcome: str  # "healthy", "exited", "timeout"
    seconds: float


def wait_healthy(server: Proc, url: str, deadline_s: float, interval_s: float = 1.0) -> HealthWait:
    """Poll url until it answers 200, the server exits, or deadline_s pass."""
    until = server.started + deadline_s
    while True:
        if server.exited():
            return HealthWait("exited", time.monotonic() - server.started)
        if healthy(url):
            return HealthWait("healthy", time.monotonic() - server.started)
        if time.monotonic() >= until:
            return HealthWait("timeout", time.monotonic() - server.started)
        time.sleep(min(interval_s, max(0.05, until - time.monotonic())))


@dataclass(frozen=True)
class ClientRun:
    returncode: int | None  # None when it was killed on timeout
    timed_out: bool
    server_died: bool
    seconds: float


def run_client(
    argv: list[str],
    env: dict[str, str],
    log: Path,
    cwd: Path,
    timeout_s: float,
    server: Proc | None,
    *,
    grace_s: float = 5.0,
    after_server_death_s: float = 10.0,
) -> ClientRun:
    """Run one client to the end, its timeout, or shortly after the server dies; its whole process
    group is gone when this returns (or raises)."""
    client = None
    timed_out = server_died = False
    try:
        with shielded():  # a signal now must not leave a client nobody knows to stop
            client = start(argv, env, log, cwd)
        until = client.started + timeout_s
        while not client.exited():
            now = time.monotonic()
            if now >= until:
                timed_out = True
                break
            if server is not None and not server_died and server.exited():
                # It will see connection errors; give it a moment to write its result, no more.
                server_died = True
                until = min(until, now + after_server_death_s)
            time.sleep(POLL_S)
    finally:
        if client is not None:
            stop(client, grace_s)
    if server is not None and server.exited():
        server_died = True
    rc = None if timed_out else client.popen.returncode
    return ClientRun(rc, timed_out, server_died, time.monotonic() - client.started)


def wait_exit(proc: Proc, timeout_s: float) -> int | None:
    """The exit code of proc once it exits, or None (and it is stopped) after timeout_s."""
    until = proc.started + timeout_s
    while not proc.exited():
        if time.monotonic() >= until:
            stop(proc, 2.0)
            return None
        time.sleep(POLL_S)
    return proc.returncode
