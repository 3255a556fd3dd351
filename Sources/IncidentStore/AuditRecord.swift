import IncidentCore
import Postgres

/// One line of the audit log: who did what to which incident, and how it ended.
/// `detail` must never carry personal data: it names fields and reasons, not values.
public struct AuditRecord: Sendable, Equatable {
    public enum Outcome: String, Sendable, Codable, CaseIterable {
        case ok
        case created
        case duplicate
        /// A report folded into the open incident with its dedup key.
        case folded
        case notFound = "not-found"
        /// The caller may not do it.
        case denied
        /// The parameters were not valid.
        case invalid
        /// Allowed and valid, but refused now: by the workflow (a task missing, a reason
        /// required), a stale version, a rate or size limit.
        case refused
        /// The daemon failed (the database, a fault), or an audit verification found the chain broken.
        case failed
    }

    public var caller: Caller
    public var action: String
    public var incident: IncidentReference?
    public var outcome: Outcome
    public var detail: String

    public init(
        caller: Caller,
        action: String,
        incident: IncidentReference? = nil,
        outcome: Outcome = .ok,
        detail: String = ""
    ) {
        self.caller = caller
        self.action = action
        self.incident = incident
        self.outcome = outcome
        self.detail = detail
    }
}

extension AuditRecord {
    /// The INSERT for this record, to run inside the transaction of the change it records.
    var insert: PostgresQuery {
        """
        INSERT INTO audit_log (uid, user_name, pid, action, incident_ref, outcome, detail)
        VALUES (\(Int64(caller.uid)), \(caller.userName), \(caller.pid), \(action),
                \(incident?.rawValue), \(outcome.rawValue), \(detail))
        """
    }
}
