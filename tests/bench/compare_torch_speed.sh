#!/usr/bin/env bash
# Times full-batch epochs of the grok MLP (p=97, width 500, 4704 training pairs)
# in glassbox-cli against the same loop in PyTorch
# (tests/reference/train_modular_torch.py), with the same thread count. Both
# report the time of the optimisation steps only. Not run in CI.
#
#   tests/bench/compare_torch_speed.sh [BUILD_DIR] [THREADS] [EPOCHS] [ROUNDS]
set -euo pipefail

BUILD=${1:-build}
THREADS=${2:-2}
EPOCHS=${3:-200}
ROUNDS=${4:-3}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# Alternating rounds, so both see the same machine load.
for round in $(seq "$ROUNDS"); do
  cpp=$("$BUILD/app/glassbox-cli" train modular --p 97 --train-frac 0.5 --corrupt 0.35 --width 500 \
        --epochs "$EPOCHS" --weight-decay 0 --seed 0 --threads "$THREADS" --log-every "$EPOCHS" --out "$TMP/m" \
        2>/dev/null | field seconds_per_epoch)
  py=$(python3 "$HERE/tests/reference/train_modular_torch.py" --threads "$THREADS" --epochs "$EPOCHS" | field seconds_per_epoch)
  python3 -c "print(f'round $round: glassbox {1000*$cpp:.1f} ms/epoch, pytorch {1000*$py:.1f} ms/epoch, ratio glassbox/pytorch {$cpp/$py:.2f}')"
done
