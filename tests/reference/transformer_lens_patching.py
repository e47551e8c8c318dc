#!/usr/bin/env python3
"""TransformerLens's side of tests/bench/compare_transformer_lens.sh: activation
patching and direct logit attribution on SmolLM2-135M-Instruct Q4_1, timed.

The model comes from the GGUF through transformers (dequantized, float32) and is
converted into a HookedTransformer with TransformerLens's own Llama weight
conversion, unprocessed (no LayerNorm folding or centring), so its activations
and logits are the checkpoint's. SmolLM2 is not in TransformerLens's official
model list, hence the hand-built config; the script checks TransformerLens's
logits against transformers' before timing anything.

On the IOI pair (clean "... John gave a drink to", corrupted "... Mary gave a
drink to") with metric logit(" Mary") - logit(" John") at the last position,
it times (inference mode, torch.set_num_threads(T), best of --repeats after a
warm-up; wall-clock and process CPU seconds):

- resid_pre: transformer_lens.patching.get_act_patch_resid_pre [layers, pos]
- head_out: get_act_patch_attn_head_out_all_pos [layers, heads]
- dla: run_with_cache on the clean prompt, stack_head_results and
  decompose_resid with apply_ln at the last position, projected onto
  ln_final.w * (W_U[:, Mary] - W_U[:, John]) (apply_ln divides by the
  frozen scale; with the weights unfolded, the final norm's weight is applied here)

Both grids are TransformerLens's: clean activations patched into the corrupted
run, raw metric (not normalised). It prints one JSON object (seconds, shapes,
token ids, the logit check) and writes resid_pre.json, head_out.json and
dla.json (nested lists) into --out.

    tests/reference/transformer_lens_patching.py [--model PATH] [--threads 2] [--repeats 3] [--out DIR]

Needs transformer-lens 3.x (HookedTransformer; 4.0 removed it), torch,
transformers, gguf.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TQDM_DISABLE", "1")  # TransformerLens's patching loops draw progress bars

import torch  # noqa: E402
import transformer_lens.patching as patching  # noqa: E402
from transformer_lens import HookedTransformer, HookedTransformerConfig  # noqa: E402
from transformer_lens.pretrained.weight_conversions.llama import convert_llama_weights  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

DEFAULT_MODEL = os.path.join(
    os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "glassbox", "SmolLM2-135M-Instruct.Q4_1.gguf"
)
CLEAN = "When Mary and John went to the store, John gave a drink to"
CORRUPTED = "When Mary and John went to the store, Mary gave a drink to"
ANSWER, WRONG = " Mary", " John"
LOGIT_TOLERANCE = 1e-3  # float32, 30 layers, logits of size ~20: differences are ~1e-5


def load(path):
    folder, name = os.path.split(os.path.abspath(path))
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    hf_model = AutoModelForCausalLM.from_pretrained(
        folder, gguf_file=name, dtype=torch.float32, attn_implementation="eager"
    ).eval()
    hf = hf_model.config
    cfg = HookedTransformerConfig(
        d_model=hf.hidden_size,
        d_head=hf.head_dim,
        n_heads=hf.num_attention_heads,
        n_key_value_heads=hf.num_key_value_heads,
        d_mlp=hf.intermediate_size,
        n_layers=hf.num_hidden_layers,
        n_ctx=hf.max_position_embeddings,
        d_vocab=hf.vocab_size,
        eps=hf.rms_norm_eps,
        act_fn=hf.hidden_act,
        normalization_type="RMS",
        final_rms=True,
        gated_mlp=True,
        positional_embedding_type="rotary",
        rotary_dim=hf.head_dim,
        rotary_base=hf.rope_parameters["rope_theta"],
        rotary_adjacent_pairs=False,
        original_architecture="LlamaForCausalLM",
        default_prepend_bos=False,
        dtype=torch.float32,
        device="cpu",
    )
    model = HookedTransformer(cfg, tokenizer=tokenizer)
    model.load_and_process_state_dict(
        convert_llama_weights(hf_model, cfg),
        fold_ln=False,
        center_writing_weights=False,
        center_unembed=False,
        fold_value_biases=False,
        refactor_factored_attn_matrices=False,
    )
    return tokenizer, hf_model, model.eval()


def best_of(repeats, run):
    """The fastest wall-clock and process CPU seconds (all threads) of `repeats` runs, and the last result."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=None, help="folder for the grids (JSON); none written without it")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    tokenizer, hf_model, model = load(args.model)

    def ids(text):
        return torch.tensor([tokenizer.encode(text, add_special_tokens=False)], dtype=torch.int64)

    clean, corrupted = ids(CLEAN), ids(CORRUPTED)
    (answer,), (wrong,) = ids(ANSWER)[0].tolist(), ids(WRONG)[0].tolist()
    if clean.shape != corrupted.shape:
        sys.exit("clean and corrupted prompts tokenize to different lengths")

    def metric(logits):
        return logits[0, -1, answer] - logits[0, -1, wrong]

    with torch.inference_mode():
        hf_logits = hf_model(clean).logits
        tl_logits, clean_cache = model.run_with_cache(clean)
        logit_error = (hf_logits - tl_logits).abs().max().item()
        if logit_error > LOGIT_TOLERANCE:
            sys.exit(f"TransformerLens's logits differ from transformers' by {logit_error:g}")
        del hf_model

        for _ in range(3):  # warm-up: allocator, thread pool, rotary tables
            model(corrupted)

        resid_pre_s, resid_pre_cpu, resid_pre = best_of(
            args.repeats, lambda: patching.get_act_patch_resid_pre(model, corrupted, clean_cache, metric)
        )
        head_out_s, head_out_cpu, head_out = best_of(
            args.repeats, lambda: patching.get_act_patch_attn_head_out_all_pos(model, corrupted, clean_cache, metric)
        )

        # apply_ln divides by the frozen scale only; unfolded (fold_ln=False), ln_final's
        # weight is still to be applied, so it goes into the direction.
        direction = model.ln_final.w * (model.W_U[:, answer] - model.W_U[:, wrong])

        def dla():
            _, cache = model.run_with_cache(clean)
            heads = cache.stack_head_results(layer=-1, pos_slice=-1, apply_ln=True)
            components = cache.decompose_resid(layer=-1, pos_slice=-1, apply_ln=True)
            return (heads[:, 0] @ direction).reshape(model.cfg.n_layers, model.cfg.n_heads), components[:, 0] @ direction

        dla_s, dla_cpu, (head_dla, component_dla) = best_of(args.repeats, dla)

    report = {
        "threads": args.threads,
        "repeats": args.repeats,
        "tokens": clean[0].tolist(),
        "corrupted_tokens": corrupted[0].tolist(),
        "answer": answer,
        "wrong": wrong,
        "clean_metric": metric(tl_logits).item(),
        "hf_logit_max_abs_diff": logit_error,
        "resid_pre_seconds": resid_pre_s,
        "resid_pre_cpu_seconds": resid_pre_cpu,
        "resid_pre_shape": list(resid_pre.shape),
        "head_out_seconds": head_out_s,
        "head_out_cpu_seconds": head_out_cpu,
        "head_out_shape": list(head_out.shape),
        "dla_seconds": dla_s,
        "dla_cpu_seconds": dla_cpu,
        "dla_head_shape": list(head_dla.shape),
    }
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        outputs = {
            "resid_pre": resid_pre.tolist(),
            "head_out": head_out.tolist(),
            "dla": {"heads": head_dla.tolist(), "components": component_dla.tolist()},
        }
        for name, value in outputs.items():
            with open(os.path.join(args.out, name + ".json"), "w") as file:
                json.dump(value, file)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
