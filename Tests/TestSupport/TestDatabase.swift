import Foundation
import Postgres

/// Why a live test could not even start. Tests fail with it — they never skip — so a CI run
/// without PostgreSQL is red, not silently green.
public struct TestSetupError: Error, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A database of its own for one test, created from the PostgreSQL the `PG*` variables name
/// (`scripts/with-postgres.sh` sets them; `make test` uses it), dropped afterwards.
public struct TestDatabase: Sendable {
    public let name: String
    /// The server's socket directory, when it is not the environment's (a restored copy).
    public var host: String?

    public init(name: String, host: String? = nil) {
        self.name = name
        self.host = host
    }

    /// The conninfo for this database; host, port and user come from the environment unless
    /// `host` names another server.
    public var conninfo: String { (host.map { "host=\($0) " } ?? "") + "dbname=\(name)" }
    /// The key file every daemon on this database uses, in a directory of the user's own: one
    /// left in /tmp by another user's run (root's, on a shared machine) is not writable.
    public var keyFile: String { "/tmp/incidentd-test-keys-\(getuid())/\(name).keys" }

    public static func requireServer() throws {
        let environment = ProcessInfo.processInfo.environment
        guard environment["PGHOST"] != nil || environment["PGDATABASE"] != nil || environment["PGSERVICE"] != nil else {
            throw TestSetupError(
                "these tests need PostgreSQL: run them with 'make test', or set PGHOST/PGUSER to a server "
                    + "where the user may create databases"
            )
        }
    }

    /// Creates a fresh, empty database.
    public static func create(prefix: String = "t") throws -> TestDatabase {
        let database = try named(prefix: prefix)
        try database.createNow()
        return database
    }

    /// A database with a fresh name that does not exist yet (`createNow` makes it).
    public static func named(prefix: String = "t") throws -> TestDatabase {
        try requireServer()
        return TestDatabase(
            name: "\(prefix)_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16))"
        )
    }

    public func createNow() throws {
        let admin = try PostgresConnection(conninfo: "")
        defer { admin.close() }
        try admin.execute("CREATE DATABASE \(name)")
    }

    /// Drops the database, disconnecting anyone still using it.
    public func drop() {
        unlink(keyFile)
        guard let admin = try? PostgresConnection(conninfo: "") else { return }
        defer { admin.close() }
        _ = try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    public func connect() throws -> PostgresConnection {
        try PostgresConnection(conninfo: conninfo)
    }
}

/// Runs `body` with a fresh database and drops it afterwards, whatever happens.
public func withTestDatabase<R>(_ body: (TestDatabase) async throws -> R) async throws -> R {
    let database = try await offThePool { try TestDatabase.create() }
    do {
        let result = try await body(database)
        await offThePool { database.drop() }
        return result
    } catch {
        await offThePool { database.drop() }
        throw error
    }
}

/// Runs `body` on a thread of its own, off Swift's cooperative pool. CREATE and DROP DATABASE
/// wait for every backend of the server to absorb a barrier, and a backend blocked writing to
/// a test's pipe (pg_dump's COPY, say) is drained only by a task that needs the pool: run on
/// the pool, the drop would wait for itself.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

public func offThePool(_ body: @escaping @Sendable () -> Void) async {
    await withCheckedContinuation { continuation in
        Thread {
            body()
            continuation.resume()
        }.start()
    }
}
