import Foundation
import IncidentCore
import Postgres

/// The counts monitoring scrapes (docs/monitoring.md): never a title, a name or a reference.
public struct MonitoringCounts: Sendable, Equatable {
    /// Open incidents by phase and severity.
    public var open: [Key: Int64] = [:]
    /// Owed tasks with a clock that are past due, or due within the lead, by the incident's
    /// playbook version and the task: the daemon maps them to their regime.
    public var owed: [OwedTask] = []
    /// Hook deliveries waiting or running, and dead ones no one retried.
    public var hookQueue: Int64 = 0
    public var hookDead: Int64 = 0
    /// Audit records written but not yet sealed into the chain.
    public var auditPending: Int64 = 0

    public struct Key: Hashable, Sendable {
        public var phase: String
        public var severity: String

        public init(phase: String, severity: String) {
            self.phase = phase
            self.severity = severity
        }
    }

    public struct OwedTask: Sendable, Equatable {
        public var playbookDigest: String
        public var task: String
        public var overdue: Int64
        public var dueSoon: Int64
    }

    public init() {}
}

extension IncidentStore {
    /// The counts for monitoring, at `now`, due soon meaning within `lead`; one short read.
    public func monitoringCounts(lead: Duration) async throws -> MonitoringCounts {
        let leadSeconds = Double(lead.components.seconds)
        return try await pool.withConnection { connection in
            var counts = MonitoringCounts()
            for row in try connection.query(
                "SELECT phase, severity, sum(n)::bigint AS n FROM open_incident_counts GROUP BY phase, severity"
            ) {
                let key = MonitoringCounts.Key(
                    phase: try row.decode(String.self, "phase"),
                    severity: try row.decode(String.self, "severity")
                )
                counts.open[key] = try row.decode(Int64.self, "n")
            }
            counts.owed = try connection.query(
                """
                SELECT i.playbook_digest, t.key,
                       count(*) FILTER (WHERE t.due_at <= now()) AS overdue,
                       count(*) FILTER (WHERE t.due_at > now()) AS due_soon
                FROM tasks t JOIN incidents i ON i.id = t.incident_id
                WHERE t.status IN ('open', 'possibly_owed') AND i.phase <> 'closed'
                  AND t.due_at < now() + make_interval(secs => \(leadSeconds))
                  AND (t.paused_until IS NULL OR t.paused_until <= now())
                  AND i.playbook_digest IS NOT NULL
                GROUP BY i.playbook_digest, t.key
                """
            ).map {
                MonitoringCounts.OwedTask(
                    playbookDigest: try $0.decode(String.self, "playbook_digest"),
                    task: try $0.decode(String.self, "key"),
                    overdue: try $0.decode(Int64.self, "overdue"),
                    dueSoon: try $0.decode(Int64.self, "due_soon")
                )
            }
            let hooks = try connection.query(
                """
                SELECT count(*) FILTER (WHERE state IN ('pending', 'running')) AS queued,
                       count(*) FILTER (WHERE state = 'dead') AS dead
                FROM hook_deliveries WHERE state IN ('pending', 'running', 'dead')
                """
            ).first
            counts.hookQueue = try hooks?.decode(Int64.self, "queued") ?? 0
            counts.hookDead = try hooks?.decode(Int64.self, "dead") ?? 0
            counts.auditPending =
                try connection.query("SELECT count(*) AS n FROM audit_pending").first?.decode(Int64.self, "n") ?? 0
            return counts
        }
    }
}
