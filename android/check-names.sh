#!/usr/bin/env bash
# Checks that the Android build, the generated bindings and uniffi.toml agree on names:
# Kotlin package dev.fundkit, library name "fundkit" (libfundkit.so), Gradle namespace.
# Run after bindings/generate.sh. Exits non-zero on the first mismatch.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
fail() { echo "check-names: $*" >&2; exit 1; }

pkg=$(sed -n 's/^package_name *= *"\(.*\)"/\1/p' "$root/uniffi.toml")
lib=$(sed -n 's/^cdylib_name *= *"\(.*\)"/\1/p' "$root/uniffi.toml")
[ "$pkg" = "dev.fundkit" ] || fail "uniffi.toml package_name is '$pkg', expected dev.fundkit"
[ "$lib" = "fundkit" ] || fail "uniffi.toml cdylib_name is '$lib', expected fundkit"
grep -q '^name = "fundkit"' "$root/core/Cargo.toml" || fail "core's [lib] name is not fundkit"
grep -q "namespace = \"$pkg\"" "$root/android/fundkit/build.gradle.kts" || fail "library namespace is not $pkg"
grep -q '"-p", "fundkit"' "$root/android/fundkit/build.gradle.kts" || fail "cargo-ndk does not build package fundkit"
grep -q 'target/bindings/kotlin-android' "$root/android/fundkit/build.gradle.kts" || fail "library does not compile the android bindings"
for variant in kotlin-android kotlin-jvm; do
  kt=$(find "$root/target/bindings/$variant" -name '*.kt' | head -1)
  [ -n "$kt" ] || fail "no generated Kotlin in target/bindings/$variant (run bindings/generate.sh)"
  grep -q "^package $pkg\$" "$kt" || fail "$kt is not in package $pkg"
  grep -q "return \"$lib\"" "$kt" || fail "$kt does not load library '$lib'"
done
grep -rq "^package dev.fundkit" "$root/android/fundkit/src/main/kotlin" || fail "idiomatic layer package"
echo "check-names: uniffi.toml, generated bindings and Gradle agree (package $pkg, lib$lib.so)"
