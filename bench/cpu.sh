#!/usr/bin/env bash
# The node's CPU per stream, user and system time apart, from /proc: a figure for comparing two builds that
# needs no profiler and moves less with the machine's load than throughput does (run builds alternately,
# a few rounds each: the rounds drift by a few percent).
#
# usage: bench/cpu.sh [CONCURRENCY] [STREAMS]   (defaults 1000 and 20000)
# A fake engine (one thread) and a node (one thread) on CPU 0, quorum-load on CPU 1 (`taskset`, when the
# machine has two cores or more); 2,000 streams of warm-up, then the counted ones. Prints one line: user and
# system µs per stream, streams per second, errors. BUILD as bench/run.sh; QUORUM=path/to/quorum measures
# another node binary with this build's engine and driver (for an A/B of two builds).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
QUORUM=${QUORUM:-$BUILD/quorum}
CONCURRENCY=${1:-1000}
STREAMS=${2:-20000}
die() { echo "cpu.sh: $*" >&2; exit 1; }
# shellcheck source=bench/free_port.sh
source "$ROOT/bench/free_port.sh"
server=() driver=()
if (($(nproc) >= 2)); then server=(taskset -c 0) driver=(taskset -c 1); fi
# shellcheck source=bench/local_run.sh
source "$ROOT/bench/local_run.sh"
start_fake_engine "${server[@]}"
port=$(free_port)
"${server[@]}" "$QUORUM" node --listen "127.0.0.1:$port" --no-autodetect --no-embedded --no-mdns \
  --engine "bench=http://127.0.0.1:$engine" --state-dir "$WORK/state" --log-level warn --threads 1 \
  >"$WORK/node.log" 2>&1 &
node=$!
pids+=("$node")
wait_for_model "$port"
"${driver[@]}" "$BUILD/quorum-load" --url "http://127.0.0.1:$port" --concurrency "$CONCURRENCY" --requests 2000 \
  >/dev/null
read -r user0 system0 < <(awk '{print $14, $15}' "/proc/$node/stat")
"${driver[@]}" "$BUILD/quorum-load" --url "http://127.0.0.1:$port" --concurrency "$CONCURRENCY" \
  --requests "$STREAMS" --json >"$WORK/load.json"
read -r user1 system1 < <(awk '{print $14, $15}' "/proc/$node/stat")
ticks=$(getconf CLK_TCK)
per_stream() { echo $(((($2 - $1) * 1000000 / ticks) / STREAMS)); }
rate=$(jq -r '.streams_per_s' "$WORK/load.json")
errors=$(jq -r '.errors' "$WORK/load.json")
echo "$STREAMS streams, $CONCURRENCY at a time: user $(per_stream "$user0" "$user1") µs and system" \
  "$(per_stream "$system0" "$system1") µs per stream in the node; $rate streams/s; $errors errors"
