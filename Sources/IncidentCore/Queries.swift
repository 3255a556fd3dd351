import Foundation

/// Which incidents `List` (and `Watch`) return: newest first unless sorted otherwise, a page at a time.
public struct IncidentFilter: Sendable, Equatable {
    /// The order of a list.
    public enum Sort: String, Sendable, Equatable, Codable, CaseIterable {
        /// Most recently reported first (the default).
        case newest
        case oldest
        /// Most severe first, then newest.
        case severity
    }

    public var phases: [Phase]
    public var severities: [Severity]
    /// Only incidents reported at or after this instant.
    public var since: Date?
    /// Only open incidents (any phase but closed), when no phase is given.
    public var openOnly: Bool
    public var assignee: String?
    public var playbook: String?
    public var jurisdiction: Jurisdiction?
    /// Only incidents whose title contains this text (any case).
    public var text: String?
    /// Only incidents with an open task past its due time.
    public var overdue: Bool
    public var sort: Sort
    public var limit: Int
    /// Continue after this reference (the last one of the previous page).
    public var after: IncidentReference?

    public static let defaultLimit = 50
    public static let maximumLimit = 1000

    public init(
        phases: [Phase] = [], severities: [Severity] = [], since: Date? = nil, openOnly: Bool = false,
        assignee: String? = nil, playbook: String? = nil, jurisdiction: Jurisdiction? = nil, text: String? = nil,
        overdue: Bool = false, sort: Sort = .newest, limit: Int = IncidentFilter.defaultLimit, after: IncidentReference? = nil
    ) {
        self.phases = phases
        self.severities = severities
        self.since = since
        self.openOnly = openOnly
        self.assignee = assignee
        self.playbook = playbook
        self.jurisdiction = jurisdiction
        self.text = text
        self.overdue = overdue
        self.sort = sort
        self.limit = limit
        self.after = after
    }

    public func validated() throws(ValidationError) -> IncidentFilter {
        guard (1...Self.maximumLimit).contains(limit) else {
            throw ValidationError(field: "limit", reason: "must be between 1 and \(Self.maximumLimit)")
        }
        if let text, text.isEmpty || text.count > 200 {
            throw ValidationError(field: "text", reason: "must be 1 to 200 characters")
        }
        if let assignee, assignee.isEmpty { throw ValidationError(field: "assignee", reason: "must not be empty") }
        if let playbook, playbook.isEmpty { throw ValidationError(field: "playbook", reason: "must not be empty") }
        return self
    }
}

/// A short line per incident, for lists.
public struct IncidentSummary: Sendable, Equatable, Codable {
    public var reference: IncidentReference
    public var title: String
    public var phase: Phase
    public var severity: Severity
    public var reported: Date
    public var assignee: String?

    public init(
        reference: IncidentReference, title: String, phase: Phase, severity: Severity, reported: Date,
        assignee: String?
    ) {
        self.reference = reference
        self.title = title
        self.phase = phase
        self.severity = severity
        self.reported = reported
        self.assignee = assignee
    }
}

/// Open incidents counted by phase and by severity.
public struct StatusSummary: Sendable, Equatable {
    public var openByPhase: [Phase: Int]
    public var openBySeverity: [Severity: Int]
    public var oldestOpen: IncidentSummary?

    public init(openByPhase: [Phase: Int], openBySeverity: [Severity: Int], oldestOpen: IncidentSummary?) {
        self.openByPhase = openByPhase
        self.openBySeverity = openBySeverity
        self.oldestOpen = oldestOpen
    }

    public var openTotal: Int { openByPhase.values.reduce(0, +) }
}
