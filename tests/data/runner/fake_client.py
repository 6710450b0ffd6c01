"""A stand-in benchmark client for the runner's process tests: calls the fake server once and
writes a vLLM-shaped result file (the real c1.json from tests/data/real with its counts changed).

FAKE_HANG_AT=C hangs at concurrency C; FAKE_FAIL_AT=C fails 20% of the requests at C;
FAKE_CLIENT_SLEEP=S takes S seconds; FAKE_CLIENT_PIDS (file: append this pid).
FAKE_REAL_CURVE=1 writes the real file of this concurrency (c1, c2, c4, c8: a real frontier),
with throughput and latencies jittered by FAKE_JITTER (relative sd, e.g. 0.01) so that repeated
runs differ as real ones do (FAKE_SEED makes that jitter the same on every try);
FAKE_SLOW_BUILD=B with FAKE_SLOWDOWN=F gives build B (the recipe
passes the job's version as --build) F times the throughput at the same latencies: a seeded change
of exactly F in matched throughput, measured through the runner; fake_build.SPEED (what a commit
of the installed package sets) multiplies it too. FAKE_DATA: the folder of the real vLLM files
(default: tests/data/real/vllm beside this file, for the uninstalled copy).
"""

import argparse
import json
import os
import random
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import fake_build

p = argparse.ArgumentParser()
for name in ("--port", "--concurrency", "--num-prompts"):
    p.add_argument(name, type=int, required=True)
p.add_argument("--result-dir", required=True)
p.add_argument("--result-file", required=True)
p.add_argument("--build", default="")
args = p.parse_args()
env = os.environ.get
if env("FAKE_CLIENT_PIDS"):
    with open(env("FAKE_CLIENT_PIDS"), "a") as f:
        f.write(f"{os.getpid()}\n")
if env("FAKE_HANG_AT") == str(args.concurrency):
    time.sleep(3600)
time.sleep(float(env("FAKE_CLIENT_SLEEP", "0")))
try:
    url = f"http://127.0.0.1:{args.port}/generate?c={args.concurrency}"
    urllib.request.urlopen(url, timeout=10).read()
    failed = args.num_prompts // 5 if env("FAKE_FAIL_AT") == str(args.concurrency) else 0
except OSError as exc:
    print(f"request failed: {exc}")
    failed = args.num_prompts
folder = Path(env("FAKE_DATA") or Path(__file__).resolve().parents[1] / "real" / "vllm")
real = folder / f"c{args.concurrency}.json"
doc = json.loads(
    (real if env("FAKE_REAL_CURVE") and real.exists() else folder / "c1.json").read_text()
)
if env("FAKE_REAL_CURVE"):
    # throughput only: at the same latency (interactivity) the build does `speed` times the work
    speed = float(env("FAKE_SLOWDOWN", "1")) if args.build == env("FAKE_SLOW_BUILD") else 1.0
    speed *= fake_build.SPEED
    jitter = float(env("FAKE_JITTER", "0"))
    if env("FAKE_SEED"):  # the same jitter for the same point of the same run, every time
        where = "/".join(Path(args.result_dir).resolve().parts[-3:])
        random.seed(f"{env('FAKE_SEED')}|{where}|{args.concurrency}")
    speed *= max(0.5, random.gauss(1.0, jitter))
    lag = max(0.5, random.gauss(1.0, jitter))
    for key, value in list(doc.items()):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if key.endswith("throughput"):
                doc[key] = value * speed
            elif key.endswith("_ms"):
                doc[key] = value * lag
doc.update(
    date=datetime.now().strftime("%Y%m%d-%H%M%S.%f"),  # each file its own bytes, as real ones
    max_concurrency=args.concurrency,
    num_prompts=args.num_prompts,
    completed=args.num_prompts - failed,
    failed=failed,
)
out = Path(args.result_dir) / args.result_file
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text(json.dumps(doc))
print(f"wrote {out}")
