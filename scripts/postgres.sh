#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the KPI-feed test and
# exports CHURNLAB_TEST_PG (its URL) and CHURNLAB_REQUIRE_PG. Source it; it
# installs Debian's `postgresql` package first when no server is present,
# and stops the server and removes its files when the calling shell exits.
#   source scripts/postgres.sh
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "postgres.sh: installing Debian's postgresql for the KPI-feed test" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null \
            || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null; }
    else
        echo "postgres.sh: no PostgreSQL server found; install Debian's postgresql (apt-get install postgresql)" >&2
        return 1 2>/dev/null || exit 1
    fi
fi
PG_BIN="$(pg_bin)"
PG_DIR="$(mktemp -d /tmp/churnlab-pg.XXXXXX)"
PG_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# initdb refuses to run as root: run the server as the postgres user then.
if [ "$(id -u)" = 0 ]; then
    chown postgres "$PG_DIR"
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U churnlab -E UTF8 >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off" start >/dev/null
stop_postgres() {
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
}
trap stop_postgres EXIT
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U churnlab churnlab_test
export CHURNLAB_TEST_PG="postgres://churnlab@127.0.0.1:$PG_PORT/churnlab_test"
export CHURNLAB_REQUIRE_PG=1
echo "postgres.sh: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT" >&2
