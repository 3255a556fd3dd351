#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster, reachable through the PG* variables.
#
#   scripts/with-postgres.sh swift test
#
# The cluster lives in a temporary directory, listens on a Unix socket only, and is
# removed afterwards. PostgreSQL refuses to run as root, so as root it runs as the
# 'postgres' user (created by the postgresql package).
set -euo pipefail

bindir=$(pg_config --bindir 2>/dev/null || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "with-postgres: PostgreSQL's server programs are missing; install them: apt-get install postgresql" >&2
    exit 69
fi

dir=$(mktemp -d /tmp/incidentd-pg.XXXXXX)
chmod 755 "$dir"
as_owner=()
if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
    as_owner=(runuser -u postgres --)
fi

cleanup() {
    status=$?
    # A failed run says what the server refused (too many clients, say): the log goes with
    # the cluster, and a client only reports that it could not connect.
    if [ "$status" != 0 ] && [ -f "$dir/postgres.log" ]; then
        refusals=$(grep -E 'FATAL|PANIC' "$dir/postgres.log" | grep -v -E 'terminating connection due to administrator command|database "[^"]*" does not exist' \
            | sed -E 's/^.*(FATAL|PANIC):/\1:/' | sort | uniq -c | sort -rn | head -n 10 || true)
        if [ -n "$refusals" ]; then
            echo "with-postgres: the server's refusals during the run (count, message):" >&2
            echo "$refusals" >&2
        fi
    fi
    "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT

"${as_owner[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-instructions >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
# Tests create many small databases and run suites in parallel: allow enough connections
# (the whole suite held up to 545 at once on 2 cores; a slower machine keeps more tests alive
# at the same time, and one CI run was refused past 600), and trade durability for speed (this
# cluster is thrown away). Benchmarks set WITH_POSTGRES_DURABLE=1 to keep PostgreSQL's default
# durability.
options="-k $dir -c listen_addresses= -c max_connections=2000"
if [ "${WITH_POSTGRES_DURABLE:-0}" != 1 ]; then
    options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi
"${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -o "$options" start >/dev/null

export PGHOST="$dir" PGUSER=postgres PGDATABASE=postgres
export INCIDENTD_TEST_PG_BINDIR="$bindir"
# The server's log, for scripts that read what it ran (the benchmark's statement capture).
export WITH_POSTGRES_LOG="$dir/postgres.log"
unset PGPORT PGHOSTADDR PGSERVICE
"$@"
