import Foundation

/// What someone asks the workflow to do.
public enum WorkflowCommand: Sendable, Equatable {
    /// A new incident enters the report phase.
    case start
    /// Triage facts changed (severity, counts, jurisdictions…); `estimates` names the counts
    /// given as estimates.
    case update([String: FactValue], estimates: Set<String> = [])
    case completeTask(
        id: String,
        captures: [String: FactValue],
        reason: String?,
        notification: NotificationDetails?,
        estimates: Set<String> = []
    )
    case skipTask(id: String, reason: String)
    case approveGate
    /// Move to the next phase; `force` (a manager's stated reason) overrides missing items.
    case advance(force: String?)
    case pauseClocks(PauseRequest)
    /// Lifts the running pauses of `regimes` (empty: every running pause).
    case resumeClocks(regimes: [String], reason: String)
    case close(resolution: String, lessonsLearned: String, force: String?)
    case reopen(reason: String)

    /// What a person gives when completing a notification task (also its wire form).
    public struct NotificationDetails: Sendable, Equatable, Codable {
        public var recipient: String
        public var channel: String
        public var reference: String?
        public var contentDigest: String?

        public init(recipient: String, channel: String, reference: String? = nil, contentDigest: String? = nil) {
            self.recipient = recipient
            self.channel = channel
            self.reference = reference
            self.contentDigest = contentDigest
        }
    }
}
