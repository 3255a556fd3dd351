/// Identifies the service in `org.varlink.service.GetInfo`.
public struct VarlinkServiceInfo: Sendable, Codable, Equatable {
    public var vendor: String
    public var product: String
    public var version: String
    public var url: String

    public init(vendor: String, product: String, version: String, url: String) {
        self.vendor = vendor
        self.product = product
        self.version = version
        self.url = url
    }
}

/// Routes calls to handlers: answers `org.varlink.service` itself, refuses unknown interfaces
/// and methods, and checks parameters against the method's declared input before a handler
/// ever sees them. Pure: no I/O, so it is tested directly.
public struct VarlinkRouter<Context: Sendable>: Sendable {
    public typealias Handler = @Sendable (VarlinkCall, Context) async throws -> VarlinkReply
    /// Sends one reply of a stream (`continues` is set for it).
    public typealias Send = @Sendable (VarlinkReply) async throws -> Void
    /// Answers a `more` call with a stream of replies through `Send`, then returns (or throws)
    /// the last one.
    public typealias StreamHandler = @Sendable (VarlinkCall, Context, Send) async throws -> VarlinkReply
    /// Told about every call whose end its handler did not see (for auditing), so that none
    /// goes unrecorded.
    public typealias Observer = @Sendable (VarlinkCall, Routing, Context) async -> Void
    /// Decides, after the call is known to be valid and before its handler runs, whether it is
    /// admitted now; a refusal is its answer (the admission check records it itself).
    public typealias Admission = @Sendable (VarlinkCall, Context) async -> VarlinkError?

    /// What became of a call its handler did not answer.
    public enum Routing: Sendable {
        /// Refused before a handler saw it: an unknown interface or method, invalid parameters,
        /// a stream asked for without `more`.
        case rejected(VarlinkError)
        /// Answered by the router itself: `org.varlink.service` introspection.
        case introspected(VarlinkReply)
        /// The handler failed with an error that is not a named one (a fault, not a refusal).
        case failed(VarlinkError)
    }

    public let info: VarlinkServiceInfo
    public let interfaces: [VarlinkInterface]
    private var handlers: [String: Handler] = [:]
    private var streamHandlers: [String: StreamHandler] = [:]
    private let observer: Observer?
    private let admission: Admission?
    private let mapError: @Sendable (any Error) -> VarlinkError

    /// - Parameters:
    ///   - interfaces: Every interface served, `org.varlink.service` included.
    ///   - observer: Told of every call the router answered itself or a handler failed.
    ///   - admission: Runs before every handler (not before introspection).
    ///   - mapError: Turns an error a handler threw (that is not a `VarlinkError`) into one.
    public init(
        info: VarlinkServiceInfo,
        interfaces: [VarlinkInterface],
        observer: Observer? = nil,
        admission: Admission? = nil,
        mapError: @escaping @Sendable (any Error) -> VarlinkError
    ) {
        self.info = info
        self.interfaces = interfaces
        self.observer = observer
        self.admission = admission
        self.mapError = mapError
    }

    /// Registers the handler for `interface.method`, which must be declared.
    public mutating func register(_ method: String, handler: @escaping Handler) {
        precondition(resolve(method) != nil, "\(method) is not declared in any served interface")
        handlers[method] = handler
    }

    /// Registers the streaming handler for `interface.method`, which must be declared; calls
    /// without `more` are refused with `ExpectedMore`.
    public mutating func registerStream(_ method: String, handler: @escaping StreamHandler) {
        precondition(resolve(method) != nil, "\(method) is not declared in any served interface")
        streamHandlers[method] = handler
    }

    /// Answers one call through `send`: once, or — for a streaming method — as a stream. Throws
    /// only what `send` throws (the peer is gone).
    public func route(_ call: VarlinkCall, context: Context, send: Send) async throws {
        guard let stream = streamHandlers[call.method] else {
            try await send(await route(call, context: context))
            return
        }
        if let rejection = await check(call, context) {
            try await send(rejection)
            return
        }
        guard call.more, !call.oneway else {
            try await send(await reject(call, .expectedMore(), context))
            return
        }
        if let refusal = await admission?(call, context) {
            try await send(VarlinkReply(error: refusal))
            return
        }
        let last: VarlinkReply
        do {
            last = try await stream(call, context) { reply in
                var reply = reply
                reply.continues = true
                try await send(reply)
            }
        } catch let error as VarlinkError {
            last = VarlinkReply(error: error)
        } catch {
            last = VarlinkReply(error: await fail(call, error, context))
        }
        try await send(last)
    }

    /// The rejection of a call to an unknown interface or method or with invalid parameters.
    private func check(_ call: VarlinkCall, _ context: Context) async -> VarlinkReply? {
        guard let interface = interfaces.first(where: { $0.name == call.interface }) else {
            return await reject(call, .interfaceNotFound(call.interface), context)
        }
        guard let method = interface.method(named: call.methodName) else {
            return await reject(call, .methodNotFound(call.method), context)
        }
        do {
            try interface.validate(call.parameters, for: method)
        } catch {
            return await reject(call, error, context)
        }
        return nil
    }

    private func resolve(_ method: String) -> (VarlinkInterface, VarlinkInterface.Method)? {
        let call = VarlinkCall(method: method)
        guard let interface = interfaces.first(where: { $0.name == call.interface }),
            let declaration = interface.method(named: call.methodName)
        else { return nil }
        return (interface, declaration)
    }

    /// Answers one call. Never throws: every failure is a reply carrying a named error.
    public func route(_ call: VarlinkCall, context: Context) async -> VarlinkReply {
        if let rejection = await check(call, context) { return rejection }
        if call.interface == VarlinkInterface.service.name {
            let reply = serviceReply(call)
            await observer?(call, .introspected(reply), context)
            return reply
        }
        guard let handler = handlers[call.method] else {
            if streamHandlers[call.method] != nil { return await reject(call, .expectedMore(), context) }
            return await reject(call, .methodNotImplemented(call.method), context)
        }
        if let refusal = await admission?(call, context) { return VarlinkReply(error: refusal) }
        do {
            return try await handler(call, context)
        } catch let error as VarlinkError {
            return VarlinkReply(error: error)
        } catch {
            return VarlinkReply(error: await fail(call, error, context))
        }
    }

    private func reject(_ call: VarlinkCall, _ error: VarlinkError, _ context: Context) async -> VarlinkReply {
        await observer?(call, .rejected(error), context)
        return VarlinkReply(error: error)
    }

    private func fail(_ call: VarlinkCall, _ error: any Error, _ context: Context) async -> VarlinkError {
        let named = mapError(error)
        await observer?(call, .failed(named), context)
        return named
    }

    private func serviceReply(_ call: VarlinkCall) -> VarlinkReply {
        switch call.methodName {
        case "GetInfo":
            return VarlinkReply(parameters: [
                "vendor": .string(info.vendor), "product": .string(info.product),
                "version": .string(info.version), "url": .string(info.url),
                "interfaces": .array(interfaces.map { .string($0.name) }),
            ])
        case "GetInterfaceDescription":
            let name = call.parameters["interface"]?.stringValue ?? ""
            guard let interface = interfaces.first(where: { $0.name == name }) else {
                return VarlinkReply(error: .interfaceNotFound(name))
            }
            return VarlinkReply(parameters: ["description": .string(interface.description)])
        default:
            return VarlinkReply(error: .methodNotImplemented(call.method))
        }
    }
}
