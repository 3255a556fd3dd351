import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A pool of libpq connections whose blocking calls run on a dedicated `NIOThreadPool`,
/// never on an event loop or an actor's executor.
///
/// The thread pool has one thread per connection, so it doubles as the wait queue: at most
/// `maximumConnections` jobs run at once, each holding one connection, and the rest wait in
/// the thread pool's queue. A connection that broke is discarded and replaced on next use,
/// which is how the pool survives a PostgreSQL restart.
public final class PostgresPool: Sendable {
    public struct Configuration: Sendable {
        /// Where to connect.
        public var target: PostgresTarget
        public var maximumConnections: Int
        public var applicationName: String

        public init(target: PostgresTarget, maximumConnections: Int = 8, applicationName: String = "incidentd") {
            self.target = target
            self.maximumConnections = max(1, maximumConnections)
            self.applicationName = applicationName
        }

        /// A libpq conninfo string or URI, as a person wrote it; empty means the `PG*` environment.
        public init(conninfo: String, maximumConnections: Int = 8, applicationName: String = "incidentd") {
            self.init(
                target: .conninfo(conninfo),
                maximumConnections: maximumConnections,
                applicationName: applicationName
            )
        }
    }

    private struct State {
        var idle: [PostgresConnection] = []
        var closed = false
    }

    public let configuration: Configuration
    private let threadPool: NIOThreadPool
    private let state = Mutex(State())
    private let inUse = Atomic<Int>(0)
    private let logger: Logger

    /// Connections a call holds right now (monitoring's gauge).
    public var connectionsInUse: Int { inUse.load(ordering: .relaxed) }

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.threadPool = NIOThreadPool(numberOfThreads: configuration.maximumConnections)
        self.threadPool.start()
    }

    /// Runs `body` with a connection on a pool thread. Use for work that manages its own
    /// transactions (migrations) or needs none.
    public func withConnection<R: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> R
    ) async throws -> R {
        try await threadPool.runIfActive { [self] in
            let connection = try checkOut()
            defer { checkIn(connection) }
            return try body(connection)
        }
    }

    /// Runs `body` in one transaction: everything it does commits together or not at all.
    ///
    /// If the connection turns out to be dead when the transaction starts (the server
    /// restarted while it sat idle), nothing has been sent yet, so the pool retries once
    /// on a fresh connection. Failures after BEGIN are never retried here.
    @discardableResult
    public func transaction<R: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> R
    ) async throws -> R {
        try await threadPool.runIfActive { [self] in
            var connection = try checkOut()
            // Whichever connection this ends with goes back (or, broken, is closed).
            defer { checkIn(connection) }
            do {
                try connection.execute("BEGIN")
            } catch let error as PostgresError where error.code == .connectionLost {
                logger.info("postgres connection lost while idle; reconnecting", metadata: ["db.error": "\(error)"])
                connection.close()
                connection = try connect()
                try connection.execute("BEGIN")
            }
            do {
                let result = try body(connection)
                try connection.execute("COMMIT")
                return result
            } catch {
                if connection.isUsable, connection.isInTransaction { _ = try? connection.execute("ROLLBACK") }
                throw error
            }
        }
    }

    /// Closes idle connections and stops the threads; calls already queued fail with `poolClosed`.
    public func shutdown() async {
        let idle = state.withLock { state in
            state.closed = true
            defer { state.idle = [] }
            return state.idle
        }
        for connection in idle { connection.close() }
        try? await threadPool.shutdownGracefully()
    }

    private func checkOut() throws(PostgresError) -> PostgresConnection {
        let (closed, reused) = state.withLock { state in
            (state.closed, state.closed ? nil : state.idle.popLast())
        }
        guard !closed else { throw PostgresError(code: .poolClosed, serverMessage: "pool is shut down") }
        if let reused, reused.isUsable {
            inUse.add(1, ordering: .relaxed)
            return reused
        }
        reused?.close()
        let connection = try connect()
        inUse.add(1, ordering: .relaxed)
        return connection
    }

    private func connect() throws(PostgresError) -> PostgresConnection {
        try PostgresConnection(target: configuration.target, applicationName: configuration.applicationName)
    }

    private func checkIn(_ connection: PostgresConnection) {
        inUse.subtract(1, ordering: .relaxed)
        guard connection.isUsable, !connection.isInTransaction else {
            connection.close()
            return
        }
        let keep = state.withLock { state in
            guard !state.closed else { return false }
            state.idle.append(connection)
            return true
        }
        if !keep { connection.close() }
    }
}
