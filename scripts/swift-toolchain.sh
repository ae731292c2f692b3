#!/usr/bin/env bash
# Sets up (once) a Debian trixie chroot with Swift 6 (`swiftlang`) for the Swift stage of
# scripts/test.sh, and prints its path. Reused when present and working; rebuilt if broken.
# Needs root and network to the Debian mirror this machine's apt already uses.
#
#   FUNDKIT_SWIFT_CHROOT=/path   where the chroot lives (default /var/cache/fundkit-swift-chroot)
set -euo pipefail
dir="${FUNDKIT_SWIFT_CHROOT:-/var/cache/fundkit-swift-chroot}"

works() {
  [ -x "$dir/usr/libexec/swift/bin/swift" ] && [ -f "$dir/.fundkit-ready" ] &&
    chroot "$dir" /usr/libexec/swift/bin/swift --version >/dev/null 2>&1
}

if works; then
  echo "$dir"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "swift-toolchain: root is needed to build the chroot (or skip the swift stage)" >&2; exit 2; }

# The Debian source this machine already uses (never a hard-coded host).
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror=$(awk '/^URIs:/ {print $2; exit}' "$f")
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" {print ($2 ~ /^\[/ ? $3 : $2); exit}' /etc/apt/sources.list)
fi
[ -n "$mirror" ] || { echo "swift-toolchain: no Debian mirror found in apt's sources" >&2; exit 2; }

command -v debootstrap >/dev/null 2>&1 || {
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

echo "swift-toolchain: building $dir from $mirror (trixie, swiftlang)" >&2
for m in proc dev; do umount "$dir/$m" 2>/dev/null || true; done
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
debootstrap --variant=minbase trixie "$dir" "$mirror" >/dev/null
mount --bind /proc "$dir/proc"
trap 'umount "$dir/proc" 2>/dev/null || true' EXIT
chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  swiftlang libc6-dev libstdc++-14-dev ca-certificates >/dev/null
chroot "$dir" /usr/libexec/swift/bin/swift --version >&2
touch "$dir/.fundkit-ready"
echo "$dir"
