#!/usr/bin/env bash
# Installs quorum-relay as a systemd service on this machine (run as root, from the repository after
# `make build`):
#
#   sudo scripts/install-relay.sh [--binary build/quorum-relay] [--no-start]
#
# What it does, each step skipped when already done (so running it again upgrades the binary and the unit):
#   - the system user and group quorum-relay (no shell, no home of its own);
#   - the binary to /usr/local/bin/quorum-relay (written beside it, then renamed: a running relay keeps the
#     file it started from; the new one runs from the next restart; scripts/relay-rollout.sh does upgrades
#     with a health check and rollback);
#   - the unit (packaging/quorum-relay.service) to /etc/systemd/system/, and the rollout script to
#     /usr/local/sbin/quorum-relay-rollout;
#   - /etc/quorum-relay/relay.env with the defaults (127.0.0.1:8443, plain HTTP behind a proxy), if absent;
#   - the deployment guide to /usr/local/share/doc/quorum-relay/;
#   - systemctl daemon-reload, then enable --now (unless --no-start; a relay already running is restarted
#     onto the new binary).
#
# --root DIR installs into DIR instead of / (for packaging, or to look at what would be installed): no user
# is created and systemctl is not run.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="$repo/build/quorum-relay"
root=""
start=1

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --root) root="$2"; start=0; shift 2 ;;
    --no-start) start=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install-relay: unknown option $1 (--help lists them)" >&2; exit 2 ;;
  esac
done

die() {
  echo "install-relay: $*" >&2
  exit 1
}

[ -x "$binary" ] || die "no executable at $binary (make build first, or --binary PATH)"
version="$("$binary" --version 2>/dev/null)" || die "$binary --version fails: is it quorum-relay?"
if [ -z "$root" ] && [ "$(id -u)" -ne 0 ]; then die "run as root (sudo), or with --root DIR"; fi

bindir="$root/usr/local/bin"
sbindir="$root/usr/local/sbin"
unitdir="$root/etc/systemd/system"
confdir="$root/etc/quorum-relay"
docdir="$root/usr/local/share/doc/quorum-relay"

if [ -z "$root" ] && ! getent passwd quorum-relay >/dev/null; then
  useradd --system --user-group --home-dir /var/lib/quorum-relay --no-create-home \
    --shell /usr/sbin/nologin --comment "Quorum relay" quorum-relay
  echo "created the system user quorum-relay"
fi

# Written beside its destination, then renamed over it: never a half-written file at the path.
put() {
  local mode="$1" from="$2" to="$3"
  install -D -m "$mode" "$from" "$to.installing"
  mv -f "$to.installing" "$to"
}

put 0755 "$binary" "$bindir/quorum-relay"
put 0755 "$repo/scripts/relay-rollout.sh" "$sbindir/quorum-relay-rollout"
put 0644 "$repo/packaging/quorum-relay.service" "$unitdir/quorum-relay.service"
put 0644 "$repo/docs/relay-deploy.md" "$docdir/relay-deploy.md"
if [ ! -e "$confdir/relay.env" ]; then
  install -d -m 0755 "$confdir"
  install -m 0644 "$repo/packaging/relay.env" "$confdir/relay.env.installing"
  mv -f "$confdir/relay.env.installing" "$confdir/relay.env"
fi
echo "installed $version: $bindir/quorum-relay, $unitdir/quorum-relay.service, $sbindir/quorum-relay-rollout"

[ -n "$root" ] && exit 0
systemctl daemon-reload
if [ "$start" -eq 1 ]; then
  systemctl enable quorum-relay >/dev/null
  systemctl restart quorum-relay
  echo "quorum-relay is running: systemctl status quorum-relay; journalctl -u quorum-relay -f"
else
  echo "not started: systemctl enable --now quorum-relay"
fi
