"""The files a run leaves, in the layout `paretobot ingest` reads (bot/defaults/recipes/README.md):

DIR/<name>/r<repeat>/c<conc>.json        the client's own result file (SGLang: c<conc>.jsonl)
DIR/<name>/r<repeat>/paretobot-meta.json what ingest needs that the result file lacks
DIR/<name>/r<repeat>/failure.json        only when that repeat failed
DIR/<name>/paretobot-run.json            everything else: job, commands, versions, host, times,
                                         links (CI run URL, runner, artifact, host identity)
DIR/<name>/logs/                         server, client and version-query output
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.runner.job import JobSpec

META = "paretobot-meta.json"
FAILURE = "failure.json"
RUN = "paretobot-run.json"
# Renamed aside so ingest never takes them for measured points (it reads .json and .jsonl).
FAILED_SUFFIX = ".failed"
CANCELLED_SUFFIX = ".cancelled"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def make_run_id(environ: dict[str, str] | None = None) -> str:
    """GitHub Actions' run id and attempt when there is one, else a timestamp and random part."""
    env = os.environ if environ is None else environ
    if env.get("GITHUB_RUN_ID"):
        return f"{env['GITHUB_RUN_ID']}-{env.get('GITHUB_RUN_ATTEMPT', '1')}"
    return f"local-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def results_run_id(session_run_id: str, job_name: str) -> str:
    """The run a job's results are stored under: one run per job. Two jobs (of one file, or two
    legs of one workflow run) may share a configuration (matrix entries that differ only in recipe
    settings) and must not collide at ingest; the job's hash (the end of its name) tells them
    apart. paretobot-run.json states it as `results_run_id`, so ingest attaches the record to the
    same run."""
    return f"{session_run_id}-{job_name.rsplit('-', 1)[-1]}"


def write_json(path: Path, value: Any) -> None:
    """Write whole or not at all: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(value, f, indent=2, default=str)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def metadata(
    job: JobSpec,
    *,
    framework_version: str,
    framework_commit: str | None,
    image_digest: str | None,
    run_id: str,
    repeat: int,
    started_at: str,
) -> dict[str, Any]:
    """paretobot-meta.json: exactly the keys ingest accepts (it rejects any other)."""
    return {
        "hardware": job.hardware,
        "gpus": job.gpu_count,
        "tp": job.tp,
        "ep": job.ep,
        "pp": job.pp,
        "dp_attention": job.dp_attention,
        "disagg": job.disagg,
        "framework": job.framework,
        "framework_version": framework_version,
        "framework_commit": framework_commit or None,
        "image": job.image or None,
        "image_digest": image_digest,
        "model": job.result_model,
        "precision": job.precision,
        "spec_method": job.spec_method,
        "isl": job.isl,
        "osl": job.osl,
        "scenario": job.scenario,
        "run_id": run_id,
        "repeat": repeat,
        "started_at": started_at,
    }


def set_aside(path: Path, suffix: str) -> Path | None:
    """Rename a result file so that ingest skips it; returns the new path (None if absent)."""
    if not path.exists():
        return None
    target = path.with_name(path.name + suffix)
    os.replace(path, target)
    return target


def check_writable(out: Path) -> None:
    """Create `out` and prove a file can be written there; OSError if not."""
    out.mkdir(parents=True, exist_ok=True)
    fd, probe = tempfile.mkstemp(prefix=".paretobot-probe-", dir=out)
    os.close(fd)
    os.unlink(probe)
