import Foundation

/// A breach incident as the case file records it.
public struct Incident: Sendable, Equatable, Codable {
    public var reference: IncidentReference
    public var title: String
    public var description: String
    public var phase: Phase
    public var severity: Severity
    public var category: IncidentCategory?
    public var dataCategories: [DataCategory]
    public var peopleAffected: Int64?
    public var recordsAffected: Int64?
    public var jurisdictions: [Jurisdiction]
    public var reporter: Person
    public var assignee: String?
    public var restricted: Bool
    /// When the incident was filed.
    public var reported: Date
    /// When the organisation became aware (GDPR Art. 33 and NIS2 count from here).
    public var aware: Date
    /// When it was, or with reasonable diligence would have been, discovered (HIPAA).
    public var discovered: Date?
    /// When the incident entered its current phase.
    public var phaseEntered: Date
    public var closed: Date?
    /// Increases with every change; a change based on an older version is refused.
    public var version: Int
    /// The playbook the incident started with (name and version), kept across reloads.
    public var playbook: String?
    public var playbookVersion: String?
    /// The automated reporter's dedup key, and how many reports it has folded in (1: just the first).
    public var dedupKey: String?
    public var reportCount: Int
    /// When the latest of those reports arrived.
    public var lastReported: Date?
    /// Under legal hold: kept whole, never purged (true, or absent).
    public var legalHold: Bool?
    /// When retention removed its personal data.
    public var purged: Date?

    /// Someone known to the system by uid and name.
    public struct Person: Sendable, Equatable, Codable {
        public var uid: UInt32
        public var name: String
        public init(uid: UInt32, name: String) {
            self.uid = uid
            self.name = name
        }
    }

    public init(
        reference: IncidentReference,
        title: String,
        description: String,
        phase: Phase,
        severity: Severity,
        category: IncidentCategory?,
        dataCategories: [DataCategory],
        peopleAffected: Int64?,
        recordsAffected: Int64?,
        jurisdictions: [Jurisdiction],
        reporter: Person,
        assignee: String?,
        restricted: Bool,
        reported: Date,
        aware: Date,
        discovered: Date?,
        phaseEntered: Date,
        closed: Date?,
        version: Int,
        playbook: String? = nil,
        playbookVersion: String? = nil,
        dedupKey: String? = nil,
        reportCount: Int = 1,
        lastReported: Date? = nil,
        legalHold: Bool? = nil,
        purged: Date? = nil
    ) {
        self.reference = reference
        self.title = title
        self.description = description
        self.phase = phase
        self.severity = severity
        self.category = category
        self.dataCategories = dataCategories
        self.peopleAffected = peopleAffected
        self.recordsAffected = recordsAffected
        self.jurisdictions = jurisdictions
        self.reporter = reporter
        self.assignee = assignee
        self.restricted = restricted
        self.reported = reported
        self.aware = aware
        self.discovered = discovered
        self.phaseEntered = phaseEntered
        self.closed = closed
        self.version = version
        self.playbook = playbook
        self.playbookVersion = playbookVersion
        self.dedupKey = dedupKey
        self.reportCount = reportCount
        self.lastReported = lastReported
        self.legalHold = legalHold
        self.purged = purged
    }
}
