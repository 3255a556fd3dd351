import Foundation
import IncidentProtocol

/// A failure said to the person at the terminal in one sentence, with an exit status
/// scripts can test (documented in `incidentctl --help`).
public struct CLIError: Error, CustomStringConvertible, Sendable {
    public typealias ExitStatus = IncidentProtocol.ExitStatus

    public var message: String
    public var status: ExitStatus

    public init(_ message: String, status: ExitStatus = .failure) {
        self.message = message
        self.status = status
    }

    public var description: String { message }

    /// Says what an error from the daemon means, and what to do about it: the catalogue's
    /// sentence and exit status.
    public init(_ error: WireError) {
        self.init(error.message(in: .current), status: error.exitStatus)
    }
}

extension WireError {
    /// ``message`` in `language`, for the refusals people meet most; the rest, and the
    /// daemon's own reasons inside them, stay English (docs/translating.md).
    func message(in language: Language) -> String {
        guard language != .english else { return message }
        switch self {
        case .noSuchIncident(let reference) where !reference.isEmpty:
            return language.text(
                "No incident %s exists (or you may not see it); check the reference with '%s'.",
                reference,
                "incidentctl list"
            )
        case .invalidValue(let parameter, let reason) where !parameter.isEmpty && !reason.isEmpty:
            return language.text("The %s %s; correct it and try again.", parameter, reason)
        case .permissionDenied(let reason):
            let because = reason.isEmpty ? "" : language.text(" (%s)", reason)
            return language.text(
                "You are not allowed to do that%s; ask an incidentd administrator for the role you need.",
                because
            )
        case .conflict:
            return language.text(
                "The incident changed since you read it; run '%s' again and retry.",
                "incidentctl show"
            )
        case .moveNotAllowed(let reason, _, _) where !reason.isEmpty:
            return language.text("Not now: %s.", reason)
        case .databaseUnavailable:
            return language.text(
                "incidentd cannot reach its database right now; nothing was changed, so try again shortly."
            )
        case .storageFull:
            return language.text(
                "incidentd's database has run out of disk space, so nothing was changed (reading still works); ask an administrator to free space, then try again."
            )
        case .shuttingDown:
            return language.text("incidentd is stopping; nothing more was done, so connect again once it is back.")
        default:
            return message
        }
    }
}
