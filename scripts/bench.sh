#!/usr/bin/env bash
# make bench: builds optimised binaries, starts its own PostgreSQL (default durability) and
# incidentd, and prints each figure beside its baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
export BENCH_BIN=$(swift build -c release --show-bin-path)
WITH_POSTGRES_DURABLE=1 exec scripts/with-postgres.sh scripts/bench-run.sh
