import Foundation
import IncidentCore
import Postgres

extension IncidentStore {
    /// The id of the newest event: where a watcher that asked for no history starts.
    public func latestEventID() async throws -> Int64 {
        try await pool.withConnection { connection in
            try connection.query("SELECT coalesce(max(id), 0) AS id FROM events").first!.decode(Int64.self, "id")
        }
    }

    /// Events after the cursor (and in its gaps), oldest first, at most `limit`. Every id read
    /// is returned for the cursor to advance over; `matching` holds the ones the filter and
    /// the caller's visibility admit.
    public func events(
        after cursor: EventCursor,
        matching filter: IncidentFilter,
        visibleTo scope: VisibilityScope,
        limit: Int
    ) async throws -> (ids: [Int64], matching: [(event: WatchEvent, access: IncidentAccessFacts)]) {
        var conditions = Self.conditions(for: filter, alias: "i.")
        if let visibility = Self.condition(for: scope, alias: "i.") { conditions.append(visibility) }
        // A column, not a WHERE clause: the cursor must see every id, shown or not. NULL (an
        // assignee compared with none) counts as not admitted.
        let admitted = conditions.reduce("true" as PostgresQuery) { "\($0) AND coalesce((\($1)), false)" }
        let gaps = cursor.gaps.keys.sorted()
        return try await pool.withConnection { connection in
            let rows = try connection.query(
                """
                SELECT e.id, e.at, e.kind, e.actor_name, e.data, i.reference, i.title, i.severity, i.reporter_uid, i.assignee, i.restricted,
                    (\(admitted)) AS admitted
                FROM events e JOIN incidents i ON i.id = e.incident_id
                WHERE e.id > \(cursor.position) OR e.id = ANY(\(gaps))
                ORDER BY e.id LIMIT \(limit)
                """
            )
            var ids: [Int64] = []
            var matching: [(event: WatchEvent, access: IncidentAccessFacts)] = []
            for row in rows {
                let id = try row.decode(Int64.self, "id")
                ids.append(id)
                guard try row.decode(Bool.self, "admitted") else { continue }
                var data = (try? row.decode(PostgresJSON.self, "data").decode([String: String].self)) ?? [:]
                data["text"] = nil
                let event = WatchEvent(
                    id: id,
                    at: try row.decode(Date.self, "at"),
                    reference: try row.decodeEnum(IncidentReference.self, "reference"),
                    title: try row.decode(String.self, "title"),
                    kind: try row.decode(String.self, "kind"),
                    actor: try row.decode(String?.self, "actor_name"),
                    data: data,
                    severity: try row.decodeEnum(Severity.self, "severity")
                )
                let access = IncidentAccessFacts(
                    reporterUID: UInt32(try row.decode(Int64.self, "reporter_uid")),
                    assignee: try row.decode(String?.self, "assignee"),
                    restricted: try row.decode(Bool.self, "restricted")
                )
                matching.append((event, access))
            }
            return (ids, matching)
        }
    }
}
