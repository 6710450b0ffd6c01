"""The domain types every stage shares: what was run, on what, and what it measured. No I/O here."""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime

# ---- the verdict vocabulary: one word per difference between two builds of one configuration ----
# (bot/analysis/verdict.py decides which applies; attribution, reports and the CI gate read these)
REGRESSION, IMPROVEMENT = "regression", "improvement"
UNLOCK, BREAKAGE, PARTIAL = "unlock", "breakage", "partial"
NO_CHANGE, INCONCLUSIVE, MIXED = "no-change", "inconclusive", "mixed"
VERDICT_KINDS = (REGRESSION, IMPROVEMENT, MIXED, UNLOCK, BREAKAGE, PARTIAL, NO_CHANGE, INCONCLUSIVE)
# the kinds that are a change: published (comment, changelog entry) and attributed to a PR
CHANGE_KINDS = (REGRESSION, IMPROVEMENT, MIXED, UNLOCK, BREAKAGE, PARTIAL)
# the kinds a later comparison can show undone (bot/app/triage.py: "fixed")
WORSE_KINDS = (REGRESSION, BREAKAGE, PARTIAL)

# ---- the triage vocabulary: where a detected change stands with the people who own it ----------
# new: nobody has looked; acknowledged: someone owns it; ignored: known and accepted (with a reason,
# maybe until a date), never alerted again; fixed: a later change undid it; attributed: the PR
# behind it is named. Alerts (bot/notify.py) go once to a change nobody has taken up (new or
# attributed); "open" ones lead every list.
NEW, ACKNOWLEDGED, IGNORED, FIXED, ATTRIBUTED = (
    "new",
    "acknowledged",
    "ignored",
    "fixed",
    "attributed",
)
CHANGE_STATES = (NEW, ACKNOWLEDGED, ATTRIBUTED, IGNORED, FIXED)
OPEN_STATES = (NEW, ACKNOWLEDGED, ATTRIBUTED)


def sku(hardware: str) -> str:
    """The GPU SKU of a hardware or runner name: 'b200-dgxc-slurm' -> 'b200',
    'cluster:gb300-nv' -> 'gb300', 'MI355X' -> 'mi355x'."""
    return hardware.removeprefix("cluster:").split("-", 1)[0].lower()


def same_commit(a: str | None, b: str | None) -> bool:
    """Two names of one commit: one is a prefix (7+ characters) of the other. Results are filed
    under the commit a job asked for (perhaps short) or the one installed (full); both find them."""
    if not a or not b:
        return False
    a, b = a.strip().lower(), b.strip().lower()
    short, long = sorted((a, b), key=len)
    return len(short) >= 7 and long.startswith(short)


def commit_mismatch(requested: str, reported: str, installed: str) -> str:
    """Why a run may not have measured the commit it asked for, or "". Its results stay filed
    under the commit asked for (what the bisection and the dispatcher look up); the mismatch is
    said, not silently re-filed."""
    if not re.fullmatch(r"[0-9a-fA-F]{7,64}", requested or ""):
        return ""  # nothing asked, or a ref (a release tag): nothing to compare a commit with
    for commit, who in ((installed, "the installed build is"),
                        (reported, "the framework reports")):  # fmt: skip
        if commit and not same_commit(commit, requested):
            return f"asked for commit {requested[:12]}; {who} {commit[:12]}"
    return ""


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A time read without a zone (SQLite, some APIs, ISO text) is UTC everywhere here."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True, order=True)
class ConfigKey:
    """What makes two results comparable: InferenceX's identity tuple.

    The GPU count is part of the identity so that two results with the same key always divide
    throughput by the same number (tp * pp on one node, prefill + decode GPUs when disaggregated).
    """

    model: str
    precision: str
    hardware: str
    framework: str
    isl: int  # 0 for trace replay (agentic), where lengths vary by request
    osl: int
    gpus: int
    tp: int = 1
    ep: int = 1
    pp: int = 1
    dp_attention: bool = False
    spec_method: str = "none"
    disagg: bool = False
    prefill_gpus: int = 0
    decode_gpus: int = 0
    scenario: str = "fixed-seq-len"

    @property
    def topology(self) -> str:
        """InferenceX's spelling, e.g. 'tp8-ep1-dpafalse' (plus pp and P/D GPUs when used)."""
        text = f"tp{self.tp}-ep{self.ep}-dpa{str(self.dp_attention).lower()}"
        if self.pp != 1:
            text += f"-pp{self.pp}"
        if self.disagg:
            text += f"-p{self.prefill_gpus}d{self.decode_gpus}"
        return text

    @property
    def lengths(self) -> str:
        """'1024x1024', or 'trace' for trace replay (agentic), whose lengths vary by request."""
        return "trace" if self.isl == 0 and self.osl == 0 else f"{self.isl}x{self.osl}"

    @property
    def slug(self) -> str:
        """One line that names the configuration; `--config` patterns match against it."""
        return "/".join(
            [
                self.model,
                self.precision,
                self.hardware,
                self.framework,
                self.topology,
                f"{self.gpus}gpu",
                f"spec-{self.spec_method}",
                f"disagg-{str(self.disagg).lower()}",
                self.lengths,
                self.scenario,
            ]
        )

    @property
    def canonical(self) -> str:
        """The configuration's identity as one string that two different configurations cannot
        share (the store's key). The slug joins fields with '/', which a model name may hold
        itself: 'org/m' + 'fp8' and 'org' + 'm/fp8' spell the same slug."""
        return json.dumps([getattr(self, f.name) for f in fields(self)], separators=(",", ":"))

    def matches(self, pattern: str) -> bool:
        """True if `pattern` (a shell glob, or a plain substring) names this configuration."""
        if any(ch in pattern for ch in "*?["):
            return fnmatch.fnmatchcase(self.slug.lower(), pattern.lower())
        return pattern.lower() in self.slug.lower()


@dataclass(frozen=True, order=True)
class Build:
    """What was run: framework + version + commit + image (tag and digest)."""

    framework: str
    version: str
    commit: str = ""
    image: str = ""
    image_digest: str = ""

    @property
    def selector(self) -> str:
        """How commands name this build (`compare --baseline ...`; see `matches`)."""
        return self.version or self.commit or self.image

    @property
    def label(self) -> str:
        """The name people use for a build: the image tag if there is one, else the version."""
        if self.image:
            return self.image.rsplit("/", 1)[-1]
        return f"{self.framework} {self.version}" + (f" @{self.commit[:10]}" if self.commit else "")

    def matches(self, selector: str) -> bool:
        """A selector names a build by version, image (or tag) or a commit prefix of 7+ chars."""
        s = selector.strip().lower()
        if not s:
            return False
        candidates = {self.version.lower(), self.image.lower(), self.label.lower()}
        if self.image:
            candidates.add(self.image.lower().rsplit(":", 1)[-1])
        if s in candidates or s.lstrip("v") == self.version.lower().lstrip("v"):
            return True
        return len(s) >= 7 and bool(self.commit) and self.commit.lower().startswith(s)


@dataclass(frozen=True)
class Point:
    """One concurrency level of one sweep. Latencies are milliseconds; throughputs are tokens/s."""

    concurrency: int
    tput_per_gpu: float
    interactivity: float  # tok/s/user = 1000 / median TPOT (ms), or see interactivity_source
    output_tput_per_gpu: float | None = None
    input_tput_per_gpu: float | None = None
    request_throughput: float | None = None
    median_ttft_ms: float | None = None
    mean_ttft_ms: float | None = None
    p90_ttft_ms: float | None = None
    p99_ttft_ms: float | None = None
    median_tpot_ms: float | None = None
    mean_tpot_ms: float | None = None
    p90_tpot_ms: float | None = None
    p99_tpot_ms: float | None = None
    median_itl_ms: float | None = None
    mean_itl_ms: float | None = None
    p90_itl_ms: float | None = None
    p99_itl_ms: float | None = None
    median_e2el_ms: float | None = None
    mean_e2el_ms: float | None = None
    p90_e2el_ms: float | None = None
    p99_e2el_ms: float | None = None
    completed: int | None = None
    failed: int | None = None
    duration_s: float | None = None
    accept_length: float | None = None  # speculative decoding: mean accepted tokens per step
    # Which figure `interactivity` was computed from (INTERACTIVITY_SOURCES), so a reader can
    # tell a median-based point from a fallback.
    interactivity_source: str | None = None
    # Why the file's own figures make this point's interactivity doubtful (ingest fills it,
    # e.g. a mean interactivity above its own p90); analysis leaves suspect points out.
    suspect: str | None = None


# How a point's interactivity was obtained, best first (docs/formats.md#interactivity).
INTERACTIVITY_SOURCES = (
    "median_tpot",  # 1000 / median TPOT: InferenceX's definition
    "mean_tpot",  # 1000 / mean TPOT: files without a median (agentic agg_bmk)
    "median_itl",  # 1000 / median ITL: files without TPOT (early AgentX schema)
    "file_intvty",  # the file's own interactivity figure, when nothing above exists
)


SWEEP_OK = "ok"
SWEEP_FAILED = "failed"

# Why a configuration or one of its concurrencies failed: the contract between the runner (its
# failure.json, bot/runner/failure.py says when each applies) and ingest, written once here.
CLIENT_ERRORS = "client-errors"  # the client saw too many failed requests, or measured nothing
# the job's commit could not be installed, or the installed build is not it: nothing of the build
# was measured, so such a record is neither a breakage nor a bisection outcome
BUILD_UNVERIFIED = "build-unverified"
FAILURE_CAUSES = (
    "launch-failure",
    "out-of-memory",
    "health-timeout",
    "crash",
    CLIENT_ERRORS,
    "timeout",
    BUILD_UNVERIFIED,
)


@dataclass(frozen=True)
class Sweep:
    """A configuration run on one build: its points (one per concurrency) and how it ended."""

    config: ConfigKey
    build: Build
    run_id: str
    points: tuple[Point, ...]
    repeat: int = 0
    status: str = SWEEP_OK
    cause: str = ""  # why it failed: "out-of-memory", "launch-failure", ... (empty when ok)
    started_at: datetime | None = None
    failed_at: tuple[int, ...] = ()  # concurrencies where a crash or timeout ended the sweep

    def with_points(self, points: tuple[Point, ...]) -> Sweep:
        return replace(self, points=points)


@dataclass(frozen=True)
class JobStats:
    """How many of a run's benchmark jobs on one hardware succeeded (InferenceX run_stats)."""

    hardware: str
    succeeded: int
    total: int


@dataclass(frozen=True)
class Run:
    """One CI run (a day's folder, a workflow run): when, its job health, copies, triage state."""

    run_id: str
    started_at: datetime | None = None
    date_source: str = ""  # "metadata", "folder name", or "" when unknown
    excluded: bool = False
    exclude_reason: str = ""
    jobs: tuple[JobStats, ...] = ()  # summed over the run's run_stats files, per hardware
    copies: tuple[str, ...] = ()  # paths of files (or points) that repeated another run's bytes
    # what the run has results for: (configuration, build) pairs
    measured: tuple[tuple[ConfigKey, Build], ...] = ()
    # provenance, from the runner's paretobot-run.json ("" where the run has none)
    url: str = ""  # the CI run (GitHub Actions run and attempt) that produced it
    host: str = ""  # hostname/app-specific machine hash
    runner: str = ""  # the CI runner's name
    artifact: str = ""  # the artifact its results were uploaded as
    job: str = ""  # the job that ran, as JSON (`paretobot run-job` reads it back)
    build: Build | None = None  # what the runner says it ran (version, commit, image, digest)
    gpus: tuple[str, ...] = ()  # accelerator names, one per device
    requested_commit: str = ""  # the commit the job asked for
    reported_commit: str = ""  # the commit the framework's version string names
    installed_commit: str = ""  # the commit the recipe's verify step found installed

    @property
    def commit_mismatch(self) -> str:
        return commit_mismatch(self.requested_commit, self.reported_commit, self.installed_commit)

    @property
    def failed_jobs(self) -> int:
        return sum(j.total - j.succeeded for j in self.jobs)

    @property
    def job_spec(self) -> dict | None:
        """The job as an object, or None when the run has no runner record."""
        if not self.job:
            return None
        value = json.loads(self.job)
        return value if isinstance(value, dict) else None


@dataclass(frozen=True)
class FrontierPoint:
    """A point on a Pareto frontier, with what it costs where prices are known."""

    interactivity: float
    tput_per_gpu: float
    concurrency: int
    cost_per_mtok: dict[str, float] = field(default_factory=dict)  # price tier -> $ per 1M tokens
    tokens_per_mw: float | None = None  # tok/s per all-in MW


@dataclass(frozen=True)
class Frontier:
    """The upper-right Pareto set in (interactivity, tput_per_gpu), sorted by interactivity."""

    config: ConfigKey
    build: Build
    points: tuple[FrontierPoint, ...]
    run_ids: tuple[str, ...] = ()

    @property
    def interactivity_range(self) -> tuple[float, float] | None:
        if not self.points:
            return None
        return self.points[0].interactivity, self.points[-1].interactivity

    @property
    def peak_tput_per_gpu(self) -> float | None:
        return max((p.tput_per_gpu for p in self.points), default=None)


@dataclass(frozen=True)
class UpstreamEvent:
    """Something upstream that may change performance: a release, a tag, a merged PR."""

    upstream: str  # owner/name
    kind: str  # "release" | "tag" | "pull"
    name: str  # tag name, or the PR number as text
    title: str
    url: str
    at: datetime  # published, tagged or merged; events are handled in this order
    ref: str  # what to build: the tag, or the merge commit
    labels: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    author: str = ""
    base: str = ""  # a merged PR's base commit (what it was merged onto): its baseline

    @property
    def key(self) -> str:
        """Unique per upstream: 'release:v0.12.0', 'tag:nightly-1127', 'pull:35850'."""
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class Job:
    """One configuration to benchmark on one build, and why it was planned."""

    config: ConfigKey
    entry: str  # the benchmark-matrix entry it comes from
    model_id: str  # what the server loads
    image: str
    runner: str  # self-hosted runner label
    concurrencies: tuple[int, ...]
    repeats: int
    build: Build  # the upstream build under test
    reasons: tuple[str, ...]  # the rules that selected it
    baseline: Build | None = None  # what the build is judged against
    # run the baseline in this job too, repeats interleaved on the same runner (runners differ)
    interleave: bool = False
    # the hand-written settings of a stored job this one repeats (recipe, env, extra_args, ...),
    # as JSON: a bisection probe of a configuration outside the matrix runs as it was run
    settings: str = ""
    # the repository whose change the build is (vllm-project/vllm, ROCm/aiter under vLLM, ...)
    upstream: str = ""


@dataclass(frozen=True)
class PullRequest:
    """A merged upstream pull request: a candidate cause of a change."""

    repo: str  # owner/name
    number: int
    title: str
    url: str
    merge_commit: str
    merged_at: datetime | None = None
    labels: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    author: str = ""
    additions: int = 0
    deletions: int = 0
    body: str = ""


@dataclass(frozen=True)
class Candidate:
    """A pull request with how likely it caused a change, and why, in words."""

    pull: PullRequest
    score: float  # higher is more likely; comparable within one ranking only
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Attribution:
    """A change on one configuration, the pull requests between its builds, and the verdict."""

    config: ConfigKey
    baseline: Build
    candidate: Build
    change: str  # the verdict kind: regression, improvement, unlock, breakage, ...
    summary: str  # the verdict's sentence (effect, interval, runs)
    candidates: tuple[Candidate, ...]  # ranked, most likely first
    culprit: PullRequest | None = None
    decided_by: str = "undecided"  # "ranking" | "bisection" | "undecided"
    runs_used: int = 0  # benchmark runs spent bisecting


@dataclass(frozen=True)
class Change:
    """A detected change (a verdict between two builds, or a change point in a configuration's
    history) and its triage state. `key` is the one its comment carries (change_key)."""

    key: str
    source: str  # "verdict" | "changepoint"
    config: ConfigKey
    baseline: Build
    candidate: Build
    kind: str  # the verdict kind (CHANGE_KINDS)
    sentence: str
    state: str  # CHANGE_STATES
    first_seen: datetime
    last_seen: datetime
    updated_at: datetime
    effect: float | None = None  # ratio - 1 of the headline estimate
    low: float | None = None  # its interval
    high: float | None = None
    runs: tuple[str, ...] = ()
    reason: str = ""  # why it was acknowledged, ignored, fixed
    actor: str = ""  # who changed the state last
    expires_at: datetime | None = None  # an ignore that lapses
    fixed_by: str = ""  # the key of the change that undid it
    pull: str = ""  # the attributed PR's link
    comment_url: str = ""
    alerted_at: datetime | None = None

    @property
    def id(self) -> str:
        """The short name people type (`paretobot ack ID`): the key's hash."""
        return self.key.rsplit("@", 1)[-1]


@dataclass(frozen=True)
class ChangeEvent:
    """One thing that happened to a change: detected, acknowledged, ignored, noted, fixed, ..."""

    at: datetime
    action: str
    actor: str = ""
    text: str = ""
