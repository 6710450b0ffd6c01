"""The weekly digest: regressions first, then unlocks, improvements, breakages; with plots."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.analysis.verdict import (
    Verdict,
)
from bot.model import OPEN_STATES, Attribution, Build, Change, ConfigKey, Frontier, Run
from bot.report import (
    _env,
    build_json,
    config_json,
    md,
    plain,
    run_links,
    run_url,
    side_runs,
    verdict_json,
)
from bot.report.comment import (
    _HTML_ENV,
    COLORS,
    DIGEST_MARKER,
    SECTION_EMOJI,
    SECTIONS,
    author,
    build_name,
    change_key,
    config_name,
    headline,
    marker,
    pull_url,
)
from bot.report.triage import change_json, state_text

# ---- the weekly digest --------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestChange:
    """A verdict with the frontiers to draw (either is None where that side has no point)."""

    verdict: Verdict
    baseline: Frontier | None
    candidate: Frontier | None
    attribution: Attribution | None = None
    triage: Change | None = None  # the stored change: its state (an ignored one is listed last)


@dataclass(frozen=True)
class OpenBisection:
    config: str
    baseline: str
    candidate: str
    remaining: int | None  # benchmark runs left in its budget


@dataclass(frozen=True)
class StaleConfig:
    config: ConfigKey
    build: Build
    last_run: datetime | None


@dataclass(frozen=True)
class Digest:
    since: datetime
    until: datetime
    changes: tuple[DigestChange, ...]
    bisections: tuple[OpenBisection, ...] = ()
    stale: tuple[StaleConfig, ...] = ()
    unchanged: int = 0  # configurations judged no-change
    first_seen: int = 0  # configurations with their first build in the window
    steps: tuple[Change, ...] = ()  # change points of histories, starting in the window
    recorded: tuple[Change, ...] = ()  # every change this digest recorded (alerts read these)
    confidence: float = 0.95
    # the stored run records by id (judge.runs_by_id): compared runs link to their CI runs
    runs: Mapping[str, Run] = field(default_factory=dict, compare=False, hash=False)

    def run_links(self, change: DigestChange) -> list[tuple[str, list[tuple[str, str]]]]:
        """(side, [(run id, CI address)]) for each side with runs, when any of the change's runs
        has an address (a digest of runs without one lists no ids: they say nothing to click)."""
        v = change.verdict
        sides = [(side, side_runs(v, side, self.runs)) for side in ("candidate", "baseline")]
        linked = [(side, [(r, run_url(r, self.runs)) for r in ids]) for side, ids in sides if ids]
        return linked if any(url for _, pairs in linked for _, url in pairs) else []

    @property
    def key(self) -> str:
        return f"{self.since:%Y-%m-%d}..{self.until:%Y-%m-%d}"

    def sections(self) -> list[tuple[str, str, list[DigestChange]]]:
        """(id, title, changes) in digest order; within one, the largest effect first."""

        def size(ch: DigestChange) -> tuple[bool, float, str]:
            c = ch.verdict.comparison
            settled = ch.triage is not None and ch.triage.state not in OPEN_STATES
            return (settled, -abs(c.headline.ratio - 1) if c else 0.0, ch.verdict.config.slug)

        return [
            (sid, title, sorted((c for c in self.changes if c.verdict.kind in kinds), key=size))
            for sid, title, kinds in SECTIONS
        ]


def _get(item: object, *names: str) -> Any:
    for name in names:
        if isinstance(item, Mapping) and name in item:
            return item[name]
        if not isinstance(item, Mapping) and hasattr(item, name):
            return getattr(item, name)
    return None


def _label(value: object) -> str:
    if isinstance(value, ConfigKey):
        return config_name(value)
    if isinstance(value, Build):
        return build_name(value)
    return "" if value is None else str(value)


def _end(item: object, *names: str) -> str:
    """A bisection end: a build, a name, or an index into the item's `commits`."""
    value, commits = _get(item, *names), _get(item, "commits")
    if isinstance(value, int) and not isinstance(value, bool) and commits:
        return str(commits[value])[:10]
    return _label(value)


def open_bisections(items: Iterable[object] | None) -> tuple[OpenBisection, ...]:
    """Dicts or objects with config (or config_slug), baseline and candidate (or good and bad,
    builds, names or indices into `commits`), and remaining (or remaining_runs)."""
    out = []
    for item in items or ():
        left = _get(item, "remaining", "remaining_runs", "runs_remaining")
        out.append(
            OpenBisection(
                config=_label(_get(item, "config", "config_slug")),
                baseline=_end(item, "baseline", "last_good", "good"),
                candidate=_end(item, "candidate", "first_bad", "bad"),
                remaining=None if left is None else int(left),
            )
        )
    return tuple(out)


def frontier_plot(change: DigestChange) -> str:
    """Baseline and candidate frontiers on log axes, as an SVG data URI ("" with neither)."""
    if not any(f is not None and f.points for f in (change.baseline, change.candidate)):
        return ""
    from matplotlib import rc_context  # heavy: only the digest page needs it
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, LogLocator

    fig = Figure(figsize=(6.0, 3.6), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    color = COLORS.get(change.verdict.kind, "#ef6c00")
    sides = (
        (change.baseline, "baseline", "#757575", "--"),
        (change.candidate, "candidate", color, "-"),
    )
    for frontier, role, shade, dash in sides:
        if frontier is None or not frontier.points:
            continue
        pts, label = frontier.points, f"{role}: {plain(build_name(frontier.build), 40)}"
        xs, ys = [p.interactivity for p in pts], [p.tput_per_gpu for p in pts]
        ax.plot(xs, ys, dash, color=shade, marker="o", lw=2, ms=5, label=label)
        for p in pts:
            at, note = (p.interactivity, p.tput_per_gpu), f"c{p.concurrency}"
            ax.annotate(
                note, at, xytext=(3, 3), textcoords="offset points", fontsize=7, color=shade
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):  # label 1-2-5 ticks: frontiers often span < 1 decade
        axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        axis.set_major_formatter(
            FuncFormatter(lambda v, _pos: f"{v:,.0f}" if v >= 10 else f"{v:g}")
        )
        axis.set_minor_formatter(FuncFormatter(lambda _value, _pos: ""))
    ax.set_xlabel("interactivity (tok/s/user)")
    ax.set_ylabel("throughput per GPU (tok/s)")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8, loc="best")
    buffer = io.BytesIO()
    with rc_context({"svg.hashsalt": "paretobot"}):  # with no date: same input, same bytes
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def digest_markdown(digest: Digest, *, mentions: bool = False, most: int | None = None) -> str:
    """`most`: list at most this many changes per section (a comment has a size limit)."""
    return _render_digest("digest.md.j2", digest, markdown=True, mentions=mentions, most=most)


def digest_html(digest: Digest) -> str:
    return _render_digest("digest.html.j2", digest, markdown=False, plots=True)


def _render_digest(
    template: str,
    digest: Digest,
    *,
    markdown: bool,
    mentions: bool = False,
    plots: bool = False,
    most: int | None = None,
) -> str:
    env = _env if markdown else _HTML_ENV
    return env.get_template(template).render(
        d=digest,
        most=most,
        marker=marker(digest.key, DIGEST_MARKER),
        sections=digest.sections(),
        emoji=SECTION_EMOJI,
        headline=lambda ch: headline(
            ch.verdict, ch.attribution, confidence=digest.confidence, markdown=markdown
        ),
        name=config_name,
        build=build_name,
        plot=frontier_plot if plots else None,
        pull_url=pull_url,
        author=lambda login: author(login, mentions),
        runs=lambda ch: [
            (side, run_links([r for r, _ in pairs], digest.runs))
            for side, pairs in digest.run_links(ch)
        ],
        run_pairs=digest.run_links,
        state=lambda ch: state_text(ch.triage, md if markdown else plain) if ch.triage else "",
        step_state=lambda c: state_text(c, md if markdown else plain),
    )


def digest_json(digest: Digest) -> dict[str, Any]:
    def change(ch: DigestChange) -> dict[str, Any]:
        v = ch.verdict
        return {
            "key": change_key(v.config, v.baseline, v.candidate),
            "headline": headline(v, ch.attribution, confidence=digest.confidence, markdown=False),
            **verdict_json(v, digest.runs),
            "triage": None if ch.triage is None else {
                "id": ch.triage.id, "state": ch.triage.state, "text": state_text(ch.triage)
            },
        }  # fmt: skip

    out: dict[str, Any] = {"since": digest.since.isoformat(), "until": digest.until.isoformat()}
    out |= {sid: [change(ch) for ch in changes] for sid, _, changes in digest.sections()}
    out["open_bisections"] = [b.__dict__ for b in digest.bisections]
    out["no_fresh_data"] = [
        {
            "config": config_json(s.config),
            "build": build_json(s.build),
            "last_run": s.last_run.isoformat() if s.last_run else None,
        }
        for s in digest.stale
    ]
    out["history_steps"] = [change_json(c) for c in digest.steps]
    return out | {"unchanged": digest.unchanged, "first_seen": digest.first_seen}
