# Sourced by .ci/run: start a throwaway PostgreSQL on 127.0.0.1 and export its URL.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGDATA=$(mktemp -d /tmp/dw-pg.XXXXXX)
chown postgres "$PGDATA" 2>/dev/null || true
run_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
run_pg "$PGBIN/initdb -D $PGDATA -A trust -U postgres >/dev/null"
run_pg "$PGBIN/pg_ctl -D $PGDATA -o '-c listen_addresses=127.0.0.1 -p 55432 -k /tmp' -l $PGDATA/log -w start >/dev/null"
export DISSENTWATCH_TEST_PG="postgresql://postgres@127.0.0.1:55432/postgres"
