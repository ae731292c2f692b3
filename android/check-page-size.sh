#!/usr/bin/env bash
# Fails unless every ELF shared library under the given directory (default: the Android
# library's jniLibs) has all LOAD segments aligned to at least 16 KB (0x4000): what Android
# devices with 16 KB pages need. Uses readelf (binutils, or the NDK's llvm-readelf).
#   android/check-page-size.sh <dir with libfundkit.so files>
set -euo pipefail
dir="${1:?usage: check-page-size.sh <dir>}"
readelf="$(command -v llvm-readelf || command -v readelf || true)"
[ -n "$readelf" ] || { echo "check-page-size: no readelf or llvm-readelf on PATH" >&2; exit 2; }
found=0
while IFS= read -r -d '' so; do
  found=1
  # The Align column of each LOAD program header, in hex.
  for align in $("$readelf" -lW "$so" | awk '$1 == "LOAD" { print $NF }'); do
    if (( align < 0x4000 )); then
      echo "check-page-size: $so has a LOAD segment aligned to $align (< 0x4000): link with -z max-page-size=16384" >&2
      exit 1
    fi
  done
  echo "check-page-size: $so: LOAD segments 16 KB-aligned"
done < <(find "$dir" -name '*.so' -print0)
[ "$found" = 1 ] || { echo "check-page-size: no .so under $dir" >&2; exit 1; }
