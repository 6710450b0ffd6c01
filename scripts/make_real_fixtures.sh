#!/usr/bin/env bash
# Produce real benchmark result files: serve a tiny random-weight Llama with vLLM on the CPU and
# run a concurrency sweep against it with both real clients.
#
# Usage: scripts/make_real_fixtures.sh OUTDIR
#   OUTDIR/vllm/cC.json            `vllm bench serve --save-result`, one file per concurrency C
#   OUTDIR/sglang/tiny_sweep.jsonl `python -m sglang.bench_serving --output-file`, one line per C
# Env: PARETOBOT_VLLM_VENV (venv, made by setup_vllm_cpu.sh if missing), CONCURRENCIES ("1 2 4 8"),
#      NUM_PROMPTS (32), HEALTH_TIMEOUT (seconds, 300), KEEP_WORK=1 keeps the work folder.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUTDIR="$(mkdir -p "$1" && cd "$1" && pwd)"
VENV="${PARETOBOT_VLLM_VENV:-$HOME/.cache/paretobot/vllm-venv}"
CONCURRENCIES="${CONCURRENCIES:-1 2 4 8}"
NUM_PROMPTS="${NUM_PROMPTS:-32}"
INPUT_LEN=128
OUTPUT_LEN=64
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-300}"
MODEL_NAME=tiny-llama   # folder name of the model inside the work folder; what outputs may show

PARETOBOT_VLLM_VENV="$VENV" bash "$HERE/setup_vllm_cpu.sh"
PY="$VENV/bin/python"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/paretobot-fixtures.XXXXXX")"
SERVER_PID=""

stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    local t0=$SECONDS
    # The server runs in its own process group (setsid): signal the group, so the engine
    # core process it spawned goes too.
    kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "server did not stop within 10 s of SIGTERM: SIGKILL" >&2
      kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
    else
      echo "server stopped $((SECONDS - t0)) s after SIGTERM"
    fi
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}

cleanup() {
  local rc=$?
  stop_server
  if [[ "${KEEP_WORK:-0}" == 1 ]]; then
    echo "work folder kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Everything runs from the work folder and names the model by its relative folder, so the tools
# write "tiny-llama" rather than a temporary absolute path into their results.
cd "$WORK"
mkdir -p tmp vllm-cache inductor-cache "$OUTDIR/vllm" "$OUTDIR/sglang"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1
export VLLM_NO_USAGE_STATS=1 VLLM_CPU_KVCACHE_SPACE=1
export TMPDIR="$WORK/tmp" VLLM_CACHE_ROOT="$WORK/vllm-cache" TORCHINDUCTOR_CACHE_DIR="$WORK/inductor-cache"
export HF_HOME="$WORK/hf-home"

"$PY" "$HERE/make_tiny_model.py" "$MODEL_NAME"

# SGLang's "random" dataset takes its prompt text from a ShareGPT-format file and downloads
# ShareGPT when none is given; give it a local synthetic one (prompts are then cut or repeated
# to exactly --random-input-len tokens, as with the real file).
"$PY" - sharegpt.json <<'EOF'
import json, random, sys
rng = random.Random(0)
words = ("the model server token request latency throughput batch prompt output cache memory "
         "kernel attention layer decode prefill benchmark regression commit release build nightly "
         "sweep frontier concurrency percentile median stream first second time people world").split()
def text(n):
    return " ".join(rng.choice(words) for _ in range(n)).capitalize() + "."
convs = [{"id": str(i), "conversations": [{"from": "human", "value": text(rng.randint(20, 200))},
                                         {"from": "gpt", "value": text(rng.randint(20, 200))}]}
         for i in range(200)]
json.dump(convs, open(sys.argv[1], "w"))
EOF

PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE_URL="http://127.0.0.1:$PORT"

echo "starting vllm serve on $BASE_URL (log: $WORK/server.log)"
t0=$(date +%s.%N)
setsid "$VENV/bin/vllm" serve "$MODEL_NAME" --host 127.0.0.1 --port "$PORT" \
  --served-model-name tiny --max-model-len 1024 --dtype bfloat16 --enforce-eager \
  >server.log 2>&1 </dev/null &
SERVER_PID=$!

deadline=$((SECONDS + HEALTH_TIMEOUT))
until curl -sf -o /dev/null "$BASE_URL/health"; do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "vllm serve exited before it was healthy; last lines of its log:" >&2
    tail -n 40 server.log >&2
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    echo "vllm serve not healthy after ${HEALTH_TIMEOUT} s; last lines of its log:" >&2
    tail -n 40 server.log >&2
    exit 1
  fi
  sleep 0.5
done
printf 'server healthy after %.1f s\n' "$(echo "$(date +%s.%N) - $t0" | bc)"

timed() {  # timed LABEL CMD...: run CMD, log to LABEL.log, print its wall time
  local label=$1 t
  shift
  t=$(date +%s.%N)
  if ! "$@" >"$label.log" 2>&1; then
    echo "$label failed; last lines of its log:" >&2
    tail -n 40 "$label.log" >&2
    return 1
  fi
  printf '%-12s %6.1f s\n' "$label" "$(echo "$(date +%s.%N) - $t" | bc)"
}

for c in $CONCURRENCIES; do
  timed "vllm-c$c" "$VENV/bin/vllm" bench serve --backend vllm --base-url "$BASE_URL" \
    --model tiny --tokenizer "$MODEL_NAME" --dataset-name random \
    --random-input-len "$INPUT_LEN" --random-output-len "$OUTPUT_LEN" \
    --num-prompts "$NUM_PROMPTS" --max-concurrency "$c" --ignore-eos \
    --save-result --result-dir "$OUTDIR/vllm" --result-filename "c$c.json"
done

SGL_OUT="$OUTDIR/sglang/tiny_sweep.jsonl"
rm -f "$SGL_OUT"   # the client appends
for c in $CONCURRENCIES; do
  # (ignores EOS by default, like --ignore-eos above)
  timed "sglang-c$c" "$PY" -m sglang.bench_serving --backend vllm --base-url "$BASE_URL" \
    --model tiny --tokenizer "$MODEL_NAME" --dataset-name random --dataset-path sharegpt.json \
    --random-input-len "$INPUT_LEN" --random-output-len "$OUTPUT_LEN" --random-range-ratio 1.0 \
    --num-prompts "$NUM_PROMPTS" --max-concurrency "$c" --disable-tqdm --output-file "$SGL_OUT"
done

stop_server

# The tools may still have written a local absolute path (the tokenizer's, the work folder's):
# name the model folder instead, and change nothing else.
for f in "$OUTDIR"/vllm/*.json "$SGL_OUT"; do
  if grep -qE "$WORK|/tmp/|/root/" "$f"; then
    sed -i "s#$WORK/$MODEL_NAME#$MODEL_NAME#g; s#$WORK#.#g" "$f"
    if grep -qE '/tmp/|/root/' "$f"; then
      echo "warning: $f still holds a local path" >&2
    fi
  fi
done
ls -l "$OUTDIR"/vllm "$OUTDIR"/sglang
