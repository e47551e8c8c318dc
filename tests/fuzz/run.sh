#!/usr/bin/env bash
# Runs every fuzzer (tests/fuzz/fuzz_<name>.cpp) for SECONDS each:
#   tests/fuzz/run.sh SECONDS [NAME...]
# Builds them first in build-fuzz (clang; on Debian the packages clang and
# libclang-rt-dev), seeds each from tests/fuzz/corpus/<name> and keeps what
# it finds new in build-fuzz/corpus/<name> (so a second run goes on from
# there). Prints per fuzzer its executions, coverage and result; a finding (a
# crash, a sanitizer report, an exception other than glassbox::Error, a broken
# invariant, a hang past 10 s, more than 2 GB of memory) leaves the input in
# build-fuzz/findings/ and its log in build-fuzz/logs/, and makes the exit
# status non-zero. FUZZ_JOBS=N runs N fuzzers at a time (default 1).
# FUZZ_SEED=N fixes libFuzzer's random seed, so that a run explores the same
# inputs in the same order each time (CI does; a finding there reproduces); by
# default each run draws a new seed and goes where earlier runs did not.
# To reproduce a finding: build-fuzz/tests/fuzz/fuzz_<name> build-fuzz/findings/<name>-crash-...
# Fix it in the parser and add its minimized input (fuzz_<name> -minimize_crash=1
# -runs=10000 FILE) as a regression test in tests/formats.
set -euo pipefail

if [[ $# -lt 1 || ! $1 =~ ^[0-9]+$ ]]; then
  echo "usage: $0 SECONDS [NAME...]" >&2
  exit 2
fi
seconds=$1
shift
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD_DIR:-$repo/build-fuzz}
jobs=${FUZZ_JOBS:-1}

if [[ $# -gt 0 ]]; then
  names=("$@")
else
  names=()
  for source in "$repo"/tests/fuzz/fuzz_*.cpp; do
    name=$(basename "$source" .cpp)
    names+=("${name#fuzz_}")
  done
fi

if [[ ! -f $build/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S "$repo" -B "$build" -G Ninja -DGLASSBOX_GUI=OFF -DGLASSBOX_TESTS=OFF -DGLASSBOX_FUZZ=ON
fi
cmake --build "$build" -j "${CMAKE_BUILD_PARALLEL_LEVEL:-2}" --target "${names[@]/#/fuzz_}"

# The session reader runs behind libhdf5, which crashes, loops and allocates
# what a crafted file claims in code no check of ours precedes; the app reads a
# session in a child process first (core/child_process.h), which contains that.
# So fuzz_session runs in libFuzzer's fork mode, going on past such findings,
# and each is triaged: contained when it failed inside libhdf5 (its innermost
# frame outside libc, the sanitizers and libFuzzer is libhdf5's, or it is an
# out-of-memory of the whole process with no frame) and glassbox-cli (FUZZ_CLI,
# default build/app/glassbox-cli) reads the same file or refuses it with one
# line naming it, within 60 s. Any other finding is a FINDING, as for the other fuzzers.
contained=" session "
cli=${FUZZ_CLI:-$repo/build/app/glassbox-cli}
sanitizer_frames='libc\.so|sysdeps/|__interceptor_|__asan|__sanitizer|__ubsan|__lsan|compiler-rt|fuzzer::|in (malloc|calloc|realloc|free|operator new|main) '

# "libhdf5", or why artifact $2 of fuzzer $1 is a finding of ours.
triage() {
  local name=$1 artifact=$2 report frame
  report=$("$build/tests/fuzz/fuzz_$name" -runs=1 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 "$artifact" 2>&1 || true)
  frame=$(grep -E '^ +#[0-9]+ 0x' <<<"$report" | grep -vE "$sanitizer_frames" | head -n 1 || true)
  if [[ $frame != *libhdf5* ]] && ! grep -q 'libFuzzer: out-of-memory (used:' <<<"$report"; then
    echo "failed outside libhdf5: ${frame:-no frame}"
    return
  fi
  if [[ ! -x $cli ]]; then
    echo "inside libhdf5, but $cli is not built to check that the app contains it"
    return
  fi
  local err status=0
  err=$(timeout -s KILL 60 "$cli" session info "$artifact" 2>&1 >/dev/null) || status=$?
  if [[ $status -ne 0 ]] && [[ $status -ne 1 || $(wc -l <<<"$err") -ne 1 || $err != *"$artifact: "* ]]; then
    echo "inside libhdf5, and glassbox-cli session info neither read it nor refused it with one line (exit $status)"
    return
  fi
  echo libhdf5
}

mkdir -p "$build/findings" "$build/logs"
# One fuzzer; its summary line goes to logs/<name>.result.
run_one() {
  local name=$1 log=$build/logs/$1.log
  mkdir -p "$build/corpus/$name"
  local status=0 mode=() started=$build/logs/$name.started
  [[ $contained == *" $name "* ]] && mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  touch "$started"
  "$build/tests/fuzz/fuzz_$name" "${mode[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/findings/$name-" \
    ${FUZZ_SEED:+-seed="$FUZZ_SEED"} "$build/corpus/$name" "$repo/tests/fuzz/corpus/$name" >"$log" 2>&1 || status=$?
  local executions coverage result
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  [[ -z $executions ]] && executions=$(grep -oE '^#[0-9]+: cov' "$log" | tail -n 1 | tr -dc 0-9)
  coverage=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1 || true)
  if [[ ${#mode[@]} -gt 0 ]]; then
    local artifact verdict kind crashes=0 timeouts=0 ooms=0 ours=""
    while IFS= read -r artifact; do
      verdict=$(triage "$name" "$artifact")
      kind=$(basename "$artifact" | sed "s/^$name-//; s/-.*//")
      if [[ $verdict != libhdf5 ]]; then
        ours="$ours $artifact ($verdict);"
      elif [[ $kind == timeout ]]; then
        timeouts=$((timeouts + 1))
      elif [[ $kind == oom ]]; then
        ooms=$((ooms + 1))
      else
        crashes=$((crashes + 1))
      fi
    done < <(find "$build/findings" -name "$name-*" -newer "$started" | sort)
    status=0
    [[ -n $ours ]] && status=1
    result="contained in libhdf5: $crashes crashes, $timeouts timeouts, $ooms out-of-memory"
    [[ -n $ours ]] && result="FINDING:$ours $result; log $log"
  elif [[ $status -eq 0 ]]; then
    result=ok
  else
    result="FINDING (exit $status; $(grep -o -m 1 'artifact_prefix.*Test unit written to .*' "$log" | sed 's/.*written to //' || true); log $log)"
  fi
  printf '%-18s %12s executions  %-20s %s\n' "$name" "${executions:-?}" "${coverage:-cov: ?}" "$result" \
    >"$build/logs/$name.result"
  [[ $status -eq 0 ]]
}

failed=0
running=0
for name in "${names[@]}"; do
  run_one "$name" &
  running=$((running + 1))
  if [[ $running -ge $jobs ]]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [[ $running -gt 0 ]]; do
  wait -n || failed=1
  running=$((running - 1))
done
for name in "${names[@]}"; do cat "$build/logs/$name.result"; done
exit $failed
