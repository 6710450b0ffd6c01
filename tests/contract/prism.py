"""Serve GitHub's official REST description with Prism, a validating mock, on 127.0.0.1.

The description comes from the npm package @octokit/openapi (installed by
scripts/setup_contract_tools.sh): `generated/api.github.com.deref.json`, the api.github.com
description with every `$ref` resolved. Before Prism sees it, every URL that points at
api.github.com (the `servers` entry, response examples, `Link` header examples for pagination,
URL-encoded copies inside webhook-delivery examples) is rewritten to the local server, so a client
that follows a URL from a response (a `Link: rel="next"`, an object's `url` when PyGithub completes
it) stays on 127.0.0.1.

Prism validates each request (path, query, headers, body) against the operation it routes to:
a request that violates it gets a 4xx (the operation's own 400 or 422 example where the
description has one, else a 422 `application/problem+json` whose `validation` lists them) and the
violations in the `sl-violations` header.
Prism also checks its own example response against the response schema and reports a mismatch in
`sl-violations` with a location that starts with "response": those are defects of GitHub's
description, not of the client. `--errors` would turn them into 500s (see `running_prism`).

One schema fix is made as well, see `loosen_id_or_name`: path parameters declared
`oneOf: [integer, string]` (`workflow_id`, `pages_deployment_id`) reject every numeric id under
Prism, because Prism coerces "161335" to a number and the string then matches both branches.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

SPEC_PACKAGE = "@octokit/openapi"
SPEC_FILE = "generated/api.github.com.deref.json"
PRISM_BIN = "node_modules/.bin/prism"
HOST = "127.0.0.1"
STARTUP_TIMEOUT = 180.0  # about 10 s on 2 idle cores; leave room for a loaded CI machine
CACHE_DIR = Path(tempfile.gettempdir()) / "paretobot-prism"
# Fixed ports by default (the first free of 47010-47019), so the rewritten description cached for
# a port is reused across sessions; any free port when all are busy.
DEFAULT_PORT = int(os.environ.get("PARETOBOT_PRISM_PORT", "47010"))
CACHE_MAX_AGE = 24 * 3600.0  # rewritten files for other ports/versions older than this are pruned

REWRITE_VERSION = 2  # part of the cached file's name: bump when the rewriting changes

# Filled by `running_prism` for reports: seconds from spawn to first answer, the spec, the log.
STATS: dict[str, object] = {}

# Absolute URLs of the real API in plain (http or https) and URL-encoded form.
_PLAIN = re.compile(r"https?://api\.github\.com(?![\w.-])")
_ENCODED = re.compile(r"https?%3A%2F%2Fapi\.github\.com(?![\w.-])", re.IGNORECASE)


class ContractToolsMissing(RuntimeError):
    """The Node tools are not installed where they were looked for."""


def default_node_dir() -> Path:
    env = os.environ.get("PARETOBOT_NODE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "paretobot" / "node"


def spec_source(node_dir: Path) -> Path:
    """GitHub's dereferenced api.github.com description inside the installed @octokit/openapi."""
    path = Path(node_dir) / "node_modules" / SPEC_PACKAGE / SPEC_FILE
    if not path.is_file():
        raise ContractToolsMissing(f"{path} not found")
    return path


def prism_bin(node_dir: Path) -> Path:
    path = Path(node_dir) / PRISM_BIN
    if not path.is_file():
        raise ContractToolsMissing(f"{path} not found")
    return path


def package_version(node_dir: Path, package: str) -> str:
    meta = Path(node_dir) / "node_modules" / package / "package.json"
    return json.loads(meta.read_text())["version"]


def _rewrite(value: object, local: str) -> object:
    """`value` with every string URL of api.github.com pointing at `local` (in place for dicts)."""
    if isinstance(value, str):
        if "api.github.com" not in value:
            return value
        value = _PLAIN.sub(local, value)
        encoded = local.replace(":", "%3A").replace("/", "%2F")
        return _ENCODED.sub(encoded, value)
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _rewrite(item, local)
        return value
    if isinstance(value, list):
        return [_rewrite(item, local) for item in value]
    return value


def _is_id_or_name(schema: object) -> bool:
    if not isinstance(schema, dict) or set(schema) != {"oneOf"}:
        return False
    branches = schema["oneOf"]
    return sorted(json.dumps(b, sort_keys=True) for b in branches) == [
        '{"type": "integer"}',
        '{"type": "string"}',
    ]


def loosen_id_or_name(spec: dict) -> int:
    """Turn `oneOf: [integer, string]` path parameters into `anyOf`; return how many.

    GitHub means "a numeric id or a name" (`/actions/workflows/161335` or `.../benchmark.yml`).
    A path segment is text, so "161335" is a valid string and, once Prism coerces it, a valid
    integer too: `oneOf` then fails with "must match exactly one schema in oneOf" and Prism answers
    422 to every request that uses the numeric id, which is the id PyGithub's Workflow objects
    put in their URLs (create_dispatch, get_runs). `anyOf` accepts what GitHub accepts.
    """
    changed = 0
    for item in spec.get("paths", {}).values():
        operations = [item] + [op for op in item.values() if isinstance(op, dict)]
        for op in operations:
            for param in op.get("parameters") or []:
                schema = param.get("schema")
                if param.get("in") == "path" and _is_id_or_name(schema):
                    param["schema"] = {"anyOf": schema["oneOf"]}
                    changed += 1
    return changed


def rewrite_spec(source: Path, port: int, cache_dir: Path = CACHE_DIR) -> Path:
    """The description rewritten for http://127.0.0.1:PORT, written once per source and port.

    The file name holds the source's size and mtime and the port, so a re-run with the same
    package and port reuses it and an updated package gets a new one.
    """
    st = source.stat()
    name = f"{source.stem}-{st.st_size}-{int(st.st_mtime)}-r{REWRITE_VERSION}-{port}.json"
    target = cache_dir / name
    STATS["spec_cached"] = target.is_file()
    if target.is_file():
        return target
    _prune(cache_dir, keep=target)
    local = f"http://{HOST}:{port}"
    spec = json.loads(source.read_text())
    spec = _rewrite(spec, local)
    loosen_id_or_name(spec)
    spec["servers"] = [{"url": local, "description": "Prism mock of api.github.com"}]
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(spec, separators=(",", ":")))
    tmp.replace(target)  # atomic, so a concurrent session never reads half a file
    return target


def _prune(cache_dir: Path, keep: Path) -> None:
    now = time.time()
    for old in cache_dir.glob("*.json"):
        with contextlib.suppress(OSError):
            if old != keep and now - old.stat().st_mtime > CACHE_MAX_AGE:
                old.unlink()


def pick_port(preferred: int = DEFAULT_PORT, tries: int = 10) -> int:
    """The first of `tries` fixed ports from `preferred` that is free, else any free port.

    Fixed ports keep the number of cached rewritten descriptions (29 MB each) small when several
    sessions run at once.
    """
    for port in range(preferred, preferred + tries):
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
                return port
            except OSError:
                continue
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP status means the server is up
    except OSError:
        return False


def _stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM to Prism's process group (the CLI and any child), then SIGKILL after `grace`."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=grace)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def running_prism(
    node_dir: Path | str | None = None,
    *,
    port: int | None = None,
    errors: bool = False,
    timeout: float = STARTUP_TIMEOUT,
) -> Iterator[str]:
    """Run `prism mock` on the rewritten description; yield its base URL, http://127.0.0.1:PORT.

    `errors=True` passes `--errors`. Request validation does not need it: Prism 5.14 answers an
    invalid request with 422 either way. What `--errors` adds is a 500 for every *response*
    violation, and many of GitHub's own examples do not match their schemas (the repository
    example lacks `language`, for one), so with it a valid request to GET /repos/{owner}/{repo}
    fails. The default leaves those in `sl-violations`, where callers can tell them apart.

    After start, `STATS` holds the startup time, the rewrite time and size, and Prism's log path.
    """
    node_dir = Path(node_dir) if node_dir is not None else default_node_dir()
    prism = prism_bin(node_dir)
    source = spec_source(node_dir)
    port = port or pick_port()
    t0 = time.monotonic()
    spec = rewrite_spec(source, port)
    STATS.update(
        versions={p: package_version(node_dir, p) for p in (SPEC_PACKAGE, "@stoplight/prism-cli")},
        spec=spec,
        source=source,
        rewrite_seconds=time.monotonic() - t0,
        spec_bytes=spec.stat().st_size,
    )

    workdir = Path(tempfile.mkdtemp(prefix="paretobot-prism-"))
    log_path = workdir / "prism.log"
    cmd = [str(prism), "mock", str(spec), "--host", HOST, "--port", str(port)]
    if errors:
        cmd.append("--errors")
    base_url = f"http://{HOST}:{port}"
    started = time.monotonic()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=node_dir,
            start_new_session=True,  # own process group, so stopping it stops its children too
        )
    try:
        while not _answers(base_url + "/zen"):
            if proc.poll() is not None:
                raise RuntimeError(
                    f"prism exited with {proc.returncode} before answering:\n{_tail(log_path)}"
                )
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"prism did not answer in {timeout:.0f} s:\n{_tail(log_path)}")
            time.sleep(0.2)
        STATS.update(startup_seconds=time.monotonic() - started, log=log_path, port=port)
        yield base_url
    finally:
        _stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)
