"""A stand-in benchmark client for the runner's process tests: calls the fake server once and
writes a vLLM-shaped result file (the real c1.json from tests/data/real with its counts changed).

FAKE_HANG_AT=C hangs at concurrency C; FAKE_FAIL_AT=C fails 20% of the requests at C;
FAKE_CLIENT_SLEEP=S takes S seconds; FAKE_CLIENT_PIDS (file: append this pid).
"""

import argparse
import json
import os
import time
import urllib.request
from datetime import datetime
from pathlib import Path

p = argparse.ArgumentParser()
for name in ("--port", "--concurrency", "--num-prompts"):
    p.add_argument(name, type=int, required=True)
p.add_argument("--result-dir", required=True)
p.add_argument("--result-file", required=True)
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
real = Path(__file__).resolve().parents[1] / "real" / "vllm" / "c1.json"
doc = json.loads(real.read_text())
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
