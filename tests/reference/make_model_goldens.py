#!/usr/bin/env python3
"""Build the tiny random Hugging Face model folders under tests/data/models/ and
record golden activations (TransformerLens hook names) under tests/data/goldens/.

The C++ model backend is tested against these files. See tests/reference/README.md
for the package versions used and how to regenerate.

    python3 tests/reference/make_model_goldens.py [--only NAME ...] [--no-check]

Everything runs on CPU in float32, deterministic (torch.manual_seed per model).
"""

import argparse
import contextlib
import json
import math
import os
import shutil
import sys

import numpy as np
import torch
import torch.nn.functional as F
import transformers
from safetensors.torch import load_file, save_file
from transformers import (
    GPT2Config,
    GPT2LMHeadModel,
    GPTNeoXConfig,
    GPTNeoXForCausalLM,
    LlamaConfig,
    LlamaForCausalLM,
    MistralConfig,
    MistralForCausalLM,
    Qwen2Config,
    Qwen2ForCausalLM,
)
from transformers.models.gpt_neox import modeling_gpt_neox
from transformers.models.llama import modeling_llama
from transformers.models.mistral import modeling_mistral
from transformers.models.qwen2 import modeling_qwen2

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(REPO, "tests", "data")
MODELS = os.path.join(DATA, "models")
GOLDENS = os.path.join(DATA, "goldens")

D_MODEL = 64
N_HEADS = 4
VOCAB = 512
N_CTX = 64
T = 12
INIT_RANGE = 0.2

torch.set_num_threads(1)  # bit-reproducible reductions


def input_ids():
    g = torch.Generator().manual_seed(1234)
    return torch.randint(0, VOCAB, (T,), generator=g, dtype=torch.int64)


# ----------------------------------------------------------------------------------
# model construction


def is_norm(module):
    return isinstance(module, torch.nn.LayerNorm) or "RMSNorm" in type(module).__name__


@torch.no_grad()
def randomize(model, seed):
    """After HF init (std = initializer_range): make every norm weight/bias and every
    bias non-trivial, so that mistakes in norms and biases show in the numbers."""
    g = torch.Generator().manual_seed(seed + 7)
    norm_params = set()
    for m in model.modules():
        if is_norm(m):
            for name, p in m.named_parameters(recurse=False):
                norm_params.add(id(p))
                if name == "weight":
                    p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
                else:
                    p.copy_(0.1 * torch.randn(p.shape, generator=g))
    for name, p in model.named_parameters():
        if id(p) in norm_params:
            continue
        if name.endswith("bias"):
            p.copy_(0.1 * torch.randn(p.shape, generator=g))


def finish(model, seed):
    randomize(model, seed)
    model.eval()
    return model


def make_gpt2(seed, **kw):
    torch.manual_seed(seed)
    cfg = GPT2Config(
        vocab_size=VOCAB, n_positions=N_CTX, n_embd=D_MODEL, n_head=N_HEADS,
        activation_function="gelu_new", initializer_range=INIT_RANGE,
        bos_token_id=0, eos_token_id=0, attn_implementation="eager", **kw)
    return finish(GPT2LMHeadModel(cfg), seed)


def make_neox(seed, **kw):
    torch.manual_seed(seed)
    cfg = GPTNeoXConfig(
        vocab_size=VOCAB, max_position_embeddings=N_CTX, hidden_size=D_MODEL,
        num_attention_heads=N_HEADS, intermediate_size=4 * D_MODEL, hidden_act="gelu",
        initializer_range=INIT_RANGE, tie_word_embeddings=False, layer_norm_eps=1e-5,
        bos_token_id=0, eos_token_id=0, attn_implementation="eager", **kw)
    return finish(GPTNeoXForCausalLM(cfg), seed)


def make_llama_like(cls, cfg_cls, seed, **kw):
    torch.manual_seed(seed)
    cfg = cfg_cls(
        vocab_size=VOCAB, max_position_embeddings=N_CTX, hidden_size=D_MODEL,
        num_attention_heads=N_HEADS, intermediate_size=2 * D_MODEL, hidden_act="silu",
        initializer_range=INIT_RANGE, bos_token_id=0, eos_token_id=0,
        attn_implementation="eager", **kw)
    return finish(cls(cfg), seed)


# ----------------------------------------------------------------------------------
# config.json styles. transformers 5 writes `rope_parameters` (and drops rotary_pct,
# rotary_emb_base, rope_theta, rope_scaling); checkpoints on the Hub use the legacy
# keys. Some folders are rewritten to the legacy (Hub) style so the C++ loader is
# tested on both; every folder is reloaded with from_pretrained and re-checked.


def rewrite_config_legacy(folder):
    path = os.path.join(folder, "config.json")
    with open(path) as f:
        cfg = json.load(f)
    rp = cfg.pop("rope_parameters", None)
    if "dtype" in cfg:
        cfg["torch_dtype"] = cfg.pop("dtype")
    if rp is not None:
        rp = dict(rp)
        theta = rp.pop("rope_theta")
        rope_type = rp.pop("rope_type", "default")
        prf = rp.pop("partial_rotary_factor", None)
        if cfg["model_type"] == "gpt_neox":
            cfg["rotary_pct"] = prf if prf is not None else 1.0
            cfg["rotary_emb_base"] = theta
            assert rope_type == "default" and not rp, rp
        else:
            cfg["rope_theta"] = theta
            if rope_type == "default":
                cfg["rope_scaling"] = None
                assert not rp, rp
            else:
                cfg["rope_scaling"] = dict(rope_type=rope_type, **rp)
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")


def strip_gpt2_prefix_and_add_buffers(folder, n_layer):
    """Old-style GPT-2 checkpoint: no `transformer.` prefix, no lm_head (tied), and the
    causal-mask buffers h.{l}.attn.bias / h.{l}.attn.masked_bias present."""
    path = os.path.join(folder, "model.safetensors")
    sd = load_file(path)
    out = {}
    for k, v in sd.items():
        if k.startswith("lm_head."):
            continue
        out[k[len("transformer."):] if k.startswith("transformer.") else k] = v.contiguous()
    for l in range(n_layer):
        out[f"h.{l}.attn.bias"] = torch.tril(torch.ones(N_CTX, N_CTX)).view(1, 1, N_CTX, N_CTX)
        out[f"h.{l}.attn.masked_bias"] = torch.tensor(-1e4)
    save_file(out, path, metadata={"format": "pt"})


# ----------------------------------------------------------------------------------
# hook capture


FAMILY_MODULES = {
    "gpt_neox": modeling_gpt_neox,
    "llama": modeling_llama,
    "qwen2": modeling_qwen2,
    "mistral": modeling_mistral,
}


def first(x):
    return x[0] if isinstance(x, (tuple, list)) else x


def t2(x):
    """[1, T, ...] -> [T, ...] float32 clone"""
    x = first(x)
    assert x.shape[0] == 1, x.shape
    return x[0].detach().float().clone()


@contextlib.contextmanager
def rotary_capture(module, state, cache):
    """Wrap the family module's apply_rotary_pos_emb (the attention forward looks it up
    as a module global) to record rotated q/k of the current layer."""
    orig = module.apply_rotary_pos_emb

    def wrapped(q, k, cos, sin, *a, **kw):
        qe, ke = orig(q, k, cos, sin, *a, **kw)
        l = state["layer"]
        # [1, H, T, d_head] -> [T, H, d_head]
        cache[f"blocks.{l}.attn.hook_rot_q"] = qe[0].transpose(0, 1).detach().float().clone()
        cache[f"blocks.{l}.attn.hook_rot_k"] = ke[0].transpose(0, 1).detach().float().clone()
        return qe, ke

    module.apply_rotary_pos_emb = wrapped
    try:
        yield
    finally:
        module.apply_rotary_pos_emb = orig


def run_with_hooks(model, family, ids):
    cfg = model.config
    cache = {}
    handles = []
    state = {"layer": None}
    H = cfg.num_attention_heads if family != "gpt2" else cfg.n_head
    d_model = cfg.hidden_size if family != "gpt2" else cfg.n_embd
    d_head = getattr(cfg, "head_dim", None) or d_model // H
    Hkv = getattr(cfg, "num_key_value_heads", None) or H

    def fwd(name, fn=t2):
        def hook(mod, inp, out):
            cache[name] = fn(out)
        return hook

    def pre(name, fn=t2):
        def hook(mod, inp):
            cache[name] = fn(inp[0])
        return hook

    def heads(n):
        return lambda x: t2(x).reshape(T, n, d_head)

    def set_layer(l):
        def hook(mod, inp, *a):
            state["layer"] = l
        return hook

    def reg_f(mod, name, fn=t2):
        handles.append(mod.register_forward_hook(fwd(name, fn)))

    def reg_p(mod, name, fn=t2):
        handles.append(mod.register_forward_pre_hook(pre(name, fn)))

    if family == "gpt2":
        base = model.transformer
        reg_f(base.wte, "hook_embed")
        reg_f(base.wpe, "hook_pos_embed")
        layers = base.h
    elif family == "gpt_neox":
        base = model.gpt_neox
        reg_f(base.embed_in, "hook_embed")
        layers = base.layers
    else:
        base = model.model
        reg_f(base.embed_tokens, "hook_embed")
        layers = base.layers

    for l, layer in enumerate(layers):
        p = f"blocks.{l}."
        reg_f(layer, p + "hook_resid_post")
        reg_p(layer, p + "_resid_pre_prehook")
        reg_f(layer.mlp, p + "hook_mlp_out")
        if family == "gpt2":
            attn = layer.attn

            def split_qkv(out, p=p):
                q, k, v = t2(out).split(d_model, dim=-1)
                cache[p + "attn.hook_q"] = q.reshape(T, H, d_head)
                cache[p + "attn.hook_k"] = k.reshape(T, H, d_head)
                cache[p + "attn.hook_v"] = v.reshape(T, H, d_head)
            handles.append(attn.c_attn.register_forward_hook(lambda m, i, o, f=split_qkv: f(o)))
            reg_p(attn.c_proj, p + "attn.hook_z", heads(H))
            reg_f(layer.mlp.c_fc, p + "mlp.hook_pre")
            reg_p(layer.mlp.c_proj, p + "mlp.hook_post")
        elif family == "gpt_neox":
            attn = layer.attention

            def split_fused(out, p=p):
                # rows of query_key_value are ordered (head, qkv, d_head)
                x = t2(out).reshape(T, H, 3 * d_head)
                q, k, v = x.chunk(3, dim=-1)
                cache[p + "attn.hook_q"] = q.clone()
                cache[p + "attn.hook_k"] = k.clone()
                cache[p + "attn.hook_v"] = v.clone()
            handles.append(attn.query_key_value.register_forward_hook(lambda m, i, o, f=split_fused: f(o)))
            reg_p(attn.dense, p + "attn.hook_z", heads(H))
            reg_f(layer.mlp.dense_h_to_4h, p + "mlp.hook_pre")
            reg_p(layer.mlp.dense_4h_to_h, p + "mlp.hook_post")
        else:
            attn = layer.self_attn
            reg_f(attn.q_proj, p + "attn.hook_q", heads(H))
            reg_f(attn.k_proj, p + "attn.hook_k", heads(Hkv))
            reg_f(attn.v_proj, p + "attn.hook_v", heads(Hkv))
            reg_p(attn.o_proj, p + "attn.hook_z", heads(H))
            reg_f(layer.mlp.gate_proj, p + "mlp.hook_pre")
            reg_f(layer.mlp.up_proj, p + "mlp.hook_pre_linear")
            reg_p(layer.mlp.down_proj, p + "mlp.hook_post")
        reg_f(attn, p + "hook_attn_out")
        handles.append(attn.register_forward_pre_hook(set_layer(l)))

    rot = rotary_capture(FAMILY_MODULES[family], state, cache) if family in FAMILY_MODULES \
        else contextlib.nullcontext()
    try:
        with torch.no_grad(), rot:
            out = model(ids[None], output_hidden_states=True, output_attentions=True, use_cache=False)
    finally:
        for h in handles:
            h.remove()

    n_layers = len(layers)
    assert len(out.hidden_states) == n_layers + 1
    assert len(out.attentions) == n_layers
    for l in range(n_layers):
        p = f"blocks.{l}."
        cache[p + "hook_resid_pre"] = t2(out.hidden_states[l])
        cache[p + "attn.hook_pattern"] = t2(out.attentions[l])
        parallel = family == "gpt_neox" and cfg.use_parallel_residual
        if not parallel:
            cache[p + "hook_resid_mid"] = cache[p + "hook_resid_pre"] + cache[p + "hook_attn_out"]
    cache["_final_hidden"] = t2(out.hidden_states[-1])
    cache["logits"] = t2(out.logits)
    cache["input_ids"] = ids.clone()
    return cache, n_layers


# ----------------------------------------------------------------------------------
# self-consistency checks


class Checker:
    def __init__(self, name):
        self.name = name
        self.worst = 0.0
        self.lines = []

    def close(self, what, a, b, tol=1e-4, rel=True):
        a = a.double()
        b = b.double()
        err = (a - b).abs().max().item()
        scale = max(a.abs().max().item(), b.abs().max().item())
        lim = tol * max(1.0, scale) if rel else tol
        ok = err <= lim
        self.lines.append(f"  {'ok ' if ok else 'BAD'} {what:58s} err {err:.2e}  max|x| {scale:.3g}")
        if not ok:
            raise AssertionError(f"{self.name}: {what}: err {err} > {lim}")


def ln(x, mod):
    if isinstance(mod, torch.nn.LayerNorm):
        return F.layer_norm(x, mod.normalized_shape, mod.weight.float(), mod.bias.float(), mod.eps)
    eps = getattr(mod, "variance_epsilon", None) or getattr(mod, "eps")
    return mod.weight.float() * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def my_inv_freq(cfg, d_head, family):
    """Independent re-implementation of the rotary frequencies (for the report and to
    check the recorded hook_rot_q/k)."""
    rp = cfg.rope_parameters
    base = rp["rope_theta"]
    dim = int(d_head * rp.get("partial_rotary_factor", 1.0))
    inv = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))
    if rp.get("rope_type", "default") == "llama3":
        factor, lo, hi = rp["factor"], rp["low_freq_factor"], rp["high_freq_factor"]
        old = rp["original_max_position_embeddings"]
        wavelen = 2 * math.pi / inv
        out = []
        for f, w in zip(inv.tolist(), wavelen.tolist()):
            if w < old / hi:
                out.append(f)
            elif w > old / lo:
                out.append(f / factor)
            else:
                s = (old / w - lo) / (hi - lo)
                out.append((1 - s) * f / factor + s * f)
        inv = torch.tensor(out, dtype=torch.float64)
    else:
        assert rp.get("rope_type", "default") == "default"
    return inv, dim


def apply_rope(x, inv, dim):
    """x [T, H, d_head]; rotate-half on the first `dim` dims (GPT-NeoX layout)."""
    pos = torch.arange(x.shape[0], dtype=torch.float64)
    ang = pos[:, None] * inv[None, :]
    emb = torch.cat([ang, ang], -1)
    cos, sin = emb.cos()[:, None, :], emb.sin()[:, None, :]
    xr, xp = x[..., :dim].double(), x[..., dim:].double()
    x1, x2 = xr[..., : dim // 2], xr[..., dim // 2:]
    rotated = torch.cat([-x2, x1], -1)
    return torch.cat([xr * cos + rotated * sin, xp], -1)


@torch.no_grad()
def check(name, model, family, c, n_layers):
    ck = Checker(name)
    cfg = model.config
    parallel = family == "gpt_neox" and cfg.use_parallel_residual
    H = c["blocks.0.attn.hook_q"].shape[1]
    Hkv = c["blocks.0.attn.hook_k"].shape[1]
    d_head = c["blocks.0.attn.hook_q"].shape[2]

    # embeddings and the residual stream chain
    emb = c["hook_embed"] + (c["hook_pos_embed"] if family == "gpt2" else 0)
    ck.close("resid_pre[0] == embed (+ pos_embed)", c["blocks.0.hook_resid_pre"], emb)
    for l in range(n_layers):
        p = f"blocks.{l}."
        ck.close(f"{p}resid_pre == hidden_states[{l}] == block input", c[p + "hook_resid_pre"],
                 c.pop(p + "_resid_pre_prehook"))
        if l + 1 < n_layers:
            ck.close(f"{p}resid_post == resid_pre[{l + 1}]", c[p + "hook_resid_post"],
                     c[f"blocks.{l + 1}.hook_resid_pre"])
        ck.close(f"{p}resid_post == pre + attn_out + mlp_out", c[p + "hook_resid_post"],
                 c[p + "hook_resid_pre"] + c[p + "hook_attn_out"] + c[p + "hook_mlp_out"])
        if not parallel:
            ck.close(f"{p}resid_post == resid_mid + mlp_out", c[p + "hook_resid_post"],
                     c[p + "hook_resid_mid"] + c[p + "hook_mlp_out"])

        # attention: recompute the pattern from q/k (rotated where rotary applies)
        pat = c[p + "attn.hook_pattern"]
        ck.close(f"{p}pattern rows sum to 1", pat.sum(-1), torch.ones(H, T))
        ck.close(f"{p}pattern is causal (upper triangle 0)", torch.triu(pat, 1), torch.zeros_like(pat))
        q, k, v = c[p + "attn.hook_q"], c[p + "attn.hook_k"], c[p + "attn.hook_v"]
        if p + "attn.hook_rot_q" in c:
            inv, dim = my_inv_freq(cfg, d_head, family)
            ck.close(f"{p}rot_q == my rope(q)", c[p + "attn.hook_rot_q"], apply_rope(q, inv, dim))
            ck.close(f"{p}rot_k == my rope(k)", c[p + "attn.hook_rot_k"], apply_rope(k, inv, dim))
            q, k = c[p + "attn.hook_rot_q"], c[p + "attn.hook_rot_k"]
        rep = H // Hkv
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        scores = torch.einsum("qhd,khd->hqk", q.double(), k.double()) / math.sqrt(d_head)
        scores = scores.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
        ck.close(f"{p}pattern == softmax(q k^T / sqrt(d))", pat, scores.softmax(-1))
        z = torch.einsum("hqk,khd->qhd", pat.double(), v.double())
        ck.close(f"{p}z == pattern @ v", c[p + "attn.hook_z"], z)

        # MLP activation
        pre_ = c[p + "mlp.hook_pre"]
        if family == "gpt2":
            post = gelu_new(pre_.double())
        elif family == "gpt_neox":
            post = F.gelu(pre_.double())  # exact erf gelu
        else:
            post = F.silu(pre_.double()) * c[p + "mlp.hook_pre_linear"].double()
        ck.close(f"{p}mlp.post == act(pre) (* pre_linear)", c[p + "mlp.hook_post"], post)

    # final norm + unembedding
    last = c[f"blocks.{n_layers - 1}.hook_resid_post"]
    unembed = model.get_output_embeddings()  # lm_head (NeoX: saved as `embed_out`)
    if family == "gpt2":
        fnorm = model.transformer.ln_f
    elif family == "gpt_neox":
        fnorm = model.gpt_neox.final_layer_norm
    else:
        fnorm = model.model.norm
    normed = ln(last, fnorm)
    ck.close("norm(resid_post[last]) == hidden_states[-1]", normed, c.pop("_final_hidden"))
    logits = normed @ unembed.weight.float().T
    if unembed.bias is not None:
        logits = logits + unembed.bias.float()
    ck.close("unembed(norm(resid_post[last])) == logits", logits, c["logits"])

    # nothing trivially zero
    for k_, v_ in c.items():
        if k_ == "input_ids":
            continue
        m = v_.abs().max().item()
        ck.lines.append(f"  max|{k_}| = {m:.4g}, std {v_.float().std().item():.4g}")
        assert m > 1e-3, f"{name}: {k_} is (nearly) zero"
    return ck


# ----------------------------------------------------------------------------------
# the model list


def rounded_copy(model, dtype):
    """Same model with weights rounded to `dtype` and back to float32."""
    import copy
    m = copy.deepcopy(model)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(p.to(dtype).float())
    return m


def build_all():
    """Returns a list of dicts: name, family, model (float32 compute), save(folder), notes."""
    specs = []

    def add(name, family, model, save, weights_dtype, notes, config_style):
        specs.append(dict(name=name, family=family, model=model, save=save,
                          weights_dtype=weights_dtype, notes=notes, config_style=config_style))

    def plain_save(model, dtype=None, legacy=False, **kw):
        def save(folder):
            m = model if dtype is None else __import__("copy").deepcopy(model).to(dtype)
            m.save_pretrained(folder, safe_serialization=True, **kw)
            if legacy:
                rewrite_config_legacy(folder)
        return save

    gpt2_a = make_gpt2(101, n_layer=2)
    add("gpt2_a", "gpt2", gpt2_a, plain_save(gpt2_a), "F32",
        "GPT2LMHeadModel, 2 layers, gelu_new, n_inner null (=4*d_model), tied lm_head (not saved), "
        "keys with `transformer.` prefix", "hf5")

    gpt2_b = make_gpt2(102, n_layer=3, n_inner=96, layer_norm_epsilon=1e-4)

    def save_b(folder):
        gpt2_b.save_pretrained(folder, safe_serialization=True)
        strip_gpt2_prefix_and_add_buffers(folder, 3)
    add("gpt2_b", "gpt2", gpt2_b, save_b, "F32",
        "3 layers, n_inner 96, layer_norm_epsilon 1e-4; keys WITHOUT `transformer.` prefix, no lm_head, "
        "extra buffers h.{l}.attn.bias [1,1,64,64] and h.{l}.attn.masked_bias [] (must be ignored)", "hf5")

    neox_p = make_neox(103, num_hidden_layers=2, use_parallel_residual=True, rotary_pct=0.25,
                       rotary_emb_base=10000)
    add("neox_parallel", "gpt_neox", neox_p, plain_save(neox_p, legacy=True), "F32",
        "GPTNeoXForCausalLM, parallel residual, rotary_pct 0.25 (rotary on first 4 of 16 head dims), "
        "gelu (erf), untied embed_out; legacy config keys rotary_pct/rotary_emb_base", "legacy")

    neox_s = make_neox(104, num_hidden_layers=2, use_parallel_residual=False, rotary_pct=0.5,
                       rotary_emb_base=10000)
    add("neox_serial", "gpt_neox", neox_s, plain_save(neox_s), "F32",
        "GPTNeoX, serial residual, rotary_pct 0.5; transformers-5 config (rope_parameters."
        "partial_rotary_factor)", "hf5")

    llama = make_llama_like(LlamaForCausalLM, LlamaConfig, 105, num_hidden_layers=2,
                            num_key_value_heads=2, tie_word_embeddings=False, rope_theta=10000.0,
                            attention_bias=False, rms_norm_eps=1e-5)
    add("llama_gqa", "llama", llama, plain_save(llama, legacy=True), "F32",
        "LlamaForCausalLM, 4 heads / 2 kv heads, untied lm_head, rope_theta 1e4; legacy config "
        "(rope_theta, rope_scaling null)", "legacy")

    llama3 = make_llama_like(
        LlamaForCausalLM, LlamaConfig, 106, num_hidden_layers=2, num_key_value_heads=2,
        tie_word_embeddings=True, rope_theta=500000.0, head_dim=D_MODEL // N_HEADS, rms_norm_eps=1e-5,
        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                      "high_freq_factor": 4.0, "original_max_position_embeddings": 48})
    add("llama3_tied", "llama", llama3, plain_save(llama3, legacy=True), "F32",
        "Llama, llama3 rope scaling (factor 8, low 1, high 4, original_max_position_embeddings 48: wavelengths 6.3 kept, 32.5 smoothed, >=168 divided by 8), "
        "rope_theta 5e5, tied embeddings (no lm_head.weight in file), explicit head_dim 16; legacy "
        "config (rope_theta + rope_scaling)", "legacy")

    qwen = make_llama_like(Qwen2ForCausalLM, Qwen2Config, 107, num_hidden_layers=2,
                           num_key_value_heads=2, tie_word_embeddings=False, rope_theta=10000.0,
                           rms_norm_eps=1e-6, use_sliding_window=False, sliding_window=4096,
                           max_window_layers=2)
    add("qwen2", "qwen2", qwen, plain_save(qwen, legacy=True), "F32",
        "Qwen2ForCausalLM, q/k/v biases (o_proj no bias), GQA 4/2, untied; use_sliding_window false "
        "(sliding_window 4096 present but unused); legacy config", "legacy")

    mistral = make_llama_like(MistralForCausalLM, MistralConfig, 108, num_hidden_layers=2,
                              num_key_value_heads=1, tie_word_embeddings=False, rope_theta=10000.0,
                              sliding_window=4096, rms_norm_eps=1e-5)
    add("mistral", "mistral", mistral, plain_save(mistral, legacy=True), "F32",
        "MistralForCausalLM, GQA 4/1, sliding_window 4096 (> any sequence here), untied; legacy config",
        "legacy")

    llama_bf = rounded_copy(llama, torch.bfloat16)
    add("llama_gqa_bf16", "llama", llama_bf, plain_save(llama, dtype=torch.bfloat16), "BF16",
        "llama_gqa's weights saved in bfloat16; goldens = float32 compute of the bf16-rounded weights; "
        "`logits_bf16` = HF forward with the model in bfloat16; transformers-5 config (rope_parameters)",
        "hf5")

    add("gpt2_sharded", "gpt2", gpt2_a, plain_save(gpt2_a, max_shard_size="250KB"), "F32",
        "gpt2_a's weights saved in shards + model.safetensors.index.json; goldens equal gpt2_a's", "hf5")

    neox_h = make_neox(111, num_hidden_layers=2, use_parallel_residual=True, rotary_pct=0.25,
                       rotary_emb_base=10000)
    neox_h16 = rounded_copy(neox_h, torch.float16)
    add("neox_f16", "gpt_neox", neox_h16, plain_save(neox_h, dtype=torch.float16), "F16",
        "GPTNeoX (parallel, rotary_pct 0.25) saved in float16; goldens = float32 compute of the "
        "f16-rounded weights; transformers-5 config", "hf5")
    return specs


def folder_size(folder):
    return sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    torch.use_deterministic_algorithms(True)
    os.makedirs(MODELS, exist_ok=True)
    os.makedirs(GOLDENS, exist_ok=True)
    ids = input_ids()
    print("transformers", transformers.__version__, "torch", torch.__version__)
    print("input_ids", ids.tolist())

    manifest_path = os.path.join(GOLDENS, "manifest.json")
    manifest = []
    for spec in build_all():
        name, family, model = spec["name"], spec["family"], spec["model"]
        if args.only and name not in args.only:
            continue
        folder = os.path.join(MODELS, name)
        if os.path.isdir(folder):
            shutil.rmtree(folder)
        os.makedirs(folder)
        spec["save"](folder)

        cache, n_layers = run_with_hooks(model, family, ids)
        ck = check(name, model, family, cache, n_layers)

        # reload the folder with HF and compare
        cls = type(model)
        re = cls.from_pretrained(folder, attn_implementation="eager", dtype=torch.float32).eval()
        with torch.no_grad():
            rl = re(ids[None], use_cache=False).logits[0]
        ck.close("from_pretrained(folder) reproduces logits", rl, cache["logits"], tol=1e-5)
        for (kn, pa), (_, pb) in zip(re.state_dict().items(), model.state_dict().items()):
            assert torch.equal(pa.float(), pb.float()), (name, kn)

        if name == "llama_gqa_bf16":
            rb = cls.from_pretrained(folder, attn_implementation="eager", dtype=torch.bfloat16).eval()
            with torch.no_grad():
                lb = rb(ids[None], use_cache=False).logits[0].float()
            cache["logits_bf16"] = lb
            ck.lines.append(f"  logits_bf16 vs f32-compute max diff {(lb - cache['logits']).abs().max():.3g}")

        tensors = {k: v.contiguous() for k, v in sorted(cache.items())}
        for k, v in tensors.items():
            assert v.dtype == (torch.int64 if k == "input_ids" else torch.float32), (k, v.dtype)
        save_file(tensors, os.path.join(GOLDENS, name + ".safetensors"),
                  # one key only: safetensors writes metadata from a hash map (random order)
                  metadata={"generator": f"tests/reference/make_model_goldens.py {name} "
                                         f"transformers={transformers.__version__} torch={torch.__version__}"})
        print(f"{name}: {len(tensors)} tensors, folder {folder_size(folder) / 1024:.0f} KiB, "
              f"files {sorted(os.listdir(folder))}")
        if args.verbose:
            print("\n".join(ck.lines))
        else:
            print("\n".join(l for l in ck.lines if not l.startswith("  max|")))
        manifest.append({
            "name": name,
            "model_dir": f"models/{name}",
            "golden": f"goldens/{name}.safetensors",
            "family": family,
            "weights_dtype": spec["weights_dtype"],
            "n_layers": n_layers,
            "config_style": spec["config_style"],
            "notes": spec["notes"],
        })

    if args.only and os.path.exists(manifest_path):
        with open(manifest_path) as f:
            old = [m for m in json.load(f) if m["name"] not in {m2["name"] for m2 in manifest}]
        manifest = old + manifest
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print("wrote", manifest_path)


if __name__ == "__main__":
    main()
