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
        /// SHA-256 of what was sent; computed from `text` when that is given.
        public var contentDigest: String?
        /// For a task with a notice: the exact text sent, kept sealed with the ledger entry.
        public var text: String?
        /// The language of `text`, one the notice has; English when not given.
        public var language: String?
        /// Elements of the notice left to a later one, each with the reason.
        public var deferred: [String: String]?
        /// The notice as sent, once checked against its elements (``NoticePlan/sending(_:task:in:)``);
        /// never on the wire.
        public var notice: SentNotice?

        enum CodingKeys: String, CodingKey {
            case recipient, channel, reference, contentDigest, text, language, deferred
        }

        public init(
            recipient: String,
            channel: String,
            reference: String? = nil,
            contentDigest: String? = nil,
            text: String? = nil,
            language: String? = nil,
            deferred: [String: String]? = nil
        ) {
            self.recipient = recipient
            self.channel = channel
            self.reference = reference
            self.contentDigest = contentDigest
            self.text = text
            self.language = language
            self.deferred = deferred
        }
    }
}
