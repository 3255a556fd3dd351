import Foundation
import Varlink

/// A failure said to the person at the terminal in one sentence, with an exit status
/// scripts can test (documented in `incidentctl --help`).
public struct CLIError: Error, CustomStringConvertible, Sendable {
    public enum ExitStatus: Int32, Sendable {
        case failure = 1
        case usage = 2
        case notFound = 3
        case permissionDenied = 4
        case conflict = 5
        case unavailable = 69
    }

    public var message: String
    public var status: ExitStatus

    public init(_ message: String, status: ExitStatus = .failure) {
        self.message = message
        self.status = status
    }

    public var description: String { message }

    /// Says what a Varlink error from the daemon means, and what to do about it.
    public init(_ error: VarlinkError) {
        let parameter = error.parameters["parameter"]?.stringValue ?? "a parameter"
        switch error.name {
        case "io.incidentd.NoSuchIncident":
            let reference = error.parameters["reference"]?.stringValue ?? "that reference"
            self.init("No incident \(reference) exists (or you may not see it); check the reference with 'incidentctl list'.",
                      status: .notFound)
        case "io.incidentd.InvalidValue":
            let reason = error.parameters["reason"]?.stringValue ?? "is not valid"
            self.init("The \(parameter) \(reason); correct it and try again.", status: .usage)
        case "org.varlink.service.InvalidParameter":
            self.init("The daemon refused \(parameter) as invalid; is incidentctl the same version as incidentd?",
                      status: .usage)
        case "io.incidentd.PermissionDenied", "org.varlink.service.PermissionDenied":
            let reason = error.parameters["reason"]?.stringValue.map { " (\($0))" } ?? ""
            self.init("You are not allowed to do that\(reason); ask an incidentd administrator for the role you need.",
                      status: .permissionDenied)
        case "io.incidentd.Conflict":
            self.init("The incident changed since you read it; run 'incidentctl show' again and retry.",
                      status: .conflict)
        case "io.incidentd.MoveNotAllowed":
            let reason = error.parameters["reason"]?.stringValue ?? "the workflow refuses it now"
            self.init("Not now: \(reason).", status: .failure)
        case "io.incidentd.PlaybookProblems":
            var lines = ["The playbooks were refused; the running set is kept. Fix these and reload:"]
            if case .array(let problems)? = error.parameters["problems"] {
                lines += problems.compactMap(\.stringValue).map { "  " + $0 }
            }
            self.init(lines.joined(separator: "\n"), status: .failure)
        case "io.incidentd.TooManyConnections":
            let limit = error.parameters["limit"]?.integerValue.map { " (\($0))" } ?? ""
            self.init("You already hold the most connections to incidentd allowed\(limit); close some and try again.",
                      status: .unavailable)
        case "io.incidentd.TooManyRequests":
            let wait = error.parameters["retryAfterSeconds"]?.integerValue ?? 1
            let limit = error.parameters["limit"]?.stringValue.map { " (\($0))" } ?? ""
            self.init("You made more changes than your rate limit allows\(limit); nothing was done, so try again in \(wait) s.",
                      status: .unavailable)
        case "io.incidentd.TooMuchData":
            let reference = error.parameters["reference"]?.stringValue ?? "The incident"
            let limit = error.parameters["limit"]?.integerValue.map { " (\($0) bytes)" } ?? ""
            self.init("\(reference) already holds the most text an incident may\(limit); nothing was stored. "
                      + "Attach large material as evidence files, or ask an administrator to raise maximumBytesPerIncident.",
                      status: .failure)
        case "io.incidentd.DatabaseUnavailable":
            self.init("incidentd cannot reach its database right now; nothing was changed, so try again shortly.",
                      status: .unavailable)
        case "org.varlink.service.MethodNotFound", "org.varlink.service.InterfaceNotFound",
            "org.varlink.service.MethodNotImplemented":
            self.init("This incidentd does not offer that command (\(error.name)); upgrade incidentd.",
                      status: .unavailable)
        default:
            self.init("incidentd refused the request: \(error); see the daemon's log for details.")
        }
    }
}
