"""The runs in the store, each with its health (failed jobs and configurations, copies), its
triage state and its provenance: what `paretobot runs` lists and `--json` returns."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.engine import Engine

from bot import store
from bot.model import Run, Sweep
from bot.report import build_json


def run_row(run: Run, sweeps: list[Sweep]) -> dict[str, Any]:
    failed: dict[str, list[int]] = defaultdict(list)
    for s in sweeps:
        if s.failed_at or not s.points:
            failed[s.config.slug].extend(s.failed_at)
    return {
        "run_id": run.run_id,
        "date": run.started_at.date().isoformat() if run.started_at else None,
        "date_source": run.date_source or None,
        "builds": sorted({s.build.label for s in sweeps}),
        "configurations": sorted({s.config.slug for s in sweeps}),
        "points": sum(len(s.points) for s in sweeps),
        "jobs": {j.hardware: {"succeeded": j.succeeded, "total": j.total} for j in run.jobs},
        "failed_jobs": run.failed_jobs,
        "failed_configurations": {k: sorted(set(v)) for k, v in failed.items()},
        "copies": list(run.copies),
        "excluded": run.excluded,
        "exclude_reason": run.exclude_reason or None,
        # provenance (the runner's paretobot-run.json); nulls where none was ingested
        "url": run.url or None,
        "host": run.host or None,
        "runner": run.runner or None,
        "artifact": run.artifact or None,
        "job": run.job_spec,
        "runner_build": build_json(run.build) if run.build else None,
        "gpus": list(run.gpus),
        "commits": {
            "requested": run.requested_commit or None,
            "reported": run.reported_commit or None,
            "installed": run.installed_commit or None,
        },
        "commit_mismatch": run.commit_mismatch or None,
    }


def run_rows(engine: Engine, config: str | None = None) -> list[dict[str, Any]]:
    """Every run (only those with results of matching configurations, given `config`)."""
    sweeps = store.load_sweeps(engine, config_pattern=config, include_excluded=True)
    by_run: dict[str, list[Sweep]] = defaultdict(list)
    for s in sweeps:
        by_run[s.run_id].append(s)
    runs = [r for r in store.load_runs(engine) if not config or by_run[r.run_id]]
    return [run_row(r, by_run[r.run_id]) for r in runs]
