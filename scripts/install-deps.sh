#!/usr/bin/env bash
# Installs what Quorum needs from Debian 12's packages. `--test` adds what the test suite and the benchmark
# use. Packages already present are not touched, so a second run takes a second.
set -euo pipefail

# npm fetches llama.cpp's pinned source (node-llama-cpp's bundle) for the embedded engine. libsqlite3-dev,
# libpq-dev: the relay's control-plane store (src/relay/), in SQLite or PostgreSQL. libsodium-dev: the relay
# dashboard's password hashes (argon2id).
build_pkgs=(g++ cmake ninja-build ccache pkg-config git nodejs npm libssl-dev libboost1.81-dev libboost-json1.81-dev
  libboost-url1.81-dev libcli11-dev libsqlite3-dev libpq-dev libsodium-dev)
# avahi-daemon, avahi-utils, dbus: the mDNS interoperability test runs its own avahi-daemon and D-Bus in a
# network namespace, never the host's (which apt starts only where systemd runs).
# clang-14, libclang-rt-14-dev: the fuzzing build (scripts/fuzz.sh); libFuzzer and the sanitizer runtimes are in
# libclang-rt-14-dev, which clang-14 only recommends.
test_pkgs=(libgtest-dev clang-format python3-numpy nginx-light jq curl iproute2 avahi-daemon avahi-utils dbus
  clang-14 libclang-rt-14-dev)
# The desktop window's test (tests/integration/desktop.test.mjs): Xvfb, WebKitGTK (brings GTK 3), xdotool to find
# the window, x11-apps for xwd (the screenshot). `quorum` itself loads GTK/WebKitGTK only when they are there.
test_pkgs+=(xvfb libwebkit2gtk-4.1-0 xdotool x11-apps)
# chromium: the local UI's browser tests (tests/integration/ui_browser.test.mjs) drive Debian's Chromium through
# playwright-core; no browser is ever downloaded.
test_pkgs+=(chromium)
# postgresql-15: the relay's store tests run on PostgreSQL too (tests/unit/relay/pg_test_server.h and
# tests/integration/relay_postgres.test.mjs start a server of their own in a temporary directory; the
# package's own cluster is not used).
test_pkgs+=(postgresql-15)
# The package test (tests/package/run.sh): lintian, a Debian 12 root from Debian's packages (mmdebstrap), booted
# with systemd-nspawn (systemd-container).
test_pkgs+=(lintian mmdebstrap systemd-container)

want=("${build_pkgs[@]}")
[[ "${1:-}" == "--test" ]] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  # nodejs/npm may come from elsewhere on a developer machine: a working binary is enough.
  case "$p" in
    nodejs) command -v node >/dev/null && continue ;;
    npm) command -v npm >/dev/null && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  echo "installing: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
