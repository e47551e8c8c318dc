#!/usr/bin/env python3
"""The peers' side of the peer benchmark (tests/bench/peers.sh); Glassbox's side
is tests/bench/bench_peers.cpp, and both measure the same cases on the same
Hugging Face folder (tests/reference/make_peer_models.py) and token ids:

- hf: transformers, eager attention; the full cache is a forward hook on every
  module that runs (their outputs);
- tl: TransformerLens 4's TransformerBridge over the same transformers model,
  booted from the local folder (no hub); the full cache is run_with_cache;
- nnsight: LanguageModel over the same transformers model; the full cache is
  `.output.save()` of every module that runs, in the order they run;
- h5py: no model; rewrites the datasets of Glassbox's cache file (--cache) with
  h5py and one fsync, the baseline for writing a cache.

Per length T, after a warm-up at that length: forward_s (no capture),
cache_s, capture_overhead, cache_bytes (what the cache holds), cache_rss_bytes
(how much the resident set grew while it is held) and, for tl, composition_s
(all_composition_scores for Q, K and V, once) and logit_lens_s:
TransformerLens's accumulated_resid(apply_ln=True) through the unembedding, with
top-5, the final prediction's probability and KL to the final layer, 128
positions at a time as Glassbox does. The logits go to OUT/TOOL_logits_T.f32.
Prints one JSON object.

    peer_forward.py --tool hf|tl|nnsight --model DIR --tokens-dir DIR --lengths 32,128 --out DIR [--threads 2]
    peer_forward.py --tool h5py --cache cache_512.h5 --out DIR
"""

import argparse
import json
import os
import sys
import time
import warnings

os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
warnings.filterwarnings("ignore")

import torch  # noqa: E402

CHUNK = 128  # positions per step of the logit lens, as in Glassbox


def resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def tensors_in(value):
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from tensors_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from tensors_in(item)
    elif hasattr(value, "to_tuple"):  # transformers' ModelOutput
        yield from tensors_in(value.to_tuple())


def nbytes(values):
    return sum(t.numel() * t.element_size() for v in values for t in tensors_in(v))


def modules_in_run_order(model, ids):
    """Dotted paths of the modules one forward pass calls, in the order they finish."""
    order, handles = [], []
    for name, module in model.named_modules():
        if name:
            handles.append(module.register_forward_hook(lambda m, i, o, name=name: order.append(name)))
    with torch.inference_mode():
        model(ids)
    for handle in handles:
        handle.remove()
    seen = set()
    return [n for n in order if not (n in seen or seen.add(n))]


class Hf:
    def __init__(self, hf_model, ids):
        self.model = hf_model
        self.modules = dict(hf_model.named_modules())
        self.order = modules_in_run_order(hf_model, ids)

    def forward(self, ids):
        return self.model(ids).logits

    def cache(self, ids):
        outputs = {}
        handles = [
            self.modules[name].register_forward_hook(lambda m, i, o, name=name: outputs.__setitem__(name, o))
            for name in self.order
        ]
        try:
            logits = self.model(ids).logits
        finally:
            for handle in handles:
                handle.remove()
        return logits, list(outputs.values())


class Tl:
    def __init__(self, folder, hf_model, tokenizer):
        from transformer_lens.model_bridge import TransformerBridge

        self.bridge = TransformerBridge.boot_transformers(folder, hf_model=hf_model, tokenizer=tokenizer, device="cpu")

    def forward(self, ids):
        return self.bridge(ids)

    def cache(self, ids):
        logits, cache = self.bridge.run_with_cache(ids)
        return logits, list(cache.values())

    def composition(self):
        return [self.bridge.all_composition_scores(mode) for mode in ("Q", "K", "V")]

    def logit_lens(self, ids):
        n_layers = self.bridge.cfg.n_layers
        # What accumulated_resid reads: every block's input and the last block's output.
        wanted = {f"blocks.{l}.hook_resid_pre" for l in range(n_layers)} | {f"blocks.{n_layers - 1}.hook_resid_post"}
        _, cache = self.bridge.run_with_cache(ids, names_filter=lambda name: name in wanted)
        resid = cache.accumulated_resid(apply_ln=True)[:, 0]  # [rows, T, d_model]
        results = []
        for first in range(0, resid.shape[1], CHUNK):
            logits = self.bridge.unembed(resid[:, first : first + CHUNK])
            logprobs = logits.log_softmax(-1)
            final = logprobs[-1:]
            target = final[0, :, :].argmax(-1)
            kl = (final.exp() * (final - logprobs)).sum(-1)
            results.append((logprobs.exp().topk(5, dim=-1), logprobs.gather(-1, target.expand(logprobs.shape[0], -1)[..., None]).exp(), kl))
        return results


class Nnsight:
    def __init__(self, hf_model, tokenizer, ids):
        from nnsight import LanguageModel

        self.model = LanguageModel(hf_model, tokenizer=tokenizer)
        self.order = modules_in_run_order(hf_model, ids)

    def envoy(self, path):
        envoy = self.model
        for part in path.split("."):
            envoy = envoy[int(part)] if part.isdigit() else getattr(envoy, part)
        return envoy

    def forward(self, ids):
        with self.model.trace(ids):
            logits = self.model.output.save()
        return logits.logits

    def cache(self, ids):
        saved = []  # made outside the trace: nnsight runs the block's code apart
        with self.model.trace(ids):
            for name in self.order:
                saved.append(self.envoy(name).output.save())
            logits = self.model.output.save()
        return logits.logits, saved


def timed(run):
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def run_model(args):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(args.threads)
    lengths = [int(t) for t in args.lengths.split(",")]

    def ids_of(T):
        with open(os.path.join(args.tokens_dir, f"tokens_{T}.txt")) as f:
            return torch.tensor([[int(x) for x in f.read().split(",")]], dtype=torch.int64)

    warm_ids = ids_of(lengths[0])
    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    hf_model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32, attn_implementation="eager").eval()
    if args.tool == "hf":
        tool = Hf(hf_model, warm_ids)
    elif args.tool == "tl":
        tool = Tl(args.model, hf_model, tokenizer)
    else:
        tool = Nnsight(hf_model, tokenizer, warm_ids)
    report = {"tool": args.tool, "torch": torch.__version__, "threads": torch.get_num_threads(),
              "open_s": time.perf_counter() - start, "lengths": []}

    with torch.inference_mode():
        if hasattr(tool, "composition"):
            report["composition_s"], _ = timed(tool.composition)
        for T in lengths:
            ids = ids_of(T)
            row = {"T": T}
            tool.forward(ids)  # warm-up
            row["forward_s"], _ = timed(lambda: tool.forward(ids))
            before = resident_bytes()
            row["cache_s"], (logits, cache) = timed(lambda: tool.cache(ids))
            row["cache_rss_bytes"] = resident_bytes() - before
            row["cache_bytes"] = nbytes(cache)
            row["hook_points"] = len(cache)
            row["capture_overhead"] = row["cache_s"] / row["forward_s"]
            logits[0].float().contiguous().numpy().tofile(os.path.join(args.out, f"{args.tool}_logits_{T}.f32"))
            del logits, cache
            if hasattr(tool, "logit_lens"):
                row["logit_lens_s"], _ = timed(lambda: tool.logit_lens(ids))
            report["lengths"].append(row)
            print(f"{args.tool} T={T} done", file=sys.stderr)
    print(json.dumps(report, indent=2))


def rewrite_cache(args):
    import h5py

    arrays = {}
    with h5py.File(args.cache, "r") as f:
        f.visititems(lambda name, obj: arrays.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    path = os.path.join(args.out, "h5py_cache.h5")
    start = time.perf_counter()
    with h5py.File(path, "w") as f:
        for name, array in arrays.items():
            f.create_dataset(name, data=array)
    write = time.perf_counter() - start
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    total = time.perf_counter() - start
    os.remove(path)
    print(json.dumps({"tool": "h5py", "write_s": write, "commit_s": total - write,
                      "bytes": sum(a.nbytes for a in arrays.values())}, indent=2))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True, choices=["hf", "tl", "nnsight", "h5py"])
    parser.add_argument("--model")
    parser.add_argument("--tokens-dir")
    parser.add_argument("--lengths", default="32")
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cache", help="h5py: the Glassbox cache file whose datasets are rewritten")
    args = parser.parse_args()
    if args.tool == "h5py":
        rewrite_cache(args)
    else:
        run_model(args)


if __name__ == "__main__":
    main()
