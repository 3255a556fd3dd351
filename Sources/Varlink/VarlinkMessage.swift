import Foundation

/// A method call as received: `{"method": "io.example.Iface.Method", "parameters": {...}}`.
public struct VarlinkCall: Sendable, Equatable {
    public var method: String
    public var parameters: [String: JSONValue]
    /// The caller wants no reply.
    public var oneway: Bool
    /// The caller accepts a stream of replies (`continues: true` on all but the last).
    public var more: Bool

    /// The message as it arrived, when it was decoded from bytes: `decodeParameters` reads the
    /// parameters' types straight from it.
    private var received: [UInt8]?

    public init(method: String, parameters: [String: JSONValue] = [:], oneway: Bool = false, more: Bool = false) {
        self.method = method
        self.parameters = parameters
        self.oneway = oneway
        self.more = more
    }

    public static func == (lhs: VarlinkCall, rhs: VarlinkCall) -> Bool {
        lhs.method == rhs.method && lhs.parameters == rhs.parameters && lhs.oneway == rhs.oneway && lhs.more == rhs.more
    }

    /// A call whose parameters are `parameters` encoded as a JSON object.
    public init<P: Encodable>(method: String, encoding parameters: P, more: Bool = false) throws {
        let data = try VarlinkJSON.encoder().encode(parameters)
        guard case .object(let members) = try VarlinkJSON.decoder().decode(JSONValue.self, from: data) else {
            throw VarlinkProtocolError(code: .malformedCall, reason: "call parameters must be an object")
        }
        self.init(method: method, parameters: members, more: more)
    }

    /// The parameters decoded into `T`. A call that arrived as bytes is decoded from them in one
    /// JSON pass, instead of its values being encoded again only to be decoded. A
    /// `DecodingError`'s coding path starts at the parameters either way.
    public func decodeParameters<T: Decodable>(
        _ type: T.Type,
        using decoder: JSONDecoder = VarlinkJSON.decoder()
    ) throws -> T {
        guard let received, !parameters.isEmpty else {
            return try decoder.decode(T.self, from: try VarlinkJSON.encoder().encode(JSONValue.object(parameters)))
        }
        do {
            return try decoder.decode(ParametersEnvelope<T>.self, from: Data(received)).parameters
        } catch let error as DecodingError {
            throw error.startingAtParameters()
        }
    }

    /// `io.example.Iface` of `io.example.Iface.Method`.
    public var interface: String {
        guard let dot = method.lastIndex(of: ".") else { return "" }
        return String(method[..<dot])
    }

    /// Whether objects and arrays nest deeper than `limit`, counting brackets outside strings:
    /// one pass, no allocation.
    static func nesting(of bytes: some Collection<UInt8>, exceeds limit: Int) -> Bool {
        // Contiguous bytes (a ByteBuffer's view, an array) are scanned through a raw buffer:
        // the generic iterator costs several times the scan on a large message.
        if let exceeds = bytes.withContiguousStorageIfAvailable({ scan($0, exceeds: limit) }) { return exceeds }
        return scan(Array(bytes), exceeds: limit)
    }

    private static func scan(_ bytes: some Sequence<UInt8>, exceeds limit: Int) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return false
    }

    /// `Method` of `io.example.Iface.Method`.
    public var methodName: String {
        guard let dot = method.lastIndex(of: ".") else { return method }
        return String(method[method.index(after: dot)...])
    }

    /// How deeply objects and arrays may nest in a call. Nothing incidentd serves nests past a
    /// handful of levels; a hostile client's million brackets would otherwise cost a deep
    /// recursion in the JSON decoder.
    public static let maximumNesting = 64

    /// Parses one message (without its NUL terminator).
    public init(decoding bytes: some Collection<UInt8>) throws(VarlinkProtocolError) {
        if Self.nesting(of: bytes, exceeds: Self.maximumNesting) {
            throw VarlinkProtocolError(
                code: .malformedCall,
                reason: "the message nests deeper than \(Self.maximumNesting) levels"
            )
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw VarlinkProtocolError(code: .malformedJSON, reason: "the message is not valid JSON")
        }
        guard case .object(let members) = value else {
            throw VarlinkProtocolError(code: .malformedCall, reason: "the message is not a JSON object")
        }
        guard case .string(let method)? = members["method"] else {
            throw VarlinkProtocolError(code: .malformedCall, reason: "the message has no \"method\" string")
        }
        var parameters: [String: JSONValue] = [:]
        switch members["parameters"] {
        case nil, .null?: break
        case .object(let object)?: parameters = object
        default: throw VarlinkProtocolError(code: .malformedCall, reason: "\"parameters\" is not an object")
        }
        func flag(_ name: String) throws(VarlinkProtocolError) -> Bool {
            switch members[name] {
            case nil, .null?: return false
            case .bool(let value)?: return value
            default: throw VarlinkProtocolError(code: .malformedCall, reason: "\"\(name)\" is not a boolean")
            }
        }
        let oneway = try flag("oneway")
        let more = try flag("more")
        _ = try flag("upgrade")
        for key in members.keys where !["method", "parameters", "oneway", "more", "upgrade"].contains(key) {
            throw VarlinkProtocolError(code: .malformedCall, reason: "unknown message field \"\(key)\"")
        }
        self.init(method: method, parameters: parameters, oneway: oneway, more: more)
        self.received = Array(bytes)
    }

    /// The message as bytes, NUL terminator included.
    public func encoded() throws -> [UInt8] {
        var envelope: [String: JSONValue] = ["method": .string(method)]
        if !parameters.isEmpty { envelope["parameters"] = .object(parameters) }
        if oneway { envelope["oneway"] = .bool(true) }
        if more { envelope["more"] = .bool(true) }
        return try Array(VarlinkJSON.encoder().encode(JSONValue.object(envelope))) + [0]
    }
}

/// A reply: parameters, or a named error; `continues` while more replies follow.
public struct VarlinkReply: Sendable, Equatable {
    /// A reply built from an `Encodable` keeps the JSON its encoder wrote and sends it as it
    /// is: the server never decodes it into values only to encode them again.
    private enum Storage: Sendable {
        case values([String: JSONValue])
        case json([UInt8])
    }

    private var storage: Storage
    public var error: String?
    public var continues: Bool

    public var parameters: [String: JSONValue] {
        get {
            switch storage {
            case .values(let values): return values
            case .json(let bytes):
                return (try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)))?.objectValue ?? [:]
            }
        }
        set { storage = .values(newValue) }
    }

    public init(parameters: [String: JSONValue] = [:], error: String? = nil, continues: Bool = false) {
        self.storage = .values(parameters)
        self.error = error
        self.continues = continues
    }

    public init(error: VarlinkError) {
        self.init(parameters: error.parameters, error: error.name)
    }

    /// Builds a reply from any `Encodable` whose JSON form is an object.
    public init(encoding value: some Encodable, continues: Bool = false) throws {
        let data = try VarlinkJSON.encoder().encode(value)
        guard data.first(where: { !Self.isWhitespace($0) }) == UInt8(ascii: "{") else {
            throw VarlinkProtocolError(code: .malformedCall, reason: "reply parameters must be an object")
        }
        self.storage = .json(Array(data))
        self.error = nil
        self.continues = continues
    }

    public static func == (lhs: VarlinkReply, rhs: VarlinkReply) -> Bool {
        lhs.parameters == rhs.parameters && lhs.error == rhs.error && lhs.continues == rhs.continues
    }

    /// The message as bytes, NUL terminator included; keys sorted, as the encoder sorts them.
    public func encoded() throws -> [UInt8] {
        var bytes: [UInt8] = Array(#"{"#.utf8)
        if continues { bytes += Array(#""continues":true,"#.utf8) }
        if let error {
            bytes += Array(#""error":"#.utf8) + Array(try VarlinkJSON.encoder().encode(error)) + [UInt8(ascii: ",")]
        }
        bytes += Array(#""parameters":"#.utf8)
        switch storage {
        case .values(let values): bytes += Array(try VarlinkJSON.encoder().encode(JSONValue.object(values)))
        case .json(let json): bytes += json
        }
        bytes += [UInt8(ascii: "}"), 0]
        return bytes
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t")
            || byte == UInt8(ascii: "\r")
    }

    public init(decoding bytes: some Collection<UInt8>) throws(VarlinkProtocolError) {
        guard case .object(let members)? = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) else {
            throw VarlinkProtocolError(code: .malformedJSON, reason: "the reply is not a JSON object")
        }
        var parameters: [String: JSONValue] = [:]
        if case .object(let object)? = members["parameters"] { parameters = object }
        self.init(
            parameters: parameters,
            error: members["error"]?.stringValue,
            continues: members["continues"]?.boolValue ?? false
        )
    }

    /// Decodes the parameters into `T`, or throws the reply's error.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let error { throw VarlinkError(name: error, parameters: parameters) }
        let data = try VarlinkJSON.encoder().encode(JSONValue.object(parameters))
        return try VarlinkJSON.decoder().decode(T.self, from: data)
    }
}

/// A message that breaks the protocol itself, before any method is involved.
public struct VarlinkProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case malformedJSON
        case malformedCall
        case messageTooLarge
    }

    public var code: Code
    public var reason: String

    public init(code: Code, reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { reason }
}

/// A message's `parameters` member, decoded as `T`.
private struct ParametersEnvelope<T: Decodable>: Decodable {
    let parameters: T
}

extension DecodingError {
    /// The same error with the envelope's `parameters` key taken off the front of its path.
    fileprivate func startingAtParameters() -> DecodingError {
        func trimmed(_ context: Context) -> Context {
            guard context.codingPath.first?.stringValue == "parameters" else { return context }
            return Context(
                codingPath: Array(context.codingPath.dropFirst()),
                debugDescription: context.debugDescription,
                underlyingError: context.underlyingError
            )
        }
        switch self {
        case .typeMismatch(let type, let context): return .typeMismatch(type, trimmed(context))
        case .valueNotFound(let type, let context): return .valueNotFound(type, trimmed(context))
        case .keyNotFound(let key, let context): return .keyNotFound(key, trimmed(context))
        case .dataCorrupted(let context): return .dataCorrupted(trimmed(context))
        @unknown default: return self
        }
    }
}
