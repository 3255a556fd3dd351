import Foundation
import IncidentCore

/// The free text people type about a case besides the description, notes and sensitive
/// captures: reasons, whom a notification went to, the resolution, lessons learned. It may name the people affected, so it
/// is sealed at rest like them, each value under its incident and field (and, where a case
/// has several, the task or decision it belongs to), and opened only when the case is read.
enum SealedText: CaseIterable {
    case taskReason, decisionReason, lateReason, recipient, resolution, lessonsLearned, legalHoldReason, pauseReason
    /// A sent notice's exact text, and the reasons given for the elements it left to later (JSON).
    case noticeText, noticeDeferrals
    /// An evidence file's name and description (each under its file's id).
    case evidenceName, evidenceDescription

    /// What purging leaves in place of a value; never sealed, nothing to protect.
    static let purged = "[purged]"

    var table: String {
        switch self {
        case .taskReason: "tasks"
        case .decisionReason: "decisions"
        case .lateReason, .recipient, .noticeText, .noticeDeferrals: "notifications"
        case .resolution, .lessonsLearned, .legalHoldReason: "incidents"
        case .pauseReason: "clock_pauses"
        case .evidenceName, .evidenceDescription: "evidence"
        }
    }

    var column: String {
        switch self {
        case .taskReason, .decisionReason, .pauseReason: "reason"
        case .lateReason: "late_reason"
        case .recipient: "recipient"
        case .noticeText: "notice_text"
        case .noticeDeferrals: "notice_deferred"
        case .resolution: "resolution"
        case .lessonsLearned: "lessons_learned"
        case .legalHoldReason: "legal_hold_reason"
        case .evidenceName: "name"
        case .evidenceDescription: "description"
        }
    }

    /// The column of `table` that tells one value of the incident from another, if any.
    var qualifierColumn: String? {
        switch self {
        case .taskReason: "key"
        case .decisionReason: "name"
        case .lateReason, .recipient, .noticeText, .noticeDeferrals: "task"
        case .pauseReason: "number::text"
        case .evidenceName, .evidenceDescription: "uid::text"
        case .resolution, .lessonsLearned, .legalHoldReason: nil
        }
    }

    private var field: String {
        switch self {
        case .taskReason: "task-reason"
        case .decisionReason: "decision-reason"
        case .lateReason: "late-reason"
        case .recipient: "recipient"
        case .resolution: "resolution"
        case .lessonsLearned: "lessons-learned"
        case .legalHoldReason: "legal-hold-reason"
        case .pauseReason: "pause-reason"
        case .noticeText: "notice-text"
        case .noticeDeferrals: "notice-deferred"
        case .evidenceName: "evidence-name"
        case .evidenceDescription: "evidence-description"
        }
    }

    func context(incident: UUID, qualifier: String? = nil) -> String {
        FieldCipher.context(incident: incident, field: qualifier.map { "\(field):\($0)" } ?? field)
    }

    func seal(_ text: String?, incident: UUID, qualifier: String? = nil, cipher: CipherBox) -> String? {
        guard let text, text != Self.purged else { return text }
        return cipher.seal(text, context: context(incident: incident, qualifier: qualifier))
    }

    func open(_ stored: String?, incident: UUID, qualifier: String? = nil, cipher: CipherBox) throws -> String? {
        guard let stored else { return nil }
        return try cipher.open(stored, context: context(incident: incident, qualifier: qualifier))
    }
}
