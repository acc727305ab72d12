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
PG_BIN=/usr/lib/postgresql/15/bin
SECONDS_PER_PHASE=${STORE_BENCH_SECONDS:-3}
CONCURRENCY=${STORE_BENCH_CONCURRENCY:-"1 4"}

[[ -x "$BENCH" ]] || { echo "no $BENCH: build with -DQUORUM_BENCH=ON (make bench)" >&2; exit 1; }
[[ -x "$PG_BIN/postgres" ]] || { echo "PostgreSQL 15 is missing: scripts/install-deps.sh --test" >&2; exit 1; }

WORK=$(mktemp -d /tmp/quorum-store-bench.XXXXXX)
chmod 755 "$WORK"
as_pg=()
if [[ $(id -u) = 0 ]]; then
  as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  mkdir "$WORK/pg" && chown postgres:postgres "$WORK/pg"
else
  mkdir "$WORK/pg"
fi
PG_PID=
cleanup() {
  if [[ -n "$PG_PID" ]]; then
    kill -INT "$PG_PID" 2>/dev/null || true
    wait "$PG_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo "starting PostgreSQL in $WORK/pg" >&2
"${as_pg[@]}" "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
"${as_pg[@]}" "$PG_BIN/postgres" -D "$WORK/pg/data" -k "$WORK/pg" -c listen_addresses= >"$WORK/pg.log" 2>&1 &
PG_PID=$!
for _ in $(seq 1 300); do
  "$PG_BIN/pg_isready" -q -h "$WORK/pg" && break
  kill -0 "$PG_PID" 2>/dev/null || { cat "$WORK/pg.log" >&2; exit 1; }
  sleep 0.1
done
"$PG_BIN/pg_isready" -q -h "$WORK/pg" || { echo "PostgreSQL did not start" >&2; exit 1; }

echo "| store | in flight | phase | calls/s | rows/s | p50 ms | p99 ms | failures |"
echo "|---|---|---|---|---|---|---|---|"
run=0
for n in $CONCURRENCY; do
  for backend in sqlite postgres; do
    run=$((run + 1))
    if [[ $backend = sqlite ]]; then
      target=(--data "$WORK/sqlite-$run")
    else
      "$PG_BIN/createdb" -h "$WORK/pg" -U postgres "bench$run"
      target=(--database "postgresql:///bench$run?host=$WORK/pg&user=postgres")
    fi
    echo "$backend, $n in flight" >&2
    "$BENCH" "${target[@]}" --seconds "$SECONDS_PER_PHASE" --concurrency "$n" | tail -n +2 |
      while read -r store phase calls rows p50 p99 failures; do
        echo "| $store | $n | $phase | $calls | $rows | $p50 | $p99 | $failures |"
      done
  done
done
