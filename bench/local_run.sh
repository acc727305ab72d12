# shellcheck shell=bash
# Sourced by bench/instructions.sh and bench/cpu.sh (needs their `die` and BUILD): a scratch directory WORK
# and the processes started in `pids`, both gone when the script exits; the fake engine; the wait for a proxy.

WORK=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_fake_engine [PREFIX...]: starts quorum-fake-engine (one thread) on a port of its choosing, behind
# PREFIX (e.g. `taskset -c 0`); sets `engine` to that port.
start_fake_engine() {
  "$@" "$BUILD/quorum-fake-engine" --port 0 >"$WORK/engine.out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q listening "$WORK/engine.out" && break; sleep 0.05; done
  engine=$(sed -n 's/^listening on http:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$WORK/engine.out")
  [[ -n "$engine" ]] || die "the fake engine did not start"
}

# wait_for_model PORT: waits (up to a minute) until what listens on PORT lists the fake engine's model.
wait_for_model() {
  for _ in $(seq 300); do
    curl -sf "http://127.0.0.1:$1/v1/models" | grep -q bench-model && return
    sleep 0.2
  done
}
