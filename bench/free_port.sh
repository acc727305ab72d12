# Sourced by the benchmark scripts (needs their `die`).
# free_port: a port below the ephemeral range (so no outgoing connection holds it) that nothing listens on.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 12000))
    if ! (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  die "no free port found"
}
