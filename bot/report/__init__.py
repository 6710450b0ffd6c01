"""Renders results for people (markdown) and for programs (JSON). Writes nowhere itself."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import jinja2

from bot.analysis.compare import Comparison
from bot.analysis.frontier import throughput_at
from bot.model import Build, ConfigKey, Frontier

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")


def md(value: object) -> str:
    """Text from files or upstream, made inert in markdown: no table breakout, no HTML, no pings."""
    text = " ".join(str(value).split())  # newlines would end a table row
    text = html.escape(text, quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "@\u200b")  # a zero-width space keeps @name from notifying anyone


def num(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def pct(ratio: float | None) -> str:
    if ratio is None:
        return "–"
    return f"{(ratio - 1) * 100:+.1f}%"


def _at(frontier: Frontier, interactivity: float) -> float:
    return float(throughput_at(frontier, interactivity)[0])


_env = jinja2.Environment(
    loader=jinja2.PackageLoader("bot.report", "templates"),
    autoescape=False,  # markdown, not HTML: every value goes through `md` or a number filter
    undefined=jinja2.StrictUndefined,
    trim_blocks=False,
    keep_trailing_newline=True,
)
_env.filters.update(md=md, num=num, pct=pct)
_env.globals["at"] = _at


def comparison_markdown(comparisons: Sequence[Comparison]) -> str:
    return _env.get_template("compare.md.j2").render(comparisons=comparisons).strip() + "\n"


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


def comparison_json(c: Comparison) -> dict[str, Any]:
    return {
        "config": config_json(c.config),
        "baseline": {**build_json(c.baseline), "runs": c.baseline_runs},
        "candidate": {**build_json(c.candidate), "runs": c.candidate_runs},
        "overlap": list(c.overlap) if c.overlap else None,
        "matched_ratio": c.matched_ratio,
        "peak_ratio": c.peak_ratio,
        "reach_ratio": c.reach_ratio,
        "target_ratios": {str(k): v for k, v in c.target_ratios.items()},
        "pairs": [asdict(p) for p in c.pairs],
        "baseline_frontier": frontier_json(c.baseline_frontier)["points"],
        "candidate_frontier": frontier_json(c.candidate_frontier)["points"],
        "notes": list(c.notes),
    }
