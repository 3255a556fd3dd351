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
        phases: [Phase] = [],
        severities: [Severity] = [],
        since: Date? = nil,
        openOnly: Bool = false,
        assignee: String? = nil,
        playbook: String? = nil,
        jurisdiction: Jurisdiction? = nil,
        text: String? = nil,
        overdue: Bool = false,
        sort: Sort = .newest,
        limit: Int = IncidentFilter.defaultLimit,
        after: IncidentReference? = nil
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
        reference: IncidentReference,
        title: String,
        phase: Phase,
        severity: Severity,
        reported: Date,
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

/// One event as `watch` shows it: which incident, what happened, who did it.
public struct WatchEvent: Sendable, Equatable, Codable {
    /// The event as a caller with `view` sees it (nil: not at all); see ``ReporterTimeline``.
    public func seen(as view: IncidentView) -> WatchEvent? {
        guard view == .reporter else { return self }
        guard let visible = ReporterTimeline.visibleData(kind: kind, data: data) else { return nil }
        var event = self
        event.data = visible
        event.actor = nil
        return event
    }

    public var id: Int64
    public var at: Date
    public var reference: IncidentReference
    public var title: String
    public var kind: String
    public var actor: String?
    /// The event's details, without free text (notes stay in the case file).
    public var data: [String: String]
    /// The incident's severity when the event was read (nil from an older daemon).
    public var severity: Severity?

    public init(
        id: Int64,
        at: Date,
        reference: IncidentReference,
        title: String,
        kind: String,
        actor: String?,
        data: [String: String],
        severity: Severity? = nil
    ) {
        self.id = id
        self.at = at
        self.reference = reference
        self.title = title
        self.kind = kind
        self.actor = actor
        self.data = data
        self.severity = severity
    }
}

/// Where a watcher has read up to in the event log. Event ids are taken when a transaction
/// inserts and become visible when it commits, so a smaller id can appear after a larger one:
/// the ids skipped over are kept as gaps and asked for again for a while (a rolled-back
/// transaction leaves a gap that never fills). Pure; the watcher's loop drives it.
public struct EventCursor: Sendable, Equatable {
    public private(set) var position: Int64
    /// Skipped ids and when they were first missed.
    public private(set) var gaps: [Int64: Date] = [:]
    public static let gapLifetime: TimeInterval = 30
    public static let maximumGaps = 1000

    public init(position: Int64) {
        self.position = position
    }

    /// Takes the ids a read returned (the new ones above `position` and any gaps filled) and
    /// answers which are new to this watcher.
    public mutating func advance(over ids: [Int64], now: Date) -> Set<Int64> {
        var fresh = Set<Int64>()
        for id in ids.sorted() {
            if id > position {
                var missing = position + 1
                while missing < id, gaps.count < Self.maximumGaps {
                    gaps[missing] = now
                    missing += 1
                }
                position = id
                fresh.insert(id)
            } else if gaps.removeValue(forKey: id) != nil {
                fresh.insert(id)
            }
        }
        gaps = gaps.filter { now.timeIntervalSince($0.value) < Self.gapLifetime }
        return fresh
    }
}

/// How well the team did over a period (`incidentctl stats`): one row for all incidents, then
/// one per playbook and one per severity.
public struct IncidentStatistics: Sendable, Equatable, Codable {
    /// The median and 90th percentile of a duration in seconds, over `count` incidents that
    /// reached that point (nil when none did).
    public struct Timing: Sendable, Equatable, Codable {
        public var median: Double?
        public var p90: Double?
        public var count: Int

        public init(median: Double?, p90: Double?, count: Int) {
            self.median = median
            self.p90 = p90
            self.count = count
        }
    }

    public enum Group: String, Sendable, Equatable, Codable {
        case all, playbook, severity
    }

    public var group: Group
    /// The playbook or severity of this row; nil for `all`.
    public var key: String?
    public var incidents: Int
    /// Reported → acknowledged (the `acknowledged` instant, or the first assignment or phase change).
    public var acknowledge: Timing
    /// Aware → the `contained` instant.
    public var contain: Timing
    /// Aware → the first notification of the authority.
    public var notifyAuthority: Timing
    /// Aware → the first notification of the people affected.
    public var notifyIndividuals: Timing
    /// Tasks with a due time done by it, and those done late or still open past it.
    public var deadlinesMet: Int
    public var deadlinesMissed: Int

    public init(
        group: Group,
        key: String?,
        incidents: Int,
        acknowledge: Timing,
        contain: Timing,
        notifyAuthority: Timing,
        notifyIndividuals: Timing,
        deadlinesMet: Int,
        deadlinesMissed: Int
    ) {
        self.group = group
        self.key = key
        self.incidents = incidents
        self.acknowledge = acknowledge
        self.contain = contain
        self.notifyAuthority = notifyAuthority
        self.notifyIndividuals = notifyIndividuals
        self.deadlinesMet = deadlinesMet
        self.deadlinesMissed = deadlinesMissed
    }

    /// The share of deadlines met, 0 to 1; nil when no deadline has passed.
    public var deadlineShare: Double? {
        deadlinesMet + deadlinesMissed == 0 ? nil : Double(deadlinesMet) / Double(deadlinesMet + deadlinesMissed)
    }
}

/// A closed incident past its retention period.
public struct PurgeCandidate: Sendable, Equatable, Codable {
    public var reference: IncidentReference
    public var closed: Date
    public var playbook: String?
    public var retentionDays: Int

    public init(reference: IncidentReference, closed: Date, playbook: String?, retentionDays: Int) {
        self.reference = reference
        self.closed = closed
        self.playbook = playbook
        self.retentionDays = retentionDays
    }
}
