#!/usr/bin/env bash
# Times activation patching (the resid_pre and head_out grids) and direct logit
# attribution on SmolLM2-135M-Instruct Q4_1 in Glassbox (bench_interventions,
# built with -DGLASSBOX_BENCH=ON) against TransformerLens
# (tests/reference/transformer_lens_patching.py), with the same thread count,
# in alternating rounds. Each side reports its best of REPEATS runs after a
# warm-up, in wall-clock and in process CPU seconds (the steadier of the two on
# a loaded machine); the ratios are TransformerLens / Glassbox. Then the largest
# |difference| between the two sides' raw grids (logit(" Mary") − logit(" John")
# of the patched run, not normalised) and head attributions. Targets: each grid
# ≥ 5× faster than TransformerLens, DLA under 1 s. Not run in CI.
#
#   PYTHON=/work/venv-tl/bin/python tests/bench/compare_transformer_lens.sh [BUILD_DIR] [THREADS] [ROUNDS] [REPEATS]
#
# PYTHON needs transformer-lens 3.x, torch, transformers and gguf
# (tests/reference/README.md); MODEL overrides the GGUF path.
set -euo pipefail

BUILD=${1:-build}
THREADS=${2:-2}
ROUNDS=${3:-3}
REPEATS=${4:-3}
PYTHON=${PYTHON:-python3}
MODEL=${MODEL:-${XDG_CACHE_HOME:-$HOME/.cache}/glassbox/SmolLM2-135M-Instruct.Q4_1.gguf}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/glassbox" "$TMP/tl"

# Alternating rounds, so both see the same machine load.
for round in $(seq "$ROUNDS"); do
  "$BUILD/tests/bench/bench_interventions" --model "$MODEL" --threads "$THREADS" --repeats "$REPEATS" \
    --out "$TMP/glassbox" >"$TMP/glassbox.json"
  "$PYTHON" "$HERE/tests/reference/transformer_lens_patching.py" --model "$MODEL" --threads "$THREADS" \
    --repeats "$REPEATS" --out "$TMP/tl" 2>/dev/null >"$TMP/tl.json"
  python3 - "$TMP" "$round" <<'EOF'
import json, sys
tmp, round_ = sys.argv[1], sys.argv[2]
gb, tl = (json.load(open(f"{tmp}/{side}.json")) for side in ("glassbox", "tl"))
parts = []
for name in ("resid_pre", "head_out", "dla"):
    g, t = gb[name + "_seconds"], tl[name + "_seconds"]
    gc, tc = gb[name + "_cpu_seconds"], tl[name + "_cpu_seconds"]
    parts.append(f"  {name:9}  wall: glassbox {g:8.3f} s, TL {t:8.3f} s, TL/glassbox {t / g:5.1f}x"
                 f"   CPU: glassbox {gc:8.3f} s, TL {tc:8.3f} s, TL/glassbox {tc / gc:5.1f}x")
print(f"round {round_} ({gb['threads']} threads):\n" + "\n".join(parts))
EOF
done

python3 - "$TMP" <<'EOF'
import json, sys
tmp = sys.argv[1]
gb, tl = (json.load(open(f"{tmp}/{side}.json")) for side in ("glassbox", "tl"))
if gb["tokens"] != tl["tokens"] or gb["corrupted_tokens"] != tl["corrupted_tokens"]:
    sys.exit(f"the two sides tokenized differently: {gb['tokens']} vs {tl['tokens']}")

def flat(value):
    return [x for row in value for x in flat(row)] if isinstance(value, list) else [value]

def max_diff(name, pick):
    ours, theirs = (flat(pick(json.load(open(f"{tmp}/{side}/{name}.json")))) for side in ("glassbox", "tl"))
    if len(ours) != len(theirs):
        sys.exit(f"{name}: {len(ours)} cells here, {len(theirs)} in TransformerLens")
    return max(abs(a - b) for a, b in zip(ours, theirs)), max(abs(b) for b in theirs)

print(f"clean metric: glassbox {gb['clean_metric']:.5f}, TL {tl['clean_metric']:.5f}")
whole = lambda v: v  # noqa: E731
for label, name, pick in (("resid_pre grid", "resid_pre", whole), ("head_out grid", "head_out", whole),
                          ("DLA heads", "dla", lambda v: v["heads"])):
    diff, scale = max_diff(name, pick)
    print(f"{label}: max |glassbox - TL| {diff:.2e} (largest |TL| cell {scale:.3f})")
EOF
