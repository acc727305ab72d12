#!/usr/bin/env bash
# Builds llama.cpp's llama-server (see build-llama.sh: pinned source, cached outside the work tree) and prints
# the path of the binary on its last line.
set -euo pipefail
root=$(bash "$(dirname "$0")/build-llama.sh" server | tail -n 1)
echo "$root/build/bin/llama-server"
