# A PostgreSQL 15 of the benchmark's own, sourced by bench/store.sh and bench/run.sh: Debian's programs,
# initdb in a directory the caller names, listening on a unix socket there only (no network), fsync on as in
# production; as root it runs as the `postgres` user, which PostgreSQL needs.
#
#   pg_start DIR        starts it in DIR, a new directory (sets PG_DIR and PG_PID); fails when PostgreSQL 15 is
#                       not installed
#   pg_database NAME    makes an empty database; prints its URL
#   pg_stop             fast shutdown (every connection ended); safe to call twice or before pg_start

PG_BIN=/usr/lib/postgresql/15/bin
PG_DIR=
PG_PID=

pg_start() {
  PG_DIR=$1
  [[ -x "$PG_BIN/postgres" ]] || { echo "PostgreSQL 15 is missing: scripts/install-deps.sh --test" >&2; return 1; }
  local as_pg=()
  mkdir -p "$PG_DIR"
  if [[ $(id -u) = 0 ]]; then
    as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups --)
    chown postgres:postgres "$PG_DIR"
    chmod o+x "$(dirname "$PG_DIR")"  # the postgres user passes through the caller's (mktemp: 0700) directory
  fi
  "${as_pg[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
  "${as_pg[@]}" "$PG_BIN/postgres" -D "$PG_DIR/data" -k "$PG_DIR" -c listen_addresses= >"$PG_DIR/log" 2>&1 &
  PG_PID=$!
  local _
  for _ in $(seq 1 300); do
    "$PG_BIN/pg_isready" -q -h "$PG_DIR" && return 0
    kill -0 "$PG_PID" 2>/dev/null || { cat "$PG_DIR/log" >&2; return 1; }
    sleep 0.1
  done
  echo "PostgreSQL did not start: $(tail -5 "$PG_DIR/log")" >&2
  return 1
}

pg_database() {
  "$PG_BIN/createdb" -h "$PG_DIR" -U postgres "$1"
  echo "postgresql:///$1?host=$PG_DIR&user=postgres"
}

pg_stop() {
  if [[ -n "$PG_PID" ]]; then
    kill -INT "$PG_PID" 2>/dev/null || true
    wait "$PG_PID" 2>/dev/null || true
    PG_PID=
  fi
}
