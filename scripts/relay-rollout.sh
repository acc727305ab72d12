#!/usr/bin/env bash
# Replaces the installed quorum-relay with a new build, checks the restarted relay's health, and goes back
# to the previous binary by itself when the new one does not come up healthy.
#
#   sudo scripts/relay-rollout.sh NEW_BINARY     (installed as /usr/local/sbin/quorum-relay-rollout)
#   sudo scripts/relay-rollout.sh --rollback     back to the binary before the last rollout, by hand
#
# A rollout:
#   1. copies NEW_BINARY beside the installed binary as quorum-relay.new, and refuses it when its
#      `--version` fails there (nothing else is changed, the relay is not restarted);
#   2. keeps the installed one as the backup, quorum-relay.old (a hard link: the same file, no copy);
#   3. renames quorum-relay.new over quorum-relay (atomic: the path always names a whole binary);
#   4. restarts the service (nodes are told to reconnect; they are back within seconds);
#   5. waits for GET /health to answer 200 within the health timeout, and to still answer after the stable
#      time (a relay that starts and then crashes is not healthy);
#   6. when that fails: puts quorum-relay.old back (the failed binary is kept as quorum-relay.failed),
#      restarts, checks health again, and exits 1 ("rolled back"), or 2 when the old one is not healthy
#      either.
# --rollback does steps 3 to 5 with quorum-relay.old (the binary it replaces is kept as
# quorum-relay.rolled-back). One rollout at a time (a lock beside the binary).
#
# Settings (environment), with their defaults:
#   QUORUM_ROLLOUT_TARGET=/usr/local/bin/quorum-relay           the installed binary
#   QUORUM_ROLLOUT_RESTART="systemctl restart quorum-relay"     how to restart the service
#   QUORUM_ROLLOUT_HEALTH_URL=http://127.0.0.1:8443/health      the relay's /health (https:// with built-in TLS)
#   QUORUM_ROLLOUT_HEALTH_TIMEOUT=30                            seconds for the restarted relay to be healthy
#   QUORUM_ROLLOUT_STABLE_SECONDS=5                             and how long it must stay so
#   QUORUM_RELAY_CA_FILE                                        trust this CA for an https:// health URL
# Exit status: 0 rolled out (or back, with --rollback); 1 refused or rolled back; 2 not healthy after the
# rollback either (see journalctl -u quorum-relay).
set -euo pipefail

target="${QUORUM_ROLLOUT_TARGET:-/usr/local/bin/quorum-relay}"
restart="${QUORUM_ROLLOUT_RESTART:-systemctl restart quorum-relay}"
health_url="${QUORUM_ROLLOUT_HEALTH_URL:-http://127.0.0.1:8443/health}"
health_timeout="${QUORUM_ROLLOUT_HEALTH_TIMEOUT:-30}"
stable_seconds="${QUORUM_ROLLOUT_STABLE_SECONDS:-5}"
ca_file="${QUORUM_RELAY_CA_FILE:-}"

say() { echo "relay-rollout: $*"; }
die() {
  echo "relay-rollout: $*" >&2
  exit 1
}

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

[ $# -eq 1 ] || { usage >&2; exit 1; }
case "$1" in
  -h|--help) usage; exit 0 ;;
esac
command -v curl >/dev/null || die "curl is needed for the health check"
[ -e "$target" ] || die "nothing installed at $target (scripts/install-relay.sh installs it)"

exec 9>"$target.rollout-lock"
flock -n 9 || die "another rollout of $target is under way"

healthy_once() {
  local ca=()
  [ -n "$ca_file" ] && ca=(--cacert "$ca_file")
  curl -fsS -o /dev/null --max-time 2 "${ca[@]}" "$health_url" 2>/dev/null
}

# Healthy within the timeout, and still healthy `stable_seconds` later.
healthy() {
  local deadline=$((SECONDS + health_timeout))
  until healthy_once; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
  sleep "$stable_seconds"
  healthy_once
}

# Makes `to` name the file `from` names, atomically (hard link beside it, then rename).
link_over() {
  local from="$1" to="$2"
  [ "$from" -ef "$to" ] && return 0  # already the same file (mv refuses to rename a file onto itself)
  ln -f "$from" "$to.linking"
  mv -f "$to.linking" "$to"
}

restart_service() {
  say "restarting: $restart"
  bash -c "$restart" || say "the restart command failed (exit $?); checking health anyway"
}

version_of() {
  "$1" --version 2>/dev/null | head -n 1 || true
}

if [ "$1" = "--rollback" ]; then
  [ -e "$target.old" ] || die "no previous binary ($target.old) to go back to"
  say "going back from $(version_of "$target") to $(version_of "$target.old")"
  link_over "$target" "$target.rolled-back"
  link_over "$target.old" "$target"
  restart_service
  if healthy; then
    say "rolled back: $(version_of "$target") serves at $health_url (the binary replaced is $target.rolled-back)"
    exit 0
  fi
  echo "relay-rollout: the previous binary is not healthy at $health_url either (journalctl -u quorum-relay)" >&2
  exit 2
fi

new_binary="$1"
[ -f "$new_binary" ] || die "no file $new_binary"
old_version="$(version_of "$target")"

# 1, 2. The new binary beside the installed one (same file system, so the rename below is atomic), on disk
# before it is swapped in, and run once there; the installed one kept as the backup.
cp -f "$new_binary" "$target.new"
chmod 0755 "$target.new"
sync "$target.new"
if ! new_version="$("$target.new" --version 2>/dev/null | head -n 1)" || [ -z "$new_version" ]; then
  rm -f "$target.new"
  die "$new_binary --version fails: not rolled out, nothing changed"
fi
link_over "$target" "$target.old"
# 3. The swap.
mv -f "$target.new" "$target"
say "installed $new_version at $target (was $old_version, kept as $target.old)"
# 4, 5.
restart_service
if healthy; then
  say "rolled out: $new_version serves at $health_url"
  exit 0
fi

# 6. Back to the backup.
echo "relay-rollout: $new_version is not healthy at $health_url within ${health_timeout} s: rolling back" >&2
link_over "$target" "$target.failed"
link_over "$target.old" "$target"
restart_service
if healthy; then
  echo "relay-rollout: rolled back: $old_version serves again (the failed binary is $target.failed)" >&2
  exit 1
fi
echo "relay-rollout: rolled back to $old_version, but it is not healthy at $health_url either (journalctl -u quorum-relay)" >&2
exit 2
