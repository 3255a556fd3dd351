import Foundation

/// Why the workflow refused a command; each says what is missing.
public enum WorkflowRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// No task of that id; `suggestions` are the playbook's ids closest to it, `open` the
    /// incident's open tasks, so the person can pick the one they meant.
    case unknownTask(String, suggestions: [String] = [], open: [String] = [])
    case taskNotInCurrentPhase(String, Phase)
    case taskNotOpen(String, TaskState.Status)
    case missingCaptures(task: String, fields: [String])
    case invalidCapture(field: String, reason: String)
    case reasonRequired(String)
    case lateReasonRequired(task: String, due: Date)
    case notificationDetailsRequired(task: String)
    /// Leaving the phase needs these tasks settled and this gate approved.
    case blocked(phase: Phase, tasks: [String], gate: Role?)
    case noGate(Phase)
    case closed
    case notClosed
    /// Pausing these regimes, whose clocks are paused already.
    case alreadyPaused([String])
    case notPaused
    /// The playbook includes no such regime.
    case unknownRegime(String, known: [String])
    /// The law of `regime` (or, when nil, of no regime whose clocks run) allows no delay on
    /// `basis`; `allowed` lists the bases it does allow.
    case pauseNotAllowed(basis: String, regime: String?, allowed: [String])
    /// The basis lasts the period the request states: the pause needs its end.
    case pauseNeedsEnd(basis: String, regime: String)
    /// The end asked for is past what the law allows.
    case pauseBeyondCap(basis: String, regime: String, cap: String, latest: Date)
    case pauseEndNotAfterStart
    /// `advance` from notify: the way out is `close`.
    case closeToLeaveNotify
    /// `close` (unforced) before the notify phase.
    case closeOnlyFromNotify(Phase)
    /// A task with a notice is completed with the text sent.
    case noticeTextRequired(task: String)
    /// The text still holds a placeholder of the draft.
    case noticeTextUnfinished(task: String)
    /// The case file lacks these elements, which the first notice must hold.
    case noticeIncomplete(task: String, missing: [String])
    /// These elements are not yet known and may follow later, but no reason was given.
    case deferralReasonRequired(task: String, elements: [String])
    case invalidDeferral(element: String, reason: String)
    case noticeDigestMismatch(task: String)
    case unknownNoticeLanguage(String, available: [String])

    public var description: String {
        switch self {
        case .unknownTask(let id, let suggestions, let open):
            return "the playbook has no task '\(id)'" + Self.didYouMean(suggestions, open: open)
        case .taskNotInCurrentPhase(let id, let phase): return "task '\(id)' belongs to the \(phase.rawValue) phase"
        case .taskNotOpen(let id, let status):
            return "task '\(id)' is \(status.rawValue.replacingOccurrences(of: "_", with: " ")), not open"
        case .missingCaptures(let task, let fields):
            return "completing '\(task)' needs \(fields.joined(separator: ", "))"
        case .invalidCapture(let field, let reason): return "\(field) \(reason)"
        case .reasonRequired(let what): return "\(what) needs a reason"
        case .lateReasonRequired(let task, _):
            return "'\(task)' is past its deadline, so completing it needs the reason for the delay"
        case .notificationDetailsRequired(let task):
            return "'\(task)' records a notification: say to whom and by which channel"
        case .blocked(let phase, let tasks, let gate):
            var missing: [String] = []
            if !tasks.isEmpty { missing.append("tasks \(tasks.joined(separator: ", "))") }
            if let gate { missing.append("approval of the \(phase.rawValue) gate by a \(gate.rawValue)") }
            return "the \(phase.rawValue) phase cannot end yet: it needs \(missing.joined(separator: " and "))"
        case .noGate(let phase): return "the \(phase.rawValue) phase has no gate to approve"
        case .closed: return "the incident is closed; reopen it first"
        case .notClosed: return "the incident is not closed"
        case .alreadyPaused(let regimes):
            return "the clocks of \(regimes.joined(separator: ", ")) are already paused; resume them first"
        case .notPaused: return "no clock of the incident is paused"
        case .unknownRegime(let name, let known):
            return "the playbook includes no regime '\(name)'"
                + (known.isEmpty ? "" : "; it includes \(known.joined(separator: ", "))")
        case .pauseNotAllowed(let basis, let regime?, let allowed):
            return allowed.isEmpty
                ? "\(regime) allows no delay of its clocks: they keep running"
                : "\(regime) allows no pause on the basis '\(basis)'; it allows \(allowed.joined(separator: ", "))"
        case .pauseNotAllowed(let basis, nil, let allowed):
            return "no regime whose clocks run for this incident allows a pause on the basis '\(basis)'"
                + (allowed.isEmpty
                    ? "; none allows any delay" : "; the bases they allow are \(allowed.joined(separator: ", "))")
        case .pauseNeedsEnd(let basis, let regime):
            return "a pause of \(regime) on the basis '\(basis)' lasts the period the request states: give its end"
        case .pauseBeyondCap(let basis, let regime, let cap, let latest):
            return
                "\(regime) allows a pause on the basis '\(basis)' of \(cap): it must end by \(latest.formatted(.iso8601))"
        case .pauseEndNotAfterStart: return "a pause must end after it starts"
        case .closeToLeaveNotify:
            return "notify is the last phase: close the incident, with its resolution and lessons learned"
        case .noticeTextRequired(let task):
            return "'\(task)' sends a notice: give the exact text sent"
        case .noticeTextUnfinished(let task):
            return "the text for '\(task)' still holds a placeholder of the draft ([to be completed: …]); "
                + "complete it, or draft it again once the case file holds the value"
        case .noticeIncomplete(let task, let missing):
            return
                "the notice of '\(task)' lacks \(missing.joined(separator: ", ")), which the law requires in the first notice"
        case .deferralReasonRequired(let task, let elements):
            return
                "the notice of '\(task)' leaves \(elements.joined(separator: ", ")) to a later notice: give the reason for each"
        case .invalidDeferral(let element, let reason): return "\(element) \(reason)"
        case .noticeDigestMismatch(let task):
            return "the digest given for '\(task)' is not the SHA-256 of the text sent"
        case .unknownNoticeLanguage(let language, let available):
            return "\(language) is not one of the notice's languages: \(available.joined(separator: ", "))"
        case .closeOnlyFromNotify(let phase):
            return
                "an incident closes from the notify phase; it is in \(phase.rawValue): advance it, or force the close with a reason"
        }
    }

    /// `; did you mean scope? Open tasks: contain, scope`.
    public static func didYouMean(_ suggestions: [String], open: [String]) -> String {
        var text = ""
        if !suggestions.isEmpty {
            text +=
                "; did you mean "
                + (suggestions.count == 1
                    ? suggestions[0] : suggestions.dropLast().joined(separator: ", ") + " or " + suggestions.last!)
                + "?"
        }
        if !open.isEmpty { text += (text.isEmpty ? "; " : " ") + "Open tasks: " + open.joined(separator: ", ") }
        return text
    }
}
