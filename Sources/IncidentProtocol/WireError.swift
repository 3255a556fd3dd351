import Varlink

/// The exit statuses of incidentctl, which scripts can test (listed in `incidentctl --help`).
public enum ExitStatus: Int32, Sendable {
    case failure = 1
    case usage = 2
    case notFound = 3
    case permissionDenied = 4
    case conflict = 5
    case unavailable = 69
}

/// Every error incidentd sends, as one catalogue: each case is one named Varlink error with
/// its parameters, the sentence a person is shown for it, and the exit status incidentctl
/// ends with. The daemon throws these; clients read replies back into them.
///
/// The `org.varlink.service` errors are here too, as a client meets them; the router in the
/// Varlink module, which speaks that interface for every service, names them itself.
public enum WireError: Error, Sendable, Equatable, CustomStringConvertible {
    case noSuchIncident(reference: String)
    case invalidValue(parameter: String, reason: String)
    case permissionDenied(reason: String)
    case conflict(reference: String, version: Int)
    case databaseUnavailable(reason: String)
    /// The database server's disk is full: nothing was changed; writes work once space is freed.
    case storageFull
    case malformedMessage(reason: String)
    case messageTooLarge(limit: Int)
    case moveNotAllowed(reason: String, missingTasks: [String] = [], gate: String? = nil)
    case playbookProblems([String])
    case internalError(reason: String)
    case shuttingDown
    case tooManyConnections(limit: Int)
    case tooManyRequests(retryAfterSeconds: Double, limit: String)
    case tooMuchData(reference: String, limit: Int)
    /// A notification task's notice lacks elements its law requires in the first notice.
    case noticeIncomplete(task: String, missing: [String])
    /// An evidence file's stored content does not open or no longer hashes to its SHA-256.
    case evidenceDamaged(reference: String, number: Int, reason: String)
    /// An evidence file, or an incident's evidence, would pass its limit (`what`: file, incident, chunk).
    case evidenceTooLarge(what: String, limit: Int64)
    /// An `org.varlink.service` error: the interface, method or a parameter is unknown or
    /// refused by the interface itself, or a stream was asked for without `more`.
    case service(VarlinkError)
    /// A name this incidentctl does not know: a newer daemon's error.
    case unknown(VarlinkError)

    /// The names of incidentd's own errors, each declared in the `io.incidentd` interface.
    public enum Name: String, CaseIterable, Sendable {
        case noSuchIncident = "io.incidentd.NoSuchIncident"
        case invalidValue = "io.incidentd.InvalidValue"
        case permissionDenied = "io.incidentd.PermissionDenied"
        case conflict = "io.incidentd.Conflict"
        case databaseUnavailable = "io.incidentd.DatabaseUnavailable"
        case storageFull = "io.incidentd.StorageFull"
        case malformedMessage = "io.incidentd.MalformedMessage"
        case messageTooLarge = "io.incidentd.MessageTooLarge"
        case moveNotAllowed = "io.incidentd.MoveNotAllowed"
        case playbookProblems = "io.incidentd.PlaybookProblems"
        case internalError = "io.incidentd.InternalError"
        case shuttingDown = "io.incidentd.ShuttingDown"
        case tooManyConnections = "io.incidentd.TooManyConnections"
        case tooManyRequests = "io.incidentd.TooManyRequests"
        case tooMuchData = "io.incidentd.TooMuchData"
        case noticeIncomplete = "io.incidentd.NoticeIncomplete"
        case evidenceDamaged = "io.incidentd.EvidenceDamaged"
        case evidenceTooLarge = "io.incidentd.EvidenceTooLarge"

        /// The last word, as the interface description declares it (`NoSuchIncident`).
        public var declared: String { String(rawValue.split(separator: ".").last ?? "") }
    }

    /// The name sent on the wire.
    public var name: String { varlinkError.name }

    /// The error as sent on the wire.
    public var varlinkError: VarlinkError {
        func named(_ name: Name, _ parameters: [String: JSONValue] = [:]) -> VarlinkError {
            VarlinkError(name: name.rawValue, parameters: parameters)
        }
        switch self {
        case .noSuchIncident(let reference): return named(.noSuchIncident, ["reference": .string(reference)])
        case .invalidValue(let parameter, let reason):
            return named(.invalidValue, ["parameter": .string(parameter), "reason": .string(reason)])
        case .permissionDenied(let reason): return named(.permissionDenied, ["reason": .string(reason)])
        case .conflict(let reference, let version):
            return named(.conflict, ["reference": .string(reference), "version": .integer(Int64(version))])
        case .databaseUnavailable(let reason): return named(.databaseUnavailable, ["reason": .string(reason)])
        case .storageFull: return named(.storageFull)
        case .malformedMessage(let reason): return named(.malformedMessage, ["reason": .string(reason)])
        case .messageTooLarge(let limit): return named(.messageTooLarge, ["limit": .integer(Int64(limit))])
        case .moveNotAllowed(let reason, let missingTasks, let gate):
            var parameters: [String: JSONValue] = [
                "reason": .string(reason), "missingTasks": .array(missingTasks.map(JSONValue.string)),
            ]
            if let gate { parameters["gate"] = .string(gate) }
            return named(.moveNotAllowed, parameters)
        case .playbookProblems(let problems):
            return named(.playbookProblems, ["problems": .array(problems.map(JSONValue.string))])
        case .internalError(let reason): return named(.internalError, ["reason": .string(reason)])
        case .shuttingDown: return named(.shuttingDown)
        case .tooManyConnections(let limit): return named(.tooManyConnections, ["limit": .integer(Int64(limit))])
        case .tooManyRequests(let retryAfter, let limit):
            return named(.tooManyRequests, ["retryAfterSeconds": .double(retryAfter), "limit": .string(limit)])
        case .tooMuchData(let reference, let limit):
            return named(.tooMuchData, ["reference": .string(reference), "limit": .integer(Int64(limit))])
        case .noticeIncomplete(let task, let missing):
            return named(.noticeIncomplete, ["task": .string(task), "missing": .array(missing.map(JSONValue.string))])
        case .evidenceDamaged(let reference, let number, let reason):
            return named(
                .evidenceDamaged,
                ["reference": .string(reference), "number": .integer(Int64(number)), "reason": .string(reason)]
            )
        case .evidenceTooLarge(let what, let limit):
            return named(.evidenceTooLarge, ["what": .string(what), "limit": .integer(limit)])
        case .service(let error), .unknown(let error): return error
        }
    }

    /// Reads an error a reply carried back into the catalogue.
    public init(_ error: VarlinkError) {
        let text = { (key: String) in error.parameters[key]?.stringValue ?? "" }
        let number = { (key: String) in Int(error.parameters[key]?.integerValue ?? 0) }
        guard let name = Name(rawValue: error.name) else {
            self = error.name.hasPrefix(VarlinkInterface.service.name + ".") ? .service(error) : .unknown(error)
            return
        }
        switch name {
        case .noSuchIncident: self = .noSuchIncident(reference: text("reference"))
        case .invalidValue: self = .invalidValue(parameter: text("parameter"), reason: text("reason"))
        case .permissionDenied: self = .permissionDenied(reason: text("reason"))
        case .conflict: self = .conflict(reference: text("reference"), version: number("version"))
        case .databaseUnavailable: self = .databaseUnavailable(reason: text("reason"))
        case .storageFull: self = .storageFull
        case .malformedMessage: self = .malformedMessage(reason: text("reason"))
        case .messageTooLarge: self = .messageTooLarge(limit: number("limit"))
        case .moveNotAllowed:
            let tasks: [String]
            if case .array(let values)? = error.parameters["missingTasks"] {
                tasks = values.compactMap(\.stringValue)
            } else {
                tasks = []
            }
            self = .moveNotAllowed(
                reason: text("reason"),
                missingTasks: tasks,
                gate: error.parameters["gate"]?.stringValue
            )
        case .playbookProblems:
            var problems: [String] = []
            if case .array(let values)? = error.parameters["problems"] { problems = values.compactMap(\.stringValue) }
            self = .playbookProblems(problems)
        case .internalError: self = .internalError(reason: text("reason"))
        case .shuttingDown: self = .shuttingDown
        case .tooManyConnections: self = .tooManyConnections(limit: number("limit"))
        case .tooManyRequests:
            let wait = error.parameters["retryAfterSeconds"]?.doubleValue ?? 1
            self = .tooManyRequests(retryAfterSeconds: wait, limit: text("limit"))
        case .tooMuchData: self = .tooMuchData(reference: text("reference"), limit: number("limit"))
        case .noticeIncomplete:
            var missing: [String] = []
            if case .array(let values)? = error.parameters["missing"] { missing = values.compactMap(\.stringValue) }
            self = .noticeIncomplete(task: text("task"), missing: missing)
        case .evidenceDamaged:
            self = .evidenceDamaged(reference: text("reference"), number: number("number"), reason: text("reason"))
        case .evidenceTooLarge:
            self = .evidenceTooLarge(what: text("what"), limit: error.parameters["limit"]?.integerValue ?? 0)
        }
    }

    /// The status incidentctl exits with.
    public var exitStatus: ExitStatus {
        switch self {
        case .noSuchIncident: return .notFound
        case .invalidValue: return .usage
        case .permissionDenied: return .permissionDenied
        case .conflict: return .conflict
        case .databaseUnavailable, .storageFull, .tooManyConnections, .tooManyRequests, .shuttingDown:
            return .unavailable
        case .malformedMessage, .messageTooLarge, .moveNotAllowed, .playbookProblems, .internalError, .tooMuchData,
            .noticeIncomplete, .evidenceDamaged, .evidenceTooLarge, .unknown:
            return .failure
        case .service(let error):
            switch error.name {
            case VarlinkError.invalidParameter("").name: return .usage
            case VarlinkError.permissionDenied().name: return .permissionDenied
            case VarlinkError.expectedMore().name: return .failure
            default: return .unavailable
            }
        }
    }

    /// The one sentence a person is shown: what went wrong and what to do.
    public var message: String {
        switch self {
        case .noSuchIncident(let reference):
            return
                "No incident \(reference.isEmpty ? "with that reference" : reference) exists (or you may not see it); "
                + "check the reference with 'incidentctl list'."
        case .invalidValue(let parameter, let reason):
            return "The \(parameter.isEmpty ? "a parameter" : parameter) \(reason.isEmpty ? "is not valid" : reason); "
                + "correct it and try again."
        case .permissionDenied(let reason):
            return "You are not allowed to do that\(reason.isEmpty ? "" : " (\(reason))"); "
                + "ask an incidentd administrator for the role you need."
        case .conflict:
            return "The incident changed since you read it; run 'incidentctl show' again and retry."
        case .moveNotAllowed(let reason, _, _):
            return "Not now: \(reason.isEmpty ? "the workflow refuses it now" : reason)."
        case .playbookProblems(let problems):
            return
                (["The playbooks were refused; the running set is kept. Fix these and reload:"]
                + problems.map { "  " + $0 }).joined(separator: "\n")
        case .tooManyConnections(let limit):
            return "You already hold the most connections to incidentd allowed (\(limit)); close some and try again."
        case .tooManyRequests(let retryAfter, let limit):
            return "You made more changes than your rate limit allows\(limit.isEmpty ? "" : " (\(limit))"); "
                + "nothing was done, so try again in \(Int(retryAfter.rounded(.up))) s."
        case .tooMuchData(let reference, let limit):
            return "\(reference.isEmpty ? "The incident" : reference) already holds the most text an incident may "
                + "(\(limit) bytes); nothing was stored. Attach large material as evidence files, or ask an "
                + "administrator to raise maximumBytesPerIncident."
        case .noticeIncomplete(let task, let missing):
            return "The notice of \(task) lacks \(missing.joined(separator: ", ")), which the law requires in the "
                + "first notice; 'incidentctl notice check' says what supplies each."
        case .evidenceDamaged(let reference, let number, let reason):
            return "Evidence E\(number) of \(reference) is damaged (\(reason)); do not rely on "
                + "it, and restore it from a backup of the database or from its source."
        case .evidenceTooLarge(let what, let limit):
            let whose =
                what == "incident" ? "the incident's evidence would pass its limit" : "the \(what) passes the limit"
            return "Nothing was stored: \(whose) of \(limit) bytes; ask an administrator to raise "
                + (what == "incident" ? "maximumEvidenceBytesPerIncident" : "maximumEvidenceFileBytes")
                + " or split the material."
        case .databaseUnavailable:
            return "incidentd cannot reach its database right now; nothing was changed, so try again shortly."
        case .storageFull:
            return "incidentd's database has run out of disk space, so nothing was changed (reading still works); "
                + "ask an administrator to free space, then try again."
        case .shuttingDown:
            return "incidentd is stopping; nothing more was done, so connect again once it is back."
        case .service(let error):
            switch error.name {
            case VarlinkError.invalidParameter("").name:
                let parameter = error.parameters["parameter"]?.stringValue ?? "a parameter"
                return "The daemon refused \(parameter) as invalid; is incidentctl the same version as incidentd?"
            case VarlinkError.permissionDenied().name:
                return "You are not allowed to do that; ask an incidentd administrator for the role you need."
            case VarlinkError.expectedMore().name:
                return "incidentd refused the request: \(error); see the daemon's log for details."
            default:
                return "This incidentd does not offer that command (\(error.name)); upgrade incidentd."
            }
        case .malformedMessage, .messageTooLarge, .internalError, .unknown:
            return "incidentd refused the request: \(varlinkError); see the daemon's log for details."
        }
    }

    public var description: String { varlinkError.description }
}
