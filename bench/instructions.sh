#!/usr/bin/env bash
# User-space instructions the node spends per stream, counted by callgrind: a measure that does not move with
# the machine's load (for comparing two builds; wall-clock figures belong to bench/run.sh).
#
# usage: bench/instructions.sh [STREAMS] [CONCURRENCY]   (defaults 40 and 1: one stream at a time, so that each
#        token is one read and the count repeats to within 0.2%)
# A fake engine and a node with one thread on loopback; 20 warm-up streams, then the counted ones through
# quorum-load; prints the total and the count per stream. Needs valgrind. BUILD as bench/run.sh.
# LOAD_ARGS adds flags to quorum-load (--max-tokens 1: the request path and little else).
# KEEP=FILE keeps the callgrind profile there, for `callgrind_annotate --inclusive=yes FILE`.
# PROXY=nginx counts nginx instead, in the same place and configured as bench/run.sh configures it (one
# worker, run in the master's process so that callgrind follows it; upstream keepalive, proxy_buffering off):
# the same count for the proxy the node is compared with.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
STREAMS=${1:-40}
CONCURRENCY=${2:-1}
die() { echo "instructions.sh: $*" >&2; exit 1; }
# shellcheck source=bench/free_port.sh
source "$ROOT/bench/free_port.sh"
# shellcheck source=bench/nginx_conf.sh
source "$ROOT/bench/nginx_conf.sh"
command -v valgrind >/dev/null || die "needs valgrind"
# shellcheck source=bench/local_run.sh
source "$ROOT/bench/local_run.sh"
start_fake_engine
port=$(free_port)
PROXY=${PROXY:-quorum}
case "$PROXY" in
  quorum)
    valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" "$BUILD/quorum" node --listen "127.0.0.1:$port" \
      --no-autodetect --no-embedded --no-mdns --engine "bench=http://127.0.0.1:$engine" --state-dir "$WORK/state" \
      --log-level warn --threads 1 >"$WORK/node.log" 2>&1 &
    ;;
  nginx)
    NGINX=$(command -v nginx || echo /usr/sbin/nginx)
    [[ -x "$NGINX" ]] || die "nginx is not installed (apt-get install nginx-light)"
    nginx_conf "$WORK/nginx" "$port" "$engine" 1 1024 4096 single
    valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" "$NGINX" -p "$WORK/nginx" -e "$WORK/nginx/error.log" \
      -c "$WORK/nginx/nginx.conf" -g 'daemon off;' >"$WORK/node.log" 2>&1 &
    ;;
  *) die "PROXY is quorum or nginx" ;;
esac
node=$!
pids+=("$node")
wait_for_model "$port"
"$BUILD/quorum-load" --url "http://127.0.0.1:$port" --concurrency 5 --requests 20 >/dev/null
callgrind_control -z "$node" >/dev/null 2>&1
"$BUILD/quorum-load" --url "http://127.0.0.1:$port" --concurrency "$CONCURRENCY" --requests "$STREAMS" ${LOAD_ARGS:-} --json \
  >"$WORK/load.json"
callgrind_control -d "$node" >/dev/null 2>&1
total=$(sed -n 's/^summary: //p' "$WORK"/cg.out.* | tail -n 1)
[[ -n "$total" ]] || die "no callgrind dump"
grep -q '"errors":0' "$WORK/load.json" || die "streams failed: $(cat "$WORK/load.json")"
if [[ -n "${KEEP:-}" ]]; then cp "$(ls "$WORK"/cg.out.* | tail -n 1)" "$KEEP"; fi
what=$([[ "$PROXY" = nginx ]] && echo nginx || echo "the node")
echo "$STREAMS streams, $CONCURRENCY at a time: $total instructions in $what, $((total / STREAMS)) per stream"
