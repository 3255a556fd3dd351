import Foundation
import IncidentCore
import Postgres

extension IncidentStore {
    /// Statistics of the incidents reported in [since, until) that `scope` may see: overall,
    /// by playbook and by severity, in one query (GROUPING SETS).
    public func statistics(
        since: Date,
        until: Date,
        visibleTo scope: VisibilityScope,
        audit: AuditRecord
    ) async throws -> [IncidentStatistics] {
        let visible = Self.condition(for: scope, alias: "i.") ?? "true"
        return try await pool.transaction { connection in
            let rows = try connection.query(
                """
                WITH base AS (
                    SELECT coalesce(i.playbook_name, '-') AS playbook, i.severity,
                        extract(epoch FROM least(
                            to_timestamp((i.instants->>'acknowledged')::double precision),
                            (SELECT min(e.at) FROM events e WHERE e.incident_id = i.id
                                AND (e.kind = 'incident.assigned' OR (e.kind = 'phase.entered' AND e.data->>'phase' <> 'report')))
                        ) - i.reported_at) AS acknowledge,
                        (i.instants->>'contained')::double precision - extract(epoch FROM i.aware_at) AS contain,
                        extract(epoch FROM (SELECT min(n.sent_at) FROM notifications n
                            WHERE n.incident_id = i.id AND n.kind = 'authority') - i.aware_at) AS authority,
                        extract(epoch FROM (SELECT min(n.sent_at) FROM notifications n
                            WHERE n.incident_id = i.id AND n.kind = 'individuals') - i.aware_at) AS individuals,
                        (SELECT count(*) FROM tasks t WHERE t.incident_id = i.id AND t.due_at IS NOT NULL
                            AND t.status = 'done' AND t.completed_at <= t.due_at) AS met,
                        (SELECT count(*) FROM tasks t WHERE t.incident_id = i.id AND t.due_at IS NOT NULL
                            AND ((t.status = 'done' AND t.completed_at > t.due_at) OR (t.status IN ('open', 'possibly_owed') AND t.due_at < now()))) AS missed
                    FROM incidents i
                    WHERE i.reported_at >= \(since) AND i.reported_at < \(until) AND (\(visible))
                )
                SELECT GROUPING(playbook) AS by_playbook, GROUPING(severity) AS by_severity, playbook, severity,
                    count(*) AS incidents,
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY acknowledge) AS acknowledge_p50,
                    percentile_cont(0.9) WITHIN GROUP (ORDER BY acknowledge) AS acknowledge_p90, count(acknowledge) AS acknowledge_n,
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY contain) AS contain_p50,
                    percentile_cont(0.9) WITHIN GROUP (ORDER BY contain) AS contain_p90, count(contain) AS contain_n,
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY authority) AS authority_p50,
                    percentile_cont(0.9) WITHIN GROUP (ORDER BY authority) AS authority_p90, count(authority) AS authority_n,
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY individuals) AS individuals_p50,
                    percentile_cont(0.9) WITHIN GROUP (ORDER BY individuals) AS individuals_p90, count(individuals) AS individuals_n,
                    coalesce(sum(met), 0)::bigint AS met, coalesce(sum(missed), 0)::bigint AS missed
                FROM base
                GROUP BY GROUPING SETS ((), (playbook), (severity))
                ORDER BY by_playbook DESC, by_severity DESC, playbook, severity
                """
            )
            try connection.query(audit.insert)
            return try rows.compactMap { row -> IncidentStatistics? in
                let byPlaybook = try row.decode(Int.self, "by_playbook") == 0
                let bySeverity = try row.decode(Int.self, "by_severity") == 0
                func timing(_ name: String) throws -> IncidentStatistics.Timing {
                    // Whole seconds: instants are kept as epoch seconds, times as microseconds.
                    .init(
                        median: try row.decode(Double?.self, "\(name)_p50")?.rounded(),
                        p90: try row.decode(Double?.self, "\(name)_p90")?.rounded(),
                        count: try row.decode(Int.self, "\(name)_n")
                    )
                }
                let incidents = try row.decode(Int.self, "incidents")
                // With no incident at all, the overall row still comes back (count 0); keep it.
                return IncidentStatistics(
                    group: byPlaybook ? .playbook : bySeverity ? .severity : .all,
                    key: byPlaybook
                        ? try row.decode(String.self, "playbook")
                        : bySeverity ? try row.decode(String.self, "severity") : nil,
                    incidents: incidents,
                    acknowledge: try timing("acknowledge"),
                    contain: try timing("contain"),
                    notifyAuthority: try timing("authority"),
                    notifyIndividuals: try timing("individuals"),
                    deadlinesMet: try row.decode(Int.self, "met"),
                    deadlinesMissed: try row.decode(Int.self, "missed")
                )
            }
        }
    }
}
