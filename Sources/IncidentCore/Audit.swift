import Foundation

/// One record of the audit trail, as auditors read it.
public struct AuditEntry: Sendable, Equatable, Codable {
    public var seq: Int64
    public var at: Date
    public var uid: UInt32
    public var userName: String
    public var pid: Int32
    public var action: String
    public var incident: IncidentReference?
    public var outcome: String
    public var detail: String
    /// Where the record stands in the hash chain; nil until it is sealed (within seconds).
    public var chainPosition: Int64?

    public init(
        seq: Int64,
        at: Date,
        uid: UInt32,
        userName: String,
        pid: Int32,
        action: String,
        incident: IncidentReference?,
        outcome: String,
        detail: String,
        chainPosition: Int64?
    ) {
        self.seq = seq
        self.at = at
        self.uid = uid
        self.userName = userName
        self.pid = pid
        self.action = action
        self.incident = incident
        self.outcome = outcome
        self.detail = detail
        self.chainPosition = chainPosition
    }
}

/// Which audit records a query returns: oldest first, a page at a time.
public struct AuditFilter: Sendable, Equatable {
    public var incident: IncidentReference?
    public var userName: String?
    public var action: String?
    public var outcome: String?
    public var since: Date?
    public var until: Date?
    public var limit: Int
    /// Continue after this sequence number.
    public var after: Int64?

    public init(
        incident: IncidentReference? = nil,
        userName: String? = nil,
        action: String? = nil,
        outcome: String? = nil,
        since: Date? = nil,
        until: Date? = nil,
        limit: Int = 100,
        after: Int64? = nil
    ) {
        self.incident = incident
        self.userName = userName
        self.action = action
        self.outcome = outcome
        self.since = since
        self.until = until
        self.limit = limit
        self.after = after
    }

    /// Refuses a limit out of range, a reversed period, and an action or outcome that no audit
    /// record can carry (naming the valid values), so that a typo is not answered with an empty,
    /// reassuring page.
    public func validated(actions: Set<String>, outcomes: [String]) throws(ValidationError) -> AuditFilter {
        guard (1...10_000).contains(limit) else {
            throw ValidationError(field: "limit", reason: "must be between 1 and 10000")
        }
        if let outcome, !outcomes.contains(outcome) {
            throw ValidationError(
                field: "outcome",
                reason: "is not an outcome audit records carry; use one of \(outcomes.joined(separator: ", "))"
            )
        }
        if let action, !actions.contains(action) {
            let close = Suggestions.closest(to: action, in: actions)
            let hint =
                close.isEmpty
                ? "actions are method names such as Get, Report, Assign or AuditQuery"
                : "did you mean \(close.joined(separator: ", "))?"
            throw ValidationError(field: "action", reason: "is not an action audit records carry; \(hint)")
        }
        if let since, let until, until < since {
            throw ValidationError(field: "until", reason: "must not be before since")
        }
        return self
    }
}

/// The result of walking the hash chain.
public struct AuditVerification: Sendable, Equatable, Codable {
    /// How many sealed records matched their seals, in chain order.
    public var verified: Int64
    /// Records committed but not yet sealed (they will be within seconds).
    public var pending: Int64
    /// The first break, if any.
    public var broken: Break?
    /// Signed checkpoints the recomputed chain matched, and the position of the last.
    public var checkpoints: Int?
    public var lastCheckpoint: Int64?

    public struct Break: Sendable, Equatable, Codable {
        public var chainPosition: Int64?
        public var seq: Int64?
        public var reason: String

        public init(chainPosition: Int64?, seq: Int64?, reason: String) {
            self.chainPosition = chainPosition
            self.seq = seq
            self.reason = reason
        }
    }

    public init(verified: Int64, pending: Int64, broken: Break?) {
        self.verified = verified
        self.pending = pending
        self.broken = broken
    }
}
