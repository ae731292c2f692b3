#!/usr/bin/env bash
# Builds ios/FundKit.xcframework and ios/Sources/FundKit/Generated/FundKit.swift. macOS only (needs
# Xcode's xcodebuild and the Apple Rust targets). Not run on the Linux CI machine.
#
#   rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
#   ios/build-xcframework.sh && (cd ios && swift build)
set -euo pipefail
if [ "$(uname -s)" != "Darwin" ]; then
  echo "build-xcframework.sh: macOS only (xcodebuild); on Linux run bindings/generate.sh for the Swift sources" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

for target in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios; do
  cargo build -p fundkit --release --target "$target"
done
# Swift from the unstripped host build (stripping removes UniFFI metadata).
bash bindings/generate.sh

work="target/xcframework"
rm -rf "$work" ios/FundKit.xcframework
mkdir -p "$work/headers" "$work/sim"
cp target/bindings/swift/FundKitFFI.h "$work/headers/"
cp target/bindings/swift/FundKitFFI.modulemap "$work/headers/module.modulemap"
lipo -create \
  target/aarch64-apple-ios-sim/release/libfundkit.a \
  target/x86_64-apple-ios/release/libfundkit.a \
  -output "$work/sim/libfundkit.a"
xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/release/libfundkit.a -headers "$work/headers" \
  -library "$work/sim/libfundkit.a" -headers "$work/headers" \
  -output ios/FundKit.xcframework
mkdir -p ios/Sources/FundKit/Generated
cp target/bindings/swift/FundKit.swift ios/Sources/FundKit/Generated/FundKit.swift
echo "ios/FundKit.xcframework and ios/Sources/FundKit/Generated/FundKit.swift are ready"
