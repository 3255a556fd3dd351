import Foundation
import TestSupport
import Testing
import Varlink

/// The database is not there when incidentd starts.
@Suite struct DatabaseOutageTests {
    @Test func incidentdWaitsForAnUnreachableDatabaseAndIsReadyOnlyOnceConnected() async throws {
        let database = try TestDatabase.named(prefix: "late")
        do {
            try await waitsForTheDatabase(database)
        } catch {
            await offThePool { database.drop() }
            throw error
        }
        await offThePool { database.drop() }
    }

    func waitsForTheDatabase(_ database: TestDatabase) async throws {
        let daemon = try await DaemonProcess(database: database)
        defer { daemon.cleanUp() }
        // The database does not exist yet: incidentd says so, keeps trying, and is not ready.
        let deadline = Date().addingTimeInterval(60)
        while !daemon.log.contains("cannot reach PostgreSQL yet; retrying"), Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(daemon.log.contains("cannot reach PostgreSQL yet; retrying"), "\(daemon.log)")
        #expect(daemon.isRunning)
        #expect((try? VarlinkClient(path: daemon.socketPath)) == nil, "no socket before the database is reachable")

        let created = Date()
        try await offThePool { try database.createNow() }
        try await daemon.waitUntilReady()
        print(
            "database outage at start: ready \(String(format: "%.2f", Date().timeIntervalSince(created))) s after the database appeared"
        )
        #expect(try await daemon.ctl(["report", "--title", "After the wait", "--description", "d"]).status == 0)
    }

    @Test func withAShortTimeoutItGivesUpWithAClearError() async throws {
        let database = try TestDatabase.named(prefix: "never")
        let directory = try TemporaryDirectory(prefix: "iout")
        defer { directory.remove() }
        let config = directory.appending("incidentd.yaml")
        try "databaseStartTimeoutSeconds: 1\n".write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try await DaemonProcess(database: database, arguments: ["--config", config])
        defer { daemon.cleanUp() }
        let deadline = Date().addingTimeInterval(60)
        while daemon.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!daemon.isRunning)
        #expect(
            daemon.log.contains("cannot connect to PostgreSQL") && daemon.log.contains("gave up after 1"),
            "\(daemon.log)"
        )
    }
}
