"""The comment per change: its one-sentence headline, the names of configurations, builds and PRs
that every published text shares, and the hidden markers that find a comment again. Pure.

Text that comes from result files or upstream (model names, PR titles, author logins) goes through
`md` in markdown and through Jinja2's autoescaping in HTML; nothing here writes anywhere.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import astuple
from typing import Any

from bot.analysis.compare import Comparison
from bot.analysis.verdict import Verdict
from bot.config import AnalysisPolicy
from bot.model import (
    BREAKAGE,
    IMPROVEMENT,
    INCONCLUSIVE,
    MIXED,
    NO_CHANGE,
    PARTIAL,
    REGRESSION,
    UNLOCK,
    Attribution,
    Build,
    Change,
    ConfigKey,
    PullRequest,
    Run,
)
from bot.report import (
    _URL,
    _env,
    md,
    num,
    pct,
    plain,
    run_link,
    side_runs,
    verdicts_markdown,
)
from bot.report.triage import triage_markdown

CHANGE_MARKER = "paretobot:change:"
DIGEST_MARKER = "paretobot:digest:"
VERBS = {
    REGRESSION: "regressed",
    IMPROVEMENT: "improved",
    UNLOCK: "unlocked",
    BREAKAGE: "broke",
    PARTIAL: "partly broke",
    MIXED: "reshaped the frontier of",
    NO_CHANGE: "did not measurably change",
    INCONCLUSIVE: "left unresolved",
}
EMOJI = {
    REGRESSION: "🔴",
    IMPROVEMENT: "🟢",
    UNLOCK: "🔓",
    BREAKAGE: "💥",
    PARTIAL: "🟠",
    MIXED: "🔀",
    NO_CHANGE: "⚪",
    INCONCLUSIVE: "❔",
}
COLORS = {REGRESSION: "#c62828", IMPROVEMENT: "#2e7d32", UNLOCK: "#1565c0", BREAKAGE: "#6a1b9a"}
# (section id, title, verdict kinds): the digest's order, regressions first
SECTIONS = (
    ("regressions", "Regressions", (REGRESSION,)),
    ("unlocks", "Unlocks", (UNLOCK,)),
    ("improvements", "Improvements", (IMPROVEMENT,)),
    ("breakages", "Breakages", (BREAKAGE, PARTIAL)),
    ("mixed", "Mixed: the frontiers cross", (MIXED,)),
    ("inconclusive", "Inconclusive: more runs needed", (INCONCLUSIVE,)),
)
SECTION_EMOJI = {
    "regressions": "🔴",
    "unlocks": "🔓",
    "improvements": "🟢",
    "breakages": "💥",
    "mixed": "🔀",
    "inconclusive": "❔",
    "bisections": "🔎",
    "stale": "💤",
}
MODELS = {
    "kimik2.5": "Kimi K2.5",
    "dsr1": "DeepSeek R1",
    "dsv4": "DeepSeek V4",
    "gptoss": "gpt-oss",
    "70b": "Llama 70B",
    "qwen3.5": "Qwen3.5",
    "minimaxm2.5": "MiniMax M2.5",
    "minimaxm3": "MiniMax M3",
}
PROJECTS = {"vllm": "vLLM", "sglang": "SGLang", "aiter": "AITER", "atom": "ATOM"}
FRAMEWORKS = PROJECTS | {"trt": "TensorRT-LLM", "trtllm": "TensorRT-LLM"}
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9._/+=@-]+")
MAX_KEY_SLUG = 200  # characters of the slug a key (and so a marker) shows; its hash covers all
MAX_NAME = 120  # characters of a name from a result file that a sentence shows
# the same loader, filters and StrictUndefined as every report, with HTML autoescaping on
_HTML_ENV = _env.overlay(autoescape=True)


# ---- names and the sentence ---------------------------------------------------------------------


def change_key(config: ConfigKey, baseline: Build, candidate: Build) -> str:
    """Stable across reruns: the configuration and both builds, nothing measured."""
    ident = json.dumps([config.slug, astuple(baseline), astuple(candidate)])
    slug = re.sub("-{2,}", "-", _KEY_UNSAFE.sub("-", config.slug))  # no "-->" inside a comment
    return f"{slug[:MAX_KEY_SLUG]}@{hashlib.sha256(ident.encode()).hexdigest()[:12]}"


def short(text: str, most: int = MAX_NAME) -> str:
    """A name cut to `most` characters (ending in "…" when cut): a 20,000-character model name
    must not fill a comment that GitHub caps at 65,536."""
    return text if len(text) <= most else text[: most - 1] + "…"


def marker(key: str, prefix: str = CHANGE_MARKER) -> str:
    return f"<!-- {prefix}{key} -->"


def _k(tokens: int) -> str:
    return f"{tokens // 1024}k" if tokens >= 1024 and tokens % 1024 == 0 else str(tokens)


def config_name(config: ConfigKey, framework: bool = True) -> str:
    """What people call a configuration: 'Kimi K2.5 INT4 TP=8 MTP 1k/1k on MI355X with vLLM'."""
    parts = [short(MODELS.get(config.model.lower(), config.model)), short(config.precision.upper())]
    parts.append(f"TP={config.tp}")
    parts += [f"EP={config.ep}"] if config.ep > 1 else []
    parts += ["DP-attention"] if config.dp_attention else []
    parts += [f"PP={config.pp}"] if config.pp > 1 else []
    parts += (
        [f"disaggregated {config.prefill_gpus}P/{config.decode_gpus}D"] if config.disagg else []
    )
    parts += [short(config.spec_method.upper())] if config.spec_method not in ("", "none") else []
    parts += [f"{_k(config.isl)}/{_k(config.osl)}"] if config.isl and config.osl else []
    parts += [short(config.scenario)] if config.scenario != "fixed-seq-len" else []
    text = " ".join(parts) + f" on {short(config.hardware.upper())}"
    fw = short(FRAMEWORKS.get(config.framework.lower(), config.framework))
    return f"{text} with {fw}" if framework else text


def build_name(build: Build) -> str:
    """'vLLM v0.21.0', plus a short commit when there is one."""
    fw = short(FRAMEWORKS.get(build.framework.lower(), build.framework))
    if not build.version:
        return short(build.label)
    return f"{fw} {short(build.version)}" + (f" ({build.commit[:10]})" if build.commit else "")


def project_name(repo: str) -> str:
    return PROJECTS.get(repo.rsplit("/", 1)[-1].lower(), repo)


def pull_url(pull: PullRequest) -> str:
    """The PR's own URL if it is a plain http(s) URL, else one built from repo and number."""
    if _URL.fullmatch(pull.url):
        return pull.url
    return f"https://github.com/{_KEY_UNSAFE.sub('-', pull.repo)}/pull/{pull.number}"


def author(login: str, mentions: bool = False) -> str:
    """A login in markdown: inert unless mentions are configured and it is a real login."""
    if mentions and _LOGIN.fullmatch(login):
        return "@" + login
    return md(login)


def effect(c: Comparison, confidence: float) -> str:
    """'-15.0% throughput per GPU at matched interactivity over 18–70 tok/s/user (95% CI ...)'."""
    h = c.headline
    where = "at peak"
    if c.matched is not None:
        where = "at matched interactivity"
        if c.overlap:
            where += f" over {num(c.overlap[0])}–{num(c.overlap[1])} tok/s/user"
    runs = f"{h.n_baseline} vs {h.n_candidate} runs"
    if h.low is None or h.high is None:
        return f"{pct(h.ratio)} throughput per GPU {where} ({runs}, no interval)"
    return (
        f"{pct(h.ratio)} throughput per GPU {where} "
        f"({confidence:.0%} CI {pct(h.low)}..{pct(h.high)}, {runs})"
    )


def headline(
    v: Verdict,
    attribution: Attribution | None = None,
    *,
    confidence: float = 0.95,
    markdown: bool = True,
) -> str:
    """The sentence a team acts on. markdown=False gives plain text (YAML, JSON, HTML)."""
    esc: Callable[[object], str] = md if markdown else plain
    culprit = attribution.culprit if attribution else None
    if culprit is not None:
        ref = f"[#{culprit.number}]({pull_url(culprit)})" if markdown else f"#{culprit.number}"
        subject = f"{esc(project_name(culprit.repo))} PR {ref}"
        if attribution is not None and attribution.decided_by != "bisection":
            subject += " likely"
        same_project = project_name(culprit.repo).lower() == v.config.framework.lower()
    else:
        subject, same_project = esc(build_name(v.candidate)), True
    name = esc(config_name(v.config, framework=not same_project))
    if v.comparison is not None and v.kind in (REGRESSION, IMPROVEMENT, NO_CHANGE):
        detail = effect(v.comparison, confidence)
    else:
        detail = esc(v.reason)
    return f"{subject} {VERBS.get(v.kind, esc(v.kind))} {name}: {detail}"


# ---- the comment per change ---------------------------------------------------------------------


def _evidence(v: Verdict, policy: AnalysisPolicy, runs: Mapping[str, Run]) -> str:
    """`paretobot compare`'s markdown for this verdict, without its heading line."""
    text = verdicts_markdown([v], policy, runs)
    return "\n".join(line for line in text.splitlines() if not line.startswith("### ")).strip()


REPRODUCE = "paretobot run-job job.json --out results"
MAX_JOB_SHOWN = 20_000  # characters of job JSON a comment shows (GitHub caps a comment at 65,536)
# Inside a JSON string these are as good as the characters themselves, and with none of them
# left the text can neither close its code fence, open an HTML tag nor @-mention anyone, whatever
# the renderer (GitHub ignores mentions in code; this does not rely on it).
_INERT_JSON = str.maketrans(
    {"`": "\\u0060", "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "@": "\\u0040"}
)


def job_block(job: str) -> str:
    """The job as JSON to paste into job.json: indented, ASCII only (no look-alike or
    direction-changing characters), and inert in markdown and HTML; it parses back to the job."""
    text = json.dumps(json.loads(job), indent=2, ensure_ascii=True)
    return text.translate(_INERT_JSON)


def reproduce(v: Verdict, runs: Mapping[str, Run]) -> dict[str, Any] | None:
    """How to run the candidate again: the job of its first run whose runner record is stored."""
    for run_id in side_runs(v, "candidate", runs):
        run = runs.get(run_id)
        if run is None or not run.job:
            continue
        where = [f"runner {run.runner}"] if run.runner else []
        where += [f"host {run.host}"] if run.host else []
        if run.gpus:
            where.append(f"{len(run.gpus)} x {run.gpus[0]}")
        if run.build is not None and run.build.image:
            image = run.build.image
            where.append(
                f"image {image}" + (f"@{run.build.image_digest}" if run.build.image_digest else "")
            )
        shown = job_block(run.job)
        return {
            "run": run_link(run_id, runs),
            "where": md("; ".join(where)),
            "job": shown if len(shown) <= MAX_JOB_SHOWN else "",
            "command": REPRODUCE,
        }
    return None


def comment_markdown(
    v: Verdict,
    attribution: Attribution | None = None,
    *,
    policy: AnalysisPolicy,
    mentions: bool = False,
    runs: Mapping[str, Run] | None = None,
    triage: Change | None = None,
) -> str:
    """The comment on a change; with `runs` (the stored run records), the runs link to their CI
    runs and the candidate's job is given to run again; with `triage` (the stored change), its
    state and how a maintainer changes it."""
    known = runs or {}
    key = change_key(v.config, v.baseline, v.candidate)
    return (
        _env.get_template("comment.md.j2")
        .render(
            marker=marker(key),
            key=key,
            slug=short(v.config.slug, MAX_KEY_SLUG),
            emoji=EMOJI.get(v.kind, ""),
            headline=headline(v, attribution, confidence=policy.confidence),
            v=v,
            base=build_name(v.baseline),
            cand=build_name(v.candidate),
            attribution=attribution,
            evidence=_evidence(v, policy, known),
            reproduce=reproduce(v, known),
            pull_url=pull_url,
            author=lambda login: author(login, mentions),
            triage=triage_markdown(triage),
        )
        .strip()
        + "\n"
    )
