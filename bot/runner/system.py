"""Facts about the machine and the build: GPUs (nvidia-smi / rocm-smi), CPU, memory, host, the
framework's version and commit as it reports them, and the kernel's OOM-kill count."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import platform
import re
import shutil
import socket
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

_VERSION = re.compile(r"^v?\d+(?:\.\d+)+[\w.+-]*$")
_COMMIT = re.compile(r"[+.]g([0-9a-f]{7,40})\b")
_QUERY_TIMEOUT_S = 20
_MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")
_MACHINE_ID = re.compile(r"^[0-9a-f]{32}$")
_HOST_KEY = b"paretobot host identity"  # fixed per application, as systemd asks (below)
_REPO = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
_DIGITS = re.compile(r"^[0-9]{1,20}$")


def _run(argv: list[str]) -> str | None:
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(
            argv, capture_output=True, timeout=_QUERY_TIMEOUT_S, check=False, text=True
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def nvidia_gpus(text: str) -> list[dict[str, Any]]:
    """`nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader,nounits`."""
    gpus = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 3 and parts[0]:
            memory = int(parts[2]) if parts[2].isdigit() else None
            gpus.append({"model": parts[0], "driver": parts[1], "memory_mib": memory})
    return gpus


def rocm_gpus(text: str) -> list[dict[str, Any]]:
    """`rocm-smi --showproductname --showdriverversion --showmeminfo vram --json`."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        return []
    if not isinstance(doc, dict):
        return []
    driver = next(
        (
            v
            for card in doc.values()
            if isinstance(card, dict)
            for k, v in card.items()
            if k.lower().startswith("driver version")
        ),
        None,
    )
    gpus = []
    for name, card in sorted(doc.items()):
        if not name.startswith("card") or not isinstance(card, dict):
            continue
        model = card.get("Card Series") or card.get("Card series") or card.get("Card model")
        total = card.get("VRAM Total Memory (B)")
        memory = int(total) // 2**20 if str(total).isdigit() else None
        gpus.append({"model": model, "driver": driver, "memory_mib": memory})
    return gpus


def _proc_field(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key:
                return value.strip()
    except OSError:
        return None
    return None


def cpu_facts() -> dict[str, Any]:
    memory = _proc_field("/proc/meminfo", "MemTotal")  # "24576000 kB"
    memory_gib = round(int(memory.split()[0]) / 2**20, 1) if memory else None
    return {
        "model": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or None,
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
    }


def accelerators() -> dict[str, Any]:
    """GPU model, count, driver and memory; {"kind": "cpu", ...} where there is no GPU tool."""
    text = _run(
        [
            "nvidia-smi",
            "--query-gpu=name,driver_version,memory.total",
            "--format=csv,noheader,nounits",
        ]
    )
    gpus = nvidia_gpus(text) if text else []
    kind = "nvidia"
    if not gpus:
        text = _run(
            [
                "rocm-smi",
                "--showproductname",
                "--showdriverversion",
                "--showmeminfo",
                "vram",
                "--json",
            ]
        )
        gpus = rocm_gpus(text) if text else []
        kind = "amd"
    if not gpus:
        return {"kind": "cpu", "count": 0, **cpu_facts()}
    return {
        "kind": kind,
        "count": len(gpus),
        "model": gpus[0]["model"],
        "driver": gpus[0]["driver"],
        "memory_mib": gpus[0]["memory_mib"],
        "gpus": gpus,
    }


def host_facts() -> dict[str, Any]:
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu_facts(),
        "runner": os.environ.get("RUNNER_NAME"),
    }


def dispatch_context() -> dict[str, str]:
    """What the benchmark workflow says about why this run happened (environment only)."""
    names = (
        "PARETOBOT_KEY",
        "PARETOBOT_UPSTREAM",
        "PARETOBOT_EVENT",
        "PARETOBOT_ARTIFACT",
        "GITHUB_SERVER_URL",
        "GITHUB_REPOSITORY",
        "GITHUB_RUN_ID",
        "GITHUB_RUN_ATTEMPT",
        "GITHUB_SHA",
        "GITHUB_WORKFLOW",
    )
    return {n: os.environ[n] for n in names if os.environ.get(n)}


def machine_hash(paths: tuple[str, ...] = _MACHINE_ID_FILES) -> str | None:
    """A stable, app-specific hash of the machine id: the same host gives the same value across
    reboots, jobs and containers sharing it. systemd calls the id itself confidential and asks
    that it only leave the machine hashed with an application key (sd_id128_get_machine_app_
    specific does the same), so the id is never written anywhere."""
    for path in paths:
        try:
            text = Path(path).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if _MACHINE_ID.match(text):
            return hmac.new(text.encode(), _HOST_KEY, hashlib.sha256).hexdigest()[:16]
    return None


def host_identity() -> str:
    """'hostname/machine-hash' (the hostname alone where no machine id can be read)."""
    name = _one_line(socket.gethostname(), 100)
    machine = machine_hash()
    return f"{name or 'unknown'}/{machine}" if machine else name or "unknown"


def run_url(environ: Mapping[str, str] | None = None) -> str | None:
    """The GitHub Actions run (and attempt) this job belongs to, from the variables Actions sets;
    None outside Actions or when a value is not what Actions writes (never a URL with a login)."""
    env = os.environ if environ is None else environ
    server = urlsplit(env.get("GITHUB_SERVER_URL") or "https://github.com")
    repo, run = env.get("GITHUB_REPOSITORY", ""), env.get("GITHUB_RUN_ID", "")
    attempt = env.get("GITHUB_RUN_ATTEMPT", "")
    if (
        server.scheme not in ("http", "https")
        or not server.hostname
        or "@" in server.netloc
        or server.query
        or server.fragment
        or not _REPO.match(repo)
        or not _DIGITS.match(run)
    ):
        return None
    url = f"{server.scheme}://{server.netloc}{server.path.rstrip('/')}/{repo}/actions/runs/{run}"
    return url + (f"/attempts/{attempt}" if _DIGITS.match(attempt) else "")


def links(environ: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Where a job's results came from, for the links in reports: the CI run, the runner, the
    artifact its results were uploaded as (the workflow names it in PARETOBOT_ARTIFACT) and the
    host. Only these named values: never the environment at large, never a token."""
    env = os.environ if environ is None else environ
    return {
        "run_url": run_url(env),
        "runner": _one_line(env.get("RUNNER_NAME", "")) or None,
        "artifact": _one_line(env.get("PARETOBOT_ARTIFACT", "")) or None,
        "host": host_identity(),
    }


def _one_line(text: str, most: int = 200) -> str:
    """A name as ingest accepts it (one printable line, at most 200 characters), so an odd runner
    name costs its characters, not the record."""
    return "".join(ch for ch in text if ch.isprintable()).strip()[:most]


def parse_version(output: str) -> str | None:
    """The version a `--version` style command printed: its last line that looks like one."""
    found = None
    for line in output.splitlines():
        word = line.strip().split(" ")[-1] if line.strip() else ""
        if _VERSION.match(word):
            found = word
    return found


def commit_from_version(version: str) -> str | None:
    """Nightly and source builds carry their commit: '0.11.1.dev45+g1234abcd' -> '1234abcd'."""
    found = _COMMIT.search(version)
    return found.group(1) if found else None


def image_digest(image: str, inspect_output: str | None = None) -> str | None:
    """A digest pinned in the image name, else the first of `docker image inspect` RepoDigests."""
    if "@sha256:" in image:
        return "sha256:" + image.split("@sha256:", 1)[1]
    if inspect_output:
        try:
            digests = json.loads(inspect_output)
        except json.JSONDecodeError:
            return None
        if isinstance(digests, list) and digests and isinstance(digests[0], str):
            return digests[0].split("@", 1)[-1]
    return None


def run_query(argv: list[str]) -> str | None:
    """stdout of a short query command, or None."""
    return _run(argv)


def oom_kills() -> int:
    """How many processes the kernel's OOM killer has killed in this cgroup so far."""
    for path, key in (
        ("/sys/fs/cgroup/memory.events", "oom_kill"),
        ("/sys/fs/cgroup/memory/memory.oom_control", "oom_kill"),
    ):
        try:
            for line in Path(path).read_text().splitlines():
                name, _, value = line.partition(" ")
                if name == key and value.strip().isdigit():
                    return int(value)
        except OSError:
            continue
    return 0
