"""Builds a Llama-shaped model with random weights and a word-level tokenizer into a folder, for a
runner that can download nothing (a job's `random_model`, recipes' `random_model` command).

Run by path with the serving environment's Python (`python3 .../random_model.py --out DIR --spec
JSON`): it imports only torch, tokenizers and transformers, never paretobot, so it works in an
environment that has the server but not paretobot.

What makes it fit for benchmarking:
- No end-of-sequence token anywhere (model config, generation config, tokenizer): every request
  generates exactly the tokens it asks for, whatever the weights say (ignore-EOS by construction).
- Token i is the word `t<i>` and words are split on whitespace: a client's random token ids,
  decoded to text and tokenised again by the server, are the same ids, so input lengths are
  exact too (a BPE tokenizer grows them by 5-10%).
- The same spec gives the same weights (seeded) and a folder that already holds it is reused.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

SPEC_FILE = "paretobot-random-model.json"
DEFAULTS = {
    "hidden_size": 2048,
    "intermediate_size": 5632,
    "num_hidden_layers": 16,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 32000,
    "max_position_embeddings": 4096,
    "dtype": "bfloat16",
    "seed": 0,
}


def build(out: Path, spec: dict) -> dict:
    """Write the model and tokenizer to `out`; returns what was built (with its parameter count)."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    settings = {**DEFAULTS, **spec}
    unknown = sorted(set(settings) - set(DEFAULTS))
    if unknown:
        raise SystemExit(f"random_model: unknown settings {unknown}; known: {sorted(DEFAULTS)}")
    marker = out / SPEC_FILE
    if marker.is_file() and json.loads(marker.read_text()).get("spec") == settings:
        return json.loads(marker.read_text())
    started = time.monotonic()
    torch.manual_seed(int(settings["seed"]))
    dtype = getattr(torch, settings["dtype"])
    config = LlamaConfig(
        **{k: int(settings[k]) for k in DEFAULTS if k not in ("dtype", "seed")},
        bos_token_id=None,
        eos_token_id=None,
        pad_token_id=None,
        tie_word_embeddings=False,
    )
    device = "cuda" if torch.cuda.is_available() else "cpu"  # random init is far faster there
    with torch.device(device):
        model = LlamaForCausalLM(config).to(dtype)
    model.generation_config.eos_token_id = None
    model.generation_config.bos_token_id = None
    model.generation_config.pad_token_id = None
    model.generation_config.do_sample = False
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    vocab = {f"t{i}": i for i in range(int(settings["vocab_size"]))}
    words = Tokenizer(models.WordLevel(vocab=vocab, unk_token="t0"))
    words.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    PreTrainedTokenizerFast(tokenizer_object=words, model_max_length=config.max_position_embeddings,
                            clean_up_tokenization_spaces=False).save_pretrained(out)  # fmt: skip
    built = {
        "spec": settings,
        "parameters": sum(p.numel() for p in model.parameters()),
        "seconds": round(time.monotonic() - started, 1),
    }
    marker.write_text(json.dumps(built, indent=2) + "\n")
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="the folder to build the model in")
    parser.add_argument("--spec", default="{}", help="JSON: settings that differ from DEFAULTS")
    args = parser.parse_args(argv)
    built = build(Path(args.out), json.loads(args.spec))
    print(json.dumps(built))
    return 0


if __name__ == "__main__":
    sys.exit(main())
