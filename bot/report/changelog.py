"""The changelog entry of a change: InferenceX's perf-changelog YAML, a JSON record, a line."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.analysis.verdict import (
    Verdict,
)
from bot.model import Attribution, ConfigKey, Run
from bot.report import (
    _URL,
    _env,
    build_json,
    config_json,
    plain,
    run_url,
    side_runs,
)
from bot.report.comment import (
    CHANGE_MARKER,
    EMOJI,
    build_name,
    change_key,
    headline,
    marker,
    pull_url,
)

# ---- changelog ----------------------------------------------------------------------------------


def inferencex_key(config: ConfigKey) -> str:
    """InferenceX's matrix-entry name: model-precision-sku-framework[-agentic][-spec]."""
    sku = config.hardware.lower().split("-", 1)[0]
    key = f"{config.model}-{config.precision}-{sku}-{config.framework}".lower()
    if config.scenario.startswith("agentic"):
        key += "-agentic"
    if config.spec_method not in ("", "none"):
        key += f"-{config.spec_method.lower()}"
    return key


def _yaml_scalar(text: str) -> str:
    # a JSON string is a valid YAML double-quoted scalar; plain where nothing can be misread
    if re.fullmatch(r"[A-Za-z0-9][\w.*:/+=?&%~-]*", text):
        return text
    quoted = json.dumps(text, ensure_ascii=False)  # readable: keeps "–" and names as they are
    return "".join(ch if ch.isprintable() else _yaml_escape(ch) for ch in quoted)


def _yaml_escape(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def changelog_yaml(entry: Mapping[str, Any], key: str) -> str:
    """One perf-changelog.yaml entry in InferenceX's layout, led by its marker comment."""
    lines = [f"# {CHANGE_MARKER}{key}"]
    first = True
    for field in ("config-keys", "scenario-type", "description"):
        if field in entry:
            lines.append(("- " if first else "  ") + f"{field}:")
            lines += [f"    - {_yaml_scalar(str(item))}" for item in entry[field]]
            first = False
    link = str(entry.get("pr-link") or "")
    lines.append(f"  pr-link: {_yaml_scalar(link) if link else ''}".rstrip())
    return "\n".join(lines) + "\n"


def changelog_entry(
    v: Verdict,
    attribution: Attribution | None,
    *,
    link: str,
    confidence: float,
) -> dict[str, Any]:
    """{config-keys, scenario-type, description, pr-link} as in InferenceX's perf-changelog."""
    description = [
        headline(v, attribution, confidence=confidence, markdown=False),
        plain(f"Baseline {build_name(v.baseline)}, candidate {build_name(v.candidate)}", 200),
        plain(f"Configuration {v.config.slug}", 200),
    ]
    if attribution and attribution.culprit:
        pull = attribution.culprit
        description.append(plain(f"{pull.repo}#{pull.number}: {pull.title}", 200))
    return {
        "config-keys": [inferencex_key(v.config)],
        "scenario-type": [v.config.scenario],
        "description": description,
        "pr-link": link,
    }


def changelog_record(
    v: Verdict,
    attribution: Attribution | None,
    *,
    links: Sequence[str],
    confidence: float,
    recorded: date,
    runs: Mapping[str, Run] | None = None,
) -> dict[str, Any]:
    """The structured twin of a changelog entry (one JSON line); `runs` (the stored run records)
    give each run behind it its CI address."""
    c = v.comparison
    known = runs or {}
    h = c.headline if c else None
    pull = attribution.culprit if attribution else None
    return {
        "key": change_key(v.config, v.baseline, v.candidate),
        "recorded": recorded.isoformat(),
        "verdict": v.kind,
        "headline": headline(v, attribution, confidence=confidence, markdown=False),
        "reason": v.reason,
        "upstream": None
        if pull is None
        else {
            "repo": pull.repo,
            "pr": pull.number,
            "title": pull.title,
            "url": pull_url(pull),
            "author": pull.author,
            "merge_commit": pull.merge_commit,
        },
        "decided_by": attribution.decided_by if attribution else None,
        "config": config_json(v.config),
        "inferencex_key": inferencex_key(v.config),
        "baseline": build_json(v.baseline),
        "candidate": build_json(v.candidate),
        "effect": None
        if h is None
        else {
            "measure": "matched" if c and c.matched else "peak",
            "ratio": h.ratio,
            "interactivity_range": list(c.overlap) if c and c.overlap else None,
        },
        "interval": None
        if h is None or h.low is None
        else {"confidence": confidence, "low": h.low, "high": h.high, "p_value": h.p_value},
        "evidence": {
            "baseline_runs": list(c.baseline_frontier.run_ids) if c else [],
            "candidate_runs": list(c.candidate_frontier.run_ids) if c else [],
            "links": list(links),
        },
        "runs": [
            {"run_id": run_id, "side": side, "url": run_url(run_id, known) or None}
            for side in ("baseline", "candidate")
            for run_id in side_runs(v, side, known)
        ],
    }


def changelog_line(
    v: Verdict, attribution: Attribution | None, *, link: str, confidence: float, day: date
) -> str:
    key = change_key(v.config, v.baseline, v.candidate)
    return (
        _env.get_template("changelog.md.j2")
        .render(
            day=day.isoformat(),
            kind=v.kind,
            emoji=EMOJI.get(v.kind, ""),
            headline=headline(v, attribution, confidence=confidence),
            link=link if _URL.fullmatch(link) else "",
            marker=marker(key),
        )
        .strip()
    )
