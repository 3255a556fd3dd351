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

/// An incident read to decide a change of its own fields on, and the row the change is
/// written to if the incident is still at the version read.
public struct IncidentBasis: Sendable {
    public let incident: Incident
    let id: Int64
    let uid: UUID
}

extension IncidentStore {
    /// The incident with `reference` as stored, to decide a change on; nil when there is none.
    /// Not audited: the change's own record says what came of it.
    public func incidentForChange(_ reference: IncidentReference) async throws -> IncidentBasis? {
        try await pool.transaction { connection in
            let rows = try connection.query(
                "SELECT id, \(unsafeSQL: Self.incidentColumns) FROM incidents WHERE reference = \(reference.rawValue)"
            )
            guard let row = rows.first else { return nil }
            return IncidentBasis(
                incident: try Incident(row: row, cipher: cipher),
                id: try row.decode(Int64.self, "id"),
                uid: try row.decode(UUID.self, "uid")
            )
        }
    }

    /// Writes `incident`, changed from `basis`, with its events, their hook deliveries and
    /// `audit`, in one transaction, if the incident is still at the version `basis` read;
    /// otherwise nothing (`.moved`: decide again on what is there now).
    public func write(
        _ incident: Incident,
        events: [IncidentEvent],
        on basis: IncidentBasis,
        audit: AuditRecord,
        adding bytes: Int = 0
    ) async throws -> Written<Incident> {
        let outbox = self.outbox
        let (written, queued) = try await pool.transaction { connection -> (Written<Incident>, Int) in
            let id = basis.id
            let version = try connection.query("SELECT version FROM incidents WHERE id = \(id) FOR UPDATE")
            guard try version.first?.decode(Int.self, "version") == basis.incident.version else { return (.moved, 0) }
            var record = audit
            record.incident = incident.reference
            if let refusal = try self.reserve(bytes, incidentID: id, incident.reference, connection) {
                try connection.query(record.refused(refusal).insert)
                return (.refused(refusal), 0)
            }
            var incident = incident
            incident.version = basis.incident.version + 1
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
            try insertEvents(events, incidentID: id, uid: basis.uid, actor: audit.caller, connection)
            try connection.query(record.insert)
            return (.written(incident), queued)
        }
        if queued > 0 { outbox?.wake() }
        return written
    }

    private func insertEvents(
        _ events: [IncidentEvent],
        incidentID id: Int64,
        uid: UUID,
        actor: Caller,
        _ connection: PostgresConnection
    ) throws {
        for event in events {
            // A note's text is sealed; the event's other details are not personal data.
            var data = event.data
            if let text = data["text"] {
                data["text"] = cipher.seal(text, context: FieldCipher.context(incident: uid, field: "note"))
            }
            try connection.query(
                """
                INSERT INTO events (incident_id, kind, actor_uid, actor_name, data)
                VALUES (\(id), \(event.kind.rawValue), \(Int64(actor.uid)), \(actor.userName),
                        \(try PostgresJSON(encoding: data)))
                """
            )
        }
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
    public func refused(_ refusal: ChangeRefusal) -> AuditRecord {
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
