#!/usr/bin/env bash
# The relay's control-plane store under load (`make bench-store`): the same phases (bench/store_bench.cpp) on
# SQLite, in a temporary data directory as `quorum-relay serve --data` keeps it, and on a PostgreSQL 15 this
# script starts in a temporary directory (Debian's programs, a unix socket only, fsync on as in production;
# as root it runs as the `postgres` user). Prints a Markdown table on stdout; progress on stderr.
#
# Contract: no network (PostgreSQL listens on a unix socket only); PostgreSQL is stopped and every file removed
# on exit, even on error or Ctrl-C. About 30 s with the defaults.
#
# Environment (all optional):
#   BUILD                 build directory holding quorum-store-bench (default: build; `make bench` builds it)
#   STORE_BENCH_SECONDS   seconds per phase (default 3)
#   STORE_BENCH_CONCURRENCY  calls in flight at once (default "1 4")
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
BENCH=$BUILD/quorum-store-bench
# shellcheck source=bench/pg.sh
source "$ROOT/bench/pg.sh"
SECONDS_PER_PHASE=${STORE_BENCH_SECONDS:-3}
CONCURRENCY=${STORE_BENCH_CONCURRENCY:-"1 4"}

[[ -x "$BENCH" ]] || { echo "no $BENCH: build with -DQUORUM_BENCH=ON (make bench)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/quorum-store-bench.XXXXXX)
cleanup() {
  pg_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "starting PostgreSQL in $WORK/pg" >&2
pg_start "$WORK/pg"

echo "| store | in flight | phase | calls/s | rows/s | p50 ms | p99 ms | failures |"
echo "|---|---|---|---|---|---|---|---|"
run=0
for n in $CONCURRENCY; do
  for backend in sqlite postgres; do
    run=$((run + 1))
    if [[ $backend = sqlite ]]; then
      target=(--data "$WORK/sqlite-$run")
    else
      target=(--database "$(pg_database "bench$run")")
    fi
    echo "$backend, $n in flight" >&2
    "$BENCH" "${target[@]}" --seconds "$SECONDS_PER_PHASE" --concurrency "$n" | tail -n +2 |
      while read -r store phase calls rows p50 p99 failures; do
        echo "| $store | $n | $phase | $calls | $rows | $p50 | $p99 | $failures |"
      done
  done
done
