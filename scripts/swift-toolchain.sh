#!/usr/bin/env bash
# Sets up (once) a Debian trixie chroot with Swift 6 (`swiftlang`) for the Swift stage of
# scripts/test.sh, and prints its path on standard output (everything else goes to stderr).
# Needs root and network to the Debian mirror this machine's apt already uses.
#
#   FUNDKIT_SWIFT_CHROOT=/path   where the chroot lives (default /var/cache/fundkit-swift-chroot)
#   FUNDKIT_SWIFT_REBUILD=1      start again from an empty directory (never through a mount)
#
# Robust by construction:
# - Idempotent, step by step: each step leaves a marker in $dir/.fundkit-steps and is skipped
#   when done, so a killed or failed set-up resumes where it stopped instead of starting over.
#   A chroot that does not answer `swift --version` is repaired (dpkg --configure -a, the
#   install step again), never deleted.
# - The only deletion (a half-made debootstrap, or FUNDKIT_SWIFT_REBUILD=1) first asks findmnt
#   for any mount at or under the directory (a bind mount of a repository left by a killed
#   run, /proc, /dev) and refuses, naming them, while one remains: rm -rf never crosses a mount.
# - Mounts made here live in a private mount namespace (unshare -m) and vanish with it, even
#   when the run is killed. scripts/test.sh runs the tests the same way.
# - One set-up at a time (flock on $dir.lock); a failure names the step that failed and the
#   log that says why.
set -euo pipefail
dir="${FUNDKIT_SWIFT_CHROOT:-/var/cache/fundkit-swift-chroot}"
dir="${dir%/}"
steps="$dir/.fundkit-steps"
logs="${dir}.logs"
step="start"

say() { echo "swift-toolchain: $*" >&2; }
said=0
fail() { say "step '$step' failed: $*"; said=1; exit 1; }
trap 'rc=$?; [ $rc = 0 ] || [ $said = 1 ] || say "step '\''$step'\'' failed (exit $rc); its log: $logs/$step.log"' EXIT

# Mounts at or under $dir, deepest first.
mounts_under() {
  findmnt -rn -o TARGET | awk -v d="$dir" '$0 == d || index($0, d "/") == 1' | sort -r
}

# Deletes $dir, but never through a mount: unmounts what earlier runs may have left (only
# mounts under $dir, never lazily, so a busy one stays and is reported), then refuses if
# anything is still mounted there.
safe_remove() {
  [ -e "$dir" ] || return 0
  local m
  for m in $(mounts_under); do umount "$m" 2>/dev/null || true; done
  local left
  left="$(mounts_under)"
  if [ -n "$left" ]; then
    say "step '$step' failed: refusing to delete $dir: these are still mounted under it (rm -rf would delete through them):"
    printf '  %s\n' $left >&2
    say "unmount them (umount PATH) once nothing uses them, then run again"
    said=1
    exit 3
  fi
  rm -rf --one-file-system "$dir"
}

done_step() { [ -f "$steps/$1" ]; }
mark() { mkdir -p "$steps"; date -u +%FT%TZ >"$steps/$1"; }

# Runs a command inside the chroot with /proc and /dev mounted in a private namespace.
in_chroot() {
  unshare --mount --propagation private bash -c '
    set -e
    mount --bind /proc "$1/proc"
    mount --bind /dev "$1/dev"
    shift
    exec chroot "$@"' _ "$dir" "$dir" "$@"
}

works() {
  [ -x "$dir/usr/libexec/swift/bin/swift" ] && done_step ready &&
    in_chroot /usr/libexec/swift/bin/swift --version >/dev/null 2>&1
}

[ "$(id -u)" = 0 ] || { say "root is needed to set up and enter the chroot (or skip the swift stage)"; exit 2; }
mkdir -p "$(dirname "$dir")" "$logs"
exec 9>"$dir.lock"
step="lock"
flock -w 1800 9 || fail "another set-up of $dir holds $dir.lock for more than 30 minutes"

if works && [ "${FUNDKIT_SWIFT_REBUILD:-0}" != 1 ]; then
  step="done"
  echo "$dir"
  exit 0
fi

# An earlier version of this script marked a finished chroot with .fundkit-ready only.
if [ -f "$dir/.fundkit-ready" ] && ! [ -d "$steps" ]; then
  mkdir -p "$steps"
  for s in debootstrap swiftlang; do mark "$s"; done
fi

step="rebuild"
if [ "${FUNDKIT_SWIFT_REBUILD:-0}" = 1 ]; then
  say "FUNDKIT_SWIFT_REBUILD=1: starting $dir again"
  safe_remove
fi

step="mirror"
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
[ -n "$mirror" ] || fail "no Debian mirror found in apt's sources"

step="debootstrap"
if ! done_step debootstrap; then
  command -v debootstrap >/dev/null 2>&1 || {
    say "installing debootstrap"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; } >"$logs/$step.log" 2>&1
  }
  # A half-made base system (killed mid-way) is not resumable by debootstrap: start it again,
  # never through a mount.
  safe_remove
  say "building $dir from $mirror (trixie, minbase); log: $logs/$step.log"
  debootstrap --variant=minbase trixie "$dir" "$mirror" >"$logs/$step.log" 2>&1
  mkdir -p "$steps"
  mark debootstrap
fi

step="swiftlang"
if ! done_step swiftlang || ! [ -x "$dir/usr/libexec/swift/bin/swift" ]; then
  say "installing swiftlang in the chroot; log: $logs/$step.log"
  # dpkg --configure -a finishes an install that a killed run interrupted.
  in_chroot env DEBIAN_FRONTEND=noninteractive bash -c \
    'dpkg --configure -a && apt-get update -qq && apt-get install -y -qq --no-install-recommends swiftlang libc6-dev libstdc++-14-dev ca-certificates' \
    >"$logs/$step.log" 2>&1
  mark swiftlang
fi

step="verify"
in_chroot /usr/libexec/swift/bin/swift --version >"$logs/$step.log" 2>&1 ||
  fail "swift --version does not answer in the chroot (see $logs/$step.log); FUNDKIT_SWIFT_REBUILD=1 starts again"
cat "$logs/$step.log" >&2
mark ready
touch "$dir/.fundkit-ready"
step="done"
echo "$dir"
