#!/usr/bin/env bash
# One device call on the H200 machine (no network there): install the carried wheels, then run
# `paretobot run-job` for real with the transformers recipe on a random-weight 1.1B Llama built
# at run time: two server settings (eager against SDPA attention) interleaved, one repeat per
# call of run-job so each repeat is its own run; a deliberate out-of-memory configuration; the
# results come back as one archive under $OUT. tests/data/h200/README.md says how it was called.
#
# Usage (in the repository root, on the device):
#   bash scripts/h200_sweep.sh [TAGS] [OOM] [BUDGET_S]
# TAGS: the repeats to run, each as a pair of runs (eager, then SDPA), e.g. "r0 r1 r2";
# OOM: "oom" to run the out-of-memory job after them; BUDGET_S: start no new run after it.
set -uo pipefail
tags="${1:-r0 r1 r2}"
oom="${2:-oom}"
budget="${3:-520}"   # one command may run 600 s
start=$(date +%s)
out="${OUT:-/tmp/paretobot-h200-out}"
res=/tmp/paretobot-h200/results
mkdir -p "$out" "$res"

python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
  --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH="/tmp/site:$PWD"
export HF_HUB_OFFLINE=1 HF_HUB_DISABLE_UPDATE_CHECK=1 PYTHONUNBUFFERED=1

{ nvidia-smi; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv;
  python3 -c "import torch, transformers; print(torch.__version__, transformers.__version__)"; } \
  >"$res/machine.txt" 2>&1

run() {  # run NAME TAG: one run-job of benchmarks/h200/job-NAME.json into $res/NAME-TAG
  local elapsed=$(( $(date +%s) - start ))
  if (( elapsed > budget )); then echo "skip $1-$2: $elapsed s used"; return; fi
  echo "== $1-$2 at ${elapsed}s"
  python3 -m bot.cli run-job "benchmarks/h200/job-$1.json" --out "$res/$1-$2" 2>&1 \
    | tee "$res/$1-$2.log" | tail -4
}

for tag in $tags; do run eager "$tag"; run sdpa "$tag"; done
[[ "$oom" == oom ]] && run oom r0
echo "total $(( $(date +%s) - start )) s"
tar -czf "$out/h200-results.tar.gz" -C "$(dirname "$res")" "$(basename "$res")"
ls -la "$out"
