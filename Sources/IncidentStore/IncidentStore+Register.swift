import Foundation
import IncidentCore
import Postgres

extension IncidentStore {
    /// One page of the breach register: the case files of the incidents reported in
    /// [`since`, `until`) that `access` may read in full, oldest first, after the incident
    /// `after`. `audit` is written in the same transaction, with the references the page held
    /// appended to its detail: who saw which case files is in the trail, page by page.
    /// Returns the page and the reference the next one starts after (nil on the last).
    public func register(
        since: Date?,
        until: Date,
        after: IncidentReference?,
        limit: Int,
        visibleTo scope: VisibilityScope,
        access: ReadAccess,
        playbooks: PlaybookVersions,
        audit: AuditRecord
    ) async throws -> (files: [CaseFile], next: IncidentReference?) {
        try await pool.transaction { connection in
            var conditions: [PostgresQuery] = ["i.reported_at < \(until)"]
            if let since { conditions.append("i.reported_at >= \(since)") }
            if let visibility = Self.condition(for: scope, alias: "i.") { conditions.append(visibility) }
            if let after {
                // Under the same visibility, as `list` pages: a hidden reference starts nothing.
                var cursor: PostgresQuery =
                    "SELECT i.reported_at, i.id FROM incidents i WHERE i.reference = \(after.rawValue)"
                if let visibility = Self.condition(for: scope, alias: "i.") { cursor = "\(cursor) AND \(visibility)" }
                conditions.append("(i.reported_at, i.id) > (\(cursor))")
            }
            var query: PostgresQuery = "SELECT i.reference FROM incidents i"
            for (index, condition) in conditions.enumerated() {
                query = "\(query)\(unsafeSQL: index == 0 ? " WHERE " : " AND ")\(condition)"
            }
            query = "\(query) ORDER BY i.reported_at, i.id LIMIT \(limit)"
            let references = try connection.query(query).map {
                IncidentReference(rawValue: try $0.decode(String.self, "reference"))
            }
            var files: [CaseFile] = []
            for reference in references.compactMap({ $0 }) {
                guard let (id, incident, digest, source) = try self.incidentRow(connection, reference),
                    access.decide(incident) == .allow(.full)
                else { continue }
                let playbook =
                    digest.flatMap { digest in source.flatMap { playbooks.resolve(digest: digest, source: $0) } }
                    ?? Self.noPlaybook
                let state = try Self.loadState(connection, incidentID: id, incident: incident, cipher: self.cipher)
                files.append(
                    CaseFile(
                        incident: incident,
                        state: Workflow.evaluate(state, playbook: playbook, now: Date()),
                        playbook: playbook
                    )
                )
            }
            var record = audit
            let held = files.map(\.incident.reference.rawValue)
            record.detail +=
                (record.detail.isEmpty ? "" : "; ") + "\(held.count) incidents"
                + (held.isEmpty ? "" : ": " + held.joined(separator: ", "))
            try connection.query(record.insert)
            return (files, references.count == limit ? references.last.flatMap { $0 } : nil)
        }
    }
}
