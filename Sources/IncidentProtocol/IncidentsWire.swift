import Foundation
import IncidentCore

/// Parameters and replies of `io.incidentd.Incidents`, exactly as its interface describes them.
public enum IncidentsWire {
    public struct ReportParameters: Codable, Sendable, Equatable {
        public var title: String
        public var description: String
        public var aware: Date?
        public var discovered: Date?
        public var category: IncidentCategory?
        public var severity: Severity?
        public var dataCategories: [DataCategory]?
        public var peopleAffected: Int64?
        public var recordsAffected: Int64?
        public var jurisdictions: [Jurisdiction]?
        public var idempotencyKey: String?
        public var dedupKey: String?

        public init(draft: ReportDraft) {
            title = draft.title
            description = draft.description
            aware = draft.aware
            discovered = draft.discovered
            category = draft.category
            severity = draft.severity
            dataCategories = draft.dataCategories.isEmpty ? nil : draft.dataCategories
            peopleAffected = draft.peopleAffected
            recordsAffected = draft.recordsAffected
            jurisdictions = draft.jurisdictions.isEmpty ? nil : draft.jurisdictions
            idempotencyKey = draft.idempotencyKey
            dedupKey = draft.dedupKey
        }

        public var draft: ReportDraft {
            ReportDraft(
                title: title,
                description: description,
                aware: aware,
                discovered: discovered,
                category: category,
                severity: severity ?? .untriaged,
                dataCategories: dataCategories ?? [],
                peopleAffected: peopleAffected,
                recordsAffected: recordsAffected,
                jurisdictions: jurisdictions ?? [],
                idempotencyKey: idempotencyKey,
                dedupKey: dedupKey
            )
        }
    }

    public struct ReportReply: Codable, Sendable, Equatable {
        public var incident: Incident
        /// False when the idempotency key had already filed this incident, or it was folded.
        public var created: Bool
        /// True when the report was folded into the open incident with its dedup key.
        public var folded: Bool?

        public init(incident: Incident, created: Bool, folded: Bool? = nil) {
            self.incident = incident
            self.created = created
            self.folded = folded
        }
    }

    public struct GetParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        public init(reference: IncidentReference) { self.reference = reference }
    }

    public struct GetReply: Codable, Sendable, Equatable {
        public var incident: Incident
        public init(incident: Incident) { self.incident = incident }
    }

    public struct ListParameters: Codable, Sendable, Equatable {
        public var phases: [Phase]?
        public var severities: [Severity]?
        public var since: Date?
        public var openOnly: Bool?
        public var assignee: String?
        public var playbook: String?
        public var jurisdiction: Jurisdiction?
        public var text: String?
        public var overdue: Bool?
        public var sort: IncidentFilter.Sort?
        public var limit: Int?
        public var after: IncidentReference?

        public init(
            phases: [Phase]? = nil,
            severities: [Severity]? = nil,
            since: Date? = nil,
            openOnly: Bool? = nil,
            assignee: String? = nil,
            playbook: String? = nil,
            jurisdiction: Jurisdiction? = nil,
            text: String? = nil,
            overdue: Bool? = nil,
            sort: IncidentFilter.Sort? = nil,
            limit: Int? = nil,
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

        public var filter: IncidentFilter {
            IncidentFilter(
                phases: phases ?? [],
                severities: severities ?? [],
                since: since,
                openOnly: openOnly ?? false,
                assignee: assignee,
                playbook: playbook,
                jurisdiction: jurisdiction,
                text: text,
                overdue: overdue ?? false,
                sort: sort ?? .newest,
                limit: limit ?? IncidentFilter.defaultLimit,
                after: after
            )
        }
    }

    public struct WatchParameters: Codable, Sendable, Equatable {
        public var phases: [Phase]?
        public var severities: [Severity]?
        public var openOnly: Bool?
        public var assignee: String?
        public var playbook: String?
        public var jurisdiction: Jurisdiction?
        public var text: String?
        /// Resume after this event id (a previous reply's `position`); absent: only new events.
        public var after: Int64?

        public init(filter: ListParameters, after: Int64? = nil) {
            phases = filter.phases
            severities = filter.severities
            openOnly = filter.openOnly
            assignee = filter.assignee
            playbook = filter.playbook
            jurisdiction = filter.jurisdiction
            text = filter.text
            self.after = after
        }

        public var filter: IncidentFilter {
            IncidentFilter(
                phases: phases ?? [],
                severities: severities ?? [],
                openOnly: openOnly ?? false,
                assignee: assignee,
                playbook: playbook,
                jurisdiction: jurisdiction,
                text: text
            )
        }
    }

    public struct WatchReply: Codable, Sendable, Equatable {
        /// New events, oldest first; empty in the first reply and in keep-alives.
        public var events: [WatchEvent]
        /// The newest event id read: pass it as `after` to resume.
        public var position: Int64

        public init(events: [WatchEvent], position: Int64) {
            self.events = events
            self.position = position
        }
    }

    public struct StatsParameters: Codable, Sendable, Equatable {
        public var since: Date
        /// Absent: now.
        public var until: Date?

        public init(since: Date, until: Date? = nil) {
            self.since = since
            self.until = until
        }
    }

    public struct StatsReply: Codable, Sendable, Equatable {
        public var since: Date
        public var until: Date
        /// All incidents first, then one row per playbook, then one per severity.
        public var rows: [IncidentStatistics]

        public init(since: Date, until: Date, rows: [IncidentStatistics]) {
            self.since = since
            self.until = until
            self.rows = rows
        }
    }

    public enum ExportFormat: String, Codable, Sendable, CaseIterable {
        case markdown, json
    }

    public struct ExportParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        public var format: ExportFormat
        public var redact: Bool?

        public init(reference: IncidentReference, format: ExportFormat, redact: Bool? = nil) {
            self.reference = reference
            self.format = format
            self.redact = redact
        }
    }

    public struct ExportReply: Codable, Sendable, Equatable {
        public var format: ExportFormat
        public var redacted: Bool
        public var document: String

        public init(format: ExportFormat, redacted: Bool, document: String) {
            self.format = format
            self.redacted = redacted
            self.document = document
        }
    }

    /// What the caller makes of the register: a document in one of its formats, or the board
    /// report. Recorded in the audit trail.
    public enum RegisterFormat: String, Codable, Sendable, CaseIterable {
        case csv, json, markdown, board
    }

    public struct RegisterParameters: Codable, Sendable, Equatable {
        /// Incidents reported at or after this instant; absent: from the first.
        public var since: Date?
        /// And before this one; absent: now.
        public var until: Date?
        /// The page after this incident (a reply's `next`).
        public var after: IncidentReference?
        /// Incidents per page: 1 to 500, 100 when absent.
        public var limit: Int?
        /// What the caller makes of it, for the audit record.
        public var format: RegisterFormat
        public var redact: Bool?

        public init(
            since: Date? = nil,
            until: Date? = nil,
            after: IncidentReference? = nil,
            limit: Int? = nil,
            format: RegisterFormat,
            redact: Bool? = nil
        ) {
            self.since = since
            self.until = until
            self.after = after
            self.limit = limit
            self.format = format
            self.redact = redact
        }
    }

    public struct RegisterReply: Codable, Sendable, Equatable {
        /// The period, as the daemon took it: `until` is now when none was given.
        public var since: Date?
        public var until: Date
        public var redacted: Bool
        public var entries: [RegisterEntry]
        /// Where the next page starts; absent on the last.
        public var next: IncidentReference?

        public init(since: Date?, until: Date, redacted: Bool, entries: [RegisterEntry], next: IncidentReference?) {
            self.since = since
            self.until = until
            self.redacted = redacted
            self.entries = entries
            self.next = next
        }
    }

    public struct HoldParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        /// Why (a litigation or a regulator's inquiry); required to place a hold.
        public var reason: String?
        public init(reference: IncidentReference, reason: String? = nil) {
            self.reference = reference
            self.reason = reason
        }
    }

    public struct PurgeParameters: Codable, Sendable, Equatable {
        public var dryRun: Bool?
        public init(dryRun: Bool? = nil) { self.dryRun = dryRun }
    }

    public struct PurgeReply: Codable, Sendable, Equatable {
        public var incidents: [PurgeCandidate]
        public var dryRun: Bool
        public init(incidents: [PurgeCandidate], dryRun: Bool) {
            self.incidents = incidents
            self.dryRun = dryRun
        }
    }

    public struct ListReply: Codable, Sendable, Equatable {
        public var incidents: [IncidentSummary]
        /// Pass as `after` to get the next page; absent on the last page.
        public var next: IncidentReference?

        public init(incidents: [IncidentSummary], next: IncidentReference?) {
            self.incidents = incidents
            self.next = next
        }
    }

    public struct StatusParameters: Codable, Sendable, Equatable {
        public init() {}
    }

    /// An open task on the status screen.
    public struct DueTask: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        public var incidentTitle: String
        public var task: String
        public var title: String
        public var role: Role
        public var due: Date?
        /// For notification tasks: who is owed the notification.
        public var notification: NotificationRecipient?
        /// Set when the task is only possibly owed: the facts whose value settles whether it is.
        public var settledBy: [String]?
        /// True while its regime's clocks are paused; `pausedUntil` is when the pause ends, if it has an end.
        public var paused: Bool?
        public var pausedUntil: Date?

        public init(
            reference: IncidentReference,
            incidentTitle: String,
            task: String,
            title: String,
            role: Role,
            due: Date?,
            notification: NotificationRecipient?,
            settledBy: [String]? = nil,
            pausedUntil: Date? = nil
        ) {
            self.settledBy = settledBy
            if let pausedUntil {
                paused = true
                self.pausedUntil = pausedUntil == .distantFuture ? nil : pausedUntil
            }
            self.reference = reference
            self.incidentTitle = incidentTitle
            self.task = task
            self.title = title
            self.role = role
            self.due = due
            self.notification = notification
        }
    }

    public struct StatusReply: Codable, Sendable, Equatable {
        public var open: Int
        public var byPhase: [String: Int]
        public var bySeverity: [String: Int]
        public var oldestOpen: IncidentSummary?
        /// Open tasks past their deadline, earliest first.
        public var overdue: [DueTask]?
        /// Open tasks falling due in the next 24 hours.
        public var dueSoon: [DueTask]?
        /// Notification tasks still open: notifications owed, with their deadlines.
        public var owedNotifications: [DueTask]?
        /// Open tasks of incidents assigned to the caller.
        public var myTasks: [DueTask]?

        public init(summary: StatusSummary) {
            open = summary.openTotal
            byPhase = Dictionary(uniqueKeysWithValues: summary.openByPhase.map { ($0.key.rawValue, $0.value) })
            bySeverity = Dictionary(
                uniqueKeysWithValues: summary.openBySeverity.map { ($0.key.rawValue, $0.value) }
            )
            oldestOpen = summary.oldestOpen
        }
    }
}

extension IncidentsWire {
    public struct AssignParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        /// The user name to assign; absent to unassign.
        public var assignee: String?
        /// The version the caller last saw; a stale one is refused with `Conflict`.
        public var version: Int?
        /// Assign even a user who is not an investigator or a manager.
        public var force: Bool?

        public init(reference: IncidentReference, assignee: String?, version: Int? = nil, force: Bool? = nil) {
            self.reference = reference
            self.assignee = assignee
            self.version = version
            self.force = force
        }
    }

    public struct RestrictParameters: Codable, Sendable, Equatable {
        public var reference: IncidentReference
        public var restricted: Bool
        public var version: Int?

        public init(reference: IncidentReference, restricted: Bool, version: Int? = nil) {
            self.reference = reference
            self.restricted = restricted
            self.version = version
        }
    }
}

/// Parameters and replies of `io.incidentd.Audit`.
public enum AuditWire {
    public struct VerifyParameters: Codable, Sendable, Equatable {
        /// A checkpoint the auditor exported earlier (`audit checkpoint --export`).
        public var checkpoint: AuditCheckpoint?
        public init(checkpoint: AuditCheckpoint? = nil) { self.checkpoint = checkpoint }
    }

    public struct CheckpointParameters: Codable, Sendable, Equatable {
        public init() {}
    }

    public struct CheckpointReply: Codable, Sendable, Equatable {
        public var checkpoint: AuditCheckpoint
        /// The signing key's public half, base64, to check the signature with.
        public var publicKey: String
        public init(checkpoint: AuditCheckpoint, publicKey: String) {
            self.checkpoint = checkpoint
            self.publicKey = publicKey
        }
    }

    public struct QueryParameters: Codable, Sendable, Equatable {
        public var incident: IncidentReference?
        public var user: String?
        public var action: String?
        public var outcome: String?
        public var since: Date?
        public var until: Date?
        public var limit: Int?
        public var after: Int64?

        public init(
            incident: IncidentReference? = nil,
            user: String? = nil,
            action: String? = nil,
            outcome: String? = nil,
            since: Date? = nil,
            until: Date? = nil,
            limit: Int? = nil,
            after: Int64? = nil
        ) {
            self.incident = incident
            self.user = user
            self.action = action
            self.outcome = outcome
            self.since = since
            self.until = until
            self.limit = limit
            self.after = after
        }

        public var filter: AuditFilter {
            AuditFilter(
                incident: incident,
                userName: user,
                action: action,
                outcome: outcome,
                since: since,
                until: until,
                limit: limit ?? 100,
                after: after
            )
        }
    }

    public struct QueryReply: Codable, Sendable, Equatable {
        public var records: [AuditEntry]
        public var next: Int64?

        public init(records: [AuditEntry], next: Int64?) {
            self.records = records
            self.next = next
        }
    }

    public typealias VerifyReply = AuditVerification
}
