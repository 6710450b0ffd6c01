"""Bisection benchmark: simulated windows of 30-100 commits, driven through the real driver, store
(SQLite in a temp dir), runner output layout and ingest.

Each dispatched probe job is answered as a runner would: per repeat, `r<k>/c<conc>.json` (the
vLLM client's result file, from the demo's real one, throughput scaled by the commit's level and
the noise), `paretobot-meta.json` (bot/runner/output.py `metadata`), or `failure.json` for a
failing repeat (the runner then skips the other repeats); then `bot.app.ingest.ingest`.
Dispatches go to a fake `dispatch.GitHubActions` that records the posts.

    .venv/bin/python benchmarks/bisection.py [--seeds N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from bot import dispatch, store
from bot.app.ingest import ingest
from bot.attribution import driver
from bot.attribution.bisect import FOUND, default_budget, start
from bot.attribution.evidence import first_repeats, history_noise
from bot.config import AnalysisPolicy
from bot.ingest import Metadata
from bot.model import Build, ConfigKey, Job
from bot.runner import output
from bot.runner.failure import failure_record
from bot.runner.job import spec_of

DEMO = Path(__file__).resolve().parents[1] / "bot/defaults/demo/results"
CONFIG = ConfigKey("tiny", "bf16", "cpu", "vllm", isl=128, osl=64, gpus=1, tp=1)
TEMPLATE = Job(CONFIG, "tiny-bf16-cpu-vllm", "tiny", "", "cpu", (1, 2, 4, 8), 3,
               Build("vllm", "x"), ())  # fmt: skip
POLICY = AnalysisPolicy()
HISTORY = 5  # nightly builds of the configuration stored before the change
PER_PROBE = 5  # the budget: runs per noise-free probe, plus 10 for the ends (default_budget)
# (name, noise, step, kind): a step is a throughput change; unlock/breakage are failures. Noise is
# the run-to-run coefficient of variation at each concurrency, independent between concurrencies
# unless the name says a share of it is the run's own (a slow host is slow at every load) or that
# some runs are slow outright (the H200 sweeps of ../shared/data/gpu showed one slow repeat in 3).
SETTINGS = [
    ("3% noise, 10% step", 0.03, -0.10, "perf"),
    ("8% noise, 10% step", 0.08, -0.10, "perf"),
    ("15% noise, 10% step", 0.15, -0.10, "perf"),
    ("8% noise, 5% step", 0.08, -0.05, "perf"),
    ("8% noise, 20% step", 0.08, -0.20, "perf"),
    ("8% noise, half per run, 10% step", 0.08, -0.10, "perf-shared"),
    ("8% noise, 1 in 10 runs 0.8x, 10%", 0.08, -0.10, "perf-slow"),
    ("unlock (OOM before), 8% noise", 0.08, 0.0, "unlock"),
    ("breakage (OOM from culprit), 8%", 0.08, 0.0, "breakage"),
]


def client_files() -> dict[int, dict]:
    run = sorted(p for p in DEMO.iterdir() if p.is_dir())[0] / "r0"
    files = {}
    for path in run.glob("c*.json"):
        doc = json.loads(path.read_text())
        files[int(doc["max_concurrency"])] = doc
    return dict(sorted(files.items()))


class Runner:
    """Answers jobs the way `run-job` lays out its results, then ingests them."""

    def __init__(self, engine, root: Path, culprit: int, commits, noise, step, kind, rng):
        self.engine, self.root, self.culprit, self.commits = engine, root, culprit, commits
        self.noise, self.step, self.kind, self.rng = noise, step, kind, rng
        self.files, self.jobs = client_files(), 0

    def fails(self, index: int) -> bool:
        bad = index >= self.culprit
        return (self.kind == "unlock" and not bad) or (self.kind == "breakage" and bad)

    def run_scale(self) -> tuple[float, float]:
        """(the run's own factor, the noise left per point)."""
        if self.kind == "perf-shared":
            half = self.noise / math.sqrt(2)
            return math.exp(self.rng.normal(0, half)), half
        if self.kind == "perf-slow" and self.rng.random() < 0.1:
            return 0.8, self.noise
        return 1.0, self.noise

    def answer(self, spec: dict) -> None:
        self.jobs += 1
        job = spec_of(TEMPLATE).model_copy(update={k: spec[k] for k in ("version", "commit",
                                                                         "repeats")})  # fmt: skip
        index = self.commits.index(spec["commit"]) if spec["commit"] else 0
        folder = self.root / f"job-{self.jobs}"
        run_id = f"sim-{self.jobs}"
        level = math.exp(self.step) if index >= self.culprit and self.kind[:4] == "perf" else 1.0
        for r in range(job.repeats):
            run, noise = self.run_scale()
            meta = output.metadata(job, framework_version=job.version,
                                   framework_commit=job.commit, image_digest=None, run_id=run_id,
                                   repeat=r, started_at="2026-12-01T00:00:00+00:00")  # fmt: skip
            output.write_json(folder / f"r{r}" / output.META, meta)
            if self.fails(index):
                # a real log tail carries times and ids; identical bytes would be taken for a copy
                tail = [f"{run_id} r{r}: torch.OutOfMemoryError: CUDA out of memory"]
                record = failure_record("out-of-memory", "CUDA out of memory", None, tail)
                output.write_json(folder / f"r{r}" / output.FAILURE, record)
                break  # the runner skips the other repeats
            for conc, doc in self.files.items():
                scale = level * run * math.exp(self.rng.normal(0, noise))
                doc = doc | {
                    "output_throughput": doc["output_throughput"] * scale,
                    "total_token_throughput": doc["total_token_throughput"] * scale,
                }
                output.write_json(folder / f"r{r}" / f"c{conc}.json", doc)
        report = ingest(self.engine, [folder], Metadata())
        bad = [f for f in report.files if f.status == "error"]
        assert not bad, bad[0].reason


def one(
    seed: int, noise: float, step: float, kind: str, confidence: float = 0.99
) -> tuple[bool, bool, int, int, str, int]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(30, 101))
    commits = [hashlib.sha1(f"{seed}-{i}".encode()).hexdigest() for i in range(n)]
    culprit = int(rng.integers(1, n))
    with tempfile.TemporaryDirectory() as tmp:
        engine = store.open_store(f"sqlite:///{tmp}/bisect.db")
        runner = Runner(engine, Path(tmp), culprit, commits, noise, step, kind, rng)
        # the configuration's history: nightlies before the window, 3 runs each (no commit
        # recorded), from which the noise model is learned as `attribute` learns it
        for night in range(HISTORY):
            runner.answer({"version": f"nightly-{night}", "commit": "", "repeats": 3})
        prior = history_noise(store.load_sweeps(engine), POLICY)
        for end in (commits[0], commits[-1]):  # the change as first seen: 3 runs of each end
            runner.answer({"version": f"r@{end[:12]}", "commit": end, "repeats": 3})
        posts: list[dict] = []
        actions = dispatch.GitHubActions(post=posts.append, titles=lambda: set())
        log2 = math.ceil(math.log2(n - 1))
        sd = prior[0] if prior else None
        repeats = first_repeats(sd, step, confidence) if kind[:4] == "perf" else 1
        budget = default_budget(n, PER_PROBE)
        b = start("k", CONFIG.slug, "r", commits, budget, repeats, confidence=confidence)
        driver.save(engine, b)
        answered = 0
        for _ in range(400):
            b = driver.load(engine, "k")
            if b.status != "running":
                break
            sweeps = store.load_sweeps(engine)
            b = driver.step(engine, actions, b, TEMPLATE,
                            lambda c, s=sweeps: driver.at_commit(s, c), POLICY,
                            settle_seconds=0, prior=prior)  # fmt: skip
            for d in posts[answered:]:
                for spec in json.loads(d["jobs"]):
                    runner.answer(spec)
            answered = len(posts)
        engine.dispose()
    if "-v" in sys.argv:
        print(*b.log, sep="\n")
    named = b.status == FOUND and b.culprit == commits[culprit]
    wrong = b.status == FOUND and b.culprit != commits[culprit]
    return named, wrong, b.runs, log2, b.status, b.bad - b.good


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="windows per setting (default 10)")
    parser.add_argument("--confidence", type=float, default=0.99, help="per probe (default 0.99)")
    parser.add_argument("-v", action="store_true", help="print each bisection's log")
    parser.add_argument("--only", default="", help="settings whose name contains this")
    args = parser.parse_args(argv)
    print(f"{'setting':34} {'seeds':>5} {'named':>7} {'wrong':>6} {'med runs':>8} "
          f"{'ceil(log2 N)':>12} {'3*log2+6':>8}  otherwise (range left)")  # fmt: skip
    for setting, (name, noise, step, kind) in enumerate(SETTINGS):
        if args.only not in name:
            continue
        results = [
            one(1000 * setting + s, noise, step, kind, args.confidence) for s in range(args.seeds)
        ]
        named = sum(r[0] for r in results) / len(results)
        wrong = sum(r[1] for r in results) / len(results)
        runs = statistics.median(r[2] for r in results)
        log2 = statistics.median(r[3] for r in results)
        rest = Counter(r[4] for r in results if r[4] != FOUND)
        left = [r[5] for r in results if r[4] != FOUND]
        other = ", ".join(f"{k} {v}" for k, v in rest.items())
        other += f" ({statistics.median(left):.0f} commits)" if left else ""
        print(f"{name:34} {len(results):5d} {named:7.0%} {wrong:6.0%} {runs:8.1f} "
              f"{log2:12.1f} {3 * log2 + 6:8.1f}  {other}", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
