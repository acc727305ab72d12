#!/usr/bin/env bash
# Writes the tiny random-weight test models into OUTDIR (default ~/.cache/quorum/test-models) unless they are
# there already: tiny-a.gguf (seed 1) and tiny-b.gguf (seed 2). Needs llama.cpp's source, which
# build-llama-server.sh checks out (it returns at once when its cache is warm).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-$HOME/.cache/quorum/test-models}"
mkdir -p "$out"
server=$(bash scripts/build-llama-server.sh | tail -n 1)
src="$(dirname "$(dirname "$(dirname "$server")")")/src"
for spec in tiny-a:1 tiny-b:2; do
  name=${spec%%:*}
  seed=${spec##*:}
  if [[ ! -s "$out/$name.gguf" ]]; then
    /usr/bin/python3 scripts/make-test-model.py "$out/$name.gguf.tmp" --llama-src "$src" --seed "$seed"
    mv "$out/$name.gguf.tmp" "$out/$name.gguf"
  fi
done
echo "$out"
