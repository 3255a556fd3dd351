import Foundation
import IncidentCore
import IncidentStore
import Logging
import Postgres
import TestSupport
import Testing

@Suite struct MigrationTests {
    let logger = Logger(label: "test")

    func withPool<R>(_ body: (PostgresPool, TestDatabase) async throws -> R) async throws -> R {
        try await withTestDatabase { database in
            let pool = PostgresPool(
                configuration: .init(conninfo: database.conninfo, maximumConnections: 4),
                logger: logger
            )
            defer { Task { await pool.shutdown() } }
            return try await body(pool, database)
        }
    }

    func tables(_ pool: PostgresPool) async throws -> Set<String> {
        try await pool.withConnection { connection in
            Set(
                try connection.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                    .map { try $0.decode(String.self, "tablename") }
            )
        }
    }

    @Test func theShippedMigrationsApplyOnceAndAreRecorded() async throws {
        try await withPool { pool, _ in
            let migrations = try Migration.load(from: Migration.defaultDirectory())
            #expect(migrations.first?.version == 1)
            let migrator = Migrator(pool: pool, logger: logger)
            #expect(try await migrator.migrate(migrations) == migrations.map(\.version))
            #expect(try await migrator.migrate(migrations) == [])
            let tables = try await tables(pool)
            #expect(tables.isSuperset(of: ["incidents", "events", "audit_log", "schema_migrations"]))
            let recorded = try await pool.withConnection { connection in
                try connection.query("SELECT version, checksum FROM schema_migrations").map {
                    (try $0.decode(Int.self, "version"), try $0.decode(String.self, "checksum"))
                }
            }
            #expect(recorded.map(\.0) == migrations.map(\.version))
            #expect(recorded.allSatisfy { $0.1.count == 64 })
        }
    }

    @Test func aFailingMigrationLeavesTheDatabaseAsItWas() async throws {
        try await withPool { pool, _ in
            let migrations = [
                Migration(version: 1, name: "0001_good.sql", sql: "CREATE TABLE good (id int)"),
                Migration(version: 2, name: "0002_bad.sql", sql: "CREATE TABLE also_good (id int); SELEC oops"),
            ]
            do {
                try await Migrator(pool: pool, logger: logger).migrate(migrations)
                Issue.record("a broken migration was applied")
            } catch let error as MigrationError {
                #expect(error.code == .migrationFailed)
                #expect(error.file == "0002_bad.sql")
                #expect(error.description.contains("0002_bad.sql"))
            }
            #expect(try await tables(pool).isEmpty, "nothing, not even schema_migrations, survives")
        }
    }

    @Test func anOlderIncidentdRefusesANewerSchema() async throws {
        try await withPool { pool, _ in
            let migrator = Migrator(pool: pool, logger: logger)
            try await migrator.migrate([
                Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (id int)"),
                Migration(version: 2, name: "0002_b.sql", sql: "CREATE TABLE b (id int)"),
            ])
            do {
                try await migrator.migrate([Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (id int)")])
                Issue.record("an older migration set accepted a newer schema")
            } catch let error as MigrationError {
                #expect(error.code == .schemaTooNew)
                #expect(error.description.contains("version 2"))
            }
        }
    }

    /// A rolling upgrade (docs/operations.md): the daemon not yet replaced keeps serving a
    /// schema whose newer migrations are all expand steps, and refuses one with a contract
    /// step, naming it.
    @Test func anOlderIncidentdServesANewerSchemaOnlyThroughExpandSteps() async throws {
        try await withPool { pool, _ in
            let migrator = Migrator(pool: pool, logger: logger)
            let older = [Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (id int)")]
            let expand = Migration(
                version: 2,
                name: "0002_add.sql",
                sql: "-- incidentd-migration: expand\nALTER TABLE a ADD COLUMN note text",
                expand: true
            )
            try await migrator.migrate(older + [expand])
            #expect(try await migrator.migrate(older) == [], "served, with nothing applied")
            let contract = Migration(version: 3, name: "0003_drop.sql", sql: "ALTER TABLE a DROP COLUMN id")
            try await migrator.migrate(older + [expand, contract])
            do {
                try await migrator.migrate(older)
                Issue.record("an older migration set accepted a contract step it does not know")
            } catch let error as MigrationError {
                #expect(error.code == .schemaTooNew)
                #expect(error.file == "0003_drop.sql")
                #expect(error.description.contains("version 3") && error.description.contains("0003_drop.sql"))
            }
            await #expect(throws: MigrationError.self, "a daemon one expand step behind a contract step refuses too") {
                try await migrator.migrate(older + [expand])
            }
        }
    }

    @Test func aMigrationDeclaresItsKindOrIsRefusedByName() throws {
        let directory = try TemporaryDirectory(prefix: "kinds")
        defer { directory.remove() }
        try "-- Adds a column.\n-- incidentd-migration: expand\nALTER TABLE a ADD COLUMN b int;\n"
            .write(toFile: directory.appending("0001_add.sql"), atomically: true, encoding: .utf8)
        try "ALTER TABLE a DROP COLUMN b;\n"
            .write(toFile: directory.appending("0002_drop.sql"), atomically: true, encoding: .utf8)
        let loaded = try Migration.load(from: URL(fileURLWithPath: directory.path))
        #expect(loaded.map(\.expand) == [true, false])
        try "-- incidentd-migration: expandable\nSELECT 1;\n"
            .write(toFile: directory.appending("0003_odd.sql"), atomically: true, encoding: .utf8)
        do {
            _ = try Migration.load(from: URL(fileURLWithPath: directory.path))
            Issue.record("an unknown kind was accepted")
        } catch {
            #expect(error.code == .badDirective && error.file == "0003_odd.sql")
            #expect(error.description.contains("incidentd-migration: expandable"), "\(error)")
        }
    }

    @Test func aMigrationEditedAfterItWasAppliedIsRefusedByName() async throws {
        try await withPool { pool, _ in
            let migrator = Migrator(pool: pool, logger: logger)
            try await migrator.migrate([Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (id int)")])
            do {
                try await migrator.migrate([
                    Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (id bigint)"),
                    Migration(version: 2, name: "0002_b.sql", sql: "CREATE TABLE b (id int)"),
                ])
                Issue.record("an edited migration was accepted")
            } catch let error as MigrationError {
                #expect(error.code == .changedAfterApplied)
                #expect(
                    error.description.contains("0001_a.sql") && error.description.contains("new migration"),
                    "\(error)"
                )
            }
            #expect(try await tables(pool).contains("b") == false, "nothing newer was applied")
            try await migrator.migrate([Migration(version: 1, name: "0001_a.sql", sql: "CREATE TABLE a (id int)")])
        }
    }

    @Test func concurrentStartsApplyEachMigrationOnce() async throws {
        try await withPool { pool, _ in
            let migrations = try Migration.load(from: Migration.defaultDirectory())
            let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 {
                    group.addTask { try await Migrator(pool: pool, logger: logger).migrate(migrations) }
                }
                return try await group.reduce(into: [Int]()) { $0 += $1 }
            }
            #expect(applied.sorted() == migrations.map(\.version))
        }
    }

    @Test func upgradingSealsRecordsWrittenBeforeTheChainExisted() async throws {
        try await withPool { pool, _ in
            let migrations = try Migration.load(from: Migration.defaultDirectory())
            let migrator = Migrator(pool: pool, logger: logger)
            try await migrator.migrate(Array(migrations.prefix(1)))
            try await pool.transaction { connection in
                try connection.execute(
                    "INSERT INTO audit_log (uid, user_name, pid, action, outcome) VALUES (0, 'root', 1, 'Report', 'created')"
                )
            }
            try await migrator.migrate(migrations)
            #expect(try await AuditStore(pool: pool).seal() == 1)
            let verification = try await AuditStore(pool: pool).verify(
                key: .generate(),
                audit: AuditRecord(caller: Caller(uid: 0, gid: 0, pid: 1, userName: "root"), action: "AuditVerify")
            )
            #expect(verification.broken == nil)
            #expect(verification.verified == 1)
        }
    }

    @Test func badFileNamesAreRefused() throws {
        let directory = try TemporaryDirectory(prefix: "imig")
        defer { directory.remove() }
        try "SELECT 1".write(toFile: directory.appending("first.sql"), atomically: true, encoding: .utf8)
        #expect(throws: MigrationError.self) { try Migration.load(from: directory.url) }
    }

    @Test func auditLogRefusesUpdateDeleteAndTruncate() async throws {
        try await withPool { pool, _ in
            try await Migrator(pool: pool, logger: logger).migrate(
                try Migration.load(from: Migration.defaultDirectory())
            )
            try await pool.transaction { connection in
                try connection.execute(
                    "INSERT INTO audit_log (uid, user_name, pid, action, outcome) VALUES (0, 'root', 1, 'Get', 'ok')"
                )
            }
            for statement in ["UPDATE audit_log SET outcome = 'denied'", "DELETE FROM audit_log", "TRUNCATE audit_log"]
            {
                do {
                    try await pool.transaction { try $0.execute(statement) }
                    Issue.record("\(statement) was allowed")
                } catch let error as PostgresError {
                    #expect(error.sqlState == .insufficientPrivilege, "\(statement)")
                }
            }
        }
    }
}
