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

# The SQL incidentd runs for one report with the default playbook (IncidentStore.report and
# startWorkflow: the insert, the playbook version, the workflow state, two tasks, three
# events), replayed by pgbench with the same durability, so the ratio shows what the daemon
# adds: socket, JSON, validation, the pool, the round trips. Keep it in step with the store.
digest=$(psql -X -At -d bench -c "SELECT digest FROM playbooks LIMIT 1")
cat >"$work/report.sql" <<SQL
\\set n random(1, 2000000000)
BEGIN;
WITH inserted AS (
    INSERT INTO incidents (reference, title, description, severity, category, data_categories,
        people_affected, records_affected, jurisdictions, reporter_uid, reporter_name,
        aware_at, discovered_at, idempotency_key)
    VALUES ('INC-' || to_char(now() AT TIME ZONE 'UTC', 'YYYY') || '-' || lpad(nextval('incident_number')::text, 6, '0'),
        'Benchmark report', 'Filed by pgbench to measure throughput.', 'untriaged', NULL, '{contact}',
        NULL, NULL, '{}', 0, 'root', now(), NULL, 'pgbench-' || :n || '-' || :client_id)
    ON CONFLICT (reporter_uid, idempotency_key) DO NOTHING
    RETURNING *
), event AS (
    INSERT INTO events (incident_id, kind, actor_uid, actor_name)
    SELECT id, 'incident.reported', reporter_uid, reporter_name FROM inserted
), audit AS (
    INSERT INTO audit_log (uid, user_name, pid, action, incident_ref, outcome)
    SELECT reporter_uid, reporter_name, 1, 'Report', reference, 'created' FROM inserted
)
SELECT id, reference, title, description, phase, severity, category, data_categories, people_affected,
    records_affected, jurisdictions, reporter_uid, reporter_name, assignee, restricted, reported_at,
    aware_at, discovered_at, phase_entered_at, closed_at, version, playbook_name, playbook_version FROM inserted;
INSERT INTO playbooks (digest, name, version, title, source) VALUES ('$digest', 'x', '1', 'x', 'x') ON CONFLICT (digest) DO NOTHING;
UPDATE incidents SET phase = 'report', phase_entered_at = now(), closed_at = NULL, severity = 'untriaged', category = NULL,
    data_categories = '{contact}', jurisdictions = '{}', people_affected = NULL, records_affected = NULL, facts = '{}',
    instants = '{"phase:report": 1}', gate_approved = false, paused_since = NULL, paused_seconds = 0, resolution = NULL,
    lessons_learned = NULL, version = 1, playbook_name = 'customer-data-breach', playbook_version = '1',
    playbook_digest = '$digest'
    WHERE id = currval('incidents_id_seq');
INSERT INTO tasks (incident_id, key, phase, status, due_at) VALUES (currval('incidents_id_seq'), 'acknowledge', 'report', 'open', now())
    ON CONFLICT (incident_id, key) DO UPDATE SET status = EXCLUDED.status, due_at = EXCLUDED.due_at;
INSERT INTO tasks (incident_id, key, phase, status, due_at) VALUES (currval('incidents_id_seq'), 'triage', 'report', 'open', now())
    ON CONFLICT (incident_id, key) DO UPDATE SET status = EXCLUDED.status, due_at = EXCLUDED.due_at;
INSERT INTO events (incident_id, kind, actor_uid, actor_name, data) VALUES (currval('incidents_id_seq'), 'phase.entered', 0, 'root', '{"phase":"report"}');
INSERT INTO events (incident_id, kind, actor_uid, actor_name, data) VALUES (currval('incidents_id_seq'), 'task.opened', 0, 'root', '{"task":"acknowledge"}');
INSERT INTO events (incident_id, kind, actor_uid, actor_name, data) VALUES (currval('incidents_id_seq'), 'task.opened', 0, 'root', '{"task":"triage"}');
COMMIT;
SQL

echo "Report filing throughput (${seconds}s per point) ..." >&2
for clients in 1 8 32; do
    ours=$(rate "$("$bin/incidentd-bench" --socket "$sock" --clients $clients --seconds "$seconds" --json)")
    theirs=$(pgbench -n -T "$seconds" -c $clients -j $((clients < 2 ? 1 : 2)) -f "$work/report.sql" bench 2>"$work/pgbench.log" \
        | awk '/^tps/ {print int($3)}')
    [ -n "$theirs" ] || { echo "pgbench failed:" >&2; cat "$work/pgbench.log" >&2; exit 1; }
    row "reports/s, $clients client(s), vs pgbench same SQL" "$ours" "$theirs" "$(ratio "$ours" "$theirs")"
done

echo "Audit chain cost at 8 clients ..." >&2
on=$(rate "$("$bin/incidentd-bench" --socket "$sock" --clients 8 --seconds "$seconds" --json)")
psql_q -c "ALTER TABLE audit_log DISABLE TRIGGER audit_log_queue_seal"
off=$(rate "$("$bin/incidentd-bench" --socket "$sock" --clients 8 --seconds "$seconds" --json)")
psql_q -c "ALTER TABLE audit_log ENABLE TRIGGER audit_log_queue_seal"
psql_q -c "INSERT INTO audit_pending SELECT seq FROM audit_log a WHERE NOT EXISTS (SELECT 1 FROM audit_seal s WHERE s.seq = a.seq) ON CONFLICT DO NOTHING"
row "reports/s, 8 clients, chain on vs off" "$on" "$off" "$(ratio "$on" "$off")"

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

echo "Whole-process incidentctl show vs psql -c, 100 runs each ..." >&2
ref=$("$bin/incidentctl" list --socket "$sock" --limit 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["incidents"][0]["reference"])')
median_ms() {
    python3 - "$@" <<'PY'
import subprocess, sys, time
times = []
for _ in range(100):
    start = time.perf_counter()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
    times.append((time.perf_counter() - start) * 1000)
times.sort()
print(f"{times[50]:.2f}")
PY
}
ctl=$(median_ms "$bin/incidentctl" show "$ref" --socket "$sock")
raw=$(median_ms psql -X -q -d bench -c "SELECT * FROM incidents WHERE reference = '$ref'")
row "median ms, incidentctl show vs psql -c" "$ctl" "$raw" "$(ratio "$raw" "$ctl")"

table=$(
    printf '| %-44s | %14s | %14s | %6s |\n' "measure" "incidentd" "baseline" "ratio"
    printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "$(printf -- '-%.0s' {1..16})" "$(printf -- '-%.0s' {1..16})" "$(printf -- '-%.0s' {1..8})"
    printf '%s\n' "${rows[@]}"
)
machine="$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr), PostgreSQL $(psql -X -At -d bench -c 'SHOW server_version'), default durability (fsync on)"
printf '\n%s\n\nRatios: throughput incidentd/baseline; latency baseline/incidentd (above 1: incidentd is faster).\nMachine: %s\n' \
    "$table" "$machine"
output=${BENCH_OUTPUT:-docs/performance.md}
cat >"$output" <<MD
# Performance

Written by \`make bench\` on $(date -u +%Y-%m-%d). Every figure stands beside its baseline measured
in the same run on the same machine, so the ratios hold where absolute times wander.

Machine: $machine.

$table

- *reports/s vs pgbench*: resident clients filing reports through the socket (idempotency
  keys, one connection each), against pgbench replaying the SQL incidentd runs for one report
  (\`scripts/bench-run.sh\`) with the same clients. Target at 8 clients: 0.8.
- *chain on vs off*: the same load with the audit chain's queueing trigger disabled.
- *encryption on vs off*: the same load with the daemon restarted with \`encryption: false\`
  (descriptions stored as plaintext); on, each description is sealed with AES-256-GCM.
- *show vs psql*: whole-process time of \`incidentctl show REF\` against \`psql -c\` selecting
  the same row, median of 100 runs; the ratio is psql/incidentctl.
- *hooks*: a trivial exec hook on every report. Latency: one report every 50 ms, time from the
  committed event to the hook's process start. Rate: 8 clients file reports for a few
  seconds, deliveries per second until the queue is empty.

Known limits of these figures: the pgbench replay is the report transaction's statements
copied by hand into \`scripts/bench-run.sh\` and sent with the simple query protocol, one round
trip each, by pgbench threads that share the two cores with PostgreSQL. Where it comes out
slower than incidentd (8 and 32 clients on 2026-11-29) it is not yet a faithful baseline;
capturing the exact statements from the server log and replaying them with
\`-M prepared\` is the next step. Scaling to 1M incidents and memory (RSS) are not measured yet.
MD
echo "Written to $output."
