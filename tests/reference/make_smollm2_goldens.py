#!/usr/bin/env python3
"""Goldens for the real GGUF model, SmolLM2-135M-Instruct Q4_1 (fetched by
.ci/setup.sh into ${XDG_CACHE_HOME:-~/.cache}/glassbox/), as Hugging Face
`transformers` computes them from the same file (dequantized, float32):

- tests/data/gguf/smollm2/goldens.safetensors: for each of 3 prompts
  ("p0".."p2"), the input ids, the last position's logits and a few hook
  points (TransformerLens names, recorded as make_model_goldens.py does);
- tests/data/gguf/smollm2/tokens.json: HF's token ids for every string of
  tests/data/tokenizers/corpus.json, plus BOS/EOS ids.

transformers builds a GGUF tokenizer without the "smollm" pre-tokenizer the
file names (tokenizer.ggml.pre; llama.cpp: digits split one by one, then
GPT-2's regex), which is SmolLM2's own tokenizer.json pre-tokenizer:
Digits(individual_digits) then ByteLevel. "ids" use that pre-tokenizer;
"ids_transformers_gguf" are what transformers' GGUF tokenizer gives as is
(they differ only where Unicode numerals such as "½" meet a space).

    python3 -m pip install gguf numpy torch transformers safetensors
    python3 tests/reference/make_smollm2_goldens.py [--model PATH]
"""

import argparse
import json
import os
import sys

import torch
from safetensors.torch import save_file
from tokenizers import pre_tokenizers
from transformers import AutoModelForCausalLM, AutoTokenizer

sys.path.insert(0, os.path.dirname(__file__))
import make_model_goldens as reference  # noqa: E402

DATA = os.path.join(os.path.dirname(__file__), "..", "data")
OUT = os.path.join(DATA, "gguf", "smollm2")
DEFAULT_MODEL = os.path.join(
    os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "glassbox", "SmolLM2-135M-Instruct.Q4_1.gguf"
)
PROMPTS = [
    "When Mary and John went to the store, John gave a drink to",
    "The capital of France is",
    "def fibonacci(n):\n    return",
]
HOOKS = [
    "hook_embed",
    "blocks.0.attn.hook_q",
    "blocks.0.attn.hook_k",
    "blocks.0.attn.hook_rot_q",
    "blocks.0.attn.hook_pattern",
    "blocks.0.hook_resid_post",
    "blocks.15.mlp.hook_post",
    "blocks.29.hook_resid_post",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()
    folder, name = os.path.split(os.path.abspath(args.model))
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(
        folder, gguf_file=name, dtype=torch.float32, attn_implementation="eager"
    ).eval()

    tensors = {}
    for index, prompt in enumerate(PROMPTS):
        ids = torch.tensor(tokenizer.encode(prompt, add_special_tokens=False), dtype=torch.int64)
        reference.T = len(ids)  # the sequence length its hooks reshape to
        cache, _ = reference.run_with_hooks(model, "llama", ids)
        p = f"p{index}."
        tensors[p + "input_ids"] = ids
        tensors[p + "logits_last"] = cache["logits"][-1].contiguous()
        for hook in HOOKS:
            tensors[p + hook] = cache[hook].contiguous()
        top = tokenizer.decode([int(cache["logits"][-1].argmax())])
        print(f"{prompt!r} -> {top!r}")

    os.makedirs(OUT, exist_ok=True)
    save_file(tensors, os.path.join(OUT, "goldens.safetensors"), metadata={"prompts": json.dumps(PROMPTS)})

    corpus = json.load(open(os.path.join(DATA, "tokenizers", "corpus.json")))
    strings = corpus if isinstance(corpus, list) else corpus["strings"]
    as_transformers_builds_it = [tokenizer.encode(s, add_special_tokens=False) for s in strings]
    tokenizer.backend_tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False)]
    )
    tokens = {
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "strings": strings,
        "ids": [tokenizer.encode(s, add_special_tokens=False) for s in strings],
        "ids_transformers_gguf": as_transformers_builds_it,
    }
    differ = sum(a != b for a, b in zip(tokens["ids"], as_transformers_builds_it))
    print(f"smollm pre-tokenizer vs transformers' GGUF tokenizer: {differ} of {len(strings)} strings differ")
    with open(os.path.join(OUT, "tokens.json"), "w", encoding="utf-8") as f:
        json.dump(tokens, f, ensure_ascii=False)
    for file in ("goldens.safetensors", "tokens.json"):
        print(file, os.path.getsize(os.path.join(OUT, file)), "bytes")


if __name__ == "__main__":
    main()
