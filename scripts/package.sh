#!/usr/bin/env bash
# Builds the Debian packages from a finished build (`make package` runs it after `make build`):
#
#   scripts/package.sh [--build DIR] [--out DIR] [--version VERSION] [--revision N]
#
#   quorum_<version>-<revision>_amd64.deb        /usr/bin/quorum (node, embedded engine and UI), the user unit
#                                                quorum.service, the system unit quorum-node.service (headless,
#                                                not enabled), the desktop entry and icon
#   quorum-relay_<version>-<revision>_amd64.deb  /usr/bin/quorum-relay, quorum-relay.service (enabled), the
#                                                system user quorum-relay, /var/lib/quorum-relay, relay.env
#
# The version is the CMake project's (scripts/version.sh) unless --version overrides it (the package test
# builds an "upgrade" that way from the same binaries). Each tree is staged under DIR/pkg/ and built with
# dpkg-deb --root-owner-group; binaries are stripped into the package (the build keeps its debug info);
# Depends come from dpkg-shlibdeps. packaging/ has the units and maintainer scripts; docs/install.md says
# what each package does.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$repo/build"
out="$repo/dist"
version=""
revision=1

while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --version) version="$2"; shift 2 ;;
    --revision) revision="$2"; shift 2 ;;
    *) echo "package: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$version" ] || version="$(bash "$repo/scripts/version.sh")"
full="$version-$revision"
for b in quorum quorum-relay; do
  [ -x "$build/$b" ] || { echo "package: no $build/$b (make build first)" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# Stages the files every package has: the binary (stripped), copyright, changelog.Debian.gz.
stage_common() {
  local pkg="$1" root="$2" binary="$3"
  install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/doc/$pkg"
  objcopy --strip-debug --strip-unneeded --remove-section=.comment --remove-section=.note \
    "$build/$binary" "$root/usr/bin/$binary"
  chmod 0755 "$root/usr/bin/$binary"
  install -m 0644 "$repo/packaging/debian/copyright" "$root/usr/share/doc/$pkg/copyright"
  {
    echo "$pkg ($full) unstable; urgency=medium"
    echo
    echo "  * Quorum $version, built from the repository (git $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown))."
    echo
    echo " -- Quorum developers <quorum@example.org>  $(date -R -d "@${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}")"
  } | gzip -9n > "$root/usr/share/doc/$pkg/changelog.Debian.gz"
  chmod 0644 "$root/usr/share/doc/$pkg/changelog.Debian.gz"
  local script
  for script in postinst prerm postrm; do
    [ -f "$repo/packaging/debian/$pkg/$script" ] && install -m 0755 "$repo/packaging/debian/$pkg/$script" "$root/DEBIAN/$script"
  done
  if [ -f "$repo/packaging/debian/$pkg/lintian-overrides" ]; then
    install -D -m 0644 "$repo/packaging/debian/$pkg/lintian-overrides" "$root/usr/share/lintian/overrides/$pkg"
  fi
}

# The shared-library Depends of a binary, as dpkg-shlibdeps finds them.
shlib_depends() {
  local binary="$1" dir
  dir="$(mktemp -d -p "$work")"
  mkdir -p "$dir/debian"
  printf 'Source: quorum\n\nPackage: quorum\nArchitecture: amd64\n' > "$dir/debian/control"
  (cd "$dir" && dpkg-shlibdeps -O "$binary" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
}

# Writes DEBIAN/control and builds the .deb.
finish() {
  local pkg="$1" root="$2" depends="$3" description="$4"
  local size
  size="$(du -k -s --exclude=DEBIAN "$root" | cut -f1)"
  {
    echo "Package: $pkg"
    echo "Version: $full"
    echo "Architecture: amd64"
    echo "Maintainer: Quorum developers <quorum@example.org>"
    echo "Installed-Size: $size"
    echo "Depends: $depends"
    echo "Section: net"
    echo "Priority: optional"
    printf '%s\n' "$description"
  } > "$root/DEBIAN/control"
  [ -f "$root/DEBIAN/conffiles" ] && chmod 0644 "$root/DEBIAN/conffiles"
  find "$root" -type d -exec chmod 0755 {} +
  dpkg-deb --root-owner-group -Zxz --build "$root" "$out/${pkg}_${full}_amd64.deb" >/dev/null
  echo "$out/${pkg}_${full}_amd64.deb"
}

# ---- quorum (the node) ----
root="$work/pkg/quorum"
stage_common quorum "$root" quorum
install -D -m 0644 "$repo/packaging/quorum.service" "$root/usr/lib/systemd/user/quorum.service"
install -D -m 0644 "$repo/packaging/quorum-node.service" "$root/lib/systemd/system/quorum-node.service"
install -D -m 0644 "$repo/packaging/quorum.desktop" "$root/usr/share/applications/quorum.desktop"
install -D -m 0644 "$repo/packaging/quorum.svg" "$root/usr/share/icons/hicolor/scalable/apps/quorum.svg"
install -m 0644 "$repo/README.md" "$root/usr/share/doc/quorum/README.md"
install -m 0644 "$repo/docs/update.md" "$root/usr/share/doc/quorum/update.md"
finish quorum "$root" "$(shlib_depends "$root/usr/bin/quorum"), adduser" \
"Description: machines you own as one OpenAI-compatible inference cluster
 Quorum serves an OpenAI-compatible API on this machine over its embedded
 llama.cpp engine and the engines it finds (llama-server, Ollama), and joins
 the other Quorum nodes of the LAN into one cluster. The package has the quorum
 program (node, command line and local UI), a systemd user unit for desktops,
 a system unit for headless machines and a desktop entry."

# ---- quorum-relay ----
root="$work/pkg/quorum-relay"
stage_common quorum-relay "$root" quorum-relay
install -d "$root/lib/systemd/system" "$root/etc/quorum-relay"
sed -e 's|/usr/local/bin/quorum-relay|/usr/bin/quorum-relay|g' \
  -e 's|file:///usr/local/share/doc/quorum-relay/relay-deploy.md|file:///usr/share/doc/quorum-relay/relay-deploy.md|' \
  -e 's|^# quorum-relay as a systemd service. scripts/install-relay.sh installs it as$|# quorum-relay as a systemd service, from the quorum-relay package (or scripts/install-relay.sh, which installs it as|' \
  "$repo/packaging/quorum-relay.service" > "$root/lib/systemd/system/quorum-relay.service"
chmod 0644 "$root/lib/systemd/system/quorum-relay.service"
install -m 0644 "$repo/packaging/relay.env" "$root/etc/quorum-relay/relay.env"
echo /etc/quorum-relay/relay.env > "$root/DEBIAN/conffiles"
install -m 0644 "$repo/docs/relay-deploy.md" "$root/usr/share/doc/quorum-relay/relay-deploy.md"
finish quorum-relay "$root" "$(shlib_depends "$root/usr/bin/quorum-relay"), adduser, procps" \
"Description: public relay and control plane for Quorum clusters
 quorum-relay runs on a public server: Quorum nodes keep a link to it, and
 clients reach their cluster through its OpenAI-compatible endpoint. It keeps
 its store in /var/lib/quorum-relay and runs as a systemd service as its own
 system user."
