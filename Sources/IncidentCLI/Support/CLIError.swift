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
        self.init(error.message, status: error.exitStatus)
    }
}
