#!/usr/bin/env bash
# The body of `make bench`, run by with-postgres.sh (PG* variables point at a fresh cluster).
set -euo pipefail
[ -n "${BENCH_TRACE:-}" ] && set -x
bin=${BENCH_BIN:?}
seconds=${BENCH_SECONDS:-5}
work=$(mktemp -d /tmp/incidentd-bench.XXXXXX)
chmod 755 "$work"
sock="$work/incidentd.sock"
psql_q() { psql -X -q -v ON_ERROR_STOP=1 -d bench "$@"; }

createdb bench
# A trivial exec hook on every report, to measure deliveries per second and the time from the
# committed event to the hook's start.
cat >"$work/hook.sh" <<'HOOK'
#!/bin/sh
cat >/dev/null
HOOK
chmod 755 "$work/hook.sh"
cat >"$work/incidentd.yaml" <<YAML
hookConcurrency: 8
hooks:
  - name: trivial
    exec: [$work/hook.sh]
    events: [incident.reported]
YAML
printf 'hookConcurrency: 2\n' >"$work/plain.yaml"

daemon=
start_daemon() {
    "$bin/incidentd" --database "dbname=${2:-bench}" --socket "$sock" --state-dir "$work/state-${2:-bench}" --log-level warning \
        --config "$1" >>"$work/incidentd.log" 2>&1 &
    daemon=$!
    for _ in $(seq 1 100); do "$bin/incidentctl" status --socket "$sock" >/dev/null 2>&1 && return; sleep 0.1; done
    echo "incidentd did not start:" >&2; cat "$work/incidentd.log" >&2; exit 1
}
stop_daemon() { kill -TERM "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null || true; }
trap 'stop_daemon; rm -rf "$work"' EXIT
start_daemon "$work/plain.yaml"
"$bin/incidentctl" report --socket "$sock" --title "Warm-up" --description "first report" >/dev/null

rows=()
row() { rows+=("$(printf '| %-44s | %14s | %14s | %6s |' "$1" "$2" "$3" "$4")"); }
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
rate() { python3 -c "import json,sys; print(json.loads(sys.argv[1])['perSecond'])" "$1"; }

# The baseline: pgbench replaying the SQL incidentd ran for one report, captured from the
# server's statement log (scripts/bench-capture.py), with the same durability and clients. So
# the ratio shows what the daemon adds: socket, JSON, validation, encryption, the pool.
capture_log=${WITH_POSTGRES_LOG:?run under scripts/with-postgres.sh}
stop_daemon
psql_q -c "ALTER SYSTEM SET log_line_prefix = '%m [%p] '" -c "SELECT pg_reload_conf()" >/dev/null
psql_q -c "ALTER DATABASE bench SET log_statement = 'all'"
start_daemon "$work/plain.yaml"
# The first report after a start also stores its playbook version; capture the steady state.
"$bin/incidentctl" report --socket "$sock" --title "Before the capture" --description "d" >/dev/null
"$bin/incidentctl" report --socket "$sock" --title "Captured for pgbench" --severity high \
    --description "Filed once, to capture the statements of a report." >/dev/null
psql_q -c "ALTER DATABASE bench RESET log_statement"
stop_daemon
read -r captured_id captured_uid captured_key <<<"$(psql -X -At -F ' ' -d bench -c \
    "SELECT id, uid, idempotency_key FROM incidents WHERE title = 'Captured for pgbench'")"
python3 scripts/bench-capture.py "$capture_log" "Captured for pgbench" "$captured_id" "$captured_uid" "$captured_key" \
    >"$work/report.sql"
# The same statements in pipeline mode (\startpipeline … \endpipeline: sent without waiting
# for each result), the other baseline. \gset cannot wait for a result there, so the new
# incident's id is the sequence's current value instead.
python3 - "$work/report.sql" >"$work/report-pipeline.sql" <<'PIPELINE'
import re, sys
lines = open(sys.argv[1]).read().rstrip("\n").split("\n")
out = []
for line in lines:
    if line.startswith("\\gset"):
        out[-1] += ";"
        continue
    # As an uncorrelated subquery, evaluated once: a bare currval() is volatile, and would
    # make "WHERE id = currval(…)" scan the whole table.
    out.append(re.sub(r":incident_id\b", "(SELECT currval('incidents_id_seq'))", line))
left = [name for line in out for name in re.findall(r":incident_\w+", line)]
if left:
    sys.exit(f"bench: the pipeline script would need {left} from a result")
print(out[0])
print("\\startpipeline")
print("\n".join(out[1:]))
print("\\endpipeline")
PIPELINE
# BENCH_CAPTURE_OUTPUT=FILE keeps a copy of the captured script, to read what pgbench replays.
[ -z "${BENCH_CAPTURE_OUTPUT:-}" ] || cp "$work/report.sql" "$BENCH_CAPTURE_OUTPUT"
start_daemon "$work/plain.yaml"

rss_mib() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$daemon/status"; }
# The daemon's largest resident set while a command runs, sampled every 100 ms.
peak_rss() {
    local peak=0 sample
    "$@" >"$work/peak.out" &
    local job=$!
    while kill -0 "$job" 2>/dev/null; do
        sample=$(awk '/^VmRSS:/ {print $2}' "/proc/$daemon/status")
        [ "${sample:-0}" -gt "$peak" ] && peak=$sample
        sleep 0.1
    done
    wait "$job"
    python3 -c "print(f'{$peak / 1024:.1f}')"
}
idle_rss=$(rss_mib)

echo "Report filing throughput (${seconds}s per point) ..." >&2
for clients in 1 8 32; do
    if [ $clients = 32 ]; then
        load_rss=$(peak_rss "$bin/incidentd-bench" --socket "$sock" --clients $clients --seconds "$seconds" --json)
        ours=$(rate "$(cat "$work/peak.out")")
    else
        ours=$(rate "$("$bin/incidentd-bench" --socket "$sock" --clients $clients --seconds "$seconds" --json)")
    fi
    theirs=$(pgbench -n -M prepared -T "$seconds" -c $clients -j $((clients < 2 ? 1 : 2)) -f "$work/report.sql" bench 2>"$work/pgbench.log" \
        | awk '/^tps/ {print int($3)}')
    [ -n "$theirs" ] || { echo "pgbench failed:" >&2; cat "$work/pgbench.log" >&2; exit 1; }
    row "reports/s, $clients client(s), vs pgbench same SQL" "$ours" "$theirs" "$(ratio "$ours" "$theirs")"
    piped=$(pgbench -n -M prepared -T "$seconds" -c $clients -j $((clients < 2 ? 1 : 2)) -f "$work/report-pipeline.sql" bench \
        2>"$work/pgbench.log" | awk '/^tps/ {print int($3)}')
    [ -n "$piped" ] || { echo "pgbench (pipeline) failed:" >&2; cat "$work/pgbench.log" >&2; exit 1; }
    row "reports/s, $clients client(s), vs pgbench pipelined" "$ours" "$piped" "$(ratio "$ours" "$piped")"
done

row "daemon RSS MiB, idle / peak at 32 clients" "$idle_rss / $load_rss" "64" "-"

echo "Audit chain cost at 8 clients (three rounds of on, then off) ..." >&2
# One run each differs by more than the chain costs on a busy machine; alternating rounds and
# taking each side's median keeps a drift of the machine (or of the tables' size) off one side.
median() { python3 -c "import statistics,sys; print(int(statistics.median(map(float, sys.argv[1:]))))" "$@"; }
ons=() offs=()
for _ in 1 2 3; do
    ons+=("$(rate "$("$bin/incidentd-bench" --socket "$sock" --clients 8 --seconds "$seconds" --json)")")
    psql_q -c "ALTER TABLE audit_log DISABLE TRIGGER audit_log_queue_seal"
    offs+=("$(rate "$("$bin/incidentd-bench" --socket "$sock" --clients 8 --seconds "$seconds" --json)")")
    psql_q -c "ALTER TABLE audit_log ENABLE TRIGGER audit_log_queue_seal"
    psql_q -c "INSERT INTO audit_pending SELECT seq FROM audit_log a WHERE NOT EXISTS (SELECT 1 FROM audit_seal s WHERE s.seq = a.seq) ON CONFLICT DO NOTHING"
done
on=$(median "${ons[@]}")
off=$(median "${offs[@]}")
echo "chain on: ${ons[*]}; off: ${offs[*]}" >&2
row "reports/s, 8 clients, chain on vs off (median of 3)" "$on" "$off" "$(ratio "$on" "$off")"

# Each side on a fresh database of its own, alternating, so neither inherits the other's
# table sizes (or plaintext rows for the background re-encryption to seal).
echo "Encryption cost at 8 clients (fresh databases, 2 rounds) ..." >&2
stop_daemon
printf 'hookConcurrency: 2\nencryption: false\n' >"$work/plaintext.yaml"
on=0 off=0
for round in 1 2; do
    for mode in sealed plain; do
        createdb "bench_${mode}_$round"
        start_daemon "$work/$([ $mode = sealed ] && echo plain.yaml || echo plaintext.yaml)" "bench_${mode}_$round"
        r=$(rate "$("$bin/incidentd-bench" --socket "$sock" --clients 8 --seconds "$seconds" --json)")
        stop_daemon
        if [ $mode = sealed ]; then on=$((on + r)); else off=$((off + r)); fi
    done
done
start_daemon "$work/plain.yaml"
row "reports/s, 8 clients, encryption on vs off" "$((on / 2))" "$((off / 2))" "$(ratio "$on" "$off")"

echo "Hook deliveries (trivial exec hook, 8 clients filing for ${seconds}s) ..." >&2
stop_daemon
psql_q -c "TRUNCATE hook_attempts, hook_deliveries"
start_daemon "$work/incidentd.yaml"
# Latency first, with an idle dispatcher: one report every 50 ms.
for _ in $(seq 1 100); do
    "$bin/incidentctl" report --socket "$sock" --title "Latency probe" --description "d" >/dev/null
    sleep 0.05
done
sleep 1
read -r p50 p99 <<<"$(psql -X -At -F ' ' -d bench -c "
    SELECT round(1000 * percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a.started_at - d.created_at))::numeric, 1),
           round(1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM a.started_at - d.created_at))::numeric, 1)
    FROM hook_deliveries d JOIN hook_attempts a ON a.delivery_id = d.id AND a.attempt = 1")"
psql_q -c "TRUNCATE hook_attempts, hook_deliveries"
# Then throughput: as many reports as 8 clients file, each with a delivery.
"$bin/incidentd-bench" --socket "$sock" --clients 8 --seconds "$seconds" --json >/dev/null
for _ in $(seq 1 600); do
    pending=$(psql -X -At -d bench -c "SELECT count(*) FROM hook_deliveries WHERE state <> 'delivered'")
    [ "$pending" = 0 ] && break
    sleep 0.5
done
read -r delivered rate <<<"$(psql -X -At -F ' ' -d bench -c "
    SELECT count(*), round(count(*) / greatest(extract(epoch FROM max(a.finished_at) - min(a.started_at)), 0.001))
    FROM hook_deliveries d JOIN hook_attempts a ON a.delivery_id = d.id AND a.attempt = 1")"
row "hook deliveries/s (of $delivered), exec hook" "$rate" "-" "-"
row "event-to-hook-start ms at idle, p50 / p99" "$p50 / $p99" "-" "-"

# Deliveries keeping up with reports: a webhook hook to a local receiver on every report while
# 8 clients file; reports/s beside deliveries/s over the same seconds, and the time from each
# committed event to its delivery under that load.
hooks_under_load() {
    psql_q -c "TRUNCATE hook_attempts, hook_deliveries"
    local filed
    filed=$(rate "$("$bin/incidentd-bench" --socket "$sock" --clients 8 --seconds "$seconds" --json)")
    for _ in $(seq 1 600); do
        [ "$(psql -X -At -d bench -c "SELECT count(*) FROM hook_deliveries WHERE state <> 'delivered'")" = 0 ] && break
        sleep 0.5
    done
    read -r n per lp50 lp99 <<<"$(psql -X -At -F ' ' -d bench -c "
        SELECT count(*), round(count(*) / greatest(extract(epoch FROM max(a.finished_at) - min(d.created_at)), 0.001)),
               round(1000 * percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a.finished_at - d.created_at))::numeric, 1),
               round(1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM a.finished_at - d.created_at))::numeric, 1)
        FROM hook_deliveries d JOIN hook_attempts a ON a.delivery_id = d.id AND a.attempt = 1 AND a.outcome = 'delivered'")"
    echo "$filed $n $per $lp50 $lp99"
}
stop_daemon
python3 "$(dirname "$0")/bench-webhook.py" >"$work/receiver.port" &
receiver=$!
for _ in $(seq 1 50); do [ -s "$work/receiver.port" ] && break; sleep 0.1; done
head -c 48 /dev/urandom | base64 >"$work/webhook.secret"
chmod 600 "$work/webhook.secret"
cat >"$work/webhook.yaml" <<YAML
hookConcurrency: 8
hooks:
  - name: receiver
    url: http://127.0.0.1:$(cat "$work/receiver.port")/incidentd
    secretFile: $work/webhook.secret
    events: [incident.reported]
YAML
start_daemon "$work/webhook.yaml"
echo "Webhook deliveries under load (8 clients filing for ${seconds}s, a local receiver) ..." >&2
read -r filed n per lp50 lp99 <<<"$(hooks_under_load)"
row "webhook deliveries/s vs reports/s, 8 clients" "$per" "$filed" "$(ratio "$per" "$filed")"
row "event-to-delivery ms under load, p50 / p99" "$lp50 / $lp99" "500" "-"
stop_daemon
kill "$receiver" 2>/dev/null || true
start_daemon "$work/incidentd.yaml"
echo "Exec hook deliveries under load ..." >&2
read -r filed n per lp50 lp99 <<<"$(hooks_under_load)"
row "exec hook deliveries/s vs reports/s, 8 clients" "$per" "$filed" "$(ratio "$per" "$filed")"
row "exec event-to-delivery ms under load, p50 / p99" "$lp50 / $lp99" "500" "-"

echo "Whole-process incidentctl show vs psql -c, 100 runs each ..." >&2
ref=$("$bin/incidentctl" list --socket "$sock" --limit 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["incidents"][0]["reference"])')
median_ms() { python3 "$(dirname "$0")/bench-median.py" "$@"; }
ctl=$(median_ms "$bin/incidentctl" show "$ref" --socket "$sock")
raw=$(median_ms psql -X -q -d bench -c "SELECT * FROM incidents WHERE reference = '$ref'")
row "median ms, incidentctl show vs psql -c" "$ctl" "$raw" "$(ratio "$raw" "$ctl")"

echo "incidentctl --host localhost show over a warm SSH connection, 100 runs each ..." >&2
read -r over_ssh ssh_true < <(scripts/bench-ssh.sh "$bin" "$sock" "$ref" "$work")
if [ "$over_ssh" = "-" ]; then
    row "median ms, show over SSH vs ssh true" "-" "-" "- (no sshd)"
else
    row "median ms, show over SSH vs ssh true" "$over_ssh" "$ssh_true" "$(ratio "$ssh_true" "$over_ssh")"
    row "median ms, show over SSH vs local show" "$over_ssh" "$ctl" "$(ratio "$ctl" "$over_ssh")"
fi

echo "Evidence: a ${BENCH_EVIDENCE_MIB:-200} MiB file added and read back, beside psql copying the same bytes ..." >&2
read -r ev_add ev_in ev_get ev_out ev_idle ev_add_peak ev_get_peak < <(
    scripts/bench-evidence.sh "$bin" "$sock" "$daemon" "$work" bench
)
row "evidence add MiB/s vs psql \\copy in" "$ev_add" "$ev_in" "$(ratio "$ev_add" "$ev_in")"
row "evidence get MiB/s vs psql \\copy out" "$ev_get" "$ev_out" "$(ratio "$ev_get" "$ev_out")"
row "daemon RSS MiB, idle / peak add / peak get" "$ev_idle / $ev_add_peak / $ev_get_peak" "+16" "-"

echo "Hostile input: 20 peers each sending 20 MiB without a terminator ..." >&2
stop_daemon
printf 'hookConcurrency: 2\nmaximumConnectionsPerUser: 64\n' >"$work/hostile.yaml"
start_daemon "$work/hostile.yaml"
cpu_before=$(awk '{print $14 + $15}' "/proc/$daemon/stat")
read -r hp50 hp99 hworst hseconds < <(python3 "$(dirname "$0")/bench-hostile.py" "$sock")
cpu_after=$(awk '{print $14 + $15}' "/proc/$daemon/stat")
hcpu=$(python3 -c "print(f'{($cpu_after - $cpu_before) / $(getconf CLK_TCK):.2f}')")
row "hostile 400 MiB: good call p50 / p99 ms" "$hp50 / $hp99" "-" "-"
row "hostile 400 MiB: worst ms; daemon CPU s" "$hworst; ${hcpu}" "-" "-"
stop_daemon
start_daemon "$work/plain.yaml"

# Scaling: the same calls over a growing history, generated in SQL (not through the socket):
# a tenth of the incidents open in investigate, a tenth in report, the rest closed; an open
# task on each open one. Then ten audit records per incident: 10M beside the 1M incidents.
echo "Scaling: Status, List, Get and an incident's audit trail at 10k, 100k and 1M incidents, then 10M audit records ..." >&2
probe=$("$bin/incidentctl" list --socket "$sock" --limit 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["incidents"][0]["reference"])')
scaling=()
measure_scale() {
    local cells=() out
    for call in status list get audit; do
        out=$("$bin/incidentd-bench" --socket "$sock" --clients 1 --seconds 3 --call $call --reference "$probe" --json)
        cells+=("$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(f\"{d['p50ms']:.1f} / {d['p99ms']:.1f}\")" "$out")")
    done
    local audit_rows
    audit_rows=$(psql -X -At -d bench -c "SELECT count(*) FROM audit_log")
    scaling+=("$(printf '| %9s | %10s | %14s | %14s | %14s | %14s |' "$1" "$audit_rows" "${cells[@]}")")
}
# Generated descriptions carry the sealed format's key prefix, so the background
# re-encryption (which would otherwise seal a million plaintext rows meanwhile) leaves them be;
# nothing opens them: List and Status show titles, and Get reads the probe, a real report.
sealed_prefix=$(psql -X -At -d bench -c "SELECT left(description, 8) FROM incidents WHERE reference = '$probe'")
have=0
for target in 10000 100000 1000000; do
    psql_q -c "
        INSERT INTO incidents (reference, title, description, reporter_uid, reporter_name, aware_at, reported_at,
                               phase_entered_at, phase, severity, closed_at)
        SELECT 'INC-' || (1000 + g / 1000000) || '-' || lpad((g % 1000000)::text, 6, '0'), 'Generated incident ' || g,
               '${sealed_prefix}generated', 0, 'bench', now() - g * interval '1 minute', now() - g * interval '1 minute',
               now() - g * interval '1 minute',
               CASE WHEN g % 10 = 0 THEN 'investigate' WHEN g % 5 = 0 THEN 'report' ELSE 'closed' END,
               (ARRAY['low', 'medium', 'high', 'critical'])[1 + g % 4],
               CASE WHEN g % 5 <> 0 THEN now() - g * interval '1 minute' END
        FROM generate_series($((have + 1)), $target) g;
        INSERT INTO tasks (incident_id, key, phase, status, due_at)
        SELECT id, 'generated', phase, 'open', reported_at + interval '3 days' FROM incidents
        WHERE phase <> 'closed' AND reporter_name = 'bench' AND title LIKE 'Generated%'
        ON CONFLICT DO NOTHING;
        ANALYZE incidents; ANALYZE tasks;" >/dev/null
    have=$target
    measure_scale "$target"
done
# Generated audit records stay outside the hash chain (the queueing trigger is off meanwhile).
psql_q -c "
    ALTER TABLE audit_log DISABLE TRIGGER audit_log_queue_seal;
    INSERT INTO audit_log (at, uid, user_name, pid, action, incident_ref, outcome)
    SELECT now() - g * interval '1 second', 1000 + g % 50, 'user' || g % 50, 1,
           (ARRAY['Get', 'List', 'Status', 'Report', 'Assign'])[1 + g % 5],
           'INC-' || (1000 + (g / 10) / 1000000) || '-' || lpad(((g / 10) % 1000000)::text, 6, '0'), 'ok'
    FROM generate_series(1, 10000000) g;
    ALTER TABLE audit_log ENABLE TRIGGER audit_log_queue_seal;
    ANALYZE audit_log;" >/dev/null
measure_scale 1000000

table=$(
    printf '| %-44s | %14s | %14s | %6s |\n' "measure" "incidentd" "baseline" "ratio"
    printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "$(printf -- '-%.0s' {1..16})" "$(printf -- '-%.0s' {1..16})" "$(printf -- '-%.0s' {1..8})"
    printf '%s\n' "${rows[@]}"
)
machine="$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr), PostgreSQL $(psql -X -At -d bench -c 'SHOW server_version'), default durability (fsync on)"
scaling_table=$(
    printf '| %9s | %10s | %14s | %14s | %14s | %14s |\n' "incidents" "audit rows" "status ms" "list ms" "get ms" "audit ms"
    printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..11})" "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..16})" \
        "$(printf -- '-%.0s' {1..16})" "$(printf -- '-%.0s' {1..16})" "$(printf -- '-%.0s' {1..16})"
    printf '%s\n' "${scaling[@]}"
)
printf '\n%s\n\nRatios: throughput incidentd/baseline; latency baseline/incidentd (above 1: incidentd is faster).\n\nScaling (p50 / p99, one resident client):\n\n%s\n\nMachine: %s\n' \
    "$table" "$scaling_table" "$machine"
output=${BENCH_OUTPUT:-docs/performance.md}
cat >"$output" <<MD
# Performance

Written by \`make bench\` on $(date -u +%Y-%m-%d). Every figure stands beside its baseline measured
in the same run on the same machine, so the ratios hold where absolute times wander.

Machine: $machine.

$table

Scaling, p50 / p99 in milliseconds, one resident client:

$scaling_table

- *reports/s vs pgbench*: resident clients filing reports through the socket (idempotency
  keys, one connection each), against pgbench replaying the SQL incidentd ran for one report
  with the same number of clients and the same durability. The SQL is captured at the start of
  the run from the server's statement log (\`log_statement = 'all'\` for one report,
  \`scripts/bench-capture.py\`): every statement of that transaction, parameters inlined, the
  new incident's id taken from the insert's result (\`\\gset\`) and its uid and idempotency key
  made fresh per transaction. pgbench runs it with \`-M prepared\` (parsed once per connection),
  as incidentd's binding does too. Target at 8 clients: 0.8.

  Reading it: on a machine with few cores both sides are bound by CPU, so the ratio is one of
  CPU per report. pgbench's client costs next to nothing; incidentd adds the socket, the JSON
  of the call and the reply, the access check, the workflow, sealing the description and a
  thread hop to the pool. To see where it goes: \`perf record -e cpu-clock -g -p \$(pidof incidentd)\`
  while \`incidentd-bench --clients 8\` runs.

  Where it went on 2026-12-04 (release, 8 clients, share of the daemon's samples): the store's
  work for a report 38 % (building and binding its statements 12 %, of which the task
  arrays' text 11 %; libpq's sends and receives), the Varlink call decoded twice (a JSON tree
  to check it against the interface, then the typed parameters) 4 %, the reply encoded 4 %,
  the workflow 6 % (11 % before this round: conditions allocated per evaluation and
  jurisdictions expanded on every read), sealing 2 %, and the kernel's wake-ups and thread
  switches 9-12 %. The daemon spends about 0.9 ms of CPU per report; pgbench's 1,089
  reports/s on 2 cores put PostgreSQL's (and pgbench's) share at about 1.8 ms. A ratio of
  0.8 leaves the daemon about 0.45 ms: half of what it takes now, and no single item left in
  the profile is that large. What it would take: the statements of a report sent in libpq pipeline mode
  (the pipelined row shows what PostgreSQL gains), parameters in binary rather than text
  (timestamps and arrays are formatted and parsed again), one decoding pass that checks a
  call against the interface while it builds the typed parameters, and fewer task rows per
  report (tasks that cannot apply to the incident's jurisdictions are written all the same).
- *vs pgbench pipelined*: the same statements sent in pipeline mode (\`\\startpipeline\` …
  \`\\endpipeline\`, no waiting for each result; the new incident's id read from the
  sequence instead of the insert's result): what PostgreSQL does when the client's round
  trips cost nothing.
- *chain on vs off*: the same load with the audit chain's queueing trigger disabled; three
  rounds of on then off, each side's median.
- *encryption on vs off*: the same load with the daemon restarted with \`encryption: false\`
  (descriptions stored as plaintext), each side on fresh databases, alternating.
- *show vs psql*: whole-process time of \`incidentctl show REF\` against \`psql -c\` selecting
  the same row, median of 100 runs; the ratio is psql/incidentctl.
- *show over SSH*: \`incidentctl --host localhost show REF\` through a warm OpenSSH
  ControlMaster connection to an sshd the benchmark starts on a loopback port
  (\`scripts/bench-ssh.sh\`), median of 100 runs, against \`ssh localhost true\` through the
  same master (what SSH itself costs) and against the local \`incidentctl show\` above.
- *hooks*: a trivial exec hook on every report. Latency: one report every 50 ms, time from the
  committed event to the hook's process start. Rate: 8 clients file reports for a few
  seconds, deliveries per second until the queue is empty.
- *hooks under load*: 8 clients file reports for the run's seconds, each report queueing a
  delivery, with \`hookConcurrency: 8\`: a webhook hook to a local receiver
  (\`scripts/bench-webhook.py\`, answering 204 at once over keep-alive connections), then the
  trivial exec hook. Deliveries per second from the first event to the last delivery, beside
  the reports per second filed; and from each committed event to its delivery (p50 / p99).
  Targets: deliveries keep up (ratio 1), p99 under 500 ms. The ratio counts the drain after
  the last report, so a dispatcher that keeps up reads a little under 1; the p99 says
  whether a backlog built up. An exec hook starts a process for each delivery (here \`sh\` and
  \`cat\`): on 2 cores those starts compete with the filing for CPU, and the queue grows.
- *hostile input*: one client's GetInfo calls on its own connection while 20 peers each send
  20 MiB without a message terminator (the daemon refuses each at 1 MiB and the peer
  reconnects), and the daemon's CPU seconds for those 400 MiB. The frame decoder resumes its
  search for the terminator where the last read stopped (memchr), so the bytes cost one pass.
  Target: worst call under 50 ms in a release build.
- *evidence*: \`incidentctl evidence add\` of a 200 MiB file of random bytes (the whole
  command: chunks sealed and stored, then the commit re-reading and hashing what was stored)
  and \`evidence get\` of it (each chunk opened, the client checking the hash), against psql
  \`\\copy\` of the same bytes, as 256 KiB bytea rows, into and out of a table. RSS: the
  daemon's resident set before, and its peak during each (sampled every 50 ms). Target: peak
  within 16 MiB of idle.
- *RSS*: the daemon's resident set after start, and its peak while 32 clients file reports
  (sampled every 100 ms). Target: under 64 MiB.
- *Scaling*: Status (counts by phase and severity, the oldest open incident, the task lists),
  List (newest 50 open), Get, and one incident's audit trail (Audit.Query), for 3 s each after
  the history grows to 10k, 100k and 1M incidents (generated in SQL; a tenth open in
  investigate, a tenth in report, each with an open task), then with ten audit records per
  incident (10M, generated outside the hash chain). Target: Status under 50 ms at 1M, and cost
  growing no faster than log n.
MD
echo "Written to $output."
