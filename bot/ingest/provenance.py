"""The runner's `paretobot-run.json` as provenance: where a job's results came from (the CI run's
URL, runner, artifact, host), the job that ran (to run it again) and what it ran (versions, GPUs).

It is not a result: it attaches to the run its results are stored under, whichever of them is
ingested first. Its text reaches comments and pages, so every field read here is checked (a URL
must be a plain http(s) address, names one printable line, the job valid in the job wire format);
a record that fails a check is refused whole, with the reason, and the results beside it are not
touched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.ingest.fields import IngestError
from bot.model import Build, commit_mismatch
from bot.runner.job import JobError, parse_jobs
from bot.runner.system import run_url

MAX_TEXT = 200  # runner, artifact, host, run ids: names, not prose
MAX_JOB_CHARS = 64 * 1024  # the job as JSON; run-job refuses job files over 1 MiB
MAX_GPUS = 4096
# http(s), a host, an optional port and a path of URL-safe characters: nothing that could end a
# markdown link or an HTML attribute, no login, query or fragment
URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%/+-]*)?")
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]*")
COMMIT = re.compile(r"[0-9a-fA-F]{7,64}")


@dataclass(frozen=True)
class Provenance:
    run_id: str  # the run the job's results are stored under
    url: str = ""
    artifact: str = ""
    runner: str = ""
    host: str = ""
    job: str = ""  # the job as compact JSON, keys in the order the runner wrote them
    build: Build | None = None
    gpus: tuple[str, ...] = ()
    status: str = ""  # the record's own: running, ok, failed, cancelled, error
    started_at: datetime | None = None
    ended_at: datetime | None = None
    # the commit the job asked for, the one in the framework's own version string, and the one
    # the recipe's verify step found installed ("" where not stated)
    requested_commit: str = ""
    reported_commit: str = ""
    installed_commit: str = ""

    @property
    def commit_mismatch(self) -> str:
        return commit_mismatch(self.requested_commit, self.reported_commit, self.installed_commit)

    @property
    def finished(self) -> bool:
        """A record written after the job ended (the runner rewrites it as the job goes)."""
        return self.status not in ("", "running")


def is_run_record(doc: Any) -> bool:
    return isinstance(doc, Mapping) and doc.get("paretobot") == "run"


def _object(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise IngestError(f"field '{key}' is not an object")
    return value


def _name(doc: Mapping[str, Any], key: str, where: str = "") -> str:
    """One printable line of at most MAX_TEXT characters, or "" when absent."""
    value = doc.get(key)
    label = f"{where}.{key}" if where else key
    if value is None:
        return ""
    if not isinstance(value, str):
        raise IngestError(f"field '{label}' is not text")
    if len(value) > MAX_TEXT:
        raise IngestError(f"field '{label}' is {len(value)} characters long (at most {MAX_TEXT})")
    if not value.isprintable():
        raise IngestError(f"field '{label}' holds a control or invisible character")
    return value.strip()


def _url(links: Mapping[str, Any], dispatch: Mapping[str, Any]) -> str:
    """links.run_url; for records written before it existed, the URL Actions' variables give."""
    if links.get("run_url") is not None:
        url = links["run_url"]
        if not isinstance(url, str) or len(url) > 2 * MAX_TEXT or not URL.fullmatch(url):
            raise IngestError(
                f"field 'links.run_url' is not a plain http(s) address: {str(url)!r:.60}"
            )
        return url
    names = ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT")
    if not all(isinstance(dispatch.get(n, ""), str) for n in names):
        return ""
    url = run_url({n: dispatch[n] for n in names if n in dispatch}) or ""  # as the runner builds it
    return url if len(url) <= 2 * MAX_TEXT and URL.fullmatch(url) else ""


def _job(doc: Mapping[str, Any]) -> str:
    raw = doc.get("job")
    if not isinstance(raw, Mapping):
        raise IngestError("field 'job' is missing or not an object")
    try:
        parse_jobs(dict(raw), "field 'job'")
    except JobError as exc:
        raise IngestError(str(exc)) from None
    try:
        text = json.dumps(raw, separators=(",", ":"), allow_nan=False)
    except ValueError:  # Infinity or NaN: valid to Python's reader, not JSON
        raise IngestError("field 'job' holds a number that is not finite") from None
    if len(text) > MAX_JOB_CHARS:
        raise IngestError(
            f"field 'job' is {len(text)} characters of JSON (at most {MAX_JOB_CHARS})"
        )
    return text


def _results_run_id(doc: Mapping[str, Any]) -> str:
    """`results_run_id`; for records written before it existed, the session's run id and the
    job's hash, as the runner names the run of a job's results (bot/runner/output.py)."""
    stated = _name(doc, "results_run_id")
    if not stated:
        session, name = _name(doc, "run_id"), _name(doc, "name")
        if not session or not name:
            raise IngestError("missing required field 'results_run_id' (or 'run_id' and 'name')")
        stated = f"{session}-{name.rsplit('-', 1)[-1]}"
    if not RUN_ID.fullmatch(stated):
        raise IngestError(f"field 'results_run_id' is not a run id: {stated!r:.60}")
    return stated


def _build(doc: Mapping[str, Any], job: Mapping[str, Any]) -> Build | None:
    framework, image = _object(doc, "framework"), _object(doc, "image")
    version = _name(framework, "version", "framework")
    if not version:
        return None
    return Build(
        framework=str(job.get("framework", "")).lower(),
        version=version,
        commit=_name(framework, "commit", "framework"),
        image=_name(image, "tag", "image"),
        image_digest=_name(image, "digest", "image") or _name(framework, "image_digest"),
    )


def _gpus(doc: Mapping[str, Any]) -> tuple[str, ...]:
    acc = _object(doc, "accelerators")
    listed = acc.get("gpus") or []
    if not isinstance(listed, list) or len(listed) > MAX_GPUS:
        raise IngestError(f"field 'accelerators.gpus' is not a list of at most {MAX_GPUS}")
    names = []
    for gpu in listed:
        if not isinstance(gpu, Mapping):
            raise IngestError("field 'accelerators.gpus' holds a non-object")
        names.append(_name(gpu, "model", "accelerators.gpus[]"))
    return tuple(n for n in names if n)


def _time(doc: Mapping[str, Any], key: str) -> datetime | None:
    text = _name(doc, key)
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise IngestError(f"field '{key}' is not an ISO time: {text!r:.40}") from None


def parse_run_record(doc: Mapping[str, Any], run_id: str | None = None) -> Provenance:
    """The provenance a runner record states; `run_id` (given by the user) overrides the run it
    names, as it does for the results beside it."""
    links, dispatch = _object(doc, "links"), _object(doc, "dispatch")
    job = _job(doc)
    return Provenance(
        run_id=run_id or _results_run_id(doc),
        url=_url(links, dispatch),
        artifact=_name(links, "artifact", "links"),
        runner=_name(links, "runner", "links") or _name(_object(doc, "host"), "runner", "host"),
        host=_name(links, "host", "links") or _name(_object(doc, "host"), "hostname", "host"),
        job=job,
        build=_build(doc, json.loads(job)),
        gpus=_gpus(doc),
        status=_name(doc, "status"),
        started_at=_time(doc, "started_at"),
        ended_at=_time(doc, "ended_at"),
        # the job's `commit` may name a ref (a release job's tag); the other two are hex
        requested_commit=_name(_object(doc, "framework"), "requested_commit", "framework"),
        **{f"{k}_commit": _commit(_object(doc, "framework"), f"{k}_commit")
           for k in ("reported", "installed")},
    )  # fmt: skip


def _commit(framework: Mapping[str, Any], key: str) -> str:
    text = _name(framework, key, "framework")
    if text and not COMMIT.fullmatch(text):
        raise IngestError(f"field 'framework.{key}' is not a commit: {text!r:.60}")
    return text.lower()
