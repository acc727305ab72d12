#!/usr/bin/env bash
# The node's embedded llama.cpp engine next to llama-server (`make bench-engine`): the same model, the same
# threads and slots, measured the same way by bench/engine_bench.mjs as a streaming client sees it: decode
# tokens/s per stream, aggregate tokens/s and time to first token, at 1 and at 4 concurrent streams.
#
#   llama-server -m MODEL -t T -np S -c S*C                                              "llama-server"
#   quorum node --model ID=MODEL --model-threads T --model-slots S --model-ctx C         "quorum node"
#
# The model is a random-weight 58M-parameter llama (32k SentencePiece vocabulary, f16, 117 MB), written by
# scripts/make-test-model.py into ~/.cache/quorum/test-models/bench-58m.gguf the first time (~20 s).
# Both servers are started once and load the model (not measured); then only one is measured at a time while
# the other sits idle, in BENCH_ROUNDS short rounds: in each, at each stream count, one run of each target
# back to back, llama-server first in odd rounds and the node first in even ones. Many short alternating
# runs, in an even number of rounds, because on a shared machine the spread from minute to minute (±10%) is
# larger than any difference between the engines, and the second run of a pair is systematically a few
# per cent off the first (docs/benchmarks.md, eleventh sitting). Each run begins with a warm-up request. Prints
# a Markdown table of medians on stdout, with the ratio node / llama-server; progress goes to stderr.
#
# Usage: bash bench/engine.sh [--self-test]
#   --self-test   the "node" target is a second llama-server: checks the harness without the embedded engine
#                 (both rows should then agree within the machine's noise).
#
# Contract: only 127.0.0.1; every process it starts is stopped (by PID) on exit, even on error or Ctrl-C; its
# files live in one temporary directory that is removed at the end (kept with BENCH_KEEP=1, which keeps every
# run's JSON and the servers' logs).
#
# Environment (all optional):
#   QUORUM_BIN           the quorum binary (default build/quorum)
#   QUORUM_LLAMA_SERVER  llama-server (default: scripts/build-llama-server.sh, cached after its first build)
#   QUORUM_TEST_MODELS   folder of generated models (default ~/.cache/quorum/test-models)
#   BENCH_MODEL          a GGUF to use instead of the generated bench-58m.gguf; BENCH_MODEL_ID its id (bench-58m)
#   BENCH_THREADS        engine threads, both targets (default 2)
#   BENCH_SLOTS          slots, both targets (default 4); BENCH_CTX context per slot (default 2048)
#   BENCH_STREAMS        concurrent stream counts (default "1 4")
#   BENCH_MAX_TOKENS     tokens per stream (default 256), BENCH_ROUNDS (10; keep it even), BENCH_REPEAT runs
#                        of each target per round and stream count (1)
#   BENCH_LLAMA_ARGS, BENCH_NODE_ARGS   extra arguments for either server (split on spaces)
#   BENCH_ENGINE_SUMMARY a file to write the table's medians to, as JSON (engine_bench.mjs --summary)
#   BENCH_NODE_CMD       the command that starts the "node" target, run by bash with exec, with PORT, MODEL,
#                        MODEL_ID, THREADS, SLOTS, CTX, STATE_DIR, QUORUM_BIN and LLAMA_SERVER in its
#                        environment; BENCH_NODE_LABEL its name in the table. --self-test sets both.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF_TEST=0
for arg in "$@"; do
  case "$arg" in
    --self-test) SELF_TEST=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "engine bench: unknown argument $arg (try --help)" >&2
      exit 2
      ;;
  esac
done

QUORUM_BIN=${QUORUM_BIN:-build/quorum}
[[ "$QUORUM_BIN" = /* ]] || QUORUM_BIN="$ROOT/$QUORUM_BIN"
MODELS_DIR=${QUORUM_TEST_MODELS:-$HOME/.cache/quorum/test-models}
MODEL_ID=${BENCH_MODEL_ID:-bench-58m}
THREADS=${BENCH_THREADS:-2}
SLOTS=${BENCH_SLOTS:-4}
CTX=${BENCH_CTX:-2048}
STREAMS=${BENCH_STREAMS:-"1 4"}
MAX_TOKENS=${BENCH_MAX_TOKENS:-256}
ROUNDS=${BENCH_ROUNDS:-10}
REPEAT=${BENCH_REPEAT:-1}
BENCH_JS="$ROOT/bench/engine_bench.mjs"

log() { echo "engine bench: $*" >&2; }
die() {
  echo "engine bench: error: $*" >&2
  exit 1
}

for v in THREADS SLOTS CTX MAX_TOKENS ROUNDS REPEAT; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_$v must be a positive integer (got '${!v}')"
done
for n in $STREAMS; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "BENCH_STREAMS must hold positive integers (got '$STREAMS')"
  ((n <= SLOTS)) || log "warning: $n streams on $SLOTS slots: some streams will queue"
done
((MAX_TOKENS + 64 <= CTX)) || die "BENCH_MAX_TOKENS ($MAX_TOKENS) plus the prompt does not fit BENCH_CTX ($CTX)"
command -v node >/dev/null || die "node (Node.js 20) is not installed (make test-deps)"
command -v curl >/dev/null || die "curl is not installed (make test-deps)"

LLAMA_SERVER_BUILT=""
llama_server_build() {  # sets LLAMA_SERVER_BUILT: the cached build (made on the first call ever, which takes long)
  [[ -z "$LLAMA_SERVER_BUILT" ]] || return 0
  log "llama-server: scripts/build-llama-server.sh (cached after the first build)"
  LLAMA_SERVER_BUILT=$(bash "$ROOT/scripts/build-llama-server.sh" | tail -n 1)
  [[ -n "$LLAMA_SERVER_BUILT" ]] || die "scripts/build-llama-server.sh failed"
}
if [[ -n "${QUORUM_LLAMA_SERVER:-}" ]]; then
  LLAMA_SERVER=$QUORUM_LLAMA_SERVER
else
  llama_server_build
  LLAMA_SERVER=$LLAMA_SERVER_BUILT
fi
[[ -x "$LLAMA_SERVER" ]] || die "llama-server not found at $LLAMA_SERVER"

# The targets' commands, run by `bash -c` with their variables in the environment (hence the single quotes).
# shellcheck disable=SC2016
{
  LLAMA_CMD='exec "$LLAMA_SERVER" -m "$MODEL" --alias "$MODEL_ID" -t "$THREADS" -np "$SLOTS" -c "$((SLOTS * CTX))"'
  LLAMA_CMD+=' --host 127.0.0.1 --port "$PORT" --no-webui'
  QUORUM_CMD='exec "$QUORUM_BIN" node --listen "127.0.0.1:$PORT" --state-dir "$STATE_DIR" --no-autodetect'
  QUORUM_CMD+=' --model "$MODEL_ID=$MODEL" --model-threads "$THREADS" --model-slots "$SLOTS" --model-ctx "$CTX"'
}
LLAMA_LABEL="llama-server"
if ((SELF_TEST)); then
  NODE_LABEL=${BENCH_NODE_LABEL:-"llama-server as node (self-test)"}
  NODE_CMD=$LLAMA_CMD
else
  NODE_LABEL=${BENCH_NODE_LABEL:-"quorum node"}
  NODE_CMD=${BENCH_NODE_CMD:-$QUORUM_CMD}
  if [[ -z "${BENCH_NODE_CMD:-}" ]]; then
    [[ -x "$QUORUM_BIN" ]] || die "$QUORUM_BIN is missing; build first (make bench-engine builds it), or QUORUM_BIN=PATH"
    "$QUORUM_BIN" node --help 2>&1 | grep -q -- '--model-threads' ||
      die "$QUORUM_BIN has no embedded engine (no --model-threads in 'quorum node --help');" \
        "--self-test checks the harness alone"
  fi
fi

# The benchmark model: generated once into the models folder, next to the tests' tiny ones.
if [[ -n "${BENCH_MODEL:-}" ]]; then
  MODEL=$BENCH_MODEL
  [[ -s "$MODEL" ]] || die "BENCH_MODEL $MODEL does not exist"
else
  MODEL="$MODELS_DIR/bench-58m.gguf"
  if [[ ! -s "$MODEL" ]]; then
    mkdir -p "$MODELS_DIR"
    llama_server_build
    src="$(dirname "$(dirname "$(dirname "$LLAMA_SERVER_BUILT")")")/src"
    [[ -f "$src/models/ggml-vocab-llama-spm.gguf" ]] || die "llama.cpp source not found at $src"
    log "writing $MODEL (58M parameters, ~20 s)"
    # n_embd 512, 8 layers, 8 heads (4 KV heads), n_ff 1536, 32k vocab: 57.9M parameters.
    /usr/bin/python3 "$ROOT/scripts/make-test-model.py" "$MODEL.tmp.$$" --llama-src "$src" --seed 58 \
      --embd 512 --layers 8 --heads 8 --kv-heads 4 --ff 1536 --ctx 8192 >&2 ||
      {
        rm -f "$MODEL.tmp.$$"
        die "could not write $MODEL (needs python3-numpy: make test-deps)"
      }
    mv "$MODEL.tmp.$$" "$MODEL"
  fi
fi

NODE_CMD+=" ${BENCH_NODE_ARGS:-}"
LLAMA_CMD+=" ${BENCH_LLAMA_ARGS:-}"
declare -A CMD=([llama]="$LLAMA_CMD" [node]="$NODE_CMD")
declare -A LABEL=([llama]="$LLAMA_LABEL" [node]="$NODE_LABEL")

WORK=$(mktemp -d /tmp/quorum-bench-engine.XXXXXX)
declare -A SERVER_PID=() URL=()
CLIENT_PID=""

stop_server() {
  local target=$1 pid=${SERVER_PID[$1]:-}
  [[ -n "$pid" ]] || return 0
  unset "SERVER_PID[$target]"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  if [[ -n "$CLIENT_PID" ]]; then
    kill -TERM "$CLIENT_PID" 2>/dev/null || true
    wait "$CLIENT_PID" 2>/dev/null || true
  fi
  stop_server llama
  stop_server node
  if [[ "${BENCH_KEEP:-0}" = 1 ]]; then log "files kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=bench/free_port.sh
source "$(dirname "${BASH_SOURCE[0]}")/free_port.sh"

# start_server TARGET: starts it on a free port and waits until /v1/models lists the model; sets URL[TARGET].
start_server() {
  local target=$1 port
  port=$(free_port)
  mkdir -p "$WORK/$target-state"
  PORT=$port MODEL=$MODEL MODEL_ID=$MODEL_ID THREADS=$THREADS SLOTS=$SLOTS CTX=$CTX STATE_DIR="$WORK/$target-state" \
    QUORUM_BIN=$QUORUM_BIN LLAMA_SERVER=$LLAMA_SERVER bash -c "${CMD[$target]}" >"$WORK/$target.log" 2>&1 &
  SERVER_PID[$target]=$!
  URL[$target]="http://127.0.0.1:$port"
  local deadline=$((SECONDS + 120))
  until curl -sf --max-time 2 "${URL[$target]}/v1/models" 2>/dev/null | grep -qF "\"$MODEL_ID\""; do
    kill -0 "${SERVER_PID[$target]}" 2>/dev/null ||
      die "${LABEL[$target]} exited at start: $(tail -5 "$WORK/$target.log")"
    ((SECONDS < deadline)) ||
      die "${LABEL[$target]} did not list $MODEL_ID in 120 s: $(tail -5 "$WORK/$target.log")"
    sleep 0.2
  done
}

busy=$(awk '{ print ($1 > 0.5) }' /proc/loadavg)
((busy == 0)) || log "warning: load average $(cut -d' ' -f1 /proc/loadavg) before start: other work will add noise"
log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
log "model $MODEL ($MODEL_ID); $THREADS threads, $SLOTS slots x $CTX context; $MAX_TOKENS tokens per stream;" \
  "streams: $STREAMS; $ROUNDS rounds x $REPEAT runs"

start_server llama
start_server node
FILES=()
for round in $(seq "$ROUNDS"); do
  order=(llama node)
  ((round % 2 == 0)) && order=(node llama)
  log "round $round/$ROUNDS: ${LABEL[${order[0]}]} first"
  for n in $STREAMS; do
    for target in "${order[@]}"; do
      out="$WORK/r$round-$target-s$n.json"
      # In the background and waited for, so that a TERM stops the script (and cleanup both servers) at once.
      node "$BENCH_JS" --url "${URL[$target]}" --model "$MODEL_ID" --streams "$n" --max-tokens "$MAX_TOKENS" \
        --repeat "$REPEAT" --label "${LABEL[$target]}" >"$out" &
      CLIENT_PID=$!
      wait "$CLIENT_PID" ||
        die "${LABEL[$target]} with $n streams failed (see above; server log: $(tail -3 "$WORK/$target.log"))"
      CLIENT_PID=""
      FILES+=("$out")
    done
  done
done

echo
echo "### Embedded engine vs llama-server ($(nproc) cores; $MODEL_ID; $THREADS threads, $SLOTS slots;" \
  "$MAX_TOKENS tokens per stream; medians of $ROUNDS rounds x $REPEAT runs)"
echo
SUMMARY_ARGS=()
[[ -z "${BENCH_ENGINE_SUMMARY:-}" ]] || SUMMARY_ARGS=(--summary "$BENCH_ENGINE_SUMMARY")
node "$BENCH_JS" --table --baseline "$LLAMA_LABEL" "${SUMMARY_ARGS[@]}" "${FILES[@]}"
