#!/usr/bin/env bash
# The peer benchmark: Glassbox against TransformerLens, nnsight and transformers
# (HF eager with forward hooks) on the same weights, machine and thread count.
# One command from a fresh clone; not run in CI:
#
#   tests/bench/peers.sh [--build DIR] [--lengths 32,128,512,2048] [--rounds 3] [--threads 2]
#                        [--models smollm2-135m,gpt2-small] [--write-at 512] [--out DIR] [--pypi-build DIR]
#
# It installs the peers from PyPI into a venv of its own (GLASSBOX_PEERS_VENV,
# default ~/.cache/glassbox/peers-venv), fetches SmolLM2 (.ci/setup.sh), builds
# bench_peers and glassbox-cli (-DGLASSBOX_BENCH=ON, default folder build-bench),
# and writes the two models as Hugging Face folders every side loads
# (tests/reference/make_peer_models.py). Then, per model, ROUNDS interleaved
# rounds each run every tool once as a fresh process (tests/bench/bench_peers.cpp
# and tests/reference/peer_forward.py say what is measured), and
# tests/bench/peers_table.py prints the medians as ratios to the fastest peer,
# with the logits checked against transformers', and writes OUT/peers.json.
# --pypi-build DIR adds a second Glassbox, built in DIR against the LibTorch inside
# the venv's torch (cmake -DCMAKE_PREFIX_PATH=<torch folder> -DGLASSBOX_BENCH=ON).
set -euo pipefail

HERE=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$HERE/build-bench
LENGTHS=32,128,512,2048
ROUNDS=3
THREADS=2
MODELS=smollm2-135m,gpt2-small
WRITE_AT=512
OUT=$HERE/build-bench/peers
PYPI_BUILD=
while (($#)); do
  case $1 in
    --build) BUILD=$(realpath "$2") ;;
    --lengths) LENGTHS=$2 ;;
    --rounds) ROUNDS=$2 ;;
    --threads) THREADS=$2 ;;
    --models) MODELS=$2 ;;
    --write-at) WRITE_AT=$2 ;;
    --out) OUT=$(realpath -m "$2") ;;
    --pypi-build) PYPI_BUILD=$(realpath "$2") ;;
    *) echo "peers.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/glassbox
VENV=${GLASSBOX_PEERS_VENV:-$CACHE/peers-venv}
PY=$VENV/bin/python
mkdir -p "$OUT"

bash "$HERE/.ci/setup.sh"
if [ ! -x "$PY" ] || ! "$PY" -c "import transformer_lens, nnsight, h5py" 2>/dev/null; then
  echo "Installing the peers into $VENV"
  python3 -m venv "$VENV"
  # The versions the README's table was measured with.
  "$PY" -m pip install -q torch==2.15.0 transformers==5.24.0 transformer-lens==4.3.0 nnsight==0.8.1 \
    gguf==0.19.0 h5py==3.16.0
fi
if [ ! -x "$BUILD/tests/bench/bench_peers" ] || [ ! -x "$BUILD/app/glassbox-cli" ]; then
  cmake -S "$HERE" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGLASSBOX_BENCH=ON >/dev/null
fi
cmake --build "$BUILD" --target bench_peers glassbox-cli
"$PY" "$HERE/tests/reference/make_peer_models.py" --gguf "$CACHE/SmolLM2-135M-Instruct.Q4_1.gguf" \
  --out "$CACHE/peer-models" 2>/dev/null

run_tool() {
  local tool=$1 folder=$2 work=$3 dir=$4
  if [ "$tool" = glassbox ]; then
    "$BUILD/tests/bench/bench_peers" --model "$folder" --tokens-dir "$work/tokens" --lengths "$LENGTHS" \
      --out "$dir" --write-at "$WRITE_AT" --threads "$THREADS" >"$dir/glassbox.json"
    if [ -f "$dir/cache_$WRITE_AT.h5" ]; then
      "$PY" "$HERE/tests/reference/peer_forward.py" --tool h5py --cache "$dir/cache_$WRITE_AT.h5" --out "$dir" \
        >"$dir/h5py.json"
      rm -f "$dir/cache_$WRITE_AT.h5"
    fi
  elif [ "$tool" = glassbox-pypi ]; then
    "$PYPI_BUILD/tests/bench/bench_peers" --model "$folder" --tokens-dir "$work/tokens" --lengths "$LENGTHS" \
      --out "$dir" --threads "$THREADS" --tool glassbox-pypi >"$dir/glassbox-pypi.json"
  else
    "$PY" "$HERE/tests/reference/peer_forward.py" --tool "$tool" --model "$folder" --tokens-dir "$work/tokens" \
      --lengths "$LENGTHS" --out "$dir" --threads "$THREADS" >"$dir/$tool.json"
  fi
}

for model in ${MODELS//,/ }; do
  folder=$CACHE/peer-models/$model
  work=$OUT/$model
  mkdir -p "$work/tokens"
  # Token ids drawn once (seed 0), below the vocabulary; every tool reads the same files.
  python3 - "$folder/config.json" "$work/tokens" "$LENGTHS" <<'EOF'
import json, random, sys
vocab = json.load(open(sys.argv[1]))["vocab_size"]
rng = random.Random(0)
for T in map(int, sys.argv[3].split(",")):
    open(f"{sys.argv[2]}/tokens_{T}.txt", "w").write(",".join(str(rng.randrange(vocab)) for _ in range(T)))
EOF
  for round in $(seq "$ROUNDS"); do
    dir=$work/round_$round
    mkdir -p "$dir"
    # A different tool goes first in each round, so that none always meets a cold machine.
    tools=(glassbox hf tl nnsight)
    [ -z "$PYPI_BUILD" ] || tools+=(glassbox-pypi)
    shift_by=$(((round - 1) % ${#tools[@]}))
    tools=("${tools[@]:shift_by}" "${tools[@]:0:shift_by}")
    for tool in "${tools[@]}"; do
      echo "$model round $round: $tool" >&2
      # A tool that fails (out of memory at T = 2,048, say) is left out of the table, not the run.
      run_tool "$tool" "$folder" "$work" "$dir" || { echo "$model round $round: $tool failed" >&2; rm -f "$dir/$tool.json"; }
    done
  done
  # Streaming a full cache at the longest length: the peak resident set against a
  # plain run's, and what the CLI says before it runs.
  longest=${LENGTHS##*,}
  python3 - "$BUILD/app/glassbox-cli" "$folder" "$work/tokens/tokens_$longest.txt" "$work" "$THREADS" <<'EOF'
import json, os, subprocess, sys
cli, folder, tokens, work, threads = sys.argv[1:]
ids = open(tokens).read()
def peak(*extra):
    out = os.path.join(work, "stream.h5")
    p = subprocess.Popen([cli, "run", "--model", folder, "--tokens", ids, "--out", out, "--threads", threads, *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(p.pid, 0)
    stdout, stderr = p.communicate()
    if os.path.exists(out):
        os.remove(out)
    return {"status": os.waitstatus_to_exitcode(status), "peak_rss_bytes": usage.ru_maxrss * 1024,
            "stdout": stdout, "stderr": stderr.strip()}
estimate = json.loads(peak("--dry-run")["stdout"])
plain, streamed, refused = peak("--hooks", "none^"), peak("--stream"), peak()
json.dump({"T": len(ids.split(",")), "estimate": estimate, "plain_peak_rss_bytes": plain["peak_rss_bytes"],
           "stream_peak_rss_bytes": streamed["peak_rss_bytes"], "stream_status": streamed["status"],
           "full_cache_status": refused["status"], "full_cache_message": refused["stderr"]},
          open(os.path.join(work, "stream.json"), "w"), indent=2)
EOF
done
"$PY" "$HERE/tests/bench/peers_table.py" "$OUT" ${MODELS//,/ }
