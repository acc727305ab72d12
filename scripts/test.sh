#!/usr/bin/env bash
# The whole test suite, as `make test` runs it (dependencies are installed by then):
#   0. formatting: every tracked .cpp/.h as .clang-format wants it (`make format` fixes what it lists);
#   1. release build (the local UI's npm build included), unit tests (ctest), the UI's component tests (Vitest);
#   1b. fuzzing regression: each libFuzzer harness of fuzz/ (clang build in build-fuzz/) over its committed seeds,
#       then a few seconds of fuzzing (scripts/fuzz.sh regress; `make fuzz` is the long run);
#   2. llama-server from node-llama-cpp's pinned source (cached in ~/.cache/quorum), tiny generated models;
#   3. integration tests (node --test) with the unmodified openai SDK against real processes on loopback;
#   3b. the Debian packages in a clean Debian 12 root booted with systemd (tests/package/run.sh);
#   4. the same unit and integration tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
# QUORUM_SKIP_ASAN=1 skips step 4 (quicker local runs); CI runs everything.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc)

step() { printf '\n==== %s ====\n' "$*"; }
# A Node.js new enough for the UI's build and tests (scripts/node-env.sh), for every step.
source scripts/node-env.sh
quorum_node_env

step "format"
make --no-print-directory format-check

step "build"
make --no-print-directory build >/dev/null

step "unit tests"
ctest --test-dir build --output-on-failure -j "$jobs"

step "UI component tests (Vitest)"
(cd ui && npm test --silent)

step "fuzzing regression (scripts/fuzz.sh regress)"
bash scripts/fuzz.sh regress

step "llama-server (cached after the first run)"
QUORUM_LLAMA_SERVER=$(bash scripts/build-llama-server.sh | tail -n 1)
export QUORUM_LLAMA_SERVER
echo "$QUORUM_LLAMA_SERVER"
export QUORUM_TEST_MODELS="${QUORUM_TEST_MODELS:-$HOME/.cache/quorum/test-models}"
bash scripts/make-test-models.sh "$QUORUM_TEST_MODELS"

step "integration tests"
(cd tests/integration && npm ci --no-audit --no-fund --silent)
export QUORUM_BIN="$root/build/quorum"
(cd tests/integration && node --test --test-concurrency=1 --test-timeout=300000)

step "Debian packages (tests/package/run.sh)"
bash tests/package/run.sh "$root/build"

if [[ "${QUORUM_SKIP_ASAN:-0}" != 1 ]]; then
  step "sanitizers: build"
  make --no-print-directory build-asan >/dev/null
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export QUORUM_SANITIZED=1  # tests that measure memory skip that one assertion (ASan's quarantine holds freed memory)
  step "sanitizers: unit tests"
  ctest --test-dir build-asan --output-on-failure -j "$jobs"
  step "sanitizers: integration tests"
  export QUORUM_BIN="$root/build-asan/quorum"
  (cd tests/integration && node --test --test-concurrency=1 --test-timeout=300000)
fi
echo "all tests passed"
