#!/usr/bin/env bash
# Where the node's (and nginx's) time to first token goes: bench/run.sh's "direct node nginx" paths at one
# stream at a time, with a capture of loopback by tcpdump, split by bench/ttft_split.py into the request
# path (the client's request in -> the proxy's request to the engine out) and the first-token path (the
# engine's first content chunk in -> the proxy's out). Kernel timestamps: the processes are not slowed.
#
# Needs root (tcpdump), tcpdump and tshark (`apt-get install tcpdump tshark`; not part of `make bench`).
# Only loopback is captured, only TCP; the capture is removed at the end unless SPLIT_KEEP=1.
# Environment: BUILD (as bench/run.sh), SPLIT_DURATION seconds (10).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for tool in tcpdump tshark; do
  command -v "$tool" >/dev/null || { echo "ttft_split.sh: needs $tool (apt-get install $tool)" >&2; exit 1; }
done
pcap=$(mktemp --suffix=.pcap)
tcpdump -U -i lo -w "$pcap" -s 1500 tcp 2>/dev/null &
capture=$!
trap 'kill $capture 2>/dev/null || true; [[ ${SPLIT_KEEP:-0} = 1 ]] && echo "capture kept in $pcap" >&2 || rm -f "$pcap"' EXIT
until [[ -s "$pcap" ]] || ! kill -0 $capture 2>/dev/null; do
  curl -s -o /dev/null "http://127.0.0.1:9/" || true  # a packet on loopback makes tcpdump write its header
  sleep 0.1
done
BENCH_TARGETS="direct node nginx" BENCH_CONCURRENCY=1 BENCH_DURATION=${SPLIT_DURATION:-10} BENCH_WARMUP=1 \
  BENCH_SKIP_HOLD=1 BENCH_ENGINE=0 bash "$ROOT/bench/run.sh" | grep -E '^\| 1 \|' || true
kill $capture
wait $capture 2>/dev/null || true
python3 "$ROOT/bench/ttft_split.py" "$pcap"
