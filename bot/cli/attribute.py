"""`paretobot attribute`: for each change between two builds, the PRs behind it, ranked, and a
bisection (dispatched probe by probe, one step per call) when the ranking is not sure."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from bot import dispatch, store
from bot.analysis.verdict import Verdict
from bot.attribution import driver
from bot.attribution.attribute import ATTRIBUTABLE, attribute, commits_of
from bot.attribution.bisect import Bisection, expected_runs, start
from bot.cli.common import CliError, out, print_json
from bot.cli.results import verdicts_for
from bot.config import load_policy
from bot.config.matrix import load_matrix
from bot.config.upstreams import load_upstreams
from bot.model import Attribution, Job
from bot.report import build_json, config_json, plain
from bot.upstream import github as gh_api
from bot.upstream.compare import pulls_between

REPEATS = 3  # runs per bisection probe


def _repo_for(framework: str, given: str | None) -> str:
    if given:
        return given
    for upstream in load_upstreams().upstreams:
        if framework in upstream.frameworks:
            return upstream.repo
    raise CliError(f"no upstream in configs/upstreams.yaml feeds '{framework}'; pass --repo")


def _template(verdict: Verdict) -> Job:
    """How to benchmark this configuration: its benchmark-matrix job."""
    slug = verdict.config.slug
    job = next((j for j in load_matrix() if j.config.slug == slug), None)
    if job is None:
        raise CliError(f"{slug} is not in the benchmark matrix: cannot dispatch probes for it")
    return Job(
        config=job.config, entry=job.entry, model_id=job.model_id, image=job.image,
        runner=job.runner, concurrencies=job.concurrencies, repeats=REPEATS,
        build=verdict.candidate, reasons=("bisection",),
    )  # fmt: skip


def _actions() -> dispatch.GitHubActions:
    gh = gh_api.connect(gh_api.settings_from_env())
    target = load_upstreams().benchmark
    return dispatch.GitHubActions(
        post=lambda inputs: gh_api.dispatch(gh, target.repo, target.workflow, target.ref, inputs),
        titles=lambda: gh_api.run_titles(gh, target.repo, target.workflow),
    )


def _bisection(
    args: argparse.Namespace, verdict: Verdict, repo: str, commits: list[str], step: bool
) -> Bisection | None:
    """The stored bisection of this change; with `step`, started if new and moved one step."""
    engine = store.open_store(args.db)
    key = f"{repo}|{verdict.config.slug}|{commits[0]}..{commits[-1]}"
    b = driver.load(engine, key)
    if not step:
        return b
    if b is None:
        budget = getattr(args, "budget", None) or expected_runs(len(commits), REPEATS) + 2 * REPEATS
        b = start(key, verdict.config.slug, repo, commits, budget, REPEATS)
        driver.save(engine, b)
    sweeps = store.load_sweeps(engine, config_pattern=verdict.config.slug)

    def sweeps_at(commit: str) -> list:
        return [s for s in sweeps if s.build.commit == commit]

    return driver.step(
        engine, _actions(), b, _template(verdict), sweeps_at, load_policy(),
        settle_seconds=args.settle_seconds,
    )  # fmt: skip


def attribution_for(
    args: argparse.Namespace, verdict: Verdict, step: bool = False
) -> tuple[Attribution, Bisection | None]:
    """Rank the PRs between the verdict's builds; use (and with `step`, advance) a bisection."""
    base, head = verdict.baseline.commit, verdict.candidate.commit
    if not base or not head:
        missing = verdict.baseline if not base else verdict.candidate
        raise CliError(f"build {missing.label} has no commit: cannot list the PRs between builds")
    repo = _repo_for(verdict.config.framework, getattr(args, "repo_upstream", None))
    pulls = pulls_between(gh_api.connect(gh_api.settings_from_env()), repo, base, head)
    attribution = attribute(verdict, pulls)
    bisection = None
    if attribution.decided_by == "undecided":
        bisection = _bisection(args, verdict, repo, commits_of(base, pulls, head), step)
        attribution = attribute(verdict, pulls, bisection)
    return attribution, bisection


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


def _print(a: Attribution, b: Bisection | None, top: int) -> None:
    out.print(f"{a.change}: {a.config.slug}: {plain(a.summary, 200)}", markup=False)
    if a.culprit:
        p = a.culprit
        out.print(f"  culprit ({a.decided_by}): #{p.number} {plain(p.title)} {p.url}", markup=False)
    else:
        out.print(f"  no culprit yet ({len(a.candidates)} candidates)", markup=False)
    for c in a.candidates[:top]:
        why = "; ".join(c.reasons[:3])
        out.print(
            f"  {c.score:6.2f}  #{c.pull.number} {plain(c.pull.title, 60)}  ({why})", markup=False
        )
    if b is not None:
        probe = b.commits[b.probe][:12] if b.probe is not None else "-"
        out.print(
            f"  bisection {b.status}: good {b.commits[b.good][:12]}, bad {b.commits[b.bad][:12]}, "
            f"probing {probe}, {b.runs}/{b.budget} runs",
            markup=False,
        )


def cmd_attribute(args: argparse.Namespace) -> int:
    verdicts = verdicts_for(args)
    changes = [v for v in verdicts if v.kind in ATTRIBUTABLE]
    if not changes:
        raise CliError("no change to attribute: every configuration is no-change or inconclusive")
    results = [attribution_for(args, v, step=args.bisect) for v in changes]
    if args.json:
        print_json([attribution_json(a, b) for a, b in results])
    else:
        for a, b in results:
            _print(a, b, args.top)
    return 0


def add_attribute_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    att = sub.add_parser("attribute", parents=[common], help="which upstream PR caused a change")
    att.add_argument("--baseline", required=True, help="build (version, tag, commit) or run:ID")
    att.add_argument("--candidate", required=True, help="build (version, tag, commit) or run:ID")
    att.add_argument("--config", help="configuration pattern (default: every changed one)")
    att.add_argument(
        "--repo",
        dest="repo_upstream",
        help="upstream repository (default: the one feeding the framework)",
    )
    att.add_argument("--bisect", action="store_true", help="dispatch probes when ranking is unsure")
    att.add_argument("--budget", type=int, help="benchmark runs a bisection may spend")
    att.add_argument("--top", type=int, default=5, help="candidates to print")
    att.add_argument("--settle-seconds", type=float, default=5.0, help="see `watch --help`")
    att.set_defaults(func=cmd_attribute)
