#!/usr/bin/env bash
# The libFuzzer harnesses of fuzz/ (docs/reliability.md, "Fuzzing"), built with clang into build-fuzz/.
#
#   scripts/fuzz.sh build     configure and build every harness
#   scripts/fuzz.sh run       each harness for FUZZ_SECONDS (default 60), one after the other, starting from
#                             its committed seeds and what earlier runs found (build-fuzz/corpus/); prints the
#                             executions per harness and their total. FUZZ_ONLY="dns sse_decoders" runs some.
#   scripts/fuzz.sh regress   each harness over its seeds, then a fixed number of mutations from a fixed seed
#                             (FUZZ_REGRESS_RUNS, default 20000; 5000 for the slow http_server): the test
#                             suite's step (make fuzz-regress). The same binary and seeds try the same inputs on
#                             every machine, so the suite passes or fails alike everywhere and a failure
#                             replays at once; finding new bugs is `run`'s job (stop 13's CI went red on a
#                             time-bounded regress that happened to reach a new input, F7).
#   scripts/fuzz.sh seeds     rewrites the committed seed corpora (fuzz/corpus/) with fuzz_make_seeds; the inputs
#                             that found bugs (fuzz/corpus/NAME/found-*) are kept
#
# A crash, a leak, a sanitizer report, a broken invariant or a hang (FUZZ_TIMEOUT seconds for one input,
# default 10) stops the run with libFuzzer's report; the input is kept in build-fuzz/artifacts/ and replays
# with `build-fuzz/fuzz_NAME FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BUILD_FUZZ:-build-fuzz}
jobs=${JOBS:-$(nproc)}
harnesses=(dns sse_decoders engine_stream request engine_errors node_status peer_proof join_token gguf_header
  http_server api_key relay_link ui_request chunk_scan dashboard node_answer)
[[ -n "${FUZZ_ONLY:-}" ]] && read -r -a harnesses <<<"$FUZZ_ONLY"

# build_all, quiet when it works; when it fails, the end of what the build printed (ninja writes compile
# errors to stdout) goes to stderr.
build_quietly() {
  local out
  if ! out=$(build_all 2>&1); then
    printf '%s\n' "$out" | tail -n 40 >&2
    echo "fuzz.sh: the harnesses did not build" >&2
    exit 1
  fi
}

build_all() {
  local cxx=${FUZZ_CXX:-$(command -v clang++-14 || command -v clang++ || true)}
  if [[ -z "$cxx" ]]; then
    echo "clang++ is missing: scripts/install-deps.sh --test installs clang-14 and libclang-rt-14-dev" >&2
    exit 1
  fi
  cmake -S fuzz -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" >/dev/null
  cmake --build "$build" -j "$jobs"
}

# Options every run shares. The dictionary of a harness is fuzz/dict/NAME.dict, or json.dict for the harnesses
# whose input is mostly JSON.
options() {
  local name=$1
  local opts=(-timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1
    -artifact_prefix="$build/artifacts/$name-")
  local dict="fuzz/dict/$name.dict"
  case "$name" in engine_stream | request | engine_errors | node_status) dict=fuzz/dict/json.dict ;; esac
  [[ -f "$dict" ]] && opts+=(-dict="$dict")
  printf '%s\n' "${opts[@]}"
}

# Runs harness $1 over its seeds and the corpus directory $3 (where new inputs go), bounded by $2 (libFuzzer
# options: -max_total_time=S, or -runs=N -seed=K); prints "NAME EXECUTIONS".
fuzz_one() {
  local name=$1 bound=$2 corpus=$3
  local log="$build/logs/$name.log"
  mkdir -p "$corpus" "$build/artifacts" "$build/logs"
  local opts
  mapfile -t opts < <(options "$name")
  local bounds
  read -r -a bounds <<<"$bound"
  if ! "$build/fuzz_$name" "${opts[@]}" "${bounds[@]}" "$corpus" "fuzz/corpus/$name" >"$log" 2>&1; then
    echo "fuzz_$name FAILED; its report ($log):" >&2
    grep -av "^#[0-9]" "$log" | tail -60 >&2
    return 1
  fi
  local runs
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  echo "$name ${runs:-0}"
}

report() {
  local total=0 name runs
  printf '%-16s %14s\n' harness executions
  while read -r name runs; do
    printf '%-16s %14s\n' "$name" "$runs"
    total=$((total + runs))
  done
  printf '%-16s %14s\n' total "$total"
}

case "${1:-}" in
  build)
    build_all
    ;;
  run)
    build_quietly
    seconds=${FUZZ_SECONDS:-60}
    results=()
    for name in "${harnesses[@]}"; do
      echo "fuzz_$name for ${seconds}s" >&2
      line=$(fuzz_one "$name" "-max_total_time=$seconds" "$build/corpus/$name") || exit 1
      results+=("$line")
    done
    printf '%s\n' "${results[@]}" | report
    ;;
  regress)
    build_quietly
    results=()
    for name in "${harnesses[@]}"; do
      scratch="$build/regress/$name"
      rm -rf "$scratch"
      runs=${FUZZ_REGRESS_RUNS:-20000}
      [[ "$name" == http_server && -z "${FUZZ_REGRESS_RUNS:-}" ]] && runs=5000
      line=$(fuzz_one "$name" "-runs=$runs -seed=1" "$scratch") || exit 1
      results+=("$line")
    done
    printf '%s\n' "${results[@]}" | report
    echo "fuzz regression: ${#harnesses[@]} harnesses clean"
    ;;
  seeds)
    build_quietly
    # The inputs that found a bug (found-*, docs/reliability.md) stay; the rest is written anew.
    find fuzz/corpus -type f ! -name 'found-*' -delete 2>/dev/null || true
    "$build/fuzz_make_seeds" "$root/fuzz/corpus"
    find fuzz/corpus -type f | sort
    ;;
  *)
    echo "usage: scripts/fuzz.sh build|run|regress|seeds" >&2
    exit 2
    ;;
esac
