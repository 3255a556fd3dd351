import CLibPQ
import Foundation
import Logging

/// One libpq connection.
///
/// Every method blocks the calling thread, so a connection is only ever used from a thread
/// of ``PostgresPool``'s thread pool (or a test's own thread), and by one thread at a time:
/// libpq allows no more. It is `@unchecked Sendable` so the pool can hand it between threads.
public final class PostgresConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    /// Set when libpq failed without a server's answer: the connection went away, even if
    /// libpq has not noticed yet.
    private var broken = false
    /// Statements prepared on this connection, by SQL text, so a statement incidentd runs again
    /// and again is parsed and planned once per connection and then only bound and run.
    private var prepared: [String: String] = [:]
    /// Numbers the prepared statements' names; never reused, even after the cache is emptied.
    private var preparedSerial = 0

    /// At most this many statements stay prepared on one connection. SQL whose text varies
    /// (filters, multi-row lists) beyond that runs unprepared, as it would anyway.
    public static let preparedStatementLimit = 128

    /// Connects with a conninfo string (`host=/run/pg dbname=x`) or a URI (`postgresql://…`);
    /// an empty string uses the `PG*` environment variables and libpq's defaults.
    public convenience init(conninfo: String, applicationName: String = "incidentd") throws(PostgresError) {
        // PQconnectdbParams with expand_dbname: the conninfo is parsed by libpq itself,
        // never assembled by string interpolation.
        try self.init(
            keywords: ["dbname", "fallback_application_name"],
            values: [conninfo, applicationName],
            expand: true
        )
    }

    /// Connects to `target`: a conninfo string as given, or keywords as they are.
    public convenience init(target: PostgresTarget, applicationName: String = "incidentd") throws(PostgresError) {
        switch target {
        case .conninfo(let conninfo): try self.init(conninfo: conninfo, applicationName: applicationName)
        case .parameters(let parameters): try self.init(parameters: parameters, applicationName: applicationName)
        }
    }

    /// Connects with libpq's keywords (`host`, `dbname`, `user`, …) passed as they are: no
    /// value is ever parsed as a conninfo string.
    public convenience init(parameters: [String: String], applicationName: String = "incidentd") throws(PostgresError) {
        let sorted = parameters.sorted { $0.key < $1.key }
        try self.init(
            keywords: sorted.map(\.key) + ["fallback_application_name"],
            values: sorted.map(\.value) + [applicationName],
            expand: false
        )
    }

    private init(keywords: [String], values: [String], expand: Bool) throws(PostgresError) {
        let connection = withArrayOfCStrings(keywords) { keywordPointers in
            withArrayOfCStrings(values) { valuePointers in
                PQconnectdbParams(keywordPointers, valuePointers, expand ? 1 : 0)
            }
        }
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let message = connection.map { String(cString: PQerrorMessage($0)) } ?? "out of memory"
            PQfinish(connection)
            throw PostgresError(code: .connectionFailed, serverMessage: message)
        }
        self.handle = connection
        // Server notices ("relation already exists, skipping") are not errors; libpq would
        // print them to standard error, outside the daemon's structured log.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        // Fix the session's text formats so decoding never depends on server configuration.
        _ = try execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 3")
    }

    deinit {
        PQfinish(handle)
    }

    /// False once the connection broke; the pool then discards it.
    public var isUsable: Bool {
        guard let handle, !broken else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// True inside a transaction block (including a failed one).
    public var isInTransaction: Bool {
        guard let handle else { return false }
        return PQtransactionStatus(handle) != PQTRANS_IDLE
    }

    /// The server process serving this connection.
    public var backendPID: Int32 {
        handle.map { PQbackendPID($0) } ?? 0
    }

    public func close() {
        PQfinish(handle)
        handle = nil
    }

    /// The channels notified on this connection (each once, however often it was notified),
    /// waiting up to `timeout` for the first when none has arrived yet. The connection must
    /// have run `LISTEN` on them, outside a transaction.
    public func notifications(waitingUpTo timeout: Duration) throws(PostgresError) -> Set<String> {
        guard let handle, !broken else {
            throw PostgresError(code: .connectionLost, serverMessage: "connection is closed")
        }
        var channels = drainNotifications(handle)
        guard channels.isEmpty else { return channels }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(
            clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        )
        guard poll(&descriptor, 1, milliseconds) > 0 else { return [] }
        guard PQconsumeInput(handle) == 1 else {
            broken = true
            throw PostgresError(code: .connectionLost, serverMessage: String(cString: PQerrorMessage(handle)))
        }
        channels = drainNotifications(handle)
        return channels
    }

    private func drainNotifications(_ handle: OpaquePointer) -> Set<String> {
        var channels: Set<String> = []
        while let notification = PQnotifies(handle) {
            channels.insert(String(cString: notification.pointee.relname))
            PQfreemem(notification)
        }
        return channels
    }

    /// Runs one parameterised statement and copies out its rows.
    @discardableResult
    public func query(_ query: PostgresQuery) throws(PostgresError) -> PostgresRows {
        guard let handle else { throw PostgresError(code: .connectionLost, serverMessage: "connection is closed") }
        // libpq takes C strings: a NUL would silently cut the value short, so refuse it.
        if let index = query.binds.firstIndex(where: { $0.map(Self.holdsNUL) ?? false }) {
            throw PostgresError(code: .invalidValue, serverMessage: "parameter $\(index + 1) contains a NUL character")
        }
        let name = try preparedName(for: query, handle)
        let result: OpaquePointer? = withArrayOfOptionalCStrings(query.binds) { values in
            if let name {
                return PQexecPrepared(handle, name, Int32(query.binds.count), values, nil, nil, 0)
            }
            return query.sql.withCString { sql in
                PQexecParams(handle, sql, Int32(query.binds.count), nil, values, nil, nil, 0)
            }
        }
        do {
            return try consume(result)
        } catch {
            // A statement whose table changed shape under it: prepare afresh next time.
            if error.sqlState == .featureNotSupported { prepared.removeAll() }
            throw error
        }
    }

    private static func holdsNUL(_ text: String) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.isEmpty ? false : memchr(bytes.baseAddress!, 0, bytes.count) != nil
        } ?? text.utf8.contains(0)
    }

    /// The name `query`'s statement is prepared under, preparing it on first use; nil when the
    /// cache is full.
    private func preparedName(for query: PostgresQuery, _ handle: OpaquePointer) throws(PostgresError) -> String? {
        if let name = prepared[query.sql] { return name }
        guard prepared.count < Self.preparedStatementLimit else { return nil }
        preparedSerial += 1
        let name = "incidentd_\(preparedSerial)"
        let result = PQprepare(handle, name, query.sql, Int32(query.binds.count), nil)
        _ = try consume(result)
        prepared[query.sql] = name
        return name
    }

    /// Runs one or more statements without parameters (simple query protocol).
    @discardableResult
    public func execute(_ sql: String) throws(PostgresError) -> PostgresRows {
        guard let handle else { throw PostgresError(code: .connectionLost, serverMessage: "connection is closed") }
        let result = PQexec(handle, sql)
        return try consume(result)
    }

    /// Runs `body` inside BEGIN … COMMIT; any error thrown rolls back and is rethrown.
    public func transaction<R>(_ body: (PostgresConnection) throws -> R) throws -> R {
        try execute("BEGIN")
        do {
            let result = try body(self)
            try execute("COMMIT")
            return result
        } catch {
            if isUsable, isInTransaction { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    private func consume(_ result: OpaquePointer?) throws(PostgresError) -> PostgresRows {
        guard let result else {
            broken = true
            throw PostgresError(code: .connectionLost, serverMessage: lastErrorMessage)
        }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return copyRows(result)
        default:
            throw error(from: result)
        }
    }

    private var lastErrorMessage: String {
        handle.map { String(cString: PQerrorMessage($0)) } ?? "connection is closed"
    }

    private func error(from result: OpaquePointer) -> PostgresError {
        func field(_ code: UInt8) -> String? {
            PQresultErrorField(result, Int32(code)).map { String(cString: $0) }
        }
        let message = field(UInt8(ascii: "M")) ?? String(cString: PQresultErrorMessage(result))
        guard let state = field(UInt8(ascii: "C")) else {
            // No SQLSTATE: libpq itself failed ("server closed the connection unexpectedly"),
            // which means the connection went away, whatever PQstatus says yet.
            broken = true
            return PostgresError(code: .connectionLost, serverMessage: message)
        }
        let sqlState = SQLState(rawValue: state)
        let code: PostgresError.Code =
            (sqlState.rawValue.hasPrefix("08") || !isUsable) ? .connectionLost : .server
        return PostgresError(
            code: code,
            sqlState: sqlState,
            serverMessage: message,
            constraint: field(UInt8(ascii: "n"))
        )
    }

    private func copyRows(_ result: OpaquePointer) -> PostgresRows {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        var columns: [String] = []
        columns.reserveCapacity(columnCount)
        for column in 0..<columnCount {
            columns.append(String(cString: PQfname(result, Int32(column))))
        }
        var values: [[String?]] = []
        values.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var rowValues: [String?] = []
            rowValues.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    rowValues.append(nil)
                } else {
                    rowValues.append(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
                }
            }
            values.append(rowValues)
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresRows(columns: columns, values: values, affectedRows: affected)
    }
}

/// Calls `body` with a NULL-terminated C array of C strings that lives only for the call.
func withArrayOfCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withArrayOfOptionalCStrings(strings.map { Optional($0) }) { pointer in body(pointer) }
}

/// Calls `body` with a NULL-terminated C array of C strings (nil stays NULL) that lives only
/// for the call. Every string is copied, NUL-terminated, into one buffer: a report's
/// statements bind hundreds of values, and a copy and a free each showed in the profile.
func withArrayOfOptionalCStrings<R>(
    _ strings: [String?],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R
) -> R {
    var bytes = 0
    for string in strings { bytes += (string?.utf8.count ?? -1) + 1 }
    return withUnsafeTemporaryAllocation(of: CChar.self, capacity: max(bytes, 1)) { buffer in
        withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: strings.count + 1) { pointers in
            var offset = 0
            for (index, string) in strings.enumerated() {
                guard var string else {
                    pointers[index] = nil
                    continue
                }
                let start = buffer.baseAddress! + offset
                let count = string.withUTF8 { utf8 in
                    if let source = utf8.baseAddress {
                        UnsafeMutableRawPointer(start).copyMemory(from: source, byteCount: utf8.count)
                    }
                    return utf8.count
                }
                start[count] = 0
                pointers[index] = UnsafePointer(start)
                offset += count + 1
            }
            pointers[strings.count] = nil
            return body(UnsafePointer(pointers.baseAddress!))
        }
    }
}
