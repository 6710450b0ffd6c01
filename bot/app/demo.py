"""The whole loop on one machine, from what ships in the package (bot/defaults/demo/), no network:
a real release payload of ROCm/aiter -> plan -> dispatch (dry run) -> the job's results -> ingest
into a store that persists -> compare -> attribution over the real upstream history between the
two releases -> the comment, changelog entry and digest page, written to a folder.

The results are real `paretobot run-job` output (vLLM 0.32.0 on a 2-core CPU, a tiny random
model, baseline and candidate interleaved ABBA, 3 runs each), standing in for the planned job:
no AITER build runs on a CPU. bot/defaults/demo/README.md says exactly what each input is."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from bot import store
from bot.analysis.suspect import SuspectPoint
from bot.analysis.verdict import Verdict
from bot.app import judge
from bot.app.digest import gather_digest, publish_digest
from bot.app.ingest import IngestReport, ingest
from bot.app.publish import Published, Target, publish_changes
from bot.attribution.attribute import attribute
from bot.config import load_policy, load_prices
from bot.config.matrix import load_matrix
from bot.config.upstreams import load_rules, load_upstreams
from bot.defaults import DEFAULTS
from bot.errors import ParetobotError
from bot.github.events import read_event_file
from bot.ingest import Metadata
from bot.model import CHANGE_KINDS, Attribution, Frontier, PullRequest, as_utc
from bot.publish import Outcome
from bot.report.comment import change_key
from bot.report.digest import Digest
from bot.watch import Context, Handled, handle

DEMO = DEFAULTS / "demo"
BENCHMARKS, ISSUE = "example/benchmarks", 1  # where the comment would go (written, not posted)


@dataclass(frozen=True)
class Demo:
    handled: Handled  # the event, its plan and the dispatches it would send
    baseline: str  # the builds the dispatch names (what analyze compares)
    candidate: str
    ingested: IngestReport
    frontiers: list[tuple[Frontier, list[SuspectPoint]]]
    verdicts: list[Verdict]
    attributions: dict[str, Attribution]
    published: Published
    digest: Digest
    digest_outcomes: list[Outcome]
    files: dict[str, Path]  # what was written, by name


def _pulls(repo: str) -> list[PullRequest]:
    """The upstream's merged PRs between the two releases, from the bundled real history."""
    pulls = []
    for line in (DEMO / "upstream" / "aiter-commits.jsonl").read_text().splitlines():
        c = json.loads(line)
        if not c.get("pr"):
            continue
        pulls.append(
            PullRequest(
                repo=repo, number=c["pr"], title=c["title"],
                url=f"https://github.com/{repo}/pull/{c['pr']}", merge_commit=c["sha"],
                merged_at=as_utc(datetime.fromisoformat(c["date"])), files=tuple(c["files"]),
                author=c.get("author", ""), additions=c.get("additions", 0),
                deletions=c.get("deletions", 0),
            )
        )  # fmt: skip
    return pulls


def run_demo(engine: Engine, out: Path) -> Demo:
    """Every stage once; rerunning against the same store and folder changes nothing stored."""
    configs = DEMO / "configs"
    event = read_event_file(DEMO / "release.json", "release")
    if event is None:
        raise ParetobotError(f"{DEMO / 'release.json'}: not a release payload")
    upstreams = load_upstreams(configs / "upstreams.yaml")
    upstream = upstreams.upstream(event.upstream)
    ctx = Context(
        engine=engine, gh=None, config=upstreams, rules=load_rules(configs / "rules.yaml"),
        matrix=load_matrix(configs), dry_run=out / "plan", settle_seconds=0,
    )  # fmt: skip
    handled = handle(ctx, event, upstream)
    job = handled.plan.jobs[0] if handled.plan and handled.plan.jobs else None
    if job is None or job.baseline is None:  # only a broken package gets here
        raise ParetobotError(f"{configs}: the demo release plans no job with a baseline")
    baseline, candidate = job.baseline.selector, job.build.selector

    results = out / "results"
    if results.exists():
        shutil.rmtree(results)
    shutil.copytree(DEMO / "results", results)
    ingested = ingest(engine, [results], Metadata())

    frontiers = judge.frontiers(engine, job.config.slug, candidate)
    verdicts = judge.verdicts(engine, baseline, candidate, job.config.slug)
    pulls = _pulls(event.upstream)
    attributions = {
        change_key(v.config, v.baseline, v.candidate): attribute(v, pulls)
        for v in verdicts
        if v.kind in CHANGE_KINDS
    }
    posts = out / "posts"
    changelog = posts / "perf-changelog.yaml"  # a dry run keeps the changelog beside the posts
    published = publish_changes(
        engine, verdicts, Target(BENCHMARKS, ISSUE, posts), changelog=changelog,
        attributions=attributions,
    )  # fmt: skip

    sweeps = store.load_sweeps(engine, config=job.config)
    until = max((s.started_at for s in sweeps if s.started_at), default=None)
    until = (until or datetime.now().astimezone()) + timedelta(minutes=1)
    digest = gather_digest(
        sweeps, since=until - timedelta(days=7), until=until, policy=load_policy(),
        prices=load_prices(), attributions=attributions, runs=judge.runs_by_id(engine),
    )  # fmt: skip
    html = out / "digest.html"
    digest_outcomes, _ = publish_digest(digest, Target(BENCHMARKS, ISSUE, posts), html=html)
    comment = next((Path(o.url) for o in published.outcomes if o.what == "change" and o.url), None)
    files = {
        "plan": out / "plan",
        "results": results,
        "comment": comment or posts,
        "changelog": changelog,
        "changelog (markdown)": posts / "CHANGELOG-perf.md",
        "digest page": html,
        "digest (markdown)": posts / "digest.md",
    }
    return Demo(
        handled, baseline, candidate, ingested, frontiers, verdicts, attributions, published,
        digest, digest_outcomes, files,
    )  # fmt: skip
