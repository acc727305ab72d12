#!/usr/bin/env bash
# Builds llama.cpp from the source bundle that the npm package node-llama-cpp carries, once, into a cache
# outside the work tree, and prints the cache folder on its last line.
#
#   build-llama.sh lib      the static libraries the node links (libllama, libllama-common, libggml*)
#   build-llama.sh server   the libraries and llama-server (the tests' reference engine)
#
# The version and the tarball's checksum are pinned: a different tarball is refused. A run that finds its
# targets built returns at once, so a warm rebuild of the node never recompiles llama.cpp. QUORUM_CACHE
# overrides the cache folder (default ~/.cache/quorum).
set -euo pipefail

readonly NLC_VERSION="3.22.1"
readonly NLC_SHA256="a0d9dd80eacd2ab1cfe71aee57ac8a806487fd70b3d2a38fbec637752d9e5c5f"
mode="${1:-lib}"
case "$mode" in
  lib) targets=(llama llama-common ggml) ;;
  server) targets=(llama llama-common ggml llama-server) ;;
  *)
    echo "usage: build-llama.sh lib|server" >&2
    exit 2
    ;;
esac
cache="${QUORUM_CACHE:-$HOME/.cache/quorum}"
root="$cache/llama.cpp-nlc-$NLC_VERSION"
stamp="$root/.complete-$mode"

if [[ -f "$stamp" ]]; then
  echo "$root"
  exit 0
fi

mkdir -p "$root"
cd "$root"
tarball="node-llama-cpp-$NLC_VERSION.tgz"
if [[ ! -f "$tarball" ]] || ! echo "$NLC_SHA256  $tarball" | sha256sum -c --quiet - 2>/dev/null; then
  rm -f "$tarball"
  npm pack --silent "node-llama-cpp@$NLC_VERSION" >/dev/null
fi
echo "$NLC_SHA256  $tarball" | sha256sum -c --quiet - || {
  echo "checksum mismatch for $tarball" >&2
  exit 1
}
if [[ ! -d src/.git ]]; then
  rm -rf pkg src
  mkdir pkg
  tar -xzf "$tarball" -C pkg package/llama/gitRelease.bundle
  git -c advice.detachedHead=false clone --quiet pkg/package/llama/gitRelease.bundle src
  rm -rf pkg
fi

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
echo "building llama.cpp ($mode) in $root (several minutes the first time; log in $root/build.log)" >&2
cmake -S src -B build "${generator[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF >build.log 2>&1 || {
  tail -30 build.log >&2
  exit 1
}
cmake --build build --target "${targets[@]}" -j "$(nproc)" >>build.log 2>&1 || {
  tail -30 build.log >&2
  exit 1
}
touch "$stamp"
echo "$root"
