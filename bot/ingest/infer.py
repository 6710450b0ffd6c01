"""Facts a file leaves out that its other facts imply: precision from a model id's suffix."""

from __future__ import annotations

import re

# A quantization suffix at the end of a model id, optionally followed by -Preview or -v2:
# 'Qwen/Qwen3.5-397B-A17B-FP8', 'amd/DeepSeek-R1-0528-MXFP4-Preview', 'nvidia/...-NVFP4-v2'.
_SUFFIX = re.compile(
    r"[-_](MXFP4|NVFP4|FP4|MXFP8|FP8|INT4|INT8|W4A16|W8A8|W4A8|BF16|FP16)"
    r"((?:[-_](?:preview|v\d+))*)$",
    re.IGNORECASE,
)
# InferenceX's precision keys: micro-scaled formats are spelled by their element type.
_PRECISION = {"mxfp4": "fp4", "nvfp4": "fp4", "mxfp8": "fp8", "w4a16": "int4", "w8a8": "int8"}


def precision_from_model(model_id: str | None) -> str | None:
    """The precision a model id names by its suffix, or None."""
    if not model_id:
        return None
    found = _SUFFIX.search(model_id.rstrip("/").rsplit("/", 1)[-1])
    if not found:
        return None
    name = found[1].lower()
    return _PRECISION.get(name, name)
