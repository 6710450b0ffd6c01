#!/usr/bin/env bash
# Run the example job tests/data/jobs/vllm-cpu-tiny.json for real: vLLM on the CPU serving a tiny
# random-weight Llama, swept by `paretobot run-job` (concurrency 1, 2, 4; 2 repeats).
#
# Usage: scripts/run_vllm_cpu_job.sh OUTDIR      then: paretobot ingest OUTDIR && paretobot frontier
# JOB=FILE runs another job file (its model must be the relative folder "tiny-llama").
# Env: PARETOBOT_VLLM_VENV (made by setup_vllm_cpu.sh if missing), PARETOBOT (the paretobot
#      command; default: this checkout's .venv/bin/paretobot, else paretobot on PATH),
#      KEEP_WORK=1 keeps the work folder (model, caches).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
OUTDIR="$(mkdir -p "$(dirname "$1")" && cd "$(dirname "$1")" && pwd)/$(basename "$1")"
VENV="${PARETOBOT_VLLM_VENV:-$HOME/.cache/paretobot/vllm-venv}"
if [[ -z "${PARETOBOT:-}" ]]; then
  PARETOBOT="$ROOT/.venv/bin/paretobot"
  [[ -x "$PARETOBOT" ]] || PARETOBOT=paretobot
fi

PARETOBOT_VLLM_VENV="$VENV" bash "$HERE/setup_vllm_cpu.sh"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/paretobot-job.XXXXXX")"
cleanup() {
  if [[ "${KEEP_WORK:-0}" == 1 ]]; then echo "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# The job names its model by the relative folder "tiny-llama": run from the folder that holds it.
cd "$WORK"
mkdir -p tmp vllm-cache inductor-cache
"$VENV/bin/python" "$HERE/make_tiny_model.py" tiny-llama >make-model.log 2>&1 \
  || { cat make-model.log >&2; exit 1; }
export TMPDIR="$WORK/tmp" VLLM_CACHE_ROOT="$WORK/vllm-cache" TORCHINDUCTOR_CACHE_DIR="$WORK/inductor-cache"
# `vllm` (server, client and version query) comes from the venv, found through PATH.
JOB="$(cd "$(dirname "${JOB:-$ROOT/tests/data/jobs/vllm-cpu-tiny.json}")" && pwd)/$(basename "${JOB:-vllm-cpu-tiny.json}")"
PATH="$VENV/bin:$PATH" "$PARETOBOT" run-job "$JOB" --out "$OUTDIR"
