#!/usr/bin/env bash
# Quorum's benchmark (`make bench`): what does a node add to a streaming engine, next to nginx doing the same
# job, on this machine's loopback?
#
#   client (quorum-load) -> engine (quorum-fake-engine)                  "direct", the baseline
#   client -> quorum node -> engine                                       "quorum node"
#   client -> nginx (proxy_buffering off, HTTP/1.1, upstream keepalive) -> engine   "nginx"
#   client -> nginx -> quorum node R -> engine                             "nginx in front of a node"
#   client -> quorum-relay -> (the node's relay link) -> quorum node R -> engine   "relay"
#     (R is in a cluster of its own, enrolled with a quorum-relay on loopback (`quorum relay join`) and started
#     with --no-mdns --no-embedded; the client sends an API key made with `quorum keys create`. The relay opens
#     one link stream per request and bridges it through a local socket pair on each side, so these two rows
#     compare the relay's hop with an nginx hop in front of the same node)
#   client -> quorum-relay H -> node R' -> engine                        "relay group: the home relay"
#   client -> quorum-relay V -> quorum-relay H -> node R' -> engine      "relay group: one forward hop"
#     (two relays sharing one PostgreSQL of the benchmark's own (bench/pg.sh), each advertising its loopback
#     address; R' in a cluster of its own, enrolled through one of them and linked, as it is told, to its
#     cluster's home relay H; V is the other relay, which forwards each request one hop to H (docs/relay.md,
#     "Several relays"))
#   client -> quorum node A -> quorum node B -> engine                  "two nodes (one cluster hop)"
#     (A and B form a cluster on loopback: --peer, --advertise 127.0.0.1, --no-mdns; A has no engine, so it
#     forwards every request to B, signed and in TLS with the cluster's key, as it would to a machine on the
#     LAN)
#   the same with A calling B in plain text                              "cluster hop, plain text"
#     (QUORUM_BENCH_PLAIN_PEERS=1, a knob that exists only in a -DQUORUM_BENCH=ON build, for measuring what
#     TLS costs a hop; B serves it only because A calls from loopback)
#
# Measures time to first token (TTFT) and throughput at 1, 100 and 1,000 concurrent streams, and the resident
# memory per open stream of the node (and of nginx) while 5,000 streams are held open, and of the relay while
# BENCH_RELAY_HOLD streams are held through it. Prints Markdown tables on stdout; progress goes to stderr.
#
# Contract: only 127.0.0.1; every process it starts is stopped (by PID) on exit, even on error or Ctrl-C; its
# files live in one temporary directory that is removed at the end (kept with BENCH_KEEP=1). Bounded in time:
# about 10 minutes with the defaults.
#
# Environment (all optional):
#   BUILD             build directory holding quorum, quorum-relay, quorum-fake-engine, quorum-load (default: build)
#   BENCH_PIN         1 (default where there are 2 cores or more): the load driver runs on cores of its own
#                     (the upper half, BENCH_DRIVER_CPUS) and every server (engine, nodes, nginx, relay) on the
#                     others (BENCH_SERVER_CPUS), with `taskset`, so that the driver never takes CPU from the
#                     proxy under test; 0: nothing is pinned
#   BENCH_THREADS     node threads = nginx worker_processes = engine threads (default: the server cores, at
#                     most 4)
#   BENCH_DURATION    seconds per measured run (default 10), BENCH_WARMUP seconds ignored at its start (2)
#   BENCH_CONCURRENCY concurrency levels (default "1 100 1000")
#   BENCH_TARGETS     paths to measure (default: all: "direct node nginx nginx_node relay mesh_home mesh_forward
#                     hop hop_plain"; the mesh ones need PostgreSQL 15, which `make bench` installs)
#   BENCH_HOLD        streams held open for the memory measurement (default 5000)
#   BENCH_RELAY_HOLD  streams held open through the relay (default 1000: a relay link carries at most 1,024
#                     streams at once, src/link/link_session.h, and the benchmark has one node behind it)
#   BENCH_TOKENS, BENCH_DELAY_MS   the engine's reply: tokens and milliseconds between them (32, 10)
#   BENCH_SKIP_HOLD=1 skips the memory measurement
#   BENCH_ENGINE      1 (default when BUILD's quorum has the embedded engine): last, bench/engine.sh (the
#                     embedded llama.cpp engine next to llama-server, about 2 minutes; its own knobs apply),
#                     its table printed and its ratios among the targets; 0 skips it
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-build}
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
QUORUM=$BUILD/quorum
RELAY=$BUILD/quorum-relay
ENGINE=$BUILD/quorum-fake-engine
LOAD=$BUILD/quorum-load
NPROC=$(nproc)
PIN=${BENCH_PIN:-$((NPROC >= 2 ? 1 : 0))}
if [[ $PIN = 1 ]]; then
  DRIVER_CPUS=${BENCH_DRIVER_CPUS:-$((NPROC / 2))-$((NPROC - 1))}
  SERVER_CPUS=${BENCH_SERVER_CPUS:-0-$((NPROC / 2 - 1))}
  SERVER_PIN=(taskset -c "$SERVER_CPUS")
  DRIVER_PIN=(taskset -c "$DRIVER_CPUS")
  SERVER_CORES=$(taskset -c "$SERVER_CPUS" nproc)
else
  SERVER_PIN=()
  DRIVER_PIN=()
  SERVER_CORES=$NPROC
fi
THREADS=${BENCH_THREADS:-$((SERVER_CORES < 4 ? SERVER_CORES : 4))}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
CONCURRENCY=${BENCH_CONCURRENCY:-"1 100 1000"}
HOLD=${BENCH_HOLD:-5000}
RELAY_HOLD=${BENCH_RELAY_HOLD:-1000}
TOKENS=${BENCH_TOKENS:-32}
DELAY_MS=${BENCH_DELAY_MS:-10}

log() { echo "bench: $*" >&2; }
die() {
  echo "bench: error: $*" >&2
  exit 1
}

for b in "$QUORUM" "$RELAY" "$ENGINE" "$LOAD"; do
  [[ -x "$b" ]] || die "$b is missing; build first (make build, or BUILD=DIR)"
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x "$NGINX" ]] || die "nginx is not installed (apt-get install nginx-light)"
command -v jq >/dev/null || die "jq is not installed (apt-get install jq)"
command -v curl >/dev/null || die "curl is not installed"

# Thousands of sockets per process: raise the soft limit for everything started from here.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
((NOFILE >= 2 * HOLD + 1000)) || log "warning: open files limited to $NOFILE; holding $HOLD streams may fail"

WORK=$(mktemp -d /tmp/quorum-bench.XXXXXX)
PIDS=()

cleanup() {
  pg_stop
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ "${BENCH_KEEP:-0}" = 1 ]]; then log "files kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=bench/free_port.sh
source "$(dirname "${BASH_SOURCE[0]}")/free_port.sh"
# shellcheck source=bench/nginx_conf.sh
source "$(dirname "${BASH_SOURCE[0]}")/nginx_conf.sh"
# shellcheck source=bench/pg.sh
source "$(dirname "${BASH_SOURCE[0]}")/pg.sh"
read -r -a TARGETS <<<"${BENCH_TARGETS:-direct node nginx nginx_node relay mesh_home mesh_forward hop hop_plain}"

wait_http() {  # URL [seconds]
  local deadline=$((SECONDS + ${2:-20}))
  until curl -sf -o /dev/null --max-time 2 "$1"; do
    ((SECONDS < deadline)) || die "$1 did not answer in time"
    sleep 0.1
  done
}

proc_sum() {  # FILE AWK PID...: the sum over the PIDs of what the awk program prints from /proc/PID/FILE
  local file=$1 program=$2 total=0 pid v
  shift 2
  for pid in "$@"; do
    v=$(awk "$program" "/proc/$pid/$file" 2>/dev/null || echo 0)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}
rss_kb() { proc_sum status '/^VmRSS:/ {print $2}' "$@"; }                     # resident memory in kB
cpu_ticks() { proc_sum stat '{sub(/^.*\) /, ""); print $12 + $13}' "$@"; }   # user+system CPU in clock ticks
CLK_TCK=$(getconf CLK_TCK)

# start_engine NAME ARGS... : starts a fake engine on a free port; sets ENGINE_PORT and ENGINE_PID.
start_engine() {
  local name=$1
  shift
  "${SERVER_PIN[@]}" "$ENGINE" --port 0 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  ENGINE_PID=$!
  PIDS+=("$ENGINE_PID")
  for _ in $(seq 100); do
    grep -q '^listening on' "$WORK/$name.out" 2>/dev/null && break
    sleep 0.05
  done
  ENGINE_PORT=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$WORK/$name.out")
  [[ -n "$ENGINE_PORT" ]] || die "$name did not start: $(cat "$WORK/$name.err")"
}

# start_node NAME ENGINE_PORT : sets NODE_PORT and NODE_PID.
start_node() {
  local name=$1
  NODE_PORT=$(free_port)
  "${SERVER_PIN[@]}" "$QUORUM" node --listen "127.0.0.1:$NODE_PORT" --no-autodetect --engine "bench=http://127.0.0.1:$2" \
    --state-dir "$WORK/$name-state" --log-level warn --threads "$THREADS" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
  wait_http "http://127.0.0.1:$NODE_PORT/health"
  curl -sf "http://127.0.0.1:$NODE_PORT/v1/models" | grep -q bench-model || die "$name does not list bench-model"
}

# start_cluster_hop ENGINE_PORT TAG [plain] : node B in front of the engine and node A, of the same cluster,
# in front of B (A calling B in plain text with `plain`); sets HOP_PORT (A's) and HOP_PIDS (A and B).
start_cluster_hop() {
  local tag=$2 plain=${3:-}
  local a="$WORK/$tag-a-state" b="$WORK/$tag-b-state" token b_port b_pid
  token=$("$QUORUM" cluster init --state-dir "$a" | tail -n 1)
  "$QUORUM" cluster join "$token" --state-dir "$b" >/dev/null
  b_port=$(free_port)
  HOP_ENV=()
  hop_node "$tag-b" "$b_port" "$b" --engine "bench=http://127.0.0.1:$1"
  b_pid=$LAUNCHED_PID
  HOP_PORT=$(free_port)
  if [[ $plain = plain ]]; then HOP_ENV=(QUORUM_BENCH_PLAIN_PEERS=1); else HOP_ENV=(); fi
  hop_node "$tag-a" "$HOP_PORT" "$a" --peer "127.0.0.1:$b_port"
  local deadline=$((SECONDS + 20))
  until curl -sf "http://127.0.0.1:$HOP_PORT/v1/models" | grep -q bench-model; do
    ((SECONDS < deadline)) || die "node A never learned node B's model: $(cat "$WORK/hop-$tag-a.err")"
    sleep 0.1
  done
  if [[ $plain = plain ]] && ! grep -q QUORUM_BENCH_PLAIN_PEERS "$WORK/hop-$tag-a.err"; then
    die "this quorum has no benchmark knob for plain-text peers: build with -DQUORUM_BENCH=ON (make bench)"
  fi
  HOP_PIDS=("$LAUNCHED_PID" "$b_pid")
}

# hop_node NAME PORT STATE_DIR ARGS... : one node of the loopback cluster, started and answering, with the
# environment HOP_ENV (VAR=VALUE words) added; sets LAUNCHED_PID.
hop_node() {
  local name=$1 port=$2 state=$3
  shift 3
  "${SERVER_PIN[@]}" env "${HOP_ENV[@]}" "$QUORUM" node --listen "127.0.0.1:$port" --state-dir "$state" --no-autodetect --no-embedded --no-mdns \
    --advertise 127.0.0.1 --log-level warn --threads "$THREADS" "$@" >"$WORK/hop-$name.out" 2>"$WORK/hop-$name.err" &
  LAUNCHED_PID=$!
  PIDS+=("$LAUNCHED_PID")
  wait_http "http://127.0.0.1:$port/health"
}

# start_nginx NAME UPSTREAM_PORT : nginx in front of an engine or a node; sets NGINX_PORT, NGINX_PID (the
# master) and NGINX_PIDS (master + workers).
start_nginx() {
  local dir="$WORK/$1"
  NGINX_PORT=$(free_port)
  nginx_conf "$dir" "$NGINX_PORT" "$2" "$THREADS" $((NOFILE / 2 > 16384 ? 16384 : NOFILE / 2)) "$NOFILE"
  "${SERVER_PIN[@]}" "$NGINX" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir/out" 2>&1 &
  NGINX_PID=$!
  PIDS+=("$NGINX_PID")
  wait_http "http://127.0.0.1:$NGINX_PORT/v1/models"
  NGINX_PIDS=("$NGINX_PID" $(ps -o pid= --ppid "$NGINX_PID"))
}

# start_relay NAME : a quorum-relay on a free port with its own data directory; sets RELAY_PORT, RELAY_PID and
# RELAY_DATA.
start_relay() {
  local name=$1
  RELAY_DATA="$WORK/$name-data"
  RELAY_PORT=$(free_port)
  "${SERVER_PIN[@]}" "$RELAY" serve --listen "127.0.0.1:$RELAY_PORT" --data "$RELAY_DATA" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  RELAY_PID=$!
  PIDS+=("$RELAY_PID")
  wait_http "http://127.0.0.1:$RELAY_PORT/health"
}

# start_relay_node NAME ENGINE_PORT : a node in a new cluster, enrolled with the relay of start_relay (a fresh
# enrolment token), in front of the engine; then an API key for the cluster, and a wait until the relay
# serves bench-model to that key. Sets RNODE_PORT, RNODE_PID and RELAY_KEY.
start_relay_node() {
  local name=$1 state="$WORK/$1-state" token
  token=$("$RELAY" token create --data "$RELAY_DATA" | tail -n 1)
  "$QUORUM" cluster init --state-dir "$state" >"$WORK/$name-init.out" 2>&1 || die "cluster init: $(cat "$WORK/$name-init.out")"
  "$QUORUM" relay join "http://127.0.0.1:$RELAY_PORT" "$token" --state-dir "$state" >"$WORK/$name-join.out" 2>&1 ||
    die "relay join: $(cat "$WORK/$name-join.out")"
  RNODE_PORT=$(free_port)
  HOP_ENV=()
  hop_node "$name" "$RNODE_PORT" "$state" --engine "bench=http://127.0.0.1:$2"
  RNODE_PID=$LAUNCHED_PID
  RELAY_KEY=$("$QUORUM" keys create bench --state-dir "$state" 2>"$WORK/$name-key.err" | tail -n 1)
  [[ $RELAY_KEY = qk_* ]] || die "keys create gave no key: $(cat "$WORK/$name-key.err")"
  local deadline=$((SECONDS + 20))
  until curl -sf -H "Authorization: Bearer $RELAY_KEY" "http://127.0.0.1:$RELAY_PORT/v1/models" | grep -q bench-model; do
    ((SECONDS < deadline)) || die "the relay never listed $name's bench-model: $(tail -3 "$WORK/hop-$name.err")"
    sleep 0.1
  done
}

# start_mesh ENGINE_PORT : two quorum-relays sharing one PostgreSQL, each advertising its own loopback
# address, and a node of a new cluster enrolled through the first, in front of the engine; once the node is
# linked to its cluster's home and both relays serve its model, sets MESH_HOME_PORT and MESH_HOME_PID (the
# home relay), MESH_VIA_PORT and MESH_VIA_PID (the other one, which forwards), MESH_NODE_PID and MESH_KEY.
start_mesh() {
  local db i port token state="$WORK/mesh-node-state" ports=() pids=()
  pg_start "$WORK/pg" || die "PostgreSQL did not start"
  db=$(pg_database mesh)
  for i in 0 1; do
    port=$(free_port)
    QUORUM_RELAY_DATABASE="$db" "${SERVER_PIN[@]}" "$RELAY" serve --listen "127.0.0.1:$port" --data "$WORK/mesh$i-data" \
      --advertise "http://127.0.0.1:$port" >"$WORK/mesh$i.out" 2>"$WORK/mesh$i.err" &
    pids+=("$!")
    PIDS+=("$!")
    ports+=("$port")
    wait_http "http://127.0.0.1:$port/health"
  done
  token=$(QUORUM_RELAY_DATABASE="$db" "$RELAY" token create --data "$WORK/mesh0-data" | tail -n 1)
  "$QUORUM" cluster init --state-dir "$state" >"$WORK/mesh-init.out" 2>&1 || die "cluster init: $(cat "$WORK/mesh-init.out")"
  "$QUORUM" relay join "http://127.0.0.1:${ports[0]}" "$token" --state-dir "$state" >"$WORK/mesh-join.out" 2>&1 ||
    die "relay join (mesh): $(cat "$WORK/mesh-join.out")"
  port=$(free_port)
  HOP_ENV=()
  hop_node mesh-node "$port" "$state" --engine "bench=http://127.0.0.1:$1"
  MESH_NODE_PID=$LAUNCHED_PID
  MESH_KEY=$("$QUORUM" keys create bench --state-dir "$state" 2>"$WORK/mesh-key.err" | tail -n 1)
  [[ $MESH_KEY = qk_* ]] || die "keys create (mesh) gave no key: $(cat "$WORK/mesh-key.err")"
  local deadline=$((SECONDS + 30))
  for port in "${ports[@]}"; do
    until curl -sf -H "Authorization: Bearer $MESH_KEY" "http://127.0.0.1:$port/v1/models" | grep -q bench-model; do
      ((SECONDS < deadline)) || die "relay $port never served the mesh node's bench-model: $(tail -3 "$WORK/hop-mesh-node.err")"
      sleep 0.1
    done
  done
  # The relay that forwards names itself in x-quorum-relay-via; the home answers without it.
  local home=0 via=1
  if curl -sf -D - -o /dev/null -H "Authorization: Bearer $MESH_KEY" "http://127.0.0.1:${ports[0]}/v1/models" |
    grep -qi '^x-quorum-relay-via'; then
    home=1 via=0
  fi
  MESH_HOME_PORT=${ports[$home]} MESH_HOME_PID=${pids[$home]}
  MESH_VIA_PORT=${ports[$via]} MESH_VIA_PID=${pids[$via]}
}

relay_failures() { grep -c 'failed before its answer' "$WORK/relay.err" || true; }  # the relay's failed tries

relay_metric() {  # PORT NAME: the value of one of the relay's /metrics gauges
  curl -sf "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1 == n { print $2 }'
}

# ---- Throughput and TTFT ----

busy=$(awk '{ print ($1 > 0.5) }' /proc/loadavg)
((busy == 0)) || log "warning: load average $(cut -d' ' -f1 /proc/loadavg) before start: other work will add noise"
log "machine: $NPROC cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); threads per server: $THREADS"
if [[ $PIN = 1 ]]; then log "pinned: load driver on CPUs $DRIVER_CPUS, servers on CPUs $SERVER_CPUS"; else log "nothing pinned"; fi
start_engine engine --tokens "$TOKENS" --delay-ms "$DELAY_MS" --threads "$THREADS"
E_PORT=$ENGINE_PORT
E_PID=$ENGINE_PID
start_node node "$E_PORT"
start_nginx nginx "$E_PORT"
start_cluster_hop "$E_PORT" hop
HOP_TLS_PORT=$HOP_PORT
HOP_TLS_PIDS=("${HOP_PIDS[@]}")
start_cluster_hop "$E_PORT" hop-plain plain
ENGINE_NGINX_PORT=$NGINX_PORT
ENGINE_NGINX_PIDS=("${NGINX_PIDS[@]}")
start_relay relay
start_relay_node relay-node "$E_PORT"
start_nginx nginx-node "$RNODE_PORT"
MESH_HOME_PORT=0 MESH_VIA_PORT=0 MESH_HOME_PID="" MESH_VIA_PID="" MESH_NODE_PID="" MESH_KEY=""
if [[ " ${TARGETS[*]} " = *" mesh_"* ]]; then
  start_mesh "$E_PORT"
  log "relay group: home relay on port $MESH_HOME_PORT, forwarding relay on port $MESH_VIA_PORT"
fi
declare -A URL=([direct]="http://127.0.0.1:$E_PORT" [node]="http://127.0.0.1:$NODE_PORT"
  [nginx]="http://127.0.0.1:$ENGINE_NGINX_PORT" [hop]="http://127.0.0.1:$HOP_TLS_PORT"
  [hop_plain]="http://127.0.0.1:$HOP_PORT" [nginx_node]="http://127.0.0.1:$NGINX_PORT"
  [relay]="http://127.0.0.1:$RELAY_PORT" [mesh_home]="http://127.0.0.1:$MESH_HOME_PORT"
  [mesh_forward]="http://127.0.0.1:$MESH_VIA_PORT")
# PROXY_PIDS: every process between the client and the engine; FRONT_PIDS: the one in front of node R.
declare -A PROXY_PIDS=([direct]="" [node]="$NODE_PID" [nginx]="${ENGINE_NGINX_PIDS[*]}" [hop]="${HOP_TLS_PIDS[*]}"
  [hop_plain]="${HOP_PIDS[*]}" [nginx_node]="${NGINX_PIDS[*]} $RNODE_PID" [relay]="$RELAY_PID $RNODE_PID"
  [mesh_home]="$MESH_HOME_PID $MESH_NODE_PID" [mesh_forward]="$MESH_VIA_PID $MESH_HOME_PID $MESH_NODE_PID")
declare -A FRONT_PIDS=([nginx_node]="${NGINX_PIDS[*]}" [relay]="$RELAY_PID" [mesh_home]="$MESH_HOME_PID"
  [mesh_forward]="$MESH_VIA_PID $MESH_HOME_PID")
declare -A KEY=([relay]="$RELAY_KEY" [mesh_home]="$MESH_KEY" [mesh_forward]="$MESH_KEY")
log "relay: $(relay_metric "$RELAY_PORT" quorum_relay_connected_nodes) node(s) connected"

auth_args() {  # TARGET: quorum-load's flags for the target's API key (none when it needs none)
  if [[ -n ${KEY[$1]:-} ]]; then echo "--api-key ${KEY[$1]}"; fi
}

for t in "${TARGETS[@]}"; do  # smoke test: one stream each way, checked end to end
  # shellcheck disable=SC2046
  "${DRIVER_PIN[@]}" "$LOAD" --url "${URL[$t]}" $(auth_args "$t") --concurrency 1 --requests 3 --include-usage --json >"$WORK/smoke-$t.json" ||
    die "smoke test through $t failed: $(cat "$WORK/smoke-$t.json")"
  [[ $(jq .errors "$WORK/smoke-$t.json") = 0 ]] || die "smoke test through $t: $(jq -c .error_messages "$WORK/smoke-$t.json")"
done

for c in $CONCURRENCY; do
  ramp=$(awk -v c="$c" 'BEGIN { r = c / 1000; if (r < 0.5) r = 0.5; if (r > 2) r = 2; print r }')
  for t in "${TARGETS[@]}"; do
    log "concurrency $c via $t (${DURATION}s)"
    # shellcheck disable=SC2086
    proxy0=$(cpu_ticks ${PROXY_PIDS[$t]})
    # shellcheck disable=SC2086
    front0=$(cpu_ticks ${FRONT_PIDS[$t]:-})
    relay_failed0=$(relay_failures)
    engine0=$(cpu_ticks "$E_PID")
    # shellcheck disable=SC2046
    "${DRIVER_PIN[@]}" "$LOAD" --url "${URL[$t]}" $(auth_args "$t") --concurrency "$c" --duration "$DURATION" --warmup "$WARMUP" --ramp "$ramp" \
      --json >"$WORK/run-$t-$c.json" 2>"$WORK/run-$t-$c.err" || die "load via $t failed: $(cat "$WORK/run-$t-$c.err")"
    # shellcheck disable=SC2086
    echo $(($(cpu_ticks ${PROXY_PIDS[$t]}) - proxy0)) $(($(cpu_ticks "$E_PID") - engine0)) \
      $(($(cpu_ticks ${FRONT_PIDS[$t]:-}) - front0)) >"$WORK/cpu-$t-$c"
    if [[ $t = relay ]]; then  # what the relay saw: its failed tries in the log, its gauges afterwards
      echo "$(($(relay_failures) - relay_failed0))" >"$WORK/relay-failures-$c"
      curl -sf "http://127.0.0.1:$RELAY_PORT/metrics" >"$WORK/relay-metrics-$c" || true
    fi
    sleep 1
  done
done

# ---- Memory per open stream ----
# A second engine whose streams last (one token per second), and fresh proxies, so that "before" is a process
# that has served a few requests and nothing else.

if [[ ${BENCH_SKIP_HOLD:-0} != 1 ]]; then
start_engine hold-engine --tokens 100000000 --delay-ms 1000 --threads 1
H_PORT=$ENGINE_PORT
start_node hold-node "$H_PORT"
start_nginx hold-nginx "$H_PORT"
declare -A HOLD_URL=([node]="http://127.0.0.1:$NODE_PORT" [nginx]="http://127.0.0.1:$NGINX_PORT")
declare -A HOLD_PIDS=([node]="$NODE_PID" [nginx]="${NGINX_PIDS[*]}")
declare -A HOLD_N=([node]="$HOLD" [nginx]="$HOLD")
HOLD_TARGETS=(node nginx)
if [[ " ${TARGETS[*]} " = *" relay "* ]]; then
  # A fresh relay and node in front of a long-stream engine of their own (the first one may still be
  # closing the streams held before); the relay's memory is what is measured.
  start_engine relay-hold-engine --tokens 100000000 --delay-ms 1000 --threads 1
  start_relay relay-hold
  start_relay_node relay-hold-node "$ENGINE_PORT"
  HOLD_URL[relay]="http://127.0.0.1:$RELAY_PORT"
  HOLD_PIDS[relay]="$RELAY_PID"
  HOLD_N[relay]="$RELAY_HOLD"
  KEY[relay]="$RELAY_KEY"
  HOLD_TARGETS+=(relay)
fi
for t in "${HOLD_TARGETS[@]}"; do
  n=${HOLD_N[$t]}
  # shellcheck disable=SC2046
  "${DRIVER_PIN[@]}" "$LOAD" --url "${HOLD_URL[$t]}" $(auth_args "$t") --concurrency 4 --requests 20 --max-tokens 2 --json >/dev/null ||
    die "warm-up through hold $t failed"
  sleep 0.5
  # shellcheck disable=SC2086
  before=$(rss_kb ${HOLD_PIDS[$t]})
  log "holding $n streams via $t"
  ramp=$(awk -v n="$n" 'BEGIN { print n / 1000 }')
  # shellcheck disable=SC2046
  "${DRIVER_PIN[@]}" "$LOAD" --url "${HOLD_URL[$t]}" $(auth_args "$t") --concurrency "$n" --hold --ramp "$ramp" --duration 4 --json \
    >"$WORK/hold-$t.json" 2>"$WORK/hold-$t.err" &
  load_pid=$!
  PIDS+=("$load_pid")
  deadline=$((SECONDS + 60))
  until grep -qs "^holding" "$WORK/hold-$t.err"; do
    ((SECONDS < deadline)) || die "holding via $t did not get ready: $(tail -3 "$WORK/hold-$t.err")"
    kill -0 "$load_pid" 2>/dev/null || die "load for hold via $t ended early: $(tail -3 "$WORK/hold-$t.err")"
    sleep 0.2
  done
  peak=0
  for _ in 1 2 3 4 5 6; do  # the peak over the hold
    sleep 0.5
    # shellcheck disable=SC2086
    now=$(rss_kb ${HOLD_PIDS[$t]})
    ((now > peak)) && peak=$now
  done
  [[ $t != relay ]] || relay_metric "$RELAY_PORT" quorum_relay_open_streams >"$WORK/hold-relay-open"
  wait "$load_pid" || true
  echo "$before $peak" >"$WORK/rss-$t"
done
fi

# ---- Report ----

j() { jq -r "$2" "$1"; }
fmt() { awk -v v="$1" -v d="${2:-3}" 'BEGIN { printf "%.*f", d, v }'; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.3f", a - b }'; }
declare -A NAME=([direct]="direct" [node]="quorum node" [nginx]="nginx" [hop]="two quorum nodes (cluster hop, TLS)"
  [hop_plain]="two quorum nodes (cluster hop, plain text: measurement only)"
  [nginx_node]="nginx in front of a node" [relay]="quorum-relay in front of a node"
  [mesh_home]="relay group: the home relay" [mesh_forward]="relay group: one forward hop")

echo
pinned="nothing pinned"
[[ $PIN = 1 ]] && pinned="load driver on CPUs $DRIVER_CPUS, servers on CPUs $SERVER_CPUS"
echo "### Streaming through a proxy on loopback ($NPROC cores, $pinned; ${TOKENS} tokens per stream, ${DELAY_MS} ms apart; ${THREADS} threads per server)"
echo
echo "| streams | path | TTFT p50 ms | TTFT p99 ms | added p50 ms | added p99 ms | streams/s | tokens/s | errors | proxy CPU µs/stream |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for c in $CONCURRENCY; do
  d="$WORK/run-direct-$c.json"
  for t in "${TARGETS[@]}"; do
    f="$WORK/run-$t-$c.json"
    added50="—" added99="—" cpu="—"
    if [[ $t != direct ]]; then
      added50=$(sub "$(j "$f" .ttft_ms.p50)" "$(j "$d" .ttft_ms.p50)")
      added99=$(sub "$(j "$f" .ttft_ms.p99)" "$(j "$d" .ttft_ms.p99)")
      # Proxy CPU per stream over the whole run (warm-up included, so divided by every completion).
      read -r proxy_ticks _ <"$WORK/cpu-$t-$c"
      cpu=$(awk -v t="$proxy_ticks" -v n="$(j "$f" .completed)" -v hz="$CLK_TCK" \
        'BEGIN { if (n > 0) printf "%.0f", t / n / hz * 1e6; else print "—" }')
    fi
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" "$c" "${NAME[$t]}" \
      "$(fmt "$(j "$f" .ttft_ms.p50)")" "$(fmt "$(j "$f" .ttft_ms.p99)")" "$added50" "$added99" \
      "$(fmt "$(j "$f" .streams_per_s)" 0)" "$(fmt "$(j "$f" .tokens_per_s)" 0)" "$(j "$f" .errors)" "$cpu"
  done
done

if [[ ${BENCH_SKIP_HOLD:-0} != 1 ]]; then
echo
echo "### Memory while streams are held open"
echo
echo "| path | streams held | RSS before MB | RSS holding MB | KB per open stream |"
echo "|---|---:|---:|---:|---:|"
for t in "${HOLD_TARGETS[@]}"; do
  read -r before peak <"$WORK/rss-$t"
  held=$(j "$WORK/hold-$t.json" .held)
  per=$(awk -v b="$before" -v p="$peak" -v n="$held" 'BEGIN { if (n > 0) printf "%.1f", (p - b) / n; else print "—" }')
  printf "| %s | %s | %s | %s | %s |\n" "${NAME[$t]}" "$held" "$(fmt "$(awk -v k="$before" 'BEGIN { print k / 1024 }')" 1)" \
    "$(fmt "$(awk -v k="$peak" 'BEGIN { print k / 1024 }')" 1)" "$per"
done
fi

has() { [[ " ${TARGETS[*]} " = *" $1 "* ]]; }
per_stream() {  # TICKS COMPLETED: µs of CPU per completed stream
  awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" 'BEGIN { if (n > 0) printf "%.0f", t / n / hz * 1e6; else print "—" }'
}
if has node && has nginx_node && has relay; then
  echo
  echo "### The hop in front of a node: nginx or quorum-relay"
  echo
  echo "Both in front of the same node R (a cluster of its own, linked to the relay); \"added\" is against the"
  echo "quorum node row (a node alone, same build and engine). Front CPU: nginx's processes or the relay's; node CPU: R's."
  echo
  echo "| streams | path | TTFT p50 ms | TTFT p99 ms | added p50 ms | added p99 ms | streams/s | tokens/s | errors | front CPU µs/stream | node CPU µs/stream |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for c in $CONCURRENCY; do
    n="$WORK/run-node-$c.json"
    for t in node nginx_node relay; do
      f="$WORK/run-$t-$c.json"
      read -r all_ticks _ front_ticks <"$WORK/cpu-$t-$c"
      done_n=$(j "$f" .completed)
      if [[ $t = node ]]; then
        added50="—" added99="—" front="—" nodecpu=$(per_stream "$all_ticks" "$done_n")
      else
        added50=$(sub "$(j "$f" .ttft_ms.p50)" "$(j "$n" .ttft_ms.p50)")
        added99=$(sub "$(j "$f" .ttft_ms.p99)" "$(j "$n" .ttft_ms.p99)")
        front=$(per_stream "$front_ticks" "$done_n")
        nodecpu=$(per_stream "$((all_ticks - front_ticks))" "$done_n")
      fi
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" "$c" "${NAME[$t]}" \
        "$(fmt "$(j "$f" .ttft_ms.p50)")" "$(fmt "$(j "$f" .ttft_ms.p99)")" "$added50" "$added99" \
        "$(fmt "$(j "$f" .streams_per_s)" 0)" "$(fmt "$(j "$f" .tokens_per_s)" 0)" "$(j "$f" .errors)" "$front" "$nodecpu"
    done
  done
  echo
  for c in $CONCURRENCY; do
    f="$WORK/run-relay-$c.json"
    [[ $(j "$f" .errors) != 0 ]] || continue
    echo "Relay errors at $c streams: $(j "$f" '.error_messages | to_entries | map("\(.value)× \(.key | .[0:160])") | join("; ")')"
    echo "(the relay logged $(cat "$WORK/relay-failures-$c") failed tries; its gauges after the run: \
$(grep -E '^quorum_relay_(connected_nodes|open_streams|requests_total) ' "$WORK/relay-metrics-$c" | tr '\n' ' '))"
    echo
  done
fi

if has mesh_home && has mesh_forward; then
  echo
  echo "### Several relays: the home relay, or another that forwards one hop to it (issue 15)"
  echo
  echo "Two relays on one PostgreSQL; the same node behind both (linked to the home). \"added\" is against the home"
  echo "relay's row. Relays CPU: the forwarding relay's and the home's; node CPU: the node's."
  echo
  echo "| streams | path | TTFT p50 ms | TTFT p99 ms | added p50 ms | added p99 ms | streams/s | tokens/s | errors | relays CPU µs/stream | node CPU µs/stream |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for c in $CONCURRENCY; do
    h="$WORK/run-mesh_home-$c.json"
    for t in mesh_home mesh_forward; do
      f="$WORK/run-$t-$c.json"
      read -r all_ticks _ front_ticks <"$WORK/cpu-$t-$c"
      done_n=$(j "$f" .completed)
      added50="—" added99="—"
      if [[ $t = mesh_forward ]]; then
        added50=$(sub "$(j "$f" .ttft_ms.p50)" "$(j "$h" .ttft_ms.p50)")
        added99=$(sub "$(j "$f" .ttft_ms.p99)" "$(j "$h" .ttft_ms.p99)")
      fi
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" "$c" "${NAME[$t]}" \
        "$(fmt "$(j "$f" .ttft_ms.p50)")" "$(fmt "$(j "$f" .ttft_ms.p99)")" "$added50" "$added99" \
        "$(fmt "$(j "$f" .streams_per_s)" 0)" "$(fmt "$(j "$f" .tokens_per_s)" 0)" "$(j "$f" .errors)" \
        "$(per_stream "$front_ticks" "$done_n")" "$(per_stream "$((all_ticks - front_ticks))" "$done_n")"
    done
  done
fi

ENGINE_BENCH=${BENCH_ENGINE:-}
if [[ -z "$ENGINE_BENCH" ]]; then
  ENGINE_BENCH=0
  "$QUORUM" node --help 2>&1 | grep -q -- '--model-threads' && ENGINE_BENCH=1
fi
if [[ $ENGINE_BENCH = 1 ]]; then
  log "the embedded engine next to llama-server (bench/engine.sh)"
  BENCH_ENGINE_SUMMARY="$WORK/engine-summary.json" QUORUM_BIN="$QUORUM" bash "$ROOT/bench/engine.sh" ||
    die "bench/engine.sh failed (see above)"
fi

echo
echo "### Against the targets (issue 14: each against nginx in this run)"
echo
echo "| target | measured | met |"
echo "|---|---|---|"
ok() { awk -v v="$1" -v lim="$2" 'BEGIN { print (v <= lim ? "yes" : "no") }'; }
at_least() {  # VALUE FLOOR: "yes" when VALUE >= FLOOR, "within 2% (noise)" just below it, else "no"
  awk -v n="$1" -v g="$2" 'BEGIN { print (n >= g ? "yes" : (n >= 0.98 * g ? "within 2% (noise)" : "no")) }'
}
at_most() {  # NAME VALUE LIMIT UNIT: a row "VALUE vs LIMIT" met when VALUE <= LIMIT
  echo "| $1 | $2 vs $3 $4 | $(ok "$2" "$3") |"
}
added() {  # TARGET LEVEL FIELD: the target's TTFT minus direct's
  sub "$(j "$WORK/run-$1-$2.json" ".ttft_ms.$3")" "$(j "$WORK/run-direct-$2.json" ".ttft_ms.$3")"
}
cpu_of() {  # TARGET LEVEL: µs of proxy CPU per completed stream
  local ticks
  read -r ticks _ <"$WORK/cpu-$1-$2"
  per_stream "$ticks" "$(j "$WORK/run-$1-$2.json" .completed)"
}
has node && has nginx && has direct && for c in $CONCURRENCY; do
  ((c <= 100)) || continue
  for q in p50 p99; do
    at_most "added TTFT $q, node vs nginx ($c streams)" "$(added node "$c" "$q")" "$(added nginx "$c" "$q")" ms
  done
done
last=${CONCURRENCY##* }
if has node && has nginx && ((last >= 1000)); then
  for f in streams_per_s tokens_per_s; do
    n=$(j "$WORK/run-node-$last.json" ".$f")
    g=$(j "$WORK/run-nginx-$last.json" ".$f")
    met=$(at_least "$n" "$g")
    echo "| ${f//_per_s/\/s}, node vs nginx ($last streams) | $(fmt "$n" 0) vs $(fmt "$g" 0) | $met |"
  done
  e=$(j "$WORK/run-node-$last.json" .errors)
  echo "| errors through the node ($last streams) | $e | $([[ $e = 0 ]] && echo yes || echo no) |"
  echo "| (for information) proxy CPU per stream, node vs nginx ($last streams) | $(cpu_of node "$last") vs $(cpu_of nginx "$last") µs | — |"
fi
if [[ ${BENCH_SKIP_HOLD:-0} != 1 ]]; then
  read -r before peak <"$WORK/rss-node"
  held=$(j "$WORK/hold-node.json" .held)
  per=$(awk -v b="$before" -v p="$peak" -v n="$held" 'BEGIN { if (n > 0) printf "%.1f", (p - b) / n; else print 1e9 }')
  read -r before peak <"$WORK/rss-nginx"
  held=$(j "$WORK/hold-nginx.json" .held)
  ngx=$(awk -v b="$before" -v p="$peak" -v n="$held" 'BEGIN { if (n > 0) printf "%.1f", (p - b) / n; else print 0 }')
  echo "| <= 16 KB per open stream ($HOLD streams; nginx: $ngx KB) | $per KB | $(ok "$per" 16) |"
fi
if has hop && has node && has nginx; then
  for c in $CONCURRENCY; do
    ((c <= 100)) || continue
    # What the second node adds, against what nginx adds in front of the engine.
    for q in p50 p99; do
      hop=$(sub "$(j "$WORK/run-hop-$c.json" ".ttft_ms.$q")" "$(j "$WORK/run-node-$c.json" ".ttft_ms.$q")")
      at_most "a cluster hop's added TTFT $q vs nginx's hop ($c streams)" "$hop" "$(added nginx "$c" "$q")" ms
    done
  done
  for c in $CONCURRENCY; do
    ((c >= 100)) || continue  # at 1 stream, idle timers dominate CPU per stream
    two=$(cpu_of hop "$c")
    one=$(cpu_of node "$c")
    lim=$(awk -v o="$one" 'BEGIN { printf "%.0f", 1.3 * o }')
    echo "| two nodes' CPU per stream <= 1.3x one node's ($c streams) | $two vs 1.3 x $one = $lim µs | $(ok "$two" "$lim") |"
  done
  for c in $CONCURRENCY; do
    has hop_plain || break
    # What TLS adds to a hop: the TLS hop against the same hop in plain text (benchmark knob), same run.
    tls=$(sub "$(j "$WORK/run-hop-$c.json" .ttft_ms.p50)" "$(j "$WORK/run-hop_plain-$c.json" .ttft_ms.p50)")
    echo "| (for information) TLS's addition to a hop's TTFT p50 ($c streams) | $tls ms | — |"
  done
fi
if has node && has nginx_node && has relay; then
  for c in $CONCURRENCY; do
    # What the relay adds in front of a node, against what nginx adds in front of the same node.
    rel=$(sub "$(j "$WORK/run-relay-$c.json" .ttft_ms.p50)" "$(j "$WORK/run-node-$c.json" .ttft_ms.p50)")
    ngx=$(sub "$(j "$WORK/run-nginx_node-$c.json" .ttft_ms.p50)" "$(j "$WORK/run-node-$c.json" .ttft_ms.p50)")
    err=$(j "$WORK/run-relay-$c.json" .errors)
    met=$(awk -v r="$rel" -v g="$ngx" -v e="$err" 'BEGIN { print (e > 0 ? "no (errors)" : (r <= g ? "yes" : "no")) }')
    echo "| (for information) the relay adds no more TTFT p50 than nginx in front of the node ($c streams) | $rel vs $ngx ms, $err errors | $met |"
  done
fi
if [[ -f "$WORK/engine-summary.json" ]]; then
  for n in $(jq -r 'keys[]' "$WORK/engine-summary.json"); do
    e=$(j "$WORK/engine-summary.json" ".\"$n\"[\"quorum node\"].aggregate")
    l=$(j "$WORK/engine-summary.json" ".\"$n\"[\"llama-server\"].aggregate")
    met=$(at_least "$e" "$l")
    echo "| embedded engine's aggregate tok/s vs llama-server's ($n streams) | $(fmt "$e" 1) vs $(fmt "$l" 1) | $met |"
  done
fi
