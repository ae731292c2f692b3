#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and the benchmark.
#
#   scripts/postgres.sh start DIR   # prints the URL of a new cluster whose files are in DIR
#   scripts/postgres.sh stop DIR    # stops it (DIR can then be removed)
#
# PostgreSQL comes from Debian's packages: installed with apt-get when missing (as root).
# The server refuses to run as root, so as root it runs as the `postgres` user the package
# creates. It listens on a free loopback port and on a Unix socket in DIR; trust
# authentication, for loopback only. Durability settings are PostgreSQL's defaults (fsync
# on), so the benchmark's figures mean what they would in production.
set -euo pipefail
cmd="${1:?start or stop}"
dir="${2:?a directory for the cluster}"

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    if [ -z "$(pg_bin)" ]; then
      [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
        || { echo "postgres.sh: PostgreSQL is missing; install Debian's postgresql package" >&2; exit 2; }
      echo "postgres.sh: installing PostgreSQL from Debian's packages" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql) >/dev/null
    fi
    bin="$(pg_bin)"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$dir/data" -U fundkit -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=400 -c shared_buffers=128MB" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql://fundkit@127.0.0.1:$port/postgres"
    ;;
  stop)
    bin="$(pg_bin)"
    [ -n "$bin" ] && [ -f "$dir/data/postmaster.pid" ] \
      && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    ;;
  *) echo "postgres.sh: start or stop" >&2; exit 2 ;;
esac
