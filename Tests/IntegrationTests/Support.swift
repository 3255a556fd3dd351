import Foundation
import IncidentDaemon
import IncidentStore
import Logging
import Postgres
import TestSupport

let testLogger = Logger(label: "test")

/// A fresh database with incidentd's schema and a pool on it, shut down afterwards.
func withMigratedPool<R>(_ body: (PostgresPool, TestDatabase) async throws -> R) async throws -> R {
    try await withTestDatabase { database in
        let pool = PostgresPool(
            configuration: .init(conninfo: database.conninfo, maximumConnections: 4),
            logger: testLogger
        )
        do {
            try await Migrator(pool: pool, logger: testLogger).migrate(
                try Migration.load(from: Migration.defaultDirectory())
            )
            let result = try await body(pool, database)
            await pool.shutdown()
            return result
        } catch {
            await pool.shutdown()
            throw error
        }
    }
}

/// The daemon's configuration from a YAML file with `text`, over the test defaults.
func parseConfiguration(_ text: String) throws(ConfigurationError) -> Configuration {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString).yaml").path
    try? text.write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try Configuration(socketPath: "/tmp/x.sock", stateDirectory: "/tmp/x").applying(file: path)
}
