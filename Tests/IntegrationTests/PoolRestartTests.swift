import Foundation
import IncidentDaemon
import Logging
import Postgres
import TestSupport
import Testing

/// A PostgreSQL restart must not take the pool down: it runs a cluster of its own, so the
/// shared test server is never disturbed.
@Suite struct PoolRestartTests {
    @Test(.timeLimit(.minutes(8)))
    func poolSurvivesAServerRestart() async throws {
        try TestDatabase.requireServer()
        let directory = try TemporaryDirectory(prefix: "ipr")
        defer { directory.remove() }
        let logger = Logger(label: "test")
        let cluster = try await EmbeddedPostgres(
            directory: directory.url.appendingPathComponent("pg"),
            runAsUser: "postgres",
            logger: logger
        )
        try await cluster.start()
        let pool = PostgresPool(
            configuration: .init(target: cluster.runtimeTarget, maximumConnections: 2),
            logger: logger
        )
        let before = try await pool.transaction {
            try $0.query("SELECT pg_backend_pid() AS pid").first!.decode(Int32.self, "pid")
        }

        await cluster.stop()
        // While the server is down, calls fail with a retryable error rather than hanging.
        do {
            _ = try await pool.transaction { try $0.query("SELECT 1 AS one") }
            Issue.record("a query succeeded with the server down")
        } catch let error as PostgresError {
            #expect(error.isRetryable)
        }

        try await cluster.start()
        let after = try await pool.transaction {
            try $0.query("SELECT pg_backend_pid() AS pid").first!.decode(Int32.self, "pid")
        }
        #expect(after != before)
        await pool.shutdown()
        await cluster.stop()
    }
}
