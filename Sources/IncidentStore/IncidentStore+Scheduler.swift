import Foundation
import IncidentCore
import Postgres

extension IncidentStore {
    /// Fires due-soon and overdue alerts for open tasks: each exactly once per task, threshold
    /// and deadline, however many daemons scan and however often they restart (the
    /// `task_alerts` key remembers). A task whose regime is paused fires none. Each alert
    /// becomes a timeline event and its hook deliveries, in the transaction that claims it.
    /// One call fires at most `batch` alerts, so a burst of thousands of reports is worked
    /// through in bounded memory, and a stopping daemon stops between batches: call again while
    /// it returns `batch`. Returns how many alerts fired.
    public func fireDueAlerts(dueSoonLead: Duration, playbooks: PlaybookVersions, batch: Int = 200) async throws -> Int
    {
        let leadSeconds = Double(dueSoonLead.components.seconds)
        return try await recordSchedulerEvents(playbooks: playbooks) { connection in
            try connection.query(
                """
                INSERT INTO task_alerts (incident_id, task, threshold, due_at)
                SELECT t.incident_id, t.key, alert.threshold, t.due_at
                FROM tasks t JOIN incidents i ON i.id = t.incident_id
                CROSS JOIN LATERAL (
                    SELECT CASE WHEN t.due_at <= now() THEN 'overdue' ELSE 'due_soon' END AS threshold
                ) alert
                WHERE t.status IN ('open', 'possibly_owed') AND i.phase <> 'closed'
                  AND (t.paused_until IS NULL OR t.paused_until <= now())
                  AND t.due_at <= now() + make_interval(secs => \(leadSeconds))
                  AND NOT EXISTS (
                      SELECT 1 FROM task_alerts fired
                      WHERE fired.incident_id = t.incident_id AND fired.task = t.key
                        AND fired.threshold = alert.threshold AND fired.due_at = t.due_at
                  )
                LIMIT \(batch)
                ON CONFLICT DO NOTHING
                RETURNING incident_id, task, threshold, due_at
                """
            ).map { alert in
                let due = try alert.decode(Date.self, "due_at")
                let kind: IncidentEvent.Kind =
                    try alert.decode(String.self, "threshold") == "overdue" ? .taskOverdue : .taskDueSoon
                return (
                    try alert.decode(Int64.self, "incident_id"),
                    IncidentEvent(
                        kind,
                        [
                            "task": try alert.decode(String.self, "task"),
                            "due": due.formatted(Date.ISO8601FormatStyle()),
                        ]
                    )
                )
            }
        }
    }

    /// Ends each clock pause that has reached its end (its law's cap, or the period the request
    /// stated), once however many daemons scan, with a `clock.pause_ended` event. The clocks
    /// already count the pause to that end, so no due date changes. At most `batch` a call;
    /// returns how many ended.
    public func endLapsedPauses(playbooks: PlaybookVersions, batch: Int = 200) async throws -> Int {
        try await recordSchedulerEvents(playbooks: playbooks) { connection in
            try connection.query(
                """
                UPDATE clock_pauses p SET ended_at = p.until, ended_by = 'incidentd'
                FROM (
                    SELECT incident_id, number FROM clock_pauses
                    WHERE ended_at IS NULL AND until IS NOT NULL AND until <= now()
                    LIMIT \(batch)
                    FOR UPDATE SKIP LOCKED
                ) lapsed
                WHERE p.incident_id = lapsed.incident_id AND p.number = lapsed.number
                RETURNING p.incident_id, p.regime, p.basis, p.until
                """
            ).map { row in
                let until = try row.decode(Date.self, "until")
                return (
                    try row.decode(Int64.self, "incident_id"),
                    IncidentEvent(
                        .clockPauseEnded,
                        [
                            "regimes": try row.decode(String?.self, "regime") ?? "",
                            "basis": try row.decode(String.self, "basis"),
                            "until": until.formatted(Date.ISO8601FormatStyle()),
                        ]
                    )
                )
            }
        }
    }

    /// Runs `claim` (which marks what it returns as handled, a bounded batch) and records each
    /// event it returns on the timeline, with its hook deliveries, in the same transaction.
    /// Returns how many events it recorded.
    private func recordSchedulerEvents(
        playbooks: PlaybookVersions,
        _ claim: @escaping @Sendable (PostgresConnection) throws -> [(incident: Int64, event: IncidentEvent)]
    ) async throws -> Int {
        let outbox = self.outbox
        let (count, queued) = try await pool.transaction { connection -> (Int, Int) in
            let events = try claim(connection)
            var queued = 0
            for (id, event) in events {
                try connection.query(
                    """
                    INSERT INTO events (incident_id, kind, actor_name, data)
                    VALUES (\(id), \(event.kind.rawValue), 'incidentd', \(try PostgresJSON(encoding: event.data)))
                    """
                )
                guard let outbox else { continue }
                let rows = try connection.query(
                    """
                    SELECT \(unsafeSQL: Self.qualifiedIncidentColumns), i.playbook_digest
                    FROM incidents i WHERE i.id = \(id)
                    """
                )
                guard let row = rows.first else { continue }
                let incident = try Incident(row: row, cipher: cipher)
                // The playbook's source is read only for a version this daemon has not parsed.
                let playbook = try row.decode(String?.self, "playbook_digest").flatMap { digest in
                    try playbooks.cached(digest: digest)
                        ?? connection.query("SELECT source FROM playbooks WHERE digest = \(digest)").first
                        .flatMap { try playbooks.resolve(digest: digest, source: $0.decode(String.self, "source")) }
                }
                queued += try outbox.enqueue(
                    connection,
                    incidentID: id,
                    events: [event],
                    incident: incident,
                    playbook: playbook,
                    actor: nil
                )
            }
            return (events.count, queued)
        }
        if queued > 0 { outbox?.wake() }
        return count
    }
}
