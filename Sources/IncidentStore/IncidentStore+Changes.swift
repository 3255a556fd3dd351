import Foundation
import IncidentCore
import Postgres

/// A change refused for a reason the caller can act on.
public enum ChangeRefusal: Error, Sendable, Equatable {
    case notFound(IncidentReference)
    /// The caller may not see the incident at all (reported as not found, to hide it).
    case hidden(IncidentReference)
    case denied(reason: String)
    /// The caller's version is stale; `current` is the incident's version now.
    case conflict(IncidentReference, current: Int)
    /// The change would take the incident past the bytes an incident may hold.
    case tooMuchData(IncidentReference, limit: Int)
}

extension IncidentStore {
    /// Applies `change` to the incident under a row lock, in one transaction with its events and
    /// its audit record. `authorize` sees the incident as it is and returns nil to allow the
    /// change, or the refusal (`.hidden` when the caller may not even see it, `.denied` when
    /// they may see but not change it). `expectedVersion`, when given, must match or the
    /// change is refused as a conflict. Refusals are audited too.
    public func change(
        _ reference: IncidentReference,
        expectedVersion: Int?,
        audit: AuditRecord,
        adding bytes: Int = 0,
        authorize: @escaping @Sendable (Incident) -> ChangeRefusal?,
        change: @escaping @Sendable (inout Incident) throws -> [IncidentEvent]
    ) async throws -> Incident {
        let outbox = self.outbox
        let (incident, queued) = try await pool.transaction { connection -> Result<(Incident, Int), ChangeRefusal> in
            var record = audit
            record.incident = reference
            let rows = try connection.query(
                """
                SELECT id, \(unsafeSQL: Self.incidentColumns) FROM incidents
                WHERE reference = \(reference.rawValue) FOR UPDATE
                """
            )
            guard let row = rows.first else {
                record.outcome = .notFound
                try connection.query(record.insert)
                return .failure(.notFound(reference))
            }
            let id = try row.decode(Int64.self, "id")
            var incident = try Incident(row: row, cipher: cipher)
            // Refusals are audited, and their audit record must commit: write it, then end the
            // transaction normally by returning the refusal instead of throwing inside it.
            if let refusal = try Self.refusal(authorize(incident), expectedVersion: expectedVersion, incident: incident)
                ?? self.reserve(bytes, incidentID: id, reference, connection)
            {
                try connection.query(record.refused(refusal).insert)
                return .failure(refusal)
            }
            let events = try change(&incident)
            incident.version += 1
            try connection.query(
                """
                UPDATE incidents SET
                    title = \(incident.title), severity = \(incident.severity.rawValue),
                    category = \(incident.category?.rawValue), data_categories = \(incident.dataCategories.map(\.rawValue)),
                    people_affected = \(incident.peopleAffected), records_affected = \(incident.recordsAffected),
                    jurisdictions = \(incident.jurisdictions.map(\.rawValue)), assignee = \(incident.assignee),
                    restricted = \(incident.restricted), version = \(incident.version)
                WHERE id = \(id)
                """
            )
            let queued =
                try outbox?.enqueue(
                    connection,
                    incidentID: id,
                    events: events,
                    incident: incident,
                    playbook: nil,
                    actor: audit.caller.userName
                ) ?? 0
            let uid = try row.decode(UUID.self, "uid")
            for event in events {
                // A note's text is sealed; the event's other details are not personal data.
                var data = event.data
                if let text = data["text"] {
                    data["text"] = cipher.seal(text, context: FieldCipher.context(incident: uid, field: "note"))
                }
                try connection.query(
                    """
                    INSERT INTO events (incident_id, kind, actor_uid, actor_name, data)
                    VALUES (\(id), \(event.kind.rawValue), \(Int64(audit.caller.uid)), \(audit.caller.userName),
                            \(try PostgresJSON(encoding: data)))
                    """
                )
            }
            try connection.query(record.insert)
            return .success((incident, queued))
        }.get()
        if queued > 0 { outbox?.wake() }
        return incident
    }
}

extension IncidentStore {
    /// The refusal a change meets: the caller's authorisation first, then a stale version.
    static func refusal(_ denied: ChangeRefusal?, expectedVersion: Int?, incident: Incident) -> ChangeRefusal? {
        if let denied { return denied }
        if let expectedVersion, expectedVersion != incident.version {
            return .conflict(incident.reference, current: incident.version)
        }
        return nil
    }
}

extension IncidentStore {
    /// Counts `bytes` more against the incident's storage; the refusal when that would take it
    /// past the limit (nothing is counted then).
    func reserve(
        _ bytes: Int,
        incidentID id: Int64,
        _ reference: IncidentReference,
        _ connection: PostgresConnection
    ) throws
        -> ChangeRefusal?
    {
        guard bytes > 0 else { return nil }
        guard let limit = maximumIncidentBytes else {
            try connection.query("UPDATE incidents SET stored_bytes = stored_bytes + \(Int64(bytes)) WHERE id = \(id)")
            return nil
        }
        let counted = try connection.query(
            """
            UPDATE incidents SET stored_bytes = stored_bytes + \(Int64(bytes))
            WHERE id = \(id) AND stored_bytes + \(Int64(bytes)) <= \(Int64(limit)) RETURNING id
            """
        )
        return counted.isEmpty ? .tooMuchData(reference, limit: limit) : nil
    }
}

extension AuditRecord {
    /// This record, for a change refused for `refusal`.
    func refused(_ refusal: ChangeRefusal) -> AuditRecord {
        var record = self
        switch refusal {
        case .notFound: record.outcome = .notFound
        case .hidden:
            record.outcome = .denied
            record.detail = "may not see the incident"
        case .denied(let reason):
            record.outcome = .denied
            record.detail = reason
        case .conflict(_, let current):
            record.outcome = .refused
            record.detail = "stale version, current \(current)"
        case .tooMuchData(_, let limit):
            record.outcome = .refused
            record.detail = "the incident would hold more than \(limit) bytes"
        }
        return record
    }
}
