"""Renders results for people (markdown) and for programs (JSON). Writes nowhere itself."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

import jinja2

from bot.analysis.changepoints import change_point_json
from bot.analysis.compare import Comparison
from bot.analysis.history import NEWEST_CHANGED, NEWEST_POSSIBLE, History
from bot.analysis.noise import NoiseModel
from bot.analysis.stats import Estimate
from bot.analysis.verdict import Verdict, percent
from bot.attribution.bisect import Bisection
from bot.config import AnalysisPolicy
from bot.model import Attribution, Build, ConfigKey, Frontier, Run
from bot.text import md, num, plain, visible  # md, num, plain: also offered as report.X

# an address that can stand as a markdown link target or an HTML attribute as it is
_URL = re.compile(r"https?://[^\s()<>\[\]\"'`]+")


def pct(ratio: float | None) -> str:
    return "–" if ratio is None else percent(ratio)


def pct0(fraction: float) -> str:
    return f"{fraction:.0%}"


def money(usd: float) -> str:
    return f"${usd:.3g}" if usd < 10 else f"${usd:,.2f}"


def ci(estimate: Estimate) -> str:
    if estimate.low is None or estimate.high is None:
        return "–"
    return f"{pct(estimate.low)}..{pct(estimate.high)}"


_env = jinja2.Environment(
    loader=jinja2.PackageLoader("bot.report", "templates"),
    autoescape=False,  # markdown, not HTML: every value goes through `md` or a number filter
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    finalize=visible,  # no control or bidi character reaches a comment, page or changelog
)
_env.filters.update(md=md, num=num, pct=pct, pct0=pct0, money=money, ci=ci)


def safe_url(url: str) -> bool:
    """A plain http(s) address: safe as a link target in markdown and HTML."""
    return bool(_URL.fullmatch(url))


def run_url(run_id: str, runs: Mapping[str, Run]) -> str:
    """The run's CI address when its runner record gave one (and it is plain), else ""."""
    run = runs.get(run_id)
    return run.url if run is not None and run.url and safe_url(run.url) else ""


def run_link(run_id: str, runs: Mapping[str, Run]) -> str:
    """A run id in markdown: a link to its CI run when known, else the plain (escaped) id."""
    url = run_url(run_id, runs)
    return f"[{md(run_id)}]({url})" if url else md(run_id)


def run_links(run_ids: Sequence[str], runs: Mapping[str, Run]) -> str:
    return ", ".join(run_link(r, runs) for r in run_ids)


def _health(run_ids: Sequence[str], runs: Mapping[str, Run]) -> list[tuple[str, str]]:
    """(run id, what was wrong, worded to follow it) per problem of the runs named."""
    found = []
    for run_id in run_ids:
        run = runs.get(run_id)
        if run is None:
            continue
        for job in run.jobs:
            if job.succeeded < job.total:
                found.append(
                    (run_id, f": {job.total - job.succeeded} of {job.total} jobs on "
                     f"{job.hardware} failed (run_stats)")
                )  # fmt: skip
        if run.excluded:  # only reachable when asked for by run:ID
            found.append((run_id, f" is excluded: {run.exclude_reason}"))
    return found


def run_health(run_ids: Sequence[str], runs: Mapping[str, Run]) -> list[str]:
    """One line per run (of those named) whose own record says it was not healthy, with the
    run's CI address when known."""
    lines = []
    for run_id, problem in _health(run_ids, runs):
        url = run_url(run_id, runs)
        lines.append(f"run {run_id}{f' ({url})' if url else ''}{problem}")
    return lines


def health_markdown(run_ids: Sequence[str], runs: Mapping[str, Run]) -> list[str]:
    """run_health in markdown: the run linked to its CI run, the rest escaped."""
    return [
        f"run {run_link(r, runs)}{' ' if problem.startswith(' ') else ''}{md(problem)}"
        for r, problem in _health(run_ids, runs)
    ]


def side_runs(v: Verdict, side: str, runs: Mapping[str, Run] | None = None) -> list[str]:
    """The runs behind one side ("baseline" or "candidate") of a verdict: those its comparison
    pooled; without a comparison (an unlock, a breakage), the stored runs (not excluded) that
    measured this configuration and build, failed ones included."""
    c = v.comparison
    if c is not None:
        return list((c.baseline_frontier if side == "baseline" else c.candidate_frontier).run_ids)
    build = v.baseline if side == "baseline" else v.candidate
    return sorted(
        r.run_id
        for r in (runs or {}).values()
        if not r.excluded and (v.config, build) in r.measured
    )


def runs_json(v: Verdict, runs: Mapping[str, Run] | None = None) -> list[dict[str, Any]]:
    """Each run behind a verdict with where it came from (nulls where its record is unknown)."""
    out = []
    for side in ("baseline", "candidate"):
        for run_id in side_runs(v, side, runs):
            run = (runs or {}).get(run_id)
            out.append(
                {
                    "run_id": run_id,
                    "side": side,
                    "url": run_url(run_id, runs or {}) or None,
                    "runner": run.runner or None if run else None,
                    "host": run.host or None if run else None,
                    "artifact": run.artifact or None if run else None,
                }
            )
    return out


def verdicts_markdown(
    verdicts: Sequence[Verdict], policy: AnalysisPolicy, runs: Mapping[str, Run] | None = None
) -> str:
    known = runs or {}
    return (
        _env.get_template("compare.md.j2")
        .render(
            verdicts=verdicts,
            health=lambda v: health_markdown(_run_ids(v), known),
            side_runs=lambda v, side: run_links(side_runs(v, side, known), known),
            confidence=policy.confidence,
            min_effect=policy.min_effect,
        )
        .strip()
        + "\n"
    )


def config_json(config: ConfigKey) -> dict[str, Any]:
    return {"slug": config.slug, **asdict(config)}


def build_json(build: Build) -> dict[str, Any]:
    return {"label": build.label, **asdict(build)}


def frontier_json(frontier: Frontier) -> dict[str, Any]:
    return {
        "config": config_json(frontier.config),
        "build": build_json(frontier.build),
        "runs": list(frontier.run_ids),
        "points": [asdict(p) for p in frontier.points],
    }


def estimate_json(e: Estimate | None) -> dict[str, Any] | None:
    return None if e is None else asdict(e)


def comparison_json(c: Comparison, *, curves: bool = True) -> dict[str, Any]:
    """The comparison as `compare --json` gives it; without `curves`, less what a page that
    holds the points already never shows: the interpolated profile and both frontiers."""
    shown = {
        "overlap": list(c.overlap) if c.overlap else None,
        "matched": estimate_json(c.matched),
        "peak": estimate_json(c.peak),
        "reach": estimate_json(c.reach),
        "targets": {str(k): estimate_json(v) for k, v in c.targets.items()},
        "crossing": c.crossing,
        "regions": [asdict(r) for r in c.regions],
        "suspect": [asdict(p) for p in c.suspect],
        "costs": [asdict(row) | {"change": row.change} for row in c.costs],
        "baseline_runs": list(c.baseline_frontier.run_ids),
        "candidate_runs": list(c.candidate_frontier.run_ids),
        "notes": list(c.notes),
    }
    if curves:
        shown["profile"] = [
            {"interactivity": level.interactivity, **asdict(level.estimate)} for level in c.profile
        ]
        shown["baseline_frontier"] = [asdict(p) for p in c.baseline_frontier.points]
        shown["candidate_frontier"] = [asdict(p) for p in c.candidate_frontier.points]
    return shown


def noise_json(noise: NoiseModel | None) -> dict[str, Any] | None:
    if noise is None:
        return None
    return {
        "cv_by_concurrency": {str(k): v for k, v in noise.cv_by_concurrency.items()},
        "summary_sd": noise.summary_sd,
        "df": noise.df,
        "builds": noise.builds,
    }


def _run_ids(v: Verdict) -> list[str]:
    c = v.comparison
    return [*c.baseline_frontier.run_ids, *c.candidate_frontier.run_ids] if c else []


def verdict_json(
    v: Verdict, runs: Mapping[str, Run] | None = None, *, curves: bool = True
) -> dict[str, Any]:
    return {
        "config": config_json(v.config),
        "baseline": build_json(v.baseline),
        "candidate": build_json(v.candidate),
        "verdict": v.kind,
        "reason": v.reason,
        "failed_concurrencies": list(v.failed_concurrencies),
        "repeats_needed": v.repeats_needed,
        "comparison": comparison_json(v.comparison, curves=curves) if v.comparison else None,
        "noise": noise_json(v.noise),
        "run_health": run_health(_run_ids(v), runs or {}),
        "runs": runs_json(v, runs),
    }


def trend_line(h: History) -> str | None:
    """A slow drift since the last change point, in words (None without one)."""
    t = h.trend
    if t is None:
        return None
    first, last = plain(h.values[t.start].label), plain(h.values[t.end - 1].label)
    return (f"trend: {t.change:+.1%} from {first} to {last} ({t.n} builds, Mann-Kendall "
            f"p={t.p_value:.2g}): a slow drift, not a step")  # fmt: skip


def newest_line(h: History) -> str:
    """The morning answer in words: did the newest build change anything."""
    n = h.newest
    if n is None:
        return "newest build: too few builds to say"
    label, since = plain(h.values[n.index].label), plain(h.values[n.since].label)
    more = f"{n.builds_to_confirm} more build{'s' if n.builds_to_confirm != 1 else ''}"
    if n.status == NEWEST_CHANGED:
        ago = sum(v.value is not None for v in h.values[n.since : n.index + 1])
        return (f"newest build {label}: changed {n.change:+.1%} from {since} (its {ago} measured "
                "builds confirm it)")  # fmt: skip
    if n.status == NEWEST_POSSIBLE:
        start = f" from {since}" if n.since != n.index else ""
        return (f"newest build {label}: {n.change:+.1%} off the level before{start} ({n.z:+.1f} "
                f"noise units): a possible change, confirmed or not after {more}")  # fmt: skip
    return (f"newest build {label}: no change ({n.change:+.1%}, {n.z:+.1f} noise units); a step "
            f"here would be confirmed after {more}")  # fmt: skip


def history_json(h: History) -> dict[str, Any]:
    return {
        "config": config_json(h.config),
        "by": h.by,
        "measure": h.measure,
        "series": [
            {
                "label": v.label,
                "build": build_json(v.build),
                "at": v.at.isoformat() if v.at else None,
                "value": v.value,
                "low": v.low,
                "high": v.high,
                "runs": v.runs,
                "causes": list(v.causes),
            }
            for v in h.values
        ],
        "change_points": [change_point_json(cp, [v.label for v in h.values]) for cp in h.changes],
        "notes": list(h.notes),
        "trend": None
        if h.trend is None
        else asdict(h.trend)
        | {"from": h.values[h.trend.start].label, "to": h.values[h.trend.end - 1].label},
        "newest": None
        if h.newest is None
        else asdict(h.newest)
        | {"label": h.values[h.newest.index].label, "since_label": h.values[h.newest.since].label},
    }


def attribution_json(a: Attribution, b: Bisection | None) -> dict[str, Any]:
    return {
        "config": config_json(a.config),
        "baseline": build_json(a.baseline),
        "candidate": build_json(a.candidate),
        "change": a.change,
        "summary": a.summary,
        "culprit": asdict(a.culprit) if a.culprit else None,
        "decided_by": a.decided_by,
        "candidates": [
            {"pull": asdict(c.pull), "score": c.score, "reasons": list(c.reasons)}
            for c in a.candidates
        ],
        "bisection": asdict(b) if b else None,
    }
