import Foundation
import IncidentCore
import Postgres

extension IncidentStore {
    /// Fires due-soon and overdue alerts for open tasks: each exactly once per task, threshold
    /// and deadline, however many daemons scan and however often they restart (the
    /// `task_alerts` key remembers). Each alert becomes a timeline event and its hook
    /// deliveries, in one transaction. Returns how many alerts fired.
    public func fireDueAlerts(dueSoonLead: Duration, resolve: @escaping PlaybookResolver) async throws -> Int {
        let outbox = self.outbox
        let leadSeconds = Double(dueSoonLead.components.seconds)
        let (fired, queued) = try await pool.transaction { connection -> (Int, Int) in
            let alerts = try connection.query(
                """
                INSERT INTO task_alerts (incident_id, task, threshold, due_at)
                SELECT t.incident_id, t.key, CASE WHEN t.due_at <= now() THEN 'overdue' ELSE 'due_soon' END, t.due_at
                FROM tasks t JOIN incidents i ON i.id = t.incident_id
                WHERE t.status IN ('open', 'possibly_owed') AND i.phase <> 'closed' AND i.paused_since IS NULL
                  AND t.due_at <= now() + make_interval(secs => \(leadSeconds))
                ON CONFLICT DO NOTHING
                RETURNING incident_id, task, threshold, due_at
                """
            )
            var queued = 0
            for alert in alerts {
                let id = try alert.decode(Int64.self, "incident_id")
                let task = try alert.decode(String.self, "task")
                let kind = "task." + (try alert.decode(String.self, "threshold"))
                let due = try alert.decode(Date.self, "due_at")
                let data = ["task": task, "due": due.formatted(Date.ISO8601FormatStyle())]
                try connection.query(
                    """
                    INSERT INTO events (incident_id, kind, actor_name, data)
                    VALUES (\(id), \(kind), 'incidentd', \(try PostgresJSON(encoding: data)))
                    """
                )
                guard let outbox else { continue }
                let rows = try connection.query(
                    """
                    SELECT \(unsafeSQL: Self.qualifiedIncidentColumns), i.playbook_digest, p.source
                    FROM incidents i LEFT JOIN playbooks p ON p.digest = i.playbook_digest WHERE i.id = \(id)
                    """
                )
                guard let row = rows.first else { continue }
                let incident = try Incident(row: row, cipher: cipher)
                let playbook = try row.decode(String?.self, "playbook_digest").flatMap { digest in
                    try row.decode(String?.self, "source").flatMap { resolve(digest, $0) }
                }
                queued += try outbox.enqueue(
                    connection, incidentID: id, events: [(kind, data)], incident: incident, playbook: playbook, actor: nil
                )
            }
            return (alerts.count, queued)
        }
        if queued > 0 { outbox?.wake() }
        return fired
    }
}
