"""Reads and validates a job file: one job object or a list of them, as the dispatcher writes them.

Job text is untrusted (it comes through a workflow input): every string is checked here for what
would let it escape its argv element (a NUL byte, a leading '-' where a value is expected), and an
unknown key is an error so that a typo cannot silently drop a setting. Errors name the job index and
the field.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.errors import ParetobotError
from bot.model import Job

MAX_JOB_FILE_BYTES = 1024 * 1024
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RECIPE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


class JobError(ParetobotError, ValueError):
    """The job file is missing, unreadable or invalid; the message names the job and field."""


class Timeouts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    health_s: float = Field(1800.0, gt=0, description="from server start to a healthy /health")
    client_s: float = Field(3600.0, gt=0, description="one client run (a point or the warm-up)")
    stop_s: float = Field(30.0, gt=0, description="SIGTERM to SIGKILL when stopping the server")


def _no_nul(value: Any, where: str) -> None:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(f"{where} contains a NUL byte")


class BaselineSpec(BaseModel):
    """The build to measure again beside the job's own, on the same runner (bot/runner
    `interleave`): where runners differ, a baseline from another host or day is not a baseline."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = ""
    commit: str = ""
    image: str = ""


class JobSpec(BaseModel):
    """One configuration to serve and sweep: the job wire format. The first block is what the
    dispatcher writes (`spec_of`); the second is for hand-written and local jobs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # written by the dispatcher
    config: str = ""
    # the configuration's model name (InferenceX's model-prefix, e.g. "dsr1") that results are
    # labelled with, so they land on the configuration that was planned; default: the model
    model_key: str | None = Field(None, min_length=1)
    entry: str = ""
    model: str = Field(min_length=1)
    image: str = ""
    runner: str = ""
    framework: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    version: str = ""
    commit: str = ""
    concurrencies: list[int] = Field(min_length=1, max_length=64)
    repeats: int = Field(3, ge=1, le=100)
    reasons: list[str] = Field(default_factory=list)
    hardware: str = Field(min_length=1)
    precision: str = Field(min_length=1)
    gpus: int | None = Field(None, ge=1, le=4096)
    tp: int = Field(1, ge=1, le=1024)
    ep: int = Field(1, ge=1, le=1024)
    pp: int = Field(1, ge=1, le=1024)
    dp_attention: bool = False
    spec_method: str = "none"
    disagg: bool = False
    isl: int = Field(ge=0, le=10_000_000)
    osl: int = Field(ge=0, le=10_000_000)
    scenario: str = "fixed-seq-len"
    baseline: BaselineSpec | None = None  # run it too, repeats interleaved with this build's
    # the repository whose change the build is: attribution lists the PRs there
    upstream: str = ""

    # hand-written jobs
    served_model_name: str | None = Field(None, min_length=1)
    tokenizer: str | None = Field(None, min_length=1)
    num_prompts: int | None = Field(None, ge=1, le=10_000_000)
    # prompts per point as a multiple of its concurrency (InferenceX: 10); num_prompts wins
    prompts_per_concurrency: int | None = Field(None, ge=1, le=1000)
    random_range_ratio: float = Field(
        1.0, gt=0, le=1, description="shortest request / isl (and osl): 1.0 = every request full"
    )
    extra_args: list[str] = Field(default_factory=list, max_length=256)
    env: dict[str, str] = Field(default_factory=dict)
    max_model_len: int | None = Field(None, ge=1)
    warmup: bool = True
    timeouts: Timeouts = Field(default_factory=Timeouts)
    recipe: str | None = None
    # build a random-weight model into `model` (a folder) before serving it, with these settings
    # (bot/runner/random_model.py DEFAULTS): for runners that can download nothing
    random_model: dict[str, int | str] | None = None

    @field_validator("concurrencies")
    @classmethod
    def _concurrencies(cls, value: list[int]) -> list[int]:
        if any(c < 1 for c in value):
            raise ValueError("every concurrency must be >= 1")
        if len(set(value)) != len(value):
            raise ValueError("a concurrency appears twice")
        return value

    @field_validator("model", "tokenizer", "served_model_name")
    @classmethod
    def _not_an_option(cls, value: str | None) -> str | None:
        # These become values right after a flag; a leading '-' would be read as a flag.
        if value is not None and value.startswith("-"):
            raise ValueError("must not start with '-'")
        return value

    @field_validator("env")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not ENV_NAME.match(name):
                raise ValueError(f"{name!r} is not an environment variable name")
            _no_nul(text, f"env {name}")
        return value

    @field_validator("random_model")
    @classmethod
    def _random_model(cls, value: dict[str, int | str] | None) -> dict[str, int | str] | None:
        from bot.runner.random_model import DEFAULTS

        unknown = sorted(set(value or {}) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"unknown settings {unknown}; known: {', '.join(DEFAULTS)}")
        return value

    @field_validator("recipe")
    @classmethod
    def _recipe(cls, value: str | None) -> str | None:
        if value is not None and not RECIPE_NAME.match(value):
            raise ValueError(
                "must be a recipe file name in the recipes folder (letters, digits, . _ -)"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _strings_without_nul(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                _no_nul(value, str(key))
                if isinstance(value, list):
                    for item in value:
                        _no_nul(item, str(key))
        return data

    # ---- derived values -----------------------------------------------------------------------

    @property
    def gpu_count(self) -> int:
        return self.gpus if self.gpus is not None else self.tp * self.pp

    @property
    def model_name(self) -> str:
        """What the server is asked to call the model."""
        return self.served_model_name or self.model

    @property
    def result_model(self) -> str:
        """What the results are labelled with: the planned configuration's model name."""
        return self.model_key or self.model_name

    @property
    def context_length(self) -> int:
        """InferenceX's max-model-len: isl + osl + 256, unless the job says otherwise."""
        return self.max_model_len or self.isl + self.osl + 256

    def prompts_for(self, concurrency: int) -> int:
        """InferenceX sends 10 x concurrency prompts per point, unless the job says otherwise."""
        return self.num_prompts or (self.prompts_per_concurrency or 10) * concurrency


def unsupported(job: JobSpec) -> str:
    """Why run-job cannot run this (valid) job yet, or "": the wire format carries agentic and
    disaggregated configurations, which the dispatcher plans, but the runner serves neither."""
    if job.isl == 0 or job.osl == 0:
        return (
            "isl/osl 0 (agentic trace replay) is not supported by run-job yet; "
            "give fixed isl and osl"
        )
    if job.disagg:
        return (
            "disaggregated serving (disagg: true) is not supported by run-job yet: it needs "
            "one server per worker group"
        )
    return ""


# what a person (or an earlier job) set that the planner does not: kept when a job repeats one
HAND_WRITTEN = (
    "served_model_name", "tokenizer", "num_prompts", "prompts_per_concurrency",
    "random_range_ratio", "extra_args", "env", "max_model_len", "warmup", "timeouts", "recipe",
    "random_model",
)  # fmt: skip


def spec_of(job: Job) -> JobSpec:
    """A planned job in the wire format the benchmark workflow's matrix and `run-job` read: the
    one place the dispatcher's side of the contract is written, validated as the runner will."""
    c = job.config
    again = None
    if job.interleave and job.baseline is not None:
        b = job.baseline
        again = BaselineSpec(version=b.version, commit=b.commit, image=b.image or job.image)
    spec = JobSpec(
        baseline=again,
        upstream=job.upstream,
        config=c.slug, entry=job.entry, model=job.model_id, model_key=c.model, image=job.image,
        runner=job.runner, framework=job.build.framework, version=job.build.version,
        commit=job.build.commit, concurrencies=list(job.concurrencies), repeats=job.repeats,
        reasons=list(job.reasons), hardware=c.hardware, precision=c.precision, gpus=c.gpus,
        tp=c.tp, ep=c.ep, pp=c.pp, dp_attention=c.dp_attention, spec_method=c.spec_method,
        disagg=c.disagg, isl=c.isl, osl=c.osl, scenario=c.scenario,
    )  # fmt: skip
    if not job.settings:
        return spec
    stored = json.loads(job.settings)
    kept = {k: stored[k] for k in HAND_WRITTEN if k in stored}
    return JobSpec.model_validate(spec.model_dump(mode="json", exclude_unset=True) | kept)


def interleave(jobs: list[JobSpec]) -> list[JobSpec]:
    """Jobs with a baseline become one-repeat jobs of each build in ABBA order (baseline,
    candidate, candidate, baseline, ...), as Pinpoint runs A and B on one bot: drift within the
    hour then weighs on both sides alike, and every repeat starts its own server."""
    out: list[JobSpec] = []
    for job in jobs:
        if job.baseline is None:
            out.append(job)
            continue
        b = job.baseline
        cand = job.model_copy(update={"baseline": None, "repeats": 1})
        base = cand.model_copy(
            update={
                "version": b.version, "commit": b.commit, "image": b.image or job.image,
                "reasons": [*job.reasons, "baseline"],
            }
        )  # fmt: skip
        for r in range(job.repeats):
            out.extend((base, cand) if r % 2 == 0 else (cand, base))
    return out


def job_name(job: JobSpec, index: int) -> str:
    """A folder name for the job: readable part from entry/config/model, plus a short hash of the
    whole job and its index (two identical job objects in one file still get their own folder)."""
    label = job.entry or job.config or job.model
    safe = _UNSAFE_NAME_CHARS.sub("-", label).strip("-.")[:80] or "job"
    canonical = json.dumps(job.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(f"{index}\n{canonical}".encode()).hexdigest()[:10]
    return f"{safe}-{digest}"


def _describe(exc: ValidationError, most: int = 5) -> str:
    errors = exc.errors()
    parts = []
    for e in errors[:most]:
        where = ".".join(str(p) for p in e["loc"])
        msg = e["msg"].removeprefix("Value error, ")
        parts.append(f"field '{where}': {msg}" if where else msg)
    more = f" (and {len(errors) - most} more)" if len(errors) > most else ""
    return "; ".join(parts) + more


def parse_jobs(raw: Any, source: str = "job file") -> list[JobSpec]:
    """Validate a loaded job document (an object or a list of objects)."""
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise JobError(f"{source}: holds an empty list of jobs")
    jobs = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise JobError(f"{source}: job {index}: is a {type(item).__name__}, not an object")
        try:
            jobs.append(JobSpec.model_validate(item))
        except ValidationError as exc:
            raise JobError(f"{source}: job {index}: {_describe(exc)}") from None
    return jobs


def load_jobs(path: Path) -> list[JobSpec]:
    """Read and validate a job file, or raise JobError saying what is wrong with it."""
    try:
        size = path.stat().st_size
        if size > MAX_JOB_FILE_BYTES:
            raise JobError(f"{path}: {size} bytes; a job file is at most {MAX_JOB_FILE_BYTES}")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JobError(f"{path}: no such job file") from None
    except UnicodeDecodeError:
        raise JobError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise JobError(f"{path}: cannot read: {exc.strerror}") from None
    if not text.strip():
        raise JobError(f"{path}: empty job file")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JobError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}") from None
    return parse_jobs(raw, str(path))
