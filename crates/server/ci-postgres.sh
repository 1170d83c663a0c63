#!/bin/sh
# Starts a throwaway PostgreSQL cluster on 127.0.0.1 for the server's tests and
# benchmark, and prints the line that points them at it:
#
#     eval "$(crates/server/ci-postgres.sh)"
#
# Installs Debian's postgresql package when no server binaries are present.
# Idempotent: a cluster already answering on the port is reused. Everything
# but the final export line goes to stderr.
set -eu

PORT=${TOKENTALLY_PG_PORT:-55432}
DIR=${TOKENTALLY_PG_DIR:-/var/tmp/tokentally-pg}
ROLE=tokentally
PASSWORD=tokentally
DB=tokentally

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "installing postgresql from Debian's packages" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

# initdb refuses to run as root: run the cluster as the postgres user then.
if [ "$(id -u)" = 0 ]; then
    as_owner() { runuser -u postgres -- "$@"; }
    OWNER=postgres
else
    as_owner() { "$@"; }
    OWNER=$(id -un)
fi

if ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
    if [ ! -f "$DIR/PG_VERSION" ]; then
        mkdir -p "$DIR"
        chown "$OWNER" "$DIR"
        chmod 700 "$DIR"
        # Local socket: the owner only (peer). TCP: passwords (scram) only.
        as_owner "$BIN/initdb" -D "$DIR" -U "$OWNER" --auth-local=peer \
            --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >&2
    fi
    # Loopback only; the socket lives in the data directory, not /run.
    as_owner "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c max_connections=200" start >&2
fi

psql_owner() { as_owner "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U "$OWNER" -d postgres "$@"; }
if [ "$(psql_owner -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
    psql_owner -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'" >&2
fi
if [ "$(psql_owner -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
    psql_owner -c "CREATE DATABASE $DB OWNER $ROLE" >&2
fi

echo "export TOKENTALLY_TEST_POSTGRES=postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
