import IncidentCore
import IncidentProtocol
import IncidentStore

/// How each refusal of the store and the workflow is said on the wire: written once, here.
extension WireError {
    init(_ refusal: ChangeRefusal) {
        switch refusal {
        case .notFound(let reference), .hidden(let reference): self = .noSuchIncident(reference: reference.rawValue)
        case .denied(let reason): self = .permissionDenied(reason: reason)
        case .conflict(let reference, let current): self = .conflict(reference: reference.rawValue, version: current)
        case .tooMuchData(let reference, let limit): self = .tooMuchData(reference: reference.rawValue, limit: limit)
        }
    }

    init(_ refusal: WorkflowRefusal) {
        switch refusal {
        case .missingCaptures(let task, let fields):
            self = .invalidValue(
                parameter: "captures",
                reason: "for \(task) must include \(fields.joined(separator: ", "))"
            )
        case .invalidCapture(let field, let reason):
            self = .invalidValue(parameter: "captures.\(field)", reason: reason)
        case .unknownTask(let id, let suggestions, let open):
            self = .invalidValue(
                parameter: "task",
                reason: "\(id) is not a task of this incident's playbook"
                    + WorkflowRefusal.didYouMean(suggestions, open: open)
            )
        case .reasonRequired, .lateReasonRequired:
            self = .invalidValue(parameter: "reason", reason: "is required: \(refusal)")
        case .notificationDetailsRequired:
            self = .invalidValue(parameter: "notification", reason: "is required: \(refusal)")
        case .blocked(_, let tasks, let gate):
            self = .moveNotAllowed(reason: refusal.description, missingTasks: tasks, gate: gate?.rawValue)
        case .unknownRegime:
            self = .invalidValue(parameter: "regimes", reason: "name no such regime: \(refusal)")
        case .pauseNeedsEnd:
            self = .invalidValue(parameter: "until", reason: "is required: \(refusal)")
        case .pauseBeyondCap:
            self = .invalidValue(parameter: "until", reason: "is too late: \(refusal)")
        case .pauseEndNotAfterStart:
            self = .invalidValue(parameter: "until", reason: "must be in the future: \(refusal)")
        case .noticeTextRequired:
            self = .invalidValue(parameter: "notification.text", reason: "is required: \(refusal)")
        case .noticeTextUnfinished:
            self = .invalidValue(parameter: "notification.text", reason: "is unfinished: \(refusal)")
        case .noticeIncomplete(let task, let missing):
            self = .noticeIncomplete(task: task, missing: missing)
        case .deferralReasonRequired:
            self = .invalidValue(parameter: "notification.deferred", reason: "needs a reason: \(refusal)")
        case .invalidDeferral(let element, let reason):
            self = .invalidValue(parameter: "notification.deferred.\(element)", reason: reason)
        case .noticeDigestMismatch:
            self = .invalidValue(parameter: "notification.contentDigest", reason: "is not the SHA-256 of the text sent")
        case .unknownNoticeLanguage:
            self = .invalidValue(parameter: "notification.language", reason: "must be one the notice has: \(refusal)")
        case .taskNotInCurrentPhase, .taskNotOpen, .noGate, .closed, .notClosed, .alreadyPaused, .notPaused,
            .closeToLeaveNotify, .closeOnlyFromNotify, .pauseNotAllowed:
            self = .moveNotAllowed(reason: refusal.description)
        }
    }
}
