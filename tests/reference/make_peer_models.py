#!/usr/bin/env python3
"""The two models of the peer benchmark (tests/bench/peers.sh), as Hugging Face
folders (config.json, model.safetensors, tokenizer) that every side loads, so
that all of them compute with the same float32 weights:

- smollm2-135m: SmolLM2-135M-Instruct Q4_1, dequantized by transformers' GGUF
  loader and saved unquantized (Llama family, 30 layers);
- gpt2-small: a GPT-2-small-shaped model (12 layers, 12 heads, d_model 768,
  vocabulary 50257) with random weights (seed 0) and 2,048 positions, so that
  T = 2,048 fits; SmolLM2's tokenizer stands in for GPT-2's.

    make_peer_models.py --gguf SmolLM2-135M-Instruct.Q4_1.gguf --out DIR

Folders that already exist are kept.
"""

import argparse
import os

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, GPT2Config, GPT2LMHeadModel


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gguf", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    folder, name = os.path.split(os.path.abspath(args.gguf))
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)

    smollm2 = os.path.join(args.out, "smollm2-135m")
    if not os.path.exists(os.path.join(smollm2, "config.json")):
        quantized = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
        # transformers will not save a model it loaded from GGUF; a copy built from the config will.
        config = quantized.config
        config.quantization_config = None
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        model.load_state_dict(quantized.state_dict())
        model.save_pretrained(smollm2)
        tokenizer.save_pretrained(smollm2)

    gpt2 = os.path.join(args.out, "gpt2-small")
    if not os.path.exists(os.path.join(gpt2, "config.json")):
        torch.manual_seed(0)
        config = GPT2Config(n_positions=2048, vocab_size=50257, n_embd=768, n_layer=12, n_head=12)
        GPT2LMHeadModel(config).eval().save_pretrained(gpt2)
        tokenizer.save_pretrained(gpt2)


if __name__ == "__main__":
    main()
