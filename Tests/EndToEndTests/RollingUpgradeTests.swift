import Foundation
import IncidentProtocol
import Postgres
import TestSupport
import Testing
import Varlink

/// Two daemons on one database; one is replaced by a release with one more migration while
/// clients keep filing through both (docs/operations.md, "Upgrades"). The newer release is
/// this build with a migrations directory holding one more file: the schema is the only thing
/// two daemons on one database must agree on.
@Suite struct RollingUpgradeTests {
    static let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("db/migrations")

    /// A migrations directory: the shipped files and `extra` (name → SQL).
    static func migrations(in directory: String, extra: [String: String]) throws -> String {
        let manager = FileManager.default
        try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in try manager.contentsOfDirectory(atPath: shipped.path) where name.hasSuffix(".sql") {
            try manager.copyItem(atPath: shipped.appendingPathComponent(name).path, toPath: directory + "/" + name)
        }
        for (name, sql) in extra { try sql.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8) }
        return directory
    }

    static let expand = """
        -- A column the next release reads; this release's queries never name it.
        -- incidentd-migration: expand
        ALTER TABLE incidents ADD COLUMN upgrade_probe text;
        """
    static let contract = """
        -- Removes what the previous release still used: older daemons must be gone first.
        ALTER TABLE incidents DROP COLUMN upgrade_probe;
        """

    @Test(.timeLimit(.minutes(5)))
    func aDaemonReplacedByOneWithAnExpandMigrationLosesNothing() async throws {
        try await withTestDatabase { database in
            let directory = try TemporaryDirectory(prefix: "upgrade")
            defer { directory.remove() }
            let newer = try Self.migrations(
                in: directory.appending("newer"),
                extra: ["0020_upgrade_probe.sql": Self.expand]
            )
            let socketA = directory.appending("a.sock")
            let socketB = directory.appending("b.sock")
            let older = try await DaemonProcess(database: database, socketPath: socketA)
            defer { older.cleanUp() }
            var replaced = try await DaemonProcess(database: database, socketPath: socketB)
            try await older.waitUntilReady()
            try await replaced.waitUntilReady()

            // Four clients through each daemon, filing until told to stop.
            let clients = FilingClients(
                (0..<8).map { FilingClient(index: $0, socket: $0 < 4 ? socketA : socketB, prefix: "upgrade") }
            )
            #expect(try await clients.waitFor(40), "filing through both: \(clients.failures)")

            // B is replaced by the newer release, which applies the expand migration.
            #expect(await replaced.stop() == 0)
            replaced.cleanUp()
            replaced = try await DaemonProcess(
                database: database,
                arguments: ["--migrations-dir", newer],
                socketPath: socketB
            )
            defer { replaced.cleanUp() }
            try await replaced.waitUntilReady()
            let connection = try database.connect()
            defer { connection.close() }
            let recorded = try connection.query(
                "SELECT name, expand FROM schema_migrations WHERE version = 20"
            ).first.map { (try $0.decode(String.self, "name"), try $0.decode(Bool.self, "expand")) }
            #expect(recorded?.0 == "0020_upgrade_probe.sql" && recorded?.1 == true, "\(String(describing: recorded))")

            // The older daemon keeps serving the newer schema, and starts on it with a warning.
            let beforeOlder = clients.clients[0..<4].map { $0.acknowledged.count }.reduce(0, +)
            #expect(try await clients.waitFor(clients.count + 40), "\(clients.failures)")
            let afterOlder = clients.clients[0..<4].map { $0.acknowledged.count }.reduce(0, +)
            #expect(afterOlder > beforeOlder, "the older daemon acknowledged reports on the newer schema")
            #expect(await older.stop() == 0)
            let restarted = try await DaemonProcess(database: database, socketPath: socketA)
            defer { restarted.cleanUp() }
            try await restarted.waitUntilReady()
            #expect(restarted.log.contains("the database schema is newer than this incidentd"), "\(restarted.log)")
            #expect(try await clients.waitFor(clients.count + 40), "\(clients.failures)")
            try await clients.stop()
            #expect(clients.failures.isEmpty, "\(clients.failures)")

            let acknowledged = clients.acknowledged
            let stored = try connection.query(
                "SELECT idempotency_key, reference FROM incidents WHERE idempotency_key LIKE 'upgrade-%'"
            ).map { (try $0.decode(String.self, "idempotency_key"), try $0.decode(String.self, "reference")) }
            #expect(stored.count == acknowledged.count, "every acknowledged report exists exactly once")
            for (key, reference) in stored { #expect(acknowledged[key] == reference, "\(key)") }
            print(
                "rolling upgrade: \(acknowledged.count) acknowledged through two daemons, \(stored.count) stored, "
                    + "\(clients.retries) client retries while one was replaced"
            )
            let verified = try await replaced.ctl(["audit", "verify"])
            #expect(verified.status == 0, "\(verified)")

            // Once every daemon runs the newer release, the next one may contract; a daemon of
            // the release before refuses that schema, naming the migration.
            #expect(await restarted.stop() == 0)
            let contracting = try Self.migrations(
                in: directory.appending("contract"),
                extra: ["0020_upgrade_probe.sql": Self.expand, "0021_drop_upgrade_probe.sql": Self.contract]
            )
            let last = try await DaemonProcess(
                database: database,
                arguments: ["--migrations-dir", contracting],
                socketPath: directory.appending("c.sock")
            )
            defer { last.cleanUp() }
            try await last.waitUntilReady()
            let refused = try await DaemonProcess(database: database, socketPath: socketA)
            defer { refused.cleanUp() }
            let failure = await #expect(throws: TestSetupError.self) { try await refused.waitUntilReady() }
            #expect(failure?.message.contains("0021_drop_upgrade_probe.sql") == true, "\(refused.log)")
            #expect(try await last.ctl(["report", "--title", "t", "--description", "d"]).status == 0)
        }
    }
}
