#!/usr/bin/env bash
# A private PostgreSQL 15 on loopback for the test suite and benchmarks (no systemd).
#   scripts/postgres.sh up DIR PORT     -> prints DATABASE_URL
#   scripts/postgres.sh down DIR
set -euo pipefail
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
cmd="$1"; D="$2"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  up)
    PORT="$3"
    mkdir -p "$D"; chmod 755 "$D"
    [ "$(id -u)" = 0 ] && chown postgres: "$D"
    if [ ! -f "$D/data/PG_VERSION" ]; then
      as_pg "$PGBIN/initdb" -D "$D/data" -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    as_pg "$PGBIN/pg_ctl" -D "$D/data" -l "$D/log" -w -o \
      "-c listen_addresses=127.0.0.1 -p $PORT -k $D -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null
    echo "postgres://postgres@127.0.0.1:$PORT/clawback"
    ;;
  down)
    [ -f "$D/data/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$D/data" stop -m fast >/dev/null || true
    ;;
  *) echo "usage: $0 up DIR PORT | down DIR" >&2; exit 2 ;;
esac
