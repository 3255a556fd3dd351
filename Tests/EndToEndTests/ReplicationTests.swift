import Foundation
import IncidentProtocol
import Postgres
import TestSupport
import Testing
import Varlink

/// What incidentd acknowledges is durable on the server it wrote to; it survives that
/// server's loss only with a synchronous standby. `synchronousStandby` makes the daemon check
/// at start (docs/operations.md).
@Suite struct ReplicationTests {
    /// A primary and a streaming standby of its own (pg_basebackup -R), both on Unix sockets.
    struct Pair {
        let servers: PrivateServers
        var primary: String { servers.work.appending("primary") }
        var standby: String { servers.work.appending("standby") }
        var primarySocket: String { servers.work.appending("p") }
        var standbySocket: String { servers.work.appending("s") }

        init(synchronous: Bool = true) async throws {
            servers = try PrivateServers(prefix: "pair", directories: ["p", "s"])
            try await servers.run(
                "initdb",
                ["--pgdata", primary, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions"]
            )
            try await servers.start(
                primary,
                socket: primarySocket,
                extra: synchronous ? "-c synchronous_standby_names=*" : ""
            )
            try await servers.run(
                "pg_basebackup",
                [
                    "--pgdata", standby, "--wal-method=stream", "--checkpoint=fast", "--write-recovery-conf",
                    "--host", primarySocket, "-U", "postgres",
                ]
            )
            try await servers.start(standby, socket: standbySocket)
        }

        func sql(_ socket: String, _ query: String, database: String = "postgres") throws -> [PostgresRow] {
            try servers.sql(socket, query, database: database)
        }

        func stop() {
            servers.kill(primary)
            servers.kill(standby)
            servers.work.remove()
        }
    }

    /// The primary dies (-m immediate) while 8 clients file; the standby is promoted. The
    /// daemon, on a multi-host connection string, reconnects to the new primary by itself;
    /// with synchronous replication every report it acknowledged is there exactly once, the
    /// chain verifies, and every report's hook delivery runs. With asynchronous replication
    /// the same run counts the acknowledged reports the new primary lacks (docs/operations.md).
    @Test(arguments: [true, false])
    func failoverToAPromotedStandby(synchronous: Bool) async throws {
        let pair = try await Pair(synchronous: synchronous)
        defer { pair.stop() }
        let name = "failover"
        _ = try pair.sql(pair.primarySocket, "CREATE DATABASE \(name)")
        let standbyReady = try await HookTests().waitFor(30) {
            let rows = try pair.sql(
                pair.primarySocket,
                "SELECT count(*) AS n FROM pg_stat_replication WHERE sync_state = '\(synchronous ? "sync" : "async")'"
            )
            return try rows.first?.decode(Int64.self, "n") == 1
        }
        try #require(standbyReady, "the standby streams, synchronously: \(synchronous)")
        // The watch polls every ten minutes: only a notification shows it a report at once.
        let setup = try HookTests.Setup.receiver(
            extra: "synchronousStandby: \(synchronous ? "require" : "off")\ndatabaseStartTimeoutSeconds: 60\n"
                + "watchPollIntervalMilliseconds: 600000"
        )
        defer { setup.directory.remove() }
        let database = TestDatabase(
            name: name,
            host: "\(pair.primarySocket),\(pair.standbySocket) target_session_attrs=read-write user=postgres"
        )
        let daemon = try await DaemonProcess(database: database, arguments: ["--config", setup.config])
        defer { daemon.cleanUp() }
        try await daemon.waitUntilReady()

        // Each client files until told to stop, retrying a report with its own idempotency
        // key until it is acknowledged; acknowledged references and times are kept.
        let acknowledged = Acknowledged()
        let killed = Acknowledged.Instant()
        let stopping = Acknowledged.Instant()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<8 {
                group.addTask {
                    var number = 0
                    while stopping.value == nil {
                        number += 1
                        let key = "failover-\(client)-\(number)"
                        while true {
                            let started = Date()
                            let filed = try await daemon.ctl([
                                "report", "--title", "Failover \(client)-\(number)", "--description", "d",
                                "--idempotency-key", key, "--no-save",
                            ])
                            if filed.status == 0, let reference = filed.stdout.firstMatch(of: /INC-\d{4}-\d{6}/) {
                                acknowledged.add(String(reference.output), key: key, started: started)
                                break
                            }
                            try await Task.sleep(for: .milliseconds(100))
                        }
                    }
                }
            }
            group.addTask {
                while acknowledged.count < 40 { try await Task.sleep(for: .milliseconds(20)) }
                pair.servers.kill(pair.primary)
                killed.set()
                try await pair.servers.run("pg_ctl", ["--pgdata", pair.standby, "--wait", "promote"])
                let before = acknowledged.count
                while acknowledged.count < before + 40 { try await Task.sleep(for: .milliseconds(20)) }
                stopping.set()
            }
            try await group.waitForAll()
        }
        let killedAt = try #require(killed.value)
        let firstAfter = try #require(acknowledged.firstAcknowledged(after: killedAt))
        let seconds = firstAfter.timeIntervalSince(killedAt)
        print(
            "failover: the first report sent after the primary died was acknowledged "
                + "\(String(format: "%.2f", seconds)) s after its death (\(acknowledged.count) acknowledged in all)"
        )

        let rows = try pair.sql(
            pair.standbySocket,
            "SELECT reference, count(*) OVER (PARTITION BY idempotency_key) AS copies FROM incidents",
            database: name
        )
        let stored = try Set(rows.map { try $0.decode(String.self, "reference") })
        let references = acknowledged.references
        let lost = references.subtracting(stored)
        print(
            "failover (\(synchronous ? "synchronous" : "asynchronous") replication): \(lost.count) of "
                + "\(references.count) acknowledged reports missing on the new primary"
        )
        if synchronous { #expect(lost.isEmpty, "every acknowledged report is on the new primary: lost \(lost)") }
        #expect(try rows.allSatisfy { try $0.decode(Int64.self, "copies") == 1 }, "each exactly once")
        let verified = try await daemon.ctl(["audit", "verify"])
        #expect(verified.status == 0, "\(verified)")
        let delivered = try await HookTests().waitFor(90) { setup.lines("delivered").count >= stored.count }
        #expect(delivered, "every delivery ran: \(setup.lines("delivered").count) of \(stored.count)")

        // The daemon listens again, on the new primary: a watch sees a new report within a
        // minute although it polls only every ten.
        let watch = try await BackgroundCommand(Binaries.incidentctl, ["watch", "--socket", daemon.socketPath])
        defer { watch.stop() }
        #expect(await watch.waitFor { _, stderr in stderr.contains("Watching events") }, "\(watch.stderr)")
        try await Task.sleep(for: .seconds(1))  // past its first read: now it waits for a wake-up
        let after = try await daemon.ctl(["report", "--title", "Heard again", "--description", "d"])
        #expect(after.status == 0, "\(after)")
        #expect(
            await watch.waitFor(60) { stdout, _ in stdout.contains("Heard again") },
            "LISTEN/NOTIFY wake-ups resumed on the new primary: \(watch.stdout)\n\(daemon.log.suffix(2000))"
        )
    }

    @Test func aMissingSynchronousStandbyIsRefusedOrWarnedAbout() async throws {
        let directory = try TemporaryDirectory(prefix: "sync")
        defer { directory.remove() }
        try await withTestDatabase { database in
            let require = directory.appending("require.yaml")
            try "synchronousStandby: require\n".write(toFile: require, atomically: true, encoding: .utf8)
            let refused = try await DaemonProcess(database: database, arguments: ["--config", require])
            defer { refused.cleanUp() }
            let failure = await #expect(throws: TestSetupError.self) { try await refused.waitUntilReady() }
            #expect(
                failure?.message.contains(
                    "synchronousStandby is require, but the database server names no synchronous standby"
                )
                    == true,
                "\(refused.log)"
            )

            let warn = directory.appending("warn.yaml")
            try "synchronousStandby: warn\n".write(toFile: warn, atomically: true, encoding: .utf8)
            let warned = try await DaemonProcess(database: database, arguments: ["--config", warn])
            defer { warned.cleanUp() }
            try await warned.waitUntilReady()
            #expect(warned.log.contains("names no synchronous standby"), "\(warned.log)")
            #expect(try await warned.ctl(["report", "--title", "t", "--description", "d"]).status == 0)

            let bad = directory.appending("bad.yaml")
            try "synchronousStandby: yes\n".write(toFile: bad, atomically: true, encoding: .utf8)
            let check = try await runCommand(Binaries.incidentd, ["--check-config", "--config", bad])
            #expect(
                check.status == 78 && check.stderr.contains("synchronousStandby must be off, warn or require"),
                "\(check)"
            )
        }
    }
}

/// The reports acknowledged during a run, and when; shared by the clients.
final class Acknowledged: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(reference: String, key: String, started: Date, at: Date)] = []

    /// `reference` acknowledged now, for the attempt sent at `started`.
    func add(_ reference: String, key: String, started: Date) {
        lock.withLock { entries.append((reference, key, started, Date())) }
    }

    var count: Int { lock.withLock { entries.count } }
    var references: Set<String> { lock.withLock { Set(entries.map(\.reference)) } }

    /// When the first report whose attempt was sent after `instant` was acknowledged.
    func firstAcknowledged(after instant: Date) -> Date? {
        lock.withLock { entries.filter { $0.started > instant }.map(\.at).min() }
    }

    /// A moment set once.
    final class Instant: @unchecked Sendable {
        private let lock = NSLock()
        private var moment: Date?
        var value: Date? { lock.withLock { moment } }
        func set() { lock.withLock { moment = moment ?? Date() } }
    }
}
