#!/usr/bin/env bash
# Runs a command (the test suite) with a throwaway PostgreSQL server on 127.0.0.1.
#
#   bash scripts/with_postgres.sh CMD [ARGS...]
#
# Installs the server from Debian packages when it is missing (as root, or through sudo),
# creates a cluster in a temporary directory as a non-root user (initdb refuses root), starts
# it on a free port of 127.0.0.1 with trust authentication, creates a database, exports
# FASTAPI_MEDIC_TEST_PG_URL=postgresql://USER@127.0.0.1:PORT/DB, runs CMD and always stops
# the server and removes the directory afterwards. CMD's exit code is passed through.
#
# When the server cannot start, CMD still runs and the tests that need PostgreSQL skip with
# the reason in FASTAPI_MEDIC_PG_SKIP_REASON, unless FASTAPI_MEDIC_REQUIRE_PG=1 (CI), which
# makes that a failure. An already exported FASTAPI_MEDIC_TEST_PG_URL is used as it is.
set -uo pipefail

PG_USER=medic
PG_DB=medic_test
RUN_AS=""
PGDIR=""
BINDIR=""

say() { echo "with_postgres: $*" >&2; }

unavailable() {
    # The server cannot start: fail in CI, otherwise run the command without it.
    local reason=$1
    shift
    say "PostgreSQL unavailable: $reason"
    if [ "${FASTAPI_MEDIC_REQUIRE_PG:-0}" = "1" ]; then
        say "FASTAPI_MEDIC_REQUIRE_PG=1: stopping here"
        exit 3
    fi
    export FASTAPI_MEDIC_PG_SKIP_REASON="PostgreSQL unavailable: $reason"
    exec "$@"
}

find_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
        BINDIR=$dir
        return 0
    fi
    return 1
}

install_server() {
    local apt=(apt-get)
    if [ "$(id -u)" != "0" ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            apt=(sudo -n apt-get)
        else
            return 1
        fi
    fi
    command -v apt-get >/dev/null 2>&1 || return 1
    say "installing PostgreSQL from Debian packages"
    # Only the binaries are needed: keep the package from creating and starting its own cluster.
    if [ ! -e /etc/postgresql-common/createcluster.conf ] && [ "$(id -u)" = "0" ]; then
        mkdir -p /etc/postgresql-common
        echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
    fi
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" update -qq >&2 || return 1
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq \
        -o Dpkg::Options::=--force-confold postgresql >&2 || return 1
}

as_owner() {
    # Runs a server binary as the cluster owner (root cannot own a cluster).
    if [ -n "$RUN_AS" ]; then
        # From a directory the owner can read: the caller's may be closed to it.
        (cd "$PGDIR" && runuser -u "$RUN_AS" -- "$@")
    else
        "$@"
    fi
}

free_port() {
    local py
    for py in python3 python; do
        if command -v "$py" >/dev/null 2>&1; then
            "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' && return 0
        fi
    done
    echo $((20000 + RANDOM % 20000))
}

cleanup() {
    if [ -n "$PGDIR" ] && [ -d "$PGDIR" ]; then
        if [ -f "$PGDIR/data/postmaster.pid" ]; then
            as_owner "$BINDIR/pg_ctl" -D "$PGDIR/data" -m immediate -w -t 10 stop >/dev/null 2>&1
        fi
        rm -rf "$PGDIR"
    fi
}

if [ "$#" -eq 0 ]; then
    say "usage: with_postgres.sh CMD [ARGS...]"
    exit 2
fi

if [ -n "${FASTAPI_MEDIC_TEST_PG_URL:-}" ]; then
    exec "$@"
fi

if ! find_bindir; then
    install_server || true
    find_bindir || unavailable "server binaries not found and could not be installed" "$@"
fi

if [ "$(id -u)" = "0" ]; then
    command -v runuser >/dev/null 2>&1 || unavailable "runuser is needed to run as non-root" "$@"
    RUN_AS=nobody
fi

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/medic-pg.XXXXXX") || unavailable "cannot create a temp dir" "$@"
[ -n "$RUN_AS" ] && chown "$RUN_AS" "$PGDIR"
PORT=$(free_port)

if ! as_owner "$BINDIR/initdb" -D "$PGDIR/data" -U "$PG_USER" --auth=trust -E UTF8 \
    --no-sync --no-instructions >"$PGDIR/initdb.log" 2>&1; then
    cat "$PGDIR/initdb.log" >&2
    cleanup
    unavailable "initdb failed" "$@"
fi

# A test server: durability off for speed, reachable on 127.0.0.1 only.
OPTS="-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$PGDIR"
OPTS="$OPTS -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
if ! as_owner "$BINDIR/pg_ctl" -D "$PGDIR/data" -o "$OPTS" -l "$PGDIR/server.log" -w -t 30 \
    start >/dev/null 2>&1; then
    cat "$PGDIR/server.log" >&2 2>/dev/null
    cleanup
    unavailable "the server did not start" "$@"
fi

if ! as_owner "$BINDIR/createdb" -h 127.0.0.1 -p "$PORT" -U "$PG_USER" "$PG_DB" 2>&1; then
    cleanup
    unavailable "createdb failed" "$@"
fi

export FASTAPI_MEDIC_TEST_PG_URL="postgresql://$PG_USER@127.0.0.1:$PORT/$PG_DB"
say "PostgreSQL $(basename "$(dirname "$BINDIR")") on 127.0.0.1:$PORT"

"$@"
rc=$?
exit "$rc"
