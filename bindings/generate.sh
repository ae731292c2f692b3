#!/usr/bin/env bash
# Generates the Kotlin and Swift bindings from the built library (UniFFI library mode).
#
#   bindings/generate.sh            release-unstripped build (for shipping): the default
#                                   features, no HTTP/TLS stack (the app passes its transport)
#   bindings/generate.sh --debug    dev build (fast; what the tests use), with the
#                                   `reqwest-transport` feature: the JVM host tests, the
#                                   desktop JVM artifact and the Swift tests on Linux may
#                                   open with `FundkitClient(config, auth)` as well
#
# FUNDKIT_FEATURES=reqwest-transport bindings/generate.sh builds the shipping profile with
# the built-in transport too: the library for a plain desktop JVM (android/jvm's consumers).
# The exported API is the same with or without `reqwest-transport` (without it,
# `FundkitClient.new` fails with Configuration), so the bindings are too.
#
# Output (never committed):
#   target/bindings/kotlin-android/  Kotlin for Android (android = true)
#   target/bindings/kotlin-jvm/      Kotlin for JVM host tests (android = false)
#   target/bindings/swift/           FundKit.swift, FundKitFFI.h, FundKitFFI.modulemap
#
# Bindings are generated from an UNSTRIPPED library: stripping removes UniFFI's metadata.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

profile=release-unstripped
features=()
[ "${1:-}" = "--debug" ] && { profile=dev; features=(--features reqwest-transport); }
[ -n "${FUNDKIT_FEATURES:-}" ] && features=(--features "$FUNDKIT_FEATURES")
out_dir=$([ "$profile" = dev ] && echo debug || echo "$profile")

case "$(uname -s)" in
  Darwin) lib="target/$out_dir/libfundkit.dylib" ;;
  *) lib="target/$out_dir/libfundkit.so" ;;
esac

cargo build --quiet -p fundkit --profile "$profile" "${features[@]}"
cargo build --quiet -p fundkit-bindgen --bin uniffi-bindgen
bindgen="target/debug/uniffi-bindgen"

rm -rf target/bindings
mkdir -p target/bindings
# The JVM host variant: same config with android = false (android = true code does not
# run on a plain JVM).
sed 's/^android *= *true/android = false/' uniffi.toml > target/bindings/uniffi-jvm.toml

"$bindgen" generate --library "$lib" --language kotlin --config uniffi.toml --no-format \
  --out-dir target/bindings/kotlin-android
"$bindgen" generate --library "$lib" --language kotlin --config target/bindings/uniffi-jvm.toml --no-format \
  --out-dir target/bindings/kotlin-jvm
"$bindgen" generate --library "$lib" --language swift --config uniffi.toml --no-format \
  --out-dir target/bindings/swift

echo "bindings: Kotlin (android, jvm) and Swift generated from $lib into target/bindings/"
