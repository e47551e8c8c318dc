#!/usr/bin/env python3
"""A SentencePiece-style ("llama" model) GGUF tokenizer and its reference ids:

- tests/data/gguf/tokenizers/spm.gguf: the 800-token Llama 2 style vocabulary
  of tests/data/tokenizers/metaspace/ as GGUF metadata the way llama.cpp
  stores it: tokens, scores (a merged token scores by its merge's rank),
  token types (unknown, control, byte, normal), BOS/EOS/UNK ids,
  add_bos_token. No tensors.
- tests/data/gguf/tokenizers/spm_tokens.json: what transformers' GGUF
  tokenizer (AutoTokenizer.from_pretrained(..., gguf_file=...)) gives for
  every string of tests/data/tokenizers/corpus.json, without and with special
  tokens, plus BOS/EOS ids.

    python3 -m pip install gguf transformers tokenizers
    python3 tests/reference/make_gguf_tokenizers.py
"""

import json
import os

from gguf import GGUFWriter, TokenType
from transformers import AutoTokenizer

DATA = os.path.join(os.path.dirname(__file__), "..", "data")
OUT = os.path.join(DATA, "gguf", "tokenizers")


def main():
    source = json.load(open(os.path.join(DATA, "tokenizers", "metaspace", "tokenizer.json"), encoding="utf-8"))
    vocab = source["model"]["vocab"]
    tokens = sorted(vocab, key=vocab.get)
    rank_of_result = {}
    for rank, merge in enumerate(source["model"]["merges"]):
        left, right = merge if isinstance(merge, list) else merge.split(" ")
        rank_of_result.setdefault(left + right, rank)
    special = {t["content"] for t in source["added_tokens"]}
    scores, types = [], []
    for token in tokens:
        scores.append(-float(rank_of_result.get(token, len(rank_of_result) + vocab[token])))
        if token == "<unk>":
            types.append(TokenType.UNKNOWN)
        elif token in special:
            types.append(TokenType.CONTROL)
        elif len(token) == 6 and token.startswith("<0x") and token.endswith(">"):
            types.append(TokenType.BYTE)
        else:
            types.append(TokenType.NORMAL)

    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "spm.gguf")
    writer = GGUFWriter(path, arch="llama")
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(vocab["<s>"])
    writer.add_eos_token_id(vocab["</s>"])
    writer.add_unk_token_id(vocab["<unk>"])
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    tokenizer = AutoTokenizer.from_pretrained(OUT, gguf_file="spm.gguf")
    strings = json.load(open(os.path.join(DATA, "tokenizers", "corpus.json"), encoding="utf-8"))
    reference = {
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "strings": strings,
        "ids": [tokenizer.encode(s, add_special_tokens=False) for s in strings],
        "ids_with_special_tokens": [tokenizer.encode(s, add_special_tokens=True) for s in strings],
    }
    with open(os.path.join(OUT, "spm_tokens.json"), "w", encoding="utf-8") as f:
        json.dump(reference, f, ensure_ascii=False)
    for file in ("spm.gguf", "spm_tokens.json"):
        print(file, os.path.getsize(os.path.join(OUT, file)), "bytes")


if __name__ == "__main__":
    main()
