#!/usr/bin/env bash
# Builds ios/FundKit.xcframework and ios/Sources/FundKitBindings/FundKit.swift: the slices for
# every platform ios/Package.swift declares — iOS device (arm64), iOS simulator (arm64 +
# x86_64) and macOS (arm64 + x86_64) — at the package's minimum versions (iOS 17, macOS 14).
# macOS only (needs Xcode's xcodebuild and lipo). Not run on the Linux CI machine.
#
#   rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin
#   ios/build-xcframework.sh && (cd ios && swift build)
set -euo pipefail
if [ "$(uname -s)" != "Darwin" ]; then
  echo "build-xcframework.sh: macOS only (xcodebuild); on Linux run bindings/generate.sh for the Swift sources" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# The same minimum versions as Package.swift's `platforms`.
export IPHONEOS_DEPLOYMENT_TARGET=17.0 MACOSX_DEPLOYMENT_TARGET=14.0
ios_targets="aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios"
mac_targets="aarch64-apple-darwin x86_64-apple-darwin"
for target in $ios_targets $mac_targets; do
  cargo build -p fundkit --release --target "$target"
done
# Swift from the unstripped host build (stripping removes UniFFI metadata).
bash bindings/generate.sh

work="target/xcframework"
rm -rf "$work" ios/FundKit.xcframework
mkdir -p "$work/headers" "$work/sim" "$work/macos"
cp target/bindings/swift/FundKitFFI.h "$work/headers/"
cp target/bindings/swift/FundKitFFI.modulemap "$work/headers/module.modulemap"
lipo -create \
  target/aarch64-apple-ios-sim/release/libfundkit.a \
  target/x86_64-apple-ios/release/libfundkit.a \
  -output "$work/sim/libfundkit.a"
lipo -create \
  target/aarch64-apple-darwin/release/libfundkit.a \
  target/x86_64-apple-darwin/release/libfundkit.a \
  -output "$work/macos/libfundkit.a"
xcodebuild -create-xcframework \
  -library target/aarch64-apple-ios/release/libfundkit.a -headers "$work/headers" \
  -library "$work/sim/libfundkit.a" -headers "$work/headers" \
  -library "$work/macos/libfundkit.a" -headers "$work/headers" \
  -output ios/FundKit.xcframework
mkdir -p ios/Sources/FundKitBindings
cp target/bindings/swift/FundKit.swift ios/Sources/FundKitBindings/FundKit.swift
echo "ios/FundKit.xcframework (iOS, iOS simulator, macOS) and ios/Sources/FundKitBindings/FundKit.swift are ready"
