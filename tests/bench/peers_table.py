#!/usr/bin/env python3
"""The table of tests/bench/peers.sh: medians over its rounds, Glassbox's time
as a ratio to the fastest peer's (below 1: Glassbox is faster), the logits
checked against transformers', and OUT/peers.json with every number.

    peers_table.py OUT MODEL...
"""

import glob
import json
import os
import statistics
import sys

import numpy as np

PEERS = ("hf", "tl", "nnsight")
OURS = ("glassbox", "glassbox-pypi")  # Debian's LibTorch; PyPI's (peers.sh --pypi-build)
NAMES = {"glassbox": "Glassbox", "glassbox-pypi": "Glassbox (PyPI LibTorch)", "hf": "HF hooks",
         "tl": "TransformerLens", "nnsight": "nnsight"}


def load_rounds(work):
    rounds = []
    for folder in sorted(glob.glob(os.path.join(work, "round_*"))):
        rounds.append({os.path.basename(p)[:-5]: json.load(open(p)) for p in glob.glob(os.path.join(folder, "*.json"))})
    return rounds


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def row_of(report, T):
    return next((r for r in report.get("lengths", []) if r["T"] == T), {})


def logit_error(work, T):
    """Largest |Glassbox − peer| over the logits of the first round, per peer."""
    folder = os.path.join(work, "round_1")
    ours = np.fromfile(os.path.join(folder, f"glassbox_logits_{T}.f32"), dtype=np.float32)
    errors = {}
    for tool in PEERS + OURS[1:]:
        path = os.path.join(folder, f"{tool}_logits_{T}.f32")
        if os.path.exists(path):
            errors[tool] = float(np.abs(np.fromfile(path, dtype=np.float32) - ours).max())
    return errors


def summarize(out, model):
    work = os.path.join(out, model)
    rounds = load_rounds(work)
    tools = [t for t in OURS + PEERS if all(t in r for r in rounds)]
    lengths = [r["T"] for r in rounds[0]["glassbox"]["lengths"]]
    summary = {"model": model, "rounds": len(rounds), "threads": rounds[0]["glassbox"]["threads"],
               "libtorch": rounds[0]["glassbox"]["libtorch"], "torch": rounds[0].get("hf", {}).get("torch"),
               "open_s": {t: median([r[t]["open_s"] for r in rounds]) for t in tools},
               "gemm_gflops": median([r["glassbox"]["gemm_gflops"] for r in rounds]), "lengths": []}
    summary["composition_s"] = {t: median([r[t]["composition_s"] for r in rounds]) for t in tools
                                if all("composition_s" in r[t] for r in rounds)}
    for T in lengths:
        entry = {"T": T}
        for case in ("forward_s", "cache_s", "capture_overhead", "cache_bytes", "cache_rss_bytes", "logit_lens_s",
                     "unembed_gemm_s", "forward_gflops", "write_s", "commit_s"):
            values = {t: median([row_of(r[t], T).get(case) for r in rounds]) for t in tools}
            entry[case] = {t: v for t, v in values.items() if v is not None}
        for case in ("forward_s", "cache_s"):
            peers = [v for t, v in entry[case].items() if t in PEERS]
            for ours in (t for t in OURS if t in entry[case]):
                suffix = "_ratio" if ours == "glassbox" else "_ratio_pypi"
                entry[case + suffix] = entry[case][ours] / min(peers) if peers else None
        peers = [v for t, v in entry["capture_overhead"].items() if t in PEERS]
        entry["best_peer_capture_overhead"] = min(peers) if peers else None
        if "tl" in entry["logit_lens_s"]:
            entry["logit_lens_ratio"] = entry["logit_lens_s"]["glassbox"] / entry["logit_lens_s"]["tl"]
        entry["logit_lens_over_gemm"] = entry["logit_lens_s"]["glassbox"] / entry["unembed_gemm_s"]["glassbox"]
        entry["flop_share_of_gemm"] = entry["forward_gflops"]["glassbox"] / summary["gemm_gflops"]
        if entry["write_s"]:
            h5py = [r["h5py"] for r in rounds if "h5py" in r]
            ours = entry["write_s"]["glassbox"] + entry["commit_s"]["glassbox"]
            theirs = median([h["write_s"] + h["commit_s"] for h in h5py])
            entry["cache_write"] = {"glassbox_s": ours, "h5py_s": theirs, "ratio": ours / theirs,
                                    "bytes": h5py[0]["bytes"]}
        entry["logits_max_abs_diff"] = logit_error(work, T)
        summary["lengths"].append(entry)
    stream = os.path.join(work, "stream.json")
    if os.path.exists(stream):
        summary["stream"] = json.load(open(stream))
    return summary


def fmt(seconds):
    return "-" if seconds is None else f"{seconds:.3f}" if seconds < 10 else f"{seconds:.1f}"


def print_table(s):
    print(f"\n### {s['model']} ({s['threads']} threads, median of {s['rounds']} rounds; "
          f"LibTorch {s['libtorch']}, peers on torch {s['torch']})\n")
    print("| T | forward s: Glassbox / fastest peer | ratio | full cache s: Glassbox / fastest peer | ratio "
          "| capture overhead: Glassbox / best peer | cache MB | logit lens s: Glassbox / TL | FLOP rate / GEMM rate "
          "| max abs logit diff vs HF |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for e in s["lengths"]:
        def fastest(case):
            peers = {t: v for t, v in e[case].items() if t in PEERS}
            best = min(peers, key=peers.get) if peers else None
            return f"{fmt(e[case]['glassbox'])} / {fmt(peers.get(best))} ({NAMES.get(best, '-')})"
        lens = e["logit_lens_s"]
        print(f"| {e['T']} | {fastest('forward_s')} | {e['forward_s_ratio']:.2f} | {fastest('cache_s')} | "
              f"{e['cache_s_ratio']:.2f} | {e['capture_overhead']['glassbox']:.2f} / {e['best_peer_capture_overhead']:.2f} | "
              f"{e['cache_bytes']['glassbox'] / 1e6:.0f} | {fmt(lens.get('glassbox'))} / {fmt(lens.get('tl'))} | "
              f"{e['flop_share_of_gemm']:.2f} | {e['logits_max_abs_diff'].get('hf', float('nan')):.1e} |")
    opens = s["open_s"]
    print("\nModel open, s: " + ", ".join(f"{NAMES[t]} {fmt(v)}" for t, v in opens.items()) +
          f" (Glassbox / fastest peer {opens['glassbox'] / min(v for t, v in opens.items() if t in PEERS):.2f})")
    if "glassbox-pypi" in opens:
        print("Built against PyPI's LibTorch, forward / fastest peer: " +
              ", ".join(f"T={e['T']} {e['forward_s_ratio_pypi']:.2f}" for e in s["lengths"]) +
              "; full cache / fastest peer: " + ", ".join(f"T={e['T']} {e['cache_s_ratio_pypi']:.2f}" for e in s["lengths"]) +
              "; capture overhead: " + ", ".join(f"T={e['T']} {e['capture_overhead']['glassbox-pypi']:.2f}" for e in s["lengths"]))
    print(f"Machine GEMM rate (float32, 2048³): {s['gemm_gflops']:.0f} GFLOP/s")
    comp = s["composition_s"]
    if "tl" in comp:
        print(f"Composition scores (Q, K, V, all head pairs): Glassbox {fmt(comp['glassbox'])} s, TransformerLens "
              f"{fmt(comp['tl'])} s, ratio {comp['glassbox'] / comp['tl']:.2f}")
    for e in s["lengths"]:
        if "cache_write" in e:
            w = e["cache_write"]
            print(f"Writing the full cache at T={e['T']} ({w['bytes'] / 1e9:.2f} GB, durable): Glassbox {fmt(w['glassbox_s'])} s, "
                  f"h5py + fsync {fmt(w['h5py_s'])} s, ratio {w['ratio']:.2f}")
        print(f"Logit lens at T={e['T']}: {e['logit_lens_over_gemm']:.2f}× its unembedding GEMMs")
    if "stream" in s:
        st = s["stream"]
        est = st["estimate"]
        print(f"Streaming the full cache at T={st['T']} ({est['hook_points']} hook points, "
              f"{est['cache_bytes'] / 2**30:.1f} GiB): peak RSS {st['stream_peak_rss_bytes'] / 1e9:.2f} GB "
              f"against {st['plain_peak_rss_bytes'] / 1e9:.2f} GB for a run that captures nothing "
              f"(growth {(st['stream_peak_rss_bytes'] - st['plain_peak_rss_bytes']) / 1e6:.0f} MB). "
              f"Without --stream: exit {st['full_cache_status']}" +
              (f", \"{st['full_cache_message']}\"" if st["full_cache_status"] else ""))


def main():
    out, models = sys.argv[1], sys.argv[2:]
    summaries = []
    for model in models:
        s = summarize(out, model)
        summaries.append(s)
        print_table(s)
    json.dump(summaries, open(os.path.join(out, "peers.json"), "w"), indent=2)
    print(f"\nwrote {os.path.join(out, 'peers.json')}")


if __name__ == "__main__":
    main()
