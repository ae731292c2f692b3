#!/usr/bin/env bash
# The server's load benchmark on SQLite and on PostgreSQL: starts a throwaway PostgreSQL
# cluster (scripts/postgres.sh), runs `fundkit-bench load` against both backends, stops
# the cluster. Extra arguments (e.g. --quick) go to the benchmark.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
dir="$(mktemp -d "${TMPDIR:-/tmp}/fundkit-pg-bench.XXXXXX")"
trap 'bash scripts/postgres.sh stop "$dir"; rm -rf "$dir"' EXIT
url="$(bash scripts/postgres.sh start "$dir")"
cargo build --release --locked -p fundkit-bench
FUNDKIT_BENCH_POSTGRES="$url" target/release/fundkit-bench load "$@"
