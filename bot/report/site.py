"""The dashboard as a static site: an overview, a page per configuration, and a page comparing
any two builds, over data files the pages load with <script> (so the site works from disk, where
a browser refuses fetch(), as well as from GitHub Pages).

Layout (all paths relative, nothing loaded from elsewhere):
    index.html              overview: configurations (worst first), changes, failing runs, stale
    compare.html            #c=CONFIG&b=BUILD&n=BUILD: any two builds, the estimates precomputed
    config-<id>.html        one configuration: Pareto chart, history, costs, runs, reproduce
    data/<id>.js            that configuration's data (PB.add(...)), read by both pages
    data/index.js           every configuration and its builds, for the compare page's pickers
    assets/                 site.js, site.css and Plotly (MIT), served from the site itself

Every text from a file or upstream reaches the page as text: jinja escapes what it renders, and
site.js only ever sets textContent (and entity-escapes what Plotly draws, which reads a few tags).
"""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
import uuid
from dataclasses import astuple, dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from bot.analysis.history import History
from bot.analysis.verdict import Verdict, usable
from bot.config import AnalysisPolicy
from bot.errors import ParetobotError
from bot.model import (
    IMPROVEMENT,
    INCONCLUSIVE,
    MIXED,
    NO_CHANGE,
    OPEN_STATES,
    SWEEP_FAILED,
    UNLOCK,
    WORSE_KINDS,
    Build,
    Change,
    ConfigKey,
    Frontier,
    Run,
    Sweep,
)
from bot.report import _env, build_json, ci, history_json, pct, run_health, run_url, verdict_json
from bot.report.comment import REPRODUCE, effect, job_block
from bot.report.triage import change_json, effect_text, state_text
from bot.text import finite, visible

ASSETS = ("site.js", "site.css", "plotly-basic.min.js", "LICENSE.plotly.txt")
MARKER = ".paretobot-site"
# the overview lists this many changes and failing runs (open and newest first), and says how to
# see the rest: a store of years holds thousands, and a page of megabytes is not read
MAX_LISTED = 200  # a folder holding it is a site this wrote, safe to rewrite
# worst first: the overview's order (a configuration with no verdict comes after every kind)
ORDER = (*WORSE_KINDS, MIXED, UNLOCK, IMPROVEMENT, INCONCLUSIVE, NO_CHANGE)
POINT_COLUMNS = (
    "build",
    "run",
    "repeat",
    "concurrency",
    "interactivity",
    "tput_per_gpu",
    "output_tput_per_gpu",
    "median_ttft_ms",
    "p99_ttft_ms",
    "median_tpot_ms",
    "p99_tpot_ms",
    "median_itl_ms",
    "p99_itl_ms",
    "median_e2el_ms",
    "p99_e2el_ms",
    "completed",
    "failed",
    "usable",
    "suspect",
)

_HTML = _env.overlay(autoescape=True)


class SiteError(ParetobotError):
    """The output folder cannot be written (it holds something this did not write)."""


@dataclass(frozen=True)
class BuildSeen:
    """One build of a configuration, oldest first, with when its runs started (where known)."""

    build: Build
    first: datetime | None
    last: datetime | None
    runs: tuple[str, ...]


@dataclass(frozen=True)
class ConfigPage:
    """What one configuration's page and its comparisons are made of."""

    config: ConfigKey
    builds: tuple[BuildSeen, ...]
    sweeps: tuple[Sweep, ...]
    policy: AnalysisPolicy
    frontiers: dict[int, Frontier]  # per build index: its runs pooled, trusted points only
    bands: dict[int, list[tuple[float, float, float]]]  # per build index, with 2+ runs
    verdicts: dict[tuple[int, int], Verdict]  # (baseline index, candidate index)
    histories: tuple[History, ...]  # by build, by run date
    changes: tuple[Change, ...]
    runs: dict[str, Run] = field(default_factory=dict)  # the records of this config's runs

    @property
    def latest(self) -> Verdict | None:
        """The newest build judged against the one before it (what the overview shows)."""
        n = len(self.builds)
        return self.verdicts.get((n - 2, n - 1)) if n >= 2 else None


@dataclass(frozen=True)
class SiteFacts:
    """What the overview says about the whole store."""

    title: str
    generated: datetime
    newest_run: datetime | None  # staleness is measured back from here, not from today
    stale_after: timedelta
    changes: tuple[Change, ...]
    runs: dict[str, Run]


def config_id(config: ConfigKey) -> str:
    """A configuration's file name: its identity hashed (a slug can hold '/', '..', anything)."""
    return hashlib.sha256(config.canonical.encode()).hexdigest()[:12]


def build_id(build: Build) -> str:
    """A build's name in a shared link: stable when builds are added before or after it."""
    return hashlib.sha256(json.dumps(astuple(build)).encode()).hexdigest()[:10]


def js_data(value: Any) -> str:
    """JSON as a JavaScript value (ASCII, so no character can end the script or read as another
    one); non-finite numbers become null, as JSON has none; no control or bidi character."""
    return json.dumps(finite(value, visible), ensure_ascii=True, separators=(",", ":"))


def compare_command(config: ConfigKey, base: Build, cand: Build) -> str:
    return (
        f"paretobot compare --config {shlex.quote(config.slug)} "
        f"--baseline {shlex.quote(base.selector)} --candidate {shlex.quote(cand.selector)}"
    )


def _slim_verdict(v: Verdict, runs: dict[str, Run], confidence: float) -> dict[str, Any]:
    """verdict_json without what the page has already (the points) or never shows (the
    interpolated profile), plus the headline sentence and the command that gives it again."""
    shown = verdict_json(v, runs, curves=False)
    for known in ("config", "baseline", "candidate", "runs"):  # the page has them by build id
        del shown[known]
    c = shown.get("comparison")
    if c is not None and v.comparison is not None:
        # which points were left out, and why, the page shows on the points themselves
        c["suspect"] = len(c["suspect"])
        cmp = v.comparison
        named = {"peak": cmp.peak, "matched": cmp.matched, "reach": cmp.reach}
        shown_as = [(c[k], e) for k, e in named.items()]
        shown_as += [(c["targets"][str(t)], e) for t, e in cmp.targets.items()]
        for row, e in shown_as:
            if row is not None and e is not None:  # the figures as the CLI prints them
                row |= {"change": pct(e.ratio), "interval": ci(e)}
        shown["effect"] = effect(v.comparison, confidence)
    shown["command"] = compare_command(v.config, v.baseline, v.candidate)
    return shown


def _reproduce(page: ConfigPage) -> dict[str, Any] | None:
    """How to run the newest build again: the job of its newest run whose record has one."""
    newest = page.builds[-1]
    for run_id in reversed(newest.runs):
        run = page.runs.get(run_id)
        if run is not None and run.job:
            return {"run": run_id, "job": job_block(run.job), "command": REPRODUCE}
    return None


def config_data(page: ConfigPage) -> dict[str, Any]:
    """Everything a configuration's pages draw, as JSON (the site's data contract)."""
    index = {b.build: i for i, b in enumerate(page.builds)}
    ids = [build_id(b.build) for b in page.builds]
    rows = []
    for s in page.sweeps:
        ok = {id(p) for p in usable(s, page.policy).points}
        for p in s.points:
            rows.append(
                [
                    index[s.build],
                    s.run_id,
                    s.repeat,
                    p.concurrency,
                    p.interactivity,
                    p.tput_per_gpu,
                    p.output_tput_per_gpu,
                    p.median_ttft_ms,
                    p.p99_ttft_ms,
                    p.median_tpot_ms,
                    p.p99_tpot_ms,
                    p.median_itl_ms,
                    p.p99_itl_ms,
                    p.median_e2el_ms,
                    p.p99_e2el_ms,
                    p.completed,
                    p.failed,
                    id(p) in ok,
                    p.suspect,
                ]
            )
    runs = {}
    for b in page.builds:
        for run_id in b.runs:
            run = page.runs.get(run_id)
            runs[run_id] = {
                "url": run_url(run_id, page.runs) or None,
                "started_at": run.started_at.isoformat() if run and run.started_at else None,
                "host": (run.host or None) if run else None,
                "runner": (run.runner or None) if run else None,
                "excluded": bool(run and run.excluded),
                "health": run_health([run_id], page.runs),
            }
    confidence = page.policy.confidence
    config = page.config
    return {
        "id": config_id(config),
        "slug": config.slug,
        "slug_arg": shlex.quote(config.slug),
        "config": {f: getattr(config, f) for f in config.__dataclass_fields__},
        "topology": config.topology,
        "lengths": config.lengths,
        "confidence": confidence,
        "builds": [
            build_json(b.build)
            | {
                "id": ids[i],
                "selector": b.build.selector,
                "selector_arg": shlex.quote(b.build.selector),
                "first": b.first.isoformat() if b.first else None,
                "last": b.last.isoformat() if b.last else None,
                "runs": list(b.runs),
            }
            for i, b in enumerate(page.builds)
        ],
        "point_columns": list(POINT_COLUMNS),
        "points": rows,
        "frontiers": {
            str(i): [
                {
                    "interactivity": p.interactivity,
                    "tput_per_gpu": p.tput_per_gpu,
                    "concurrency": p.concurrency,
                    "cost_per_mtok": p.cost_per_mtok,
                    "tokens_per_mw": p.tokens_per_mw,
                }
                for p in f.points
            ]
            for i, f in page.frontiers.items()
        },
        "bands": {str(i): [list(x) for x in b] for i, b in page.bands.items() if b},
        "failed_sweeps": [
            {"build": index[s.build], "run": s.run_id, "cause": s.cause, "at": list(s.failed_at)}
            for s in page.sweeps
            if s.status == SWEEP_FAILED
        ],
        "history": {
            h.by: {k: v for k, v in history_json(h).items() if k != "config"}
            for h in page.histories
        },
        "changes": [
            change_json(c) | {"effect_text": effect_text(c), "state_text": state_text(c)}
            for c in page.changes
        ],
        "compare": {
            f"{ids[a]}-{ids[b]}": _slim_verdict(v, page.runs, confidence)
            for (a, b), v in page.verdicts.items()
        },
        "runs": runs,
        "reproduce": _reproduce(page),
    }


def _rank(kind: str | None) -> int:
    return ORDER.index(kind) if kind in ORDER else len(ORDER)


def overview_row(page: ConfigPage, data: dict[str, Any], facts: SiteFacts) -> dict[str, Any]:
    """What the overview lists of a configuration (small: 700 of them stay in memory)."""
    config, latest = page.config, page.latest
    newest = page.builds[-1]
    last = max((b.last for b in page.builds if b.last), default=None)
    stale = bool(facts.newest_run and last and last < facts.newest_run - facts.stale_after)
    open_changes = [c for c in page.changes if c.state in OPEN_STATES]
    failing = sorted({f["run"] for f in data["failed_sweeps"]} | {
        r for r, info in data["runs"].items() if info["health"]
    })  # fmt: skip
    kind = latest.kind if latest else None
    return {
        "id": data["id"],
        "slug": config.slug,
        "model": config.model,
        "precision": config.precision,
        "hardware": config.hardware,
        "framework": config.framework,
        "topology": config.topology,
        "scenario": config.scenario,
        "lengths": config.lengths,
        "gpus": config.gpus,
        "builds": [{"id": b["id"], "label": b["label"]} for b in data["builds"]],
        "latest": newest.build.label,
        "last_run": last.date().isoformat() if last else None,
        "verdict": kind,
        "effect": (
            effect(latest.comparison, page.policy.confidence)
            if latest and latest.comparison
            else (latest.reason if latest else "")
        ),
        "baseline": page.builds[-2].build.label if latest else None,
        "open_changes": len(open_changes),
        "failing_runs": failing,
        "stale": stale,
        "rank": min([_rank(kind)] + [_rank(c.kind) for c in open_changes]),
    }


class SiteWriter:
    """Writes the site one configuration at a time, then the overview and the compare page."""

    def __init__(self, out: Path, facts: SiteFacts) -> None:
        self.final, self.facts = out, facts
        _check_out(out)
        # written beside OUT and swapped in whole by finish(): a reader (or a web server) never
        # meets half a site, and two builds at once each leave a whole one
        self.out = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:12]}"
        (self.out / "assets").mkdir(parents=True)
        (self.out / "data").mkdir()
        root = resources.files("bot.report") / "site_assets"
        for name in ASSETS:
            (self.out / "assets" / name).write_bytes((root / name).read_bytes())

    def add(self, page: ConfigPage) -> dict[str, Any]:
        """Write a configuration's data file and page; return its overview row. Safe to call
        from several processes at once (each configuration has its own files)."""
        data = config_data(page)
        row = overview_row(page, data, self.facts)
        (self.out / "data" / f"{data['id']}.js").write_text(
            f"PB.add({js_data(data)});\n", encoding="utf-8"
        )
        self._page(f"config-{data['id']}.html", "site_config.html.j2", row=row, d=data,
                   tiers=_tiers(data), changes=page.changes)  # fmt: skip
        return row

    def finish(self, rows: list[dict[str, Any]]) -> int:
        """The overview, the compare page and the index from every configuration's row; then
        the site takes OUT's place."""
        rows = sorted(rows, key=lambda r: (r["rank"], r["slug"]))
        facets = {
            f: sorted({str(r[f]) for r in rows})
            for f in ("model", "hardware", "precision", "framework", "topology", "scenario")
        }
        index = [
            {k: r[k] for k in ("id", "slug", "builds", *facets)} for r in rows
        ]  # fmt: skip
        (self.out / "data" / "index.js").write_text(
            f"PB.index({js_data(index)});\n", encoding="utf-8"
        )
        ids = {r["id"] for r in rows}
        changes = [
            (c, config_id(c.config) if config_id(c.config) in ids else None, effect_text(c),
             state_text(c))
            for c in self.facts.changes[:MAX_LISTED]  # open ones first, worse kinds first
        ]  # fmt: skip
        failing, stale = _failing(rows, self.facts.runs), [r for r in rows if r["stale"]]
        self._page("index.html", "site_index.html.j2", rows=rows, facets=facets, changes=changes,
                   failing=failing[:MAX_LISTED], stale=stale, most=MAX_LISTED,
                   all_changes=len(self.facts.changes), all_failing=len(failing))  # fmt: skip
        self._page("compare.html", "site_compare.html.j2")
        (self.out / MARKER).write_text("written by paretobot site; rewritten as a whole\n")
        _swap(self.out, self.final)
        return len(rows) + 2

    def abandon(self) -> None:
        """Remove the half-written site after a failure; OUT is left as it was."""
        shutil.rmtree(self.out, ignore_errors=True)

    def _page(self, name: str, template: str, **values: Any) -> None:
        html = _HTML.get_template(template).render(facts=self.facts, **values)
        (self.out / name).write_text(html, encoding="utf-8")


def _tiers(data: dict[str, Any]) -> list[str]:
    return sorted({t for f in data["frontiers"].values() for p in f for t in p["cost_per_mtok"]})


def _failing(rows: list[dict[str, Any]], runs: dict[str, Run]) -> list[dict[str, Any]]:
    """Each run with a failure, once, with the configurations it failed in."""
    found: dict[str, dict[str, Any]] = {}
    for r in rows:
        for run_id in r["failing_runs"]:
            run = runs.get(run_id)
            entry = found.setdefault(
                run_id,
                {
                    "run": run_id,
                    "url": run_url(run_id, runs),
                    "when": run.started_at.date().isoformat() if run and run.started_at else "",
                    "health": run_health([run_id], runs),
                    "configs": [],
                },
            )
            entry["configs"].append(r)
    return sorted(found.values(), key=lambda e: e["when"], reverse=True)


def _check_out(out: Path) -> None:
    """OUT must be new, empty, or a site this wrote before (replaced whole, so a configuration
    gone from the store leaves no page behind); anything else is refused, never deleted."""
    if out.exists() and not out.is_dir():
        raise SiteError(f"{out}: not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise SiteError(
            f"{out}: not empty and not a site paretobot wrote (no {MARKER}); "
            "give an empty or new folder"
        )
    out.parent.mkdir(parents=True, exist_ok=True)


def _swap(work: Path, out: Path, tries: int = 20) -> None:
    """Put the finished site `work` at `out` by renames: the old site moved aside, then removed.
    A build that finishes at the same moment can take `out` between the two renames; then the
    old one is moved aside again (each build leaves a whole site; the last one stays)."""
    for _ in range(tries):
        aside = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:12]}"
        try:
            out.rename(aside)
        except FileNotFoundError:
            aside = None
        try:
            work.rename(out)
        except OSError:  # another build put its site there after we moved the old one aside
            continue
        finally:
            if aside is not None:
                shutil.rmtree(aside, ignore_errors=True)
        return
    shutil.rmtree(work, ignore_errors=True)
    raise SiteError(f"{out}: other builds kept replacing it; nothing written")
