#!/usr/bin/env bash
# Evidence throughput and memory, for make bench: adds and gets back a file of
# BENCH_EVIDENCE_MIB (default 200) through incidentctl, sampling the daemon's RSS, beside
# psql copying the same bytes, in the same 256 KiB chunks as bytea, into and out of a table.
# Usage: bench-evidence.sh BIN_DIR SOCKET DAEMON_PID WORK_DIR DATABASE
# Prints: add_mibs copy_in_mibs get_mibs copy_out_mibs idle_rss_mib add_peak_rss_mib get_peak_rss_mib
set -euo pipefail
bin=$1 sock=$2 daemon=$3 work=$4 database=$5
mib=${BENCH_EVIDENCE_MIB:-200}
file="$work/evidence.bin"
head -c $((mib * 1024 * 1024)) /dev/urandom >"$file"
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$daemon/status"; }
# Runs a command, printing "seconds peak_rss_kib" of the daemon while it ran.
timed_peak() {
    local peak=0 sample start end
    start=$(date +%s.%N)
    "$@" >/dev/null &
    local job=$!
    while kill -0 "$job" 2>/dev/null; do
        sample=$(rss)
        [ "${sample:-0}" -gt "$peak" ] && peak=$sample
        sleep 0.05
    done
    wait "$job"
    end=$(date +%s.%N)
    echo "$(python3 -c "print($end - $start)") $peak"
}
ref=$("$bin/incidentctl" report --socket "$sock" --title "Evidence benchmark" --description "d" --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["incident"]["reference"])')
sleep 1
idle=$(rss)
read -r add_s add_peak < <(timed_peak "$bin/incidentctl" evidence add "$ref" "$file" --socket "$sock")
read -r get_s get_peak < <(timed_peak "$bin/incidentctl" evidence get "$ref" 1 -o "$work/evidence.out" --socket "$sock")
cmp -s "$file" "$work/evidence.out" || { echo "bench-evidence: the file came back different" >&2; exit 1; }
# The baseline: the same bytes as rows of 256 KiB bytea, copied in and out by psql.
python3 - "$file" "$work/evidence.copy" <<'PY'
import sys
with open(sys.argv[1], "rb") as source, open(sys.argv[2], "w") as out:
    position = 0
    while chunk := source.read(256 * 1024):
        out.write(f"{position}\t\\\\x{chunk.hex()}\n")
        position += 1
PY
psql -X -q -d "$database" -c "CREATE TABLE bench_chunks (position int, data bytea)"
psql -X -q -d "$database" -c "ALTER TABLE bench_chunks ALTER COLUMN data SET STORAGE EXTERNAL"
start=$(date +%s.%N)
psql -X -q -d "$database" -c "\\copy bench_chunks FROM '$work/evidence.copy'"
copy_in=$(python3 -c "print($(date +%s.%N) - $start)")
start=$(date +%s.%N)
psql -X -q -d "$database" -c "\\copy (SELECT data FROM bench_chunks ORDER BY position) TO '/dev/null'"
copy_out=$(python3 -c "print($(date +%s.%N) - $start)")
psql -X -q -d "$database" -c "DROP TABLE bench_chunks"
rm -f "$file" "$work/evidence.out" "$work/evidence.copy"
python3 -c "
mib = $mib
print(f'{mib / $add_s:.1f} {mib / $copy_in:.1f} {mib / $get_s:.1f} {mib / $copy_out:.1f} {$idle / 1024:.1f} {$add_peak / 1024:.1f} {$get_peak / 1024:.1f}')"
