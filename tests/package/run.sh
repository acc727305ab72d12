#!/usr/bin/env bash
# The Debian packages in a clean Debian 12 root (`make test` runs it; alone: tests/package/run.sh [BUILD_DIR]).
#
#   1. lintian on both packages: no errors (the overrides in packaging/debian/*/lintian-overrides say why
#      each remaining tag is accepted);
#   2. a Debian 12 root from Debian's packages (mmdebstrap; cached as ~/.cache/quorum/debian12-root.tar,
#      rebuilt when this script's package list changes), unpacked into a temporary directory;
#   3. apt installs the two .debs there (dependencies resolved from the root's apt lists); the files, the
#      system users, the relay's data directory and its enablement are checked; `systemd-analyze verify`
#      on the three units;
#   4. the root is booted with systemd-nspawn (a real systemd as PID 1, private network): the relay service
#      must be running and healthy, come back after its process is killed (Restart=always), roll out a new
#      binary and roll back a broken one through systemd (scripts/relay-rollout.sh), and the headless node
#      unit must start and serve /health; a check unit in the root reports, then powers off;
#   5. upgrade to a package with a bumped revision (same binaries, scripts/package.sh --revision 2): the
#      relay's data kept; remove: data kept; purge: data gone.
# Needs root, mmdebstrap, systemd-container, lintian (scripts/install-deps.sh --test installs them).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$repo/build}"
cache="${QUORUM_CACHE:-$HOME/.cache/quorum}"
version="$(bash "$repo/scripts/version.sh")"
packages=systemd,systemd-sysv,dbus,adduser,procps,curl,ca-certificates,libboost-json1.81.0,libboost-url1.81.0,libgomp1,libssl3,libsqlite3-0,libpq5,libsodium23
base="$cache/debian12-root-$(echo "$packages" | sha256sum | cut -c1-12).tar"

work="$(mktemp -d /tmp/quorum-package-test.XXXXXX)"
root="$work/root"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

t0=$SECONDS
say() { printf '[package %3ds] %s\n' $((SECONDS - t0)) "$*"; }
fail() {
  echo "package test FAILED: $*" >&2
  exit 1
}
# Runs a command inside the root (not booted): nspawn mounts /proc, /dev and /sys for it.
# (nspawn's complaint at exit about the propagation directory of a root that is not a machine image is noise.)
in_root() {
  systemd-nspawn -q --register=no --keep-unit --private-network -D "$root" "$@" \
    2> >(grep -v 'Attempted to remove disk file system' >&2)
}

say "building the packages (version $version-1 and the upgrade $version-2)"
bash "$repo/scripts/package.sh" --build "$build" --out "$work/debs" >/dev/null
bash "$repo/scripts/package.sh" --build "$build" --out "$work/debs" --revision 2 >/dev/null

say "lintian"
lintian_out="$(lintian --tag-display-limit 0 "$work/debs/"*_"$version"-1_amd64.deb 2>&1 | grep -v 'running with root privileges' || true)"
[ -z "$lintian_out" ] || echo "$lintian_out"
if grep -q '^E: ' <<<"$lintian_out"; then fail "lintian reports errors"; fi

if [ ! -f "$base" ]; then
  say "building the Debian 12 root (once; cached as $base)"
  mkdir -p "$cache"
  mmdebstrap --quiet --variant=apt --include="$packages" --skip=cleanup/apt/lists bookworm "$base.partial.tar" \
    "deb http://deb.debian.org/debian bookworm main" "deb http://deb.debian.org/debian-security bookworm-security main"
  mv "$base.partial.tar" "$base"
fi
mkdir -p "$root"
tar -C "$root" -xf "$base"
say "root unpacked"

mkdir -p "$root/srv/debs" && cp "$work/debs/"*.deb "$root/srv/debs/"
say "apt install quorum quorum-relay ($version-1)"
in_root apt-get install -y -q \
  "/srv/debs/quorum_${version}-1_amd64.deb" "/srv/debs/quorum-relay_${version}-1_amd64.deb" > "$work/apt.log" 2>&1 ||
  { cat "$work/apt.log"; fail "apt-get install"; }

for f in usr/bin/quorum usr/bin/quorum-relay usr/lib/systemd/user/quorum.service lib/systemd/system/quorum-node.service \
  lib/systemd/system/quorum-relay.service usr/share/applications/quorum.desktop \
  usr/share/icons/hicolor/scalable/apps/quorum.svg etc/quorum-relay/relay.env usr/share/doc/quorum/copyright \
  usr/share/doc/quorum-relay/changelog.Debian.gz etc/systemd/system/multi-user.target.wants/quorum-relay.service; do
  [ -e "$root/$f" ] || [ -L "$root/$f" ] || fail "/$f is not installed"
done
[ ! -e "$root/etc/systemd/system/multi-user.target.wants/quorum-node.service" ] || fail "quorum-node must not be enabled"
in_root getent passwd quorum-relay >/dev/null || fail "no quorum-relay user"
in_root getent passwd quorum >/dev/null || fail "no quorum user"
owner="$(in_root stat -c '%U %a' /var/lib/quorum-relay)"
[ "$(tr -d '\r' <<<"$owner")" = "quorum-relay 700" ] || fail "/var/lib/quorum-relay is '$owner', not 'quorum-relay 700'"
[ "$(in_root /usr/bin/quorum --version | tr -d '\r')" = "$version" ] || fail "quorum --version"
say "files, users and data directory in place"

in_root systemd-analyze verify /lib/systemd/system/quorum-relay.service /lib/systemd/system/quorum-node.service \
  > "$work/verify.log" 2>&1 || { cat "$work/verify.log"; fail "systemd-analyze verify (system units)"; }
in_root sh -c 'mkdir -p -m 0700 /run/user/0 && XDG_RUNTIME_DIR=/run/user/0 systemd-analyze --user verify /usr/lib/systemd/user/quorum.service' \
  > "$work/verify-user.log" 2>&1 ||
  { cat "$work/verify-user.log"; fail "systemd-analyze verify (user unit)"; }
if grep -v '^$' "$work/verify.log" "$work/verify-user.log"; then fail "systemd-analyze verify warns"; fi
say "systemd-analyze verify: clean"

# The boot: a check unit that runs once everything else has started, writes its findings, powers off.
cat > "$root/usr/local/sbin/quorum-boot-check" <<'CHECK'
#!/bin/sh
out=/root/boot-check.out
healthy() { # URL SECONDS
  i=0
  while [ $i -lt $(($2 * 10)) ]; do
    curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0
    sleep 0.1; i=$((i + 1))
  done
  return 1
}
{
  healthy http://127.0.0.1:8443/health 30 && echo "relay healthy" || echo "relay NOT healthy"
  echo "relay $(systemctl is-active quorum-relay) $(systemctl is-enabled quorum-relay)"
  echo "relay user $(ps -o user= -p "$(systemctl show -p MainPID --value quorum-relay)")"
  first=$(systemctl show -p MainPID --value quorum-relay)
  kill -9 "$first"
  i=0
  while [ $i -lt 100 ]; do
    now=$(systemctl show -p MainPID --value quorum-relay)
    [ "$now" != "$first" ] && [ "$now" != 0 ] && break
    sleep 0.1; i=$((i + 1))
  done
  healthy http://127.0.0.1:8443/health 30 && echo "relay restarted after kill -9" || echo "relay NOT restarted"
  # The roll-out of a new relay binary through systemd, and the automatic rollback of a broken one.
  export QUORUM_ROLLOUT_TARGET=/usr/bin/quorum-relay QUORUM_ROLLOUT_STABLE_SECONDS=1 QUORUM_ROLLOUT_HEALTH_TIMEOUT=10
  cp /usr/bin/quorum-relay /root/relay-new
  before=$(systemctl show -p MainPID --value quorum-relay)
  quorum-relay-rollout /root/relay-new >/root/rollout.log 2>&1 && echo "rollout ok"
  [ "$(systemctl show -p MainPID --value quorum-relay)" != "$before" ] && echo "rollout restarted the service"
  printf '#!/bin/sh\n[ "$1" = --version ] && { echo 9.9.9; exit 0; }\nexit 1\n' > /root/relay-broken
  chmod 0755 /root/relay-broken
  quorum-relay-rollout /root/relay-broken >>/root/rollout.log 2>&1
  echo "broken rollout exit $?"
  healthy http://127.0.0.1:8443/health 30 && echo "relay healthy after rollback"
  quorum-relay-rollout --rollback >>/root/rollout.log 2>&1 && echo "manual rollback ok"
  rm -f /usr/bin/quorum-relay.old /usr/bin/quorum-relay.failed /usr/bin/quorum-relay.rolled-back /usr/bin/quorum-relay.rollout-lock
  systemctl start quorum-node
  healthy http://127.0.0.1:32768/health 60 && echo "node healthy" || echo "node NOT healthy"
  echo "node user $(ps -o user= -p "$(systemctl show -p MainPID --value quorum-node)")"
  systemctl stop quorum-node quorum-relay && echo "stopped"
  echo "done"
} > $out 2>&1
journalctl -u quorum-relay -u quorum-node --no-pager > /root/boot-journal.log 2>&1
systemctl poweroff
CHECK
chmod 0755 "$root/usr/local/sbin/quorum-boot-check"
install -m 0755 "$repo/scripts/relay-rollout.sh" "$root/usr/local/sbin/quorum-relay-rollout"
cat > "$root/etc/systemd/system/quorum-boot-check.service" <<'UNIT'
[Unit]
Description=Quorum package test: check the services, then power off
After=multi-user.target quorum-relay.service
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/quorum-boot-check
[Install]
WantedBy=multi-user.target
UNIT
ln -s /etc/systemd/system/quorum-boot-check.service "$root/etc/systemd/system/multi-user.target.wants/"
say "booting the root with systemd-nspawn (systemd as PID 1)"
timeout 180 systemd-nspawn -q --register=no --keep-unit --private-network -D "$root" --boot > "$work/boot.log" 2>&1 || true
rm -f "$root/etc/systemd/system/multi-user.target.wants/quorum-boot-check.service"
if [ ! -f "$root/root/boot-check.out" ] || ! grep -q '^done$' "$root/root/boot-check.out"; then
  sed 's/\x1b\[[0-9;]*m//g' "$work/boot.log" | tail -40
  fail "the boot check did not finish"
fi
sed 's/^/    /' "$root/root/boot-check.out"
for want in "relay healthy" "relay active enabled" "relay user quorum-relay" "relay restarted after kill -9" \
  "rollout ok" "rollout restarted the service" "broken rollout exit 1" "relay healthy after rollback" \
  "manual rollback ok" "node healthy" "node user quorum" "stopped"; do
  grep -qx "$want" "$root/root/boot-check.out" ||
    { cat "$root/root/boot-journal.log" "$root/root/rollout.log"; fail "boot: no '$want'"; }
done
say "services ran under systemd"

# Data kept across upgrade and remove, gone on purge.
in_root runuser -u quorum-relay -- quorum-relay token create --data /var/lib/quorum-relay --note kept > /dev/null
tokens() { in_root runuser -u quorum-relay -- quorum-relay token list --data /var/lib/quorum-relay 2>&1 | tr -d '\r'; }
tokens | grep -q kept || fail "the relay's token was not written"
in_root apt-get install -y -q "/srv/debs/quorum-relay_${version}-2_amd64.deb" "/srv/debs/quorum_${version}-2_amd64.deb" \
  > "$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "upgrade"; }
[ "$(in_root dpkg-query -W -f='${Version}' quorum-relay)" = "$version-2" ] || fail "not upgraded"
tokens | grep -q kept || fail "the relay's data was lost on upgrade"
say "upgraded to $version-2: data kept"
in_root apt-get remove -y -q quorum-relay quorum > "$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "remove"; }
[ ! -e "$root/usr/bin/quorum-relay" ] || fail "remove left the binary"
[ -f "$root/var/lib/quorum-relay/relay.db" ] || ls -la "$root/var/lib/quorum-relay"
[ -n "$(ls -A "$root/var/lib/quorum-relay")" ] || fail "remove deleted the relay's data"
[ -d "$root/var/lib/quorum" ] || fail "remove deleted the node's data"
say "removed: data kept"
in_root apt-get purge -y -q quorum-relay quorum > "$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "purge"; }
[ ! -e "$root/var/lib/quorum-relay" ] || fail "purge left /var/lib/quorum-relay"
[ ! -e "$root/var/lib/quorum" ] || fail "purge left /var/lib/quorum"
[ ! -e "$root/etc/quorum-relay/relay.env" ] || fail "purge left the conffile"
say "purged: data gone"
echo "package test passed: 1 passed, 0 failed"
