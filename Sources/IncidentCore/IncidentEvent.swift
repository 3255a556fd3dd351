/// Something that happened to an incident, as its timeline keeps it and hooks hear of it:
/// one kind of a closed set, and a few text values. The workflow, the API's own changes and
/// the scheduler all record these; none spells a kind as a string.
public struct IncidentEvent: Sendable, Equatable {
    /// Every kind of event incidentd records. The raw values are what the timeline, `watch`
    /// and hook payloads carry, and what a hook's `events:` names.
    public enum Kind: String, CaseIterable, Sendable, Codable {
        case incidentReported = "incident.reported"
        case reportFolded = "report.folded"
        case incidentUpdated = "incident.updated"
        case incidentAssigned = "incident.assigned"
        case incidentRestricted = "incident.restricted"
        case incidentUnrestricted = "incident.unrestricted"
        case phaseEntered = "phase.entered"
        case phaseForced = "phase.forced"
        case taskOpened = "task.opened"
        case taskCompleted = "task.completed"
        case taskSkipped = "task.skipped"
        case taskNotApplicable = "task.not_applicable"
        case taskDueSoon = "task.due_soon"
        case taskOverdue = "task.overdue"
        case gateApproved = "gate.approved"
        case decisionRecorded = "decision.recorded"
        case notificationRecorded = "notification.recorded"
        case clockPaused = "clock.paused"
        case clockResumed = "clock.resumed"
        case clockPauseEnded = "clock.pause_ended"
        case taskPossiblyOwed = "task.possibly_owed"
        case incidentClosed = "incident.closed"
        case incidentReopened = "incident.reopened"
        case noteAdded = "note.added"
        case legalHoldPlaced = "legal_hold.placed"
        case legalHoldLifted = "legal_hold.lifted"

        /// Whether hooks hear it: not of a legal hold, an administrator's act kept on the timeline.
        public var reachesHooks: Bool { self != .legalHoldPlaced && self != .legalHoldLifted }
    }

    public var kind: Kind
    public var data: [String: String]

    public init(_ kind: Kind, _ data: [String: String] = [:]) {
        self.kind = kind
        self.data = data
    }
}
