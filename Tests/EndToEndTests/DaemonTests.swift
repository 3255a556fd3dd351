import Foundation
import Postgres
import TestSupport
import Testing
import Varlink

@Suite struct DaemonTests {
    @Test func sigtermStopsCleanlyAndRemovesTheSocket() async throws {
        try await withDaemon { daemon, _ in
            #expect(await daemon.stop() == 0, "\(daemon.log)")
            #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
        }
    }

    @Test func aFailingMigrationStopsStartUpNamingTheFile() async throws {
        try await withTestDatabase { database in
            let migrations = try TemporaryDirectory(prefix: "imig")
            defer { migrations.remove() }
            try "CREATE TABLE fine (id int);".write(
                toFile: migrations.appending("0001_fine.sql"),
                atomically: true,
                encoding: .utf8
            )
            try "CREATE TABL broken;".write(
                toFile: migrations.appending("0002_broken.sql"),
                atomically: true,
                encoding: .utf8
            )
            let daemon = try await DaemonProcess(database: database, arguments: ["--migrations-dir", migrations.path])
            defer { daemon.cleanUp() }
            await #expect(throws: TestSetupError.self) { try await daemon.waitUntilReady(timeout: .seconds(30)) }
            #expect(daemon.log.contains("0002_broken.sql"))
            let connection = try database.connect()
            defer { connection.close() }
            let tables = try connection.query("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'")
            #expect(try tables.first?.decode(Int.self, "n") == 0, "the database is left as it was")
        }
    }

    @Test func aBrokenConfigFileIsRefusedWithItsLine() async throws {
        let path = "/tmp/incidentd-bad-\(UUID().uuidString).yaml"
        try "socket: /tmp/x.sock\nsokcetGroup: staff\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await runCommand(Binaries.incidentd, ["--config", path, "--check-config"])
        #expect(result.status == 78)
        #expect(result.stderr.contains("\(path):2"))
        #expect(result.stderr.contains("unknown key sokcetGroup"))
    }

    /// The embedded default: no database configured, so incidentd runs its own cluster in the
    /// state directory, and stops it on shutdown.
    @Test(.timeLimit(.minutes(8)))
    func runsOnItsEmbeddedPostgreSQL() async throws {
        try TestDatabase.requireServer()  // PostgreSQL's programs are installed
        var environment = ProcessInfo.processInfo.environment
        for name in ["PGHOST", "PGDATABASE", "PGUSER", "PGPORT", "PGSERVICE"] { environment[name] = nil }
        let daemon = try await DaemonProcess(database: nil, environment: environment)
        defer { daemon.cleanUp() }
        try await daemon.waitUntilReady(timeout: .seconds(120))
        let report = try await daemon.ctl(["report", "--title", "Embedded", "--description", "works"])
        #expect(report.status == 0, "\(report)\n\(daemon.log)")
        #expect(try await daemon.ctl(["list"]).stdout.contains("Embedded"))
        let pidFile = daemon.directory.appending("state/postgres/data/postmaster.pid")
        let postmaster = try #require(
            try String(contentsOfFile: pidFile, encoding: .utf8).split(separator: "\n").first.flatMap { Int32($0) }
        )
        #expect(await daemon.stop() == 0, "\(daemon.log)")
        #expect(kill(postmaster, 0) != 0, "the embedded cluster stopped with the daemon")
    }
}
