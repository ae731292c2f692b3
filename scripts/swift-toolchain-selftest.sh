#!/usr/bin/env bash
# Checks that scripts/swift-toolchain.sh never deletes through a mount: a chroot directory
# with a repository bind-mounted under it (as a killed run could leave it), in use, is
# refused with a message naming the mount and the step, and the repository's files survive.
# Runs in a private mount namespace on a throwaway directory; needs root. Used by the swift
# stage of scripts/test.sh.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/fundkit-toolchain-selftest.XXXXXX")"
trap 'rm -rf --one-file-system "$tmp" 2>/dev/null || true' EXIT
unshare --mount --propagation private bash -c '
  set -euo pipefail
  tmp="$1"; script="$2"
  mkdir -p "$tmp/chroot/work/repo" "$tmp/repo"
  echo precious >"$tmp/repo/keep.txt"
  mount --bind "$tmp/repo" "$tmp/chroot/work/repo"
  # A process working inside the mount keeps it busy (umount refuses), as a test run would.
  (cd "$tmp/chroot/work/repo" && exec sleep 30) &
  holder=$!
  sleep 0.2
  rc=0
  out="$(FUNDKIT_SWIFT_CHROOT="$tmp/chroot" FUNDKIT_SWIFT_REBUILD=1 bash "$script" 2>&1)" || rc=$?
  kill "$holder"
  wait "$holder" 2>/dev/null || true
  umount "$tmp/chroot/work/repo"
  [ "$rc" = 3 ] || { echo "selftest: expected exit 3 (refused), got $rc: $out" >&2; exit 1; }
  grep -q "step .rebuild. failed: refusing to delete" <<<"$out" || { echo "selftest: no refusal naming the step: $out" >&2; exit 1; }
  grep -q "$tmp/chroot/work/repo" <<<"$out" || { echo "selftest: the refusal does not name the mount: $out" >&2; exit 1; }
  [ "$(cat "$tmp/repo/keep.txt")" = precious ] || { echo "selftest: a file under the mount was deleted" >&2; exit 1; }
' _ "$tmp" "$root/scripts/swift-toolchain.sh"
echo "swift-toolchain selftest: a chroot with a busy mount under it is refused, nothing deleted"
