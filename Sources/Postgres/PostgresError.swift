/// An error from PostgreSQL or from the binding itself.
///
/// `description` is safe to show to a person: it names what failed, never the query's
/// parameters. The server's own message (which may quote values) is in `debugDescription`.
public struct PostgresError: Error, CustomStringConvertible, CustomDebugStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: Hashable, Sendable {
            case connectionFailed
            case connectionLost
            case server
            case decoding
            case poolClosed
            case invalidValue
        }

        fileprivate let base: Base

        /// The server could not be reached or refused the connection.
        public static let connectionFailed = Code(base: .connectionFailed)
        /// An established connection broke (server restarted, network gone).
        public static let connectionLost = Code(base: .connectionLost)
        /// The server answered with an error; see `sqlState`.
        public static let server = Code(base: .server)
        /// A value could not be decoded into the requested Swift type.
        public static let decoding = Code(base: .decoding)
        /// The pool was shut down.
        public static let poolClosed = Code(base: .poolClosed)
        /// A parameter cannot be sent (PostgreSQL text cannot hold a NUL character).
        public static let invalidValue = Code(base: .invalidValue)

        public var description: String {
            switch base {
            case .connectionFailed: "connectionFailed"
            case .connectionLost: "connectionLost"
            case .server: "server"
            case .decoding: "decoding"
            case .poolClosed: "poolClosed"
            case .invalidValue: "invalidValue"
            }
        }
    }

    public var code: Code
    /// The five-character SQLSTATE for server errors.
    public var sqlState: SQLState?
    /// The server's or libpq's message. May quote data: keep it for logs, not for people.
    public var serverMessage: String
    /// The constraint that was violated, when the server names one.
    public var constraint: String?

    public init(code: Code, sqlState: SQLState? = nil, serverMessage: String, constraint: String? = nil) {
        self.code = code
        self.sqlState = sqlState
        self.serverMessage = serverMessage
        self.constraint = constraint
    }

    /// True when retrying the whole transaction on a fresh connection may succeed.
    public var isRetryable: Bool {
        switch code.base {
        case .connectionFailed, .connectionLost: return true
        case .server:
            guard let sqlState else { return false }
            return sqlState.isRetryable
        case .decoding, .poolClosed, .invalidValue: return false
        }
    }

    public var description: String {
        switch code.base {
        case .connectionFailed: return "could not connect to PostgreSQL"
        case .connectionLost: return "the connection to PostgreSQL was lost"
        case .server: return "PostgreSQL refused the statement (SQLSTATE \(sqlState?.rawValue ?? "?"))"
        case .decoding: return "a value from PostgreSQL could not be decoded"
        case .poolClosed: return "the PostgreSQL connection pool is shut down"
        case .invalidValue: return "a value cannot be stored in PostgreSQL (it contains a NUL character)"
        }
    }

    public var debugDescription: String {
        var text = "PostgresError(code: \(code)"
        if let sqlState { text += ", sqlState: \(sqlState.rawValue)" }
        if let constraint { text += ", constraint: \(constraint)" }
        return text + ", message: \(serverMessage.trimmingTrailingWhitespace()))"
    }
}

/// A SQLSTATE code, with names for the ones this project handles.
public struct SQLState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let uniqueViolation = SQLState(rawValue: "23505")
    public static let foreignKeyViolation = SQLState(rawValue: "23503")
    public static let notNullViolation = SQLState(rawValue: "23502")
    public static let checkViolation = SQLState(rawValue: "23514")
    public static let serializationFailure = SQLState(rawValue: "40001")
    public static let deadlockDetected = SQLState(rawValue: "40P01")
    public static let undefinedTable = SQLState(rawValue: "42P01")
    public static let syntaxError = SQLState(rawValue: "42601")
    public static let insufficientPrivilege = SQLState(rawValue: "42501")
    public static let invalidTextRepresentation = SQLState(rawValue: "22P02")
    public static let raiseException = SQLState(rawValue: "P0001")
    public static let queryCanceled = SQLState(rawValue: "57014")
    public static let adminShutdown = SQLState(rawValue: "57P01")
    public static let crashShutdown = SQLState(rawValue: "57P02")
    public static let cannotConnectNow = SQLState(rawValue: "57P03")
    public static let invalidCatalogName = SQLState(rawValue: "3D000")
    public static let duplicateDatabase = SQLState(rawValue: "42P04")
    /// Among others, "cached plan must not change result type": a prepared statement's table
    /// changed shape under it (a migration ran meanwhile).
    public static let featureNotSupported = SQLState(rawValue: "0A000")
    /// The server could not extend a file: its disk (or the tablespace's) is full.
    public static let diskFull = SQLState(rawValue: "53100")

    /// Class 08 (connection exception), the shutdown / serialization codes and a full disk
    /// (the statement changed nothing; it succeeds once space is freed).
    public var isRetryable: Bool {
        rawValue.hasPrefix("08") || self == .serializationFailure || self == .deadlockDetected
            || self == .adminShutdown || self == .crashShutdown || self == .cannotConnectNow || self == .diskFull
    }

    public var description: String { rawValue }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var text = self
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
