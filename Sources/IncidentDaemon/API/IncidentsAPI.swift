import Foundation
import IncidentCore
import IncidentProtocol
import IncidentStore
import Logging
import Postgres
import Varlink

/// The API layer: turns each validated Varlink call into a domain command, runs it through
/// the store, and turns the result — or the failure — into a reply. Every call is audited.
public struct IncidentsAPI: Sendable {
    let store: IncidentStore
    let logger: Logger
    let clock: @Sendable () -> Date

    public init(store: IncidentStore, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.logger = logger
        self.clock = clock
    }

    public static let serviceInfo = VarlinkServiceInfo(
        vendor: "incidentd",
        product: "incidentd",
        version: IncidentdVersion.current,
        url: "https://github.com/incidentd/incidentd"
    )

    /// The router with every method of every interface registered.
    public func makeRouter() -> VarlinkRouter<Caller> {
        let logger = self.logger
        let store = self.store
        var router = VarlinkRouter<Caller>(
            info: Self.serviceInfo,
            interfaces: IncidentInterfaces.all,
            onRejection: { call, error, caller in
                await Self.audit(
                    store: store, logger: logger,
                    AuditRecord(
                        caller: caller, action: call.methodName, outcome: .invalid,
                        detail: Self.auditDetail(for: error)
                    )
                )
            },
            mapError: { error in Self.varlinkError(for: error, logger: logger) }
        )
        router.register("io.incidentd.Incidents.Report") { call, caller in try await report(call, caller) }
        router.register("io.incidentd.Incidents.Get") { call, caller in try await get(call, caller) }
        router.register("io.incidentd.Incidents.List") { call, caller in try await list(call, caller) }
        router.register("io.incidentd.Incidents.Status") { call, caller in try await status(call, caller) }
        return router
    }

    // MARK: Handlers

    func report(_ call: VarlinkCall, _ caller: Caller) async throws -> VarlinkReply {
        let parameters = try await decode(IncidentsWire.ReportParameters.self, call, caller)
        let draft = try await validate(call, caller) { () throws(ValidationError) in
            try parameters.draft.validated(now: clock())
        }
        let result = try await store.report(draft, by: caller)
        logger.info(
            result.created ? "incident reported" : "report matched an earlier idempotency key",
            metadata: ["incident.ref": "\(result.incident.reference)", "peer.uid": "\(caller.uid)"]
        )
        return try VarlinkReply(encoding: IncidentsWire.ReportReply(incident: result.incident, created: result.created))
    }

    func get(_ call: VarlinkCall, _ caller: Caller) async throws -> VarlinkReply {
        let parameters = try await decode(IncidentsWire.GetParameters.self, call, caller)
        let audit = AuditRecord(caller: caller, action: "Get", incident: parameters.reference)
        guard let incident = try await store.incident(parameters.reference, audit: audit) else {
            throw VarlinkError.noSuchIncident(parameters.reference)
        }
        return try VarlinkReply(encoding: IncidentsWire.GetReply(incident: incident))
    }

    func list(_ call: VarlinkCall, _ caller: Caller) async throws -> VarlinkReply {
        let parameters = try await decode(IncidentsWire.ListParameters.self, call, caller)
        let filter = try await validate(call, caller) { () throws(ValidationError) in
            try parameters.filter.validated()
        }
        let incidents = try await store.list(filter, audit: AuditRecord(caller: caller, action: "List"))
        let next = incidents.count == filter.limit ? incidents.last?.reference : nil
        return try VarlinkReply(encoding: IncidentsWire.ListReply(incidents: incidents, next: next))
    }

    func status(_ call: VarlinkCall, _ caller: Caller) async throws -> VarlinkReply {
        let summary = try await store.status(audit: AuditRecord(caller: caller, action: "Status"))
        return try VarlinkReply(encoding: IncidentsWire.StatusReply(summary: summary))
    }

    // MARK: Decoding, validation and errors

    /// Decodes parameters the router already checked against the interface; what the IDL
    /// cannot express (a jurisdiction code, an instant's format) fails here, naming the field.
    private func decode<T: Decodable>(_ type: T.Type, _ call: VarlinkCall, _ caller: Caller) async throws -> T {
        do {
            let data = try VarlinkJSON.encoder().encode(JSONValue.object(call.parameters))
            return try VarlinkJSON.decoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            let parameter = error.parameterPath
            let reason = error.reason
            await Self.audit(
                store: store, logger: logger,
                AuditRecord(caller: caller, action: call.methodName, outcome: .invalid, detail: "invalid \(parameter)")
            )
            throw VarlinkError.invalidValue(parameter, reason: reason)
        }
    }

    private func validate<T>(
        _ call: VarlinkCall, _ caller: Caller, _ body: () throws(ValidationError) -> T
    ) async throws -> T {
        do {
            return try body()
        } catch {
            await Self.audit(
                store: store, logger: logger,
                AuditRecord(caller: caller, action: call.methodName, outcome: .invalid, detail: "invalid \(error.field)")
            )
            throw VarlinkError.invalidValue(error.field, reason: error.reason)
        }
    }

    static func audit(store: IncidentStore, logger: Logger, _ record: AuditRecord) async {
        do {
            try await store.recordAudit(record)
        } catch {
            logger.error("cannot write an audit record", metadata: ["error": "\(error)", "audit.action": "\(record.action)"])
        }
    }

    static func auditDetail(for error: VarlinkError) -> String {
        if let parameter = error.parameters["parameter"]?.stringValue { return "\(error.name): \(parameter)" }
        if let method = error.parameters["method"]?.stringValue { return "\(error.name): \(method)" }
        if let interface = error.parameters["interface"]?.stringValue { return "\(error.name): \(interface)" }
        return error.name
    }

    static func varlinkError(for error: any Error, logger: Logger) -> VarlinkError {
        if let error = error as? PostgresError {
            if error.isRetryable {
                logger.warning("database unavailable", metadata: ["error": "\(error.debugDescription)"])
                return VarlinkError(
                    name: "io.incidentd.DatabaseUnavailable",
                    parameters: ["reason": .string(error.description)]
                )
            }
            logger.error("database error", metadata: ["error": "\(error.debugDescription)"])
        } else {
            logger.error("unexpected error", metadata: ["error": "\(error)"])
        }
        return VarlinkError(
            name: "io.incidentd.InternalError",
            parameters: ["reason": .string("the daemon could not complete the call; nothing was changed")]
        )
    }
}

extension VarlinkError {
    static func noSuchIncident(_ reference: IncidentReference) -> VarlinkError {
        VarlinkError(name: "io.incidentd.NoSuchIncident", parameters: ["reference": .string(reference.rawValue)])
    }

    static func invalidValue(_ parameter: String, reason: String) -> VarlinkError {
        VarlinkError(
            name: "io.incidentd.InvalidValue",
            parameters: ["parameter": .string(parameter), "reason": .string(reason)]
        )
    }
}

extension DecodingError {
    var context: Context? {
        switch self {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context),
            .valueNotFound(_, let context):
            return context
        @unknown default:
            return nil
        }
    }

    /// The offending parameter as a dotted path (`jurisdictions[1]`).
    var parameterPath: String {
        var path = ""
        var codingPath = context?.codingPath ?? []
        if case .keyNotFound(let key, _) = self { codingPath.append(key) }
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path.isEmpty ? "parameters" : path
    }

    var reason: String {
        context?.debugDescription ?? "has an invalid value"
    }
}
