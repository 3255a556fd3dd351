import IncidentStore
import Logging
import Postgres
import TestSupport

let testLogger = Logger(label: "test")

/// A fresh database with incidentd's schema and a pool on it, shut down afterwards.
func withMigratedPool<R>(_ body: (PostgresPool, TestDatabase) async throws -> R) async throws -> R {
    try await withTestDatabase { database in
        let pool = PostgresPool(configuration: .init(conninfo: database.conninfo, maximumConnections: 4), logger: testLogger)
        do {
            try await Migrator(pool: pool, logger: testLogger).migrate(try Migration.load(from: Migration.defaultDirectory()))
            let result = try await body(pool, database)
            await pool.shutdown()
            return result
        } catch {
            await pool.shutdown()
            throw error
        }
    }
}
