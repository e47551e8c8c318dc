#!/usr/bin/env bash
# Reproduces the table of Doshi et al., "To grok or not to grok" (docs/methods.md, "The grok MLP")
# with glassbox-cli: p=97, train fraction 0.5, ξ=0.35, width 500, weight decay
# 0, 5 and 15; then the low-IPR pruning curve of the wd-0 model. Not run in CI:
# about 15 minutes per model on one core of this machine.
#
#   tests/bench/reproduce_grokking.sh [BUILD_DIR] [OUT_DIR]
#
# Environment: EPOCHS (default 5000), THREADS (default 1). On CPUs that the
# system OpenBLAS does not recognise (it then falls back to generic SSE kernels,
# 2-4x slower), set OPENBLAS_CORETYPE (e.g. SkylakeX or Haswell).
set -euo pipefail

BUILD=${1:-build}
OUT=${2:-out/grokking}
EPOCHS=${EPOCHS:-5000}
THREADS=${THREADS:-1}
CLI="$BUILD/app/glassbox-cli"
mkdir -p "$OUT"

for wd in 0 5 15; do
  "$CLI" train modular --p 97 --op add --train-frac 0.5 --corrupt 0.35 --width 500 --epochs "$EPOCHS" \
    --weight-decay "$wd" --seed 0 --threads "$THREADS" --log-every 50 --out "$OUT/wd$wd" > "$OUT/wd$wd.json"
done
"$CLI" probe ipr --model "$OUT/wd0" --out "$OUT/wd0_ipr.h5" > "$OUT/wd0_ipr.json"
"$CLI" probe prune-curve --model "$OUT/wd0" --out "$OUT/wd0_prune.h5" > "$OUT/wd0_prune.json"

python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
paper = {0: (97.8, 98.3), 5: (78.6, 100.0), 15: (65.4, 100.0)}
print("| weight decay | train (noisy labels) | test | paper train / test | train corrupted | train clean | s/epoch |")
print("|---|---|---|---|---|---|---|")
for wd, (ptrain, ptest) in paper.items():
    r = json.load(open(f"{out}/wd{wd}.json"))
    a = r["accuracy"]
    print(f"| {wd} | {100*a['train']:.1f}% | {100*a['test']:.1f}% | {ptrain}% / {ptest}% | "
          f"{100*a['train_corrupted']:.1f}% | {100*a['train_clean']:.1f}% | {r['seconds_per_epoch']:.3f} |")
print()
print("wd 0, pruning neurons lowest IPR first (highest first in brackets):")
print("| neurons pruned | train corrupted | train clean | test |")
print("|---|---|---|---|")
for row in json.load(open(f"{out}/wd0_prune.json"))["curve"]:
    lo, hi = row["lowest_first"], row["highest_first"]
    cells = " | ".join(f"{100*lo[s]:.1f}% ({100*hi[s]:.1f}%)" for s in ("train_corrupted", "train_clean", "test"))
    print(f"| {row['pruned']} | {cells} |")
PY
