#!/usr/bin/env python3
"""Write GGUF copies of committed Hugging Face test models (tests/data/models/)
under tests/data/gguf/models/<name>.gguf, laid out as llama.cpp's
convert_hf_to_gguf.py lays them out:

- llama (Llama, Mistral): architecture "llama", q_proj/k_proj rows permuted
  for llama.cpp's interleaved rotary (the permutation Glassbox undoes);
- qwen2: architecture "qwen2", no permutation, q/k/v biases;
- gpt2: Conv1D weights transposed to [out, in] (no output.weight: tied);
- gpt_neox: architecture "gptneox", fused QKV reordered from
  (head, q|k|v, d_head) to (q|k|v, head, d_head).

Weights keep their dtype (F32, F16, BF16), so the GGUF model must reproduce
the HF goldens (tests/data/goldens/) within the same bound as the folder.

    python3 -m pip install gguf numpy torch safetensors
    python3 tests/reference/make_gguf_models.py
"""

import json
import os

import numpy as np
import torch
from gguf import GGMLQuantizationType, GGUFWriter
from safetensors.torch import load_file

ROOT = os.path.join(os.path.dirname(__file__), "..", "data")
MODELS = ["gpt2_a", "neox_f16", "llama_gqa", "llama_gqa_bf16", "qwen2"]


def as_numpy(t):
    """The tensor as numpy plus its GGML raw type (BF16 travels as raw bytes)."""
    if t.dtype == torch.bfloat16:
        raw = t.contiguous().view(torch.int16).numpy().view(np.uint8)
        return raw.reshape(*t.shape[:-1], t.shape[-1] * 2), GGMLQuantizationType.BF16
    return t.numpy(), None


def permute_for_llama_cpp(w, n_head):
    """convert_hf_to_gguf.py's LlamaModel.permute: rotate-half pairs become adjacent rows."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def llama_like(cfg, weights, arch):
    heads, kv_heads = cfg["num_attention_heads"], cfg.get("num_key_value_heads", cfg["num_attention_heads"])
    hidden = cfg["hidden_size"]
    meta = {
        "block_count": cfg["num_hidden_layers"],
        "context_length": cfg["max_position_embeddings"],
        "embedding_length": hidden,
        "feed_forward_length": cfg["intermediate_size"],
        "head_count": heads,
        "head_count_kv": kv_heads,
        "rope_freq_base": cfg.get("rope_theta", 10000.0),
        "layer_norm_rms_eps": cfg["rms_norm_eps"],
        "key_length": cfg.get("head_dim", hidden // heads),
        "value_length": cfg.get("head_dim", hidden // heads),
        "rope_dimension_count": cfg.get("head_dim", hidden // heads),
    }
    names = {
        "model.embed_tokens.weight": "token_embd.weight",
        "model.norm.weight": "output_norm.weight",
        "lm_head.weight": "output.weight",
    }
    per_layer = {
        "input_layernorm.weight": "attn_norm.weight",
        "post_attention_layernorm.weight": "ffn_norm.weight",
        "self_attn.q_proj.weight": "attn_q.weight",
        "self_attn.k_proj.weight": "attn_k.weight",
        "self_attn.v_proj.weight": "attn_v.weight",
        "self_attn.o_proj.weight": "attn_output.weight",
        "self_attn.q_proj.bias": "attn_q.bias",
        "self_attn.k_proj.bias": "attn_k.bias",
        "self_attn.v_proj.bias": "attn_v.bias",
        "mlp.gate_proj.weight": "ffn_gate.weight",
        "mlp.up_proj.weight": "ffn_up.weight",
        "mlp.down_proj.weight": "ffn_down.weight",
    }
    out = {}
    for name, t in weights.items():
        if name in names:
            out[names[name]] = t
            continue
        layer, rest = name.removeprefix("model.layers.").split(".", 1)
        new = f"blk.{layer}.{per_layer[rest]}"
        if arch == "llama" and rest.startswith("self_attn.q_proj"):
            t = permute_for_llama_cpp(t, heads)
        if arch == "llama" and rest.startswith("self_attn.k_proj"):
            t = permute_for_llama_cpp(t, kv_heads)
        out[new] = t
    return meta, out


def gpt2(cfg, weights):
    meta = {
        "block_count": cfg["n_layer"],
        "context_length": cfg["n_positions"],
        "embedding_length": cfg["n_embd"],
        "feed_forward_length": cfg.get("n_inner") or 4 * cfg["n_embd"],
        "head_count": cfg["n_head"],
        "layer_norm_eps": cfg["layer_norm_epsilon"],
    }
    per_layer = {
        "ln_1": "attn_norm", "ln_2": "ffn_norm", "attn.c_attn": "attn_qkv", "attn.c_proj": "attn_output",
        "mlp.c_fc": "ffn_up", "mlp.c_proj": "ffn_down",
    }
    out = {}
    for name, t in weights.items():
        name = name.removeprefix("transformer.")
        if name.endswith((".attn.bias", ".attn.masked_bias")) or name == "lm_head.weight":
            continue
        if name.startswith("h."):
            layer, rest = name[2:].split(".", 1)
            module, kind = rest.rsplit(".", 1)
            if kind == "weight" and module != "ln_1" and module != "ln_2":
                t = t.t().contiguous()  # Conv1D [in, out] -> [out, in]
            out[f"blk.{layer}.{per_layer[module]}.{kind}"] = t
        else:
            top = {"wte.weight": "token_embd.weight", "wpe.weight": "position_embd.weight",
                   "ln_f.weight": "output_norm.weight", "ln_f.bias": "output_norm.bias"}
            out[top[name]] = t
    # The converter also writes wte again as output.weight; left out, the
    # unembedding is tied, which keeps the file small and tests that path.
    return meta, out


def gpt_neox(cfg, weights):
    heads, hidden = cfg["num_attention_heads"], cfg["hidden_size"]
    d_head = hidden // heads
    rope = cfg.get("rope_parameters") or {}
    meta = {
        "block_count": cfg["num_hidden_layers"],
        "context_length": cfg["max_position_embeddings"],
        "embedding_length": hidden,
        "feed_forward_length": cfg["intermediate_size"],
        "head_count": heads,
        "rope_freq_base": rope.get("rope_theta", cfg.get("rotary_emb_base", 10000.0)),
        "rope_dimension_count": int(rope.get("partial_rotary_factor", cfg.get("rotary_pct", 1.0)) * d_head),
        "parallel_residual": cfg.get("use_parallel_residual", True),
        "layer_norm_eps": cfg["layer_norm_eps"],
    }
    per_layer = {
        "input_layernorm": "attn_norm", "post_attention_layernorm": "ffn_norm",
        "attention.query_key_value": "attn_qkv", "attention.dense": "attn_output",
        "mlp.dense_h_to_4h": "ffn_up", "mlp.dense_4h_to_h": "ffn_down",
    }
    out = {}
    for name, t in weights.items():
        if name.endswith((".attention.bias", ".attention.masked_bias", ".attention.rotary_emb.inv_freq")):
            continue
        if name.startswith("gpt_neox.layers."):
            layer, rest = name.removeprefix("gpt_neox.layers.").split(".", 1)
            module, kind = rest.rsplit(".", 1)
            if module == "attention.query_key_value":  # (head, qkv, d_head, ...) -> (qkv, head, d_head, ...)
                t = t.reshape(heads, 3, d_head, *t.shape[1:]).transpose(0, 1).reshape(t.shape).contiguous()
            out[f"blk.{layer}.{per_layer[module]}.{kind}"] = t
        else:
            top = {"gpt_neox.embed_in.weight": "token_embd.weight", "embed_out.weight": "output.weight",
                   "gpt_neox.final_layer_norm.weight": "output_norm.weight",
                   "gpt_neox.final_layer_norm.bias": "output_norm.bias"}
            out[top[name]] = t
    return meta, out


def write(name):
    folder = os.path.join(ROOT, "models", name)
    cfg = json.load(open(os.path.join(folder, "config.json")))
    weights = load_file(os.path.join(folder, "model.safetensors"))
    model_type = cfg["model_type"]
    if model_type in ("llama", "mistral"):
        arch = "llama"
        meta, tensors = llama_like(cfg, weights, arch)
    elif model_type == "qwen2":
        arch = "qwen2"
        meta, tensors = llama_like(cfg, weights, arch)
    elif model_type == "gpt2":
        arch = "gpt2"
        meta, tensors = gpt2(cfg, weights)
    else:
        arch = "gptneox"
        meta, tensors = gpt_neox(cfg, weights)

    os.makedirs(os.path.join(ROOT, "gguf", "models"), exist_ok=True)
    path = os.path.join(ROOT, "gguf", "models", name + ".gguf")
    writer = GGUFWriter(path, arch=arch)
    writer.add_name(name)
    writer.add_vocab_size(cfg["vocab_size"])
    for key, value in meta.items():
        getattr(writer, "add_" + key)(value)
    for tensor_name, t in tensors.items():
        array, raw_dtype = as_numpy(t)
        writer.add_tensor(tensor_name, array, raw_dtype=raw_dtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    for model in MODELS:
        write(model)
