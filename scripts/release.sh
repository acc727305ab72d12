#!/usr/bin/env bash
# Makes a release in dist/ (`make release` runs it after `make build`):
#
#   scripts/release.sh [--build DIR] [--out DIR] [--key PRIVATE_KEY_PEM]
#
#   quorum_<v>-1_amd64.deb, quorum-relay_<v>-1_amd64.deb   the packages (scripts/package.sh)
#   quorum-<v>-linux-x86_64.tar.gz                          quorum-<v>/quorum (+ README.md): the tarball install
#   quorum-relay-<v>-linux-x86_64.tar.gz                    quorum-relay-<v>/quorum-relay (+ relay-deploy.md)
#   quorum-linux-x86_64                                     the bare node binary: what a self-update downloads
#   manifest.json                                           {version, created, files: [{name, size, sha256}]}
#   manifest.json.sig                                       Ed25519 signature of manifest.json's bytes (64 raw bytes)
#
# The key defaults to the development key (packaging/keys/dev-release.key, for tests only). The script refuses
# a key whose public half is not the one compiled into the build (QUORUM_RELEASE_PUBLIC_KEY in its CMake
# cache): such a release would be refused by every node. The dist/ directory is a release feed as it is:
# serve it at the URL given to `quorum node --update-feed`. docs/release.md has the procedure and key care.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$repo/build"
out="$repo/dist"
key="$repo/packaging/keys/dev-release.key"
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --key) key="$2"; shift 2 ;;
    *) echo "release: unknown option $1" >&2; exit 2 ;;
  esac
done
die() { echo "release: $*" >&2; exit 1; }

version="$(bash "$repo/scripts/version.sh")"
[ "$("$build/quorum" --version)" = "$version" ] || die "$build/quorum is not version $version (make build)"
compiled_pub="$(sed -n 's/^QUORUM_RELEASE_PUBLIC_KEY:FILEPATH=//p' "$build/CMakeCache.txt")"
[ -f "$compiled_pub" ] || die "the build's release public key ($compiled_pub) is missing"
[ "$(openssl pkey -in "$key" -pubout 2>/dev/null)" = "$(openssl pkey -pubin -in "$compiled_pub")" ] ||
  die "$key is not the private half of the key compiled into the build ($compiled_pub)"
case "$key" in *dev-release.key) echo "release: signing with the DEVELOPMENT key (for tests only)" >&2 ;; esac

rm -rf "$out"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

bash "$repo/scripts/package.sh" --build "$build" --out "$out" >/dev/null

strip_to() { objcopy --strip-debug --strip-unneeded --remove-section=.comment "$1" "$2" && chmod 0755 "$2"; }
mtime="@$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)"
tarball() { # NAME BINARY DOC
  local name="$1" dir="$work/$1-$version"
  mkdir -p "$dir"
  strip_to "$build/$2" "$dir/$2"
  cp "$3" "$dir/"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="$mtime" -C "$work" -czf \
    "$out/$name-$version-linux-x86_64.tar.gz" "$name-$version"
}
tarball quorum quorum "$repo/README.md"
tarball quorum-relay quorum-relay "$repo/docs/relay-deploy.md"
strip_to "$build/quorum" "$out/quorum-linux-x86_64"

# The manifest: every file of the release, in name order.
{
  printf '{"version":"%s","created":"%s","files":[' "$version" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  sep=""
  for f in $(cd "$out" && ls | sort); do
    printf '%s{"name":"%s","size":%s,"sha256":"%s"}' "$sep" "$f" "$(stat -c %s "$out/$f")" \
      "$(sha256sum "$out/$f" | cut -d' ' -f1)"
    sep=","
  done
  printf ']}\n'
} > "$work/manifest.json"  # written aside: the manifest does not list itself
mv "$work/manifest.json" "$out/manifest.json"
openssl pkeyutl -sign -rawin -inkey "$key" -in "$out/manifest.json" -out "$out/manifest.json.sig"
openssl pkeyutl -verify -rawin -pubin -inkey "$compiled_pub" -in "$out/manifest.json" \
  -sigfile "$out/manifest.json.sig" >/dev/null || die "the signature does not verify"
echo "release $version in $out:"
(cd "$out" && ls -l | tail -n +2 | awk '{printf "  %10d  %s\n", $5, $9}')
