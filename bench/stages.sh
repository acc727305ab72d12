#!/usr/bin/env bash
# Where the node's cold request path spends its time: bench/run.sh's node path at one stream at a time (the
# tokens 10 ms apart, so each request finds the node's request path cold), with the node's stage marks on
# (QUORUM_STAGES, src/core/stage_marks.h), summarized by bench/stages.py. The marks cost a clock read each.
# Environment: BUILD (as bench/run.sh), STAGES_DURATION seconds (10).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
QUORUM_STAGES="$dir/stages" BENCH_TARGETS="direct node" BENCH_CONCURRENCY=1 \
  BENCH_DURATION=${STAGES_DURATION:-10} BENCH_WARMUP=1 BENCH_SKIP_HOLD=1 BENCH_ENGINE=0 bash "$ROOT/bench/run.sh" |
  grep -E '^\| 1 \|' || true
python3 "$ROOT/bench/stages.py" "$dir"/stages.*
