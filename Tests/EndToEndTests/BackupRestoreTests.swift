import Foundation
import IncidentProtocol
import Postgres
import TestSupport
import Testing
import Varlink

/// A backup made as docs/operations.md says, restored into a database that never held it:
/// every acknowledged report is there and decrypts, the audit chain and its signed
/// checkpoints verify, and the hook deliveries pending at the backup run. Without the key file
/// that went with it, or with another one, incidentd refuses to start and says why.
@Suite struct BackupRestoreTests {
    @Test func aPgDumpRestoredIntoAFreshDatabaseServesEverythingItHeld() async throws {
        let setup = try HookTests.Setup.receiver()
        defer { setup.directory.remove() }
        // The receiver is down until the restore: its deliveries are pending in the backup.
        let down = setup.directory.appending("receiver-down")
        FileManager.default.createFile(atPath: down, contents: Data())
        let dump = setup.directory.appending("incidentd.dump")
        let reports = 12
        var references: [String] = []
        let original = try TestDatabase.create(prefix: "backup")
        do {
            let daemon = try await DaemonProcess(database: original, arguments: ["--config", setup.config])
            defer { daemon.cleanUp() }
            try await daemon.waitUntilReady()
            for number in 1...reports {
                let filed = try await daemon.ctl([
                    "report", "--title", "Backup case \(number)", "--description", "sealed description \(number)",
                ])
                #expect(filed.status == 0, "\(filed)")
                if let reference = filed.stdout.firstMatch(of: /INC-\d{4}-\d{6}/) {
                    references.append(String(reference.output))
                }
            }
            #expect(try await daemon.ctl(["note", references[0], "called the partner"]).status == 0)
            // A signed checkpoint in the database, as the daemon keeps them.
            #expect(try await daemon.ctl(["audit", "checkpoint"]).status == 0, "\(daemon.log.suffix(1500))")
            #expect(await daemon.stop() == 0)
        }
        let keys = try String(contentsOfFile: original.keyFile, encoding: .utf8)
        #expect(references.count == reports)

        let dumped = try await runCommand(
            "\(PrivateServers.bindir)/pg_dump",
            ["--format=custom", "--no-owner", "--file", dump, original.name]
        )
        #expect(dumped.status == 0, "\(dumped)")
        original.drop()  // the mistake the backup is for

        try await withTestDatabase { restored in
            let loaded = try await runCommand(
                "\(PrivateServers.bindir)/pg_restore",
                ["--no-owner", "--exit-on-error", "--dbname", restored.name, dump]
            )
            #expect(loaded.status == 0, "\(loaded)")
            // Every delivery is pending in the backup. Attempts made while the receiver was down
            // put each next one up to minutes away (exponential backoff); a test cannot wait
            // for that, so they are made due now, as the restored daemon would reach them later.
            let connection = try restored.connect()
            let pending = try connection.query(
                "SELECT count(*) AS n FROM hook_deliveries WHERE state IN ('pending', 'running')"
            ).first?.decode(Int64.self, "n")
            #expect(pending == Int64(reports), "pending in the backup: \(String(describing: pending))")
            try connection.execute("UPDATE hook_deliveries SET next_attempt_at = now() WHERE state = 'pending'")
            connection.close()
            // The key file travels with the backup.
            try FileManager.default.createDirectory(
                atPath: (restored.keyFile as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
            try keys.write(toFile: restored.keyFile, atomically: true, encoding: .utf8)
            chmod(restored.keyFile, 0o600)

            // The receiver is back before the restored daemon starts: an attempt it made while
            // the receiver was still down would push the next one minutes away.
            try FileManager.default.removeItem(atPath: down)
            let daemon = try await DaemonProcess(database: restored, arguments: ["--config", setup.config])
            defer { daemon.cleanUp() }
            try await daemon.waitUntilReady()
            let listed = try await daemon.ctl(["list", "--json", "--limit", "1000"])
            let list = try VarlinkJSON.decoder().decode(IncidentsWire.ListReply.self, from: Data(listed.stdout.utf8))
            #expect(Set(list.incidents.map(\.reference.rawValue)) == Set(references), "no acknowledged report missing")
            for (index, reference) in references.enumerated() {
                let shown = try await daemon.ctl(["show", reference])
                #expect(shown.stdout.contains("sealed description \(index + 1)"), "decrypts: \(shown)")
            }
            let verified = try await daemon.ctl(["audit", "verify"])
            #expect(verified.status == 0, "the chain and its signed checkpoints verify: \(verified)")
            let delivered = try await HookTests().waitFor(90) { setup.lines("delivered").count >= reports }
            #expect(delivered, "every delivery pending at the backup ran: \(setup.lines("delivered").count)")
        }
    }

    /// A physical backup (pg_basebackup), started as a server of its own: the daemon on it
    /// serves every report, decrypted, and the chain verifies.
    @Test func aBaseBackupStartedAsANewServerServesEverythingItHeld() async throws {
        let servers = try PrivateServers(prefix: "base")
        defer { servers.work.remove() }
        try await withTestDatabase { database in
            var references: [String] = []
            do {
                let daemon = try await DaemonProcess(database: database)
                defer { daemon.cleanUp() }
                try await daemon.waitUntilReady()
                for number in 1...8 {
                    let filed = try await daemon.ctl([
                        "report", "--title", "Base case \(number)", "--description", "sealed base \(number)",
                    ])
                    if let reference = filed.stdout.firstMatch(of: /INC-\d{4}-\d{6}/) {
                        references.append(String(reference.output))
                    }
                }
                #expect(try await daemon.ctl(["audit", "checkpoint"]).status == 0)
                #expect(await daemon.stop() == 0)
            }
            let data = servers.work.appending("data")
            try await servers.run("pg_basebackup", ["--pgdata", data, "--wal-method=stream", "--checkpoint=fast"])
            let socket = servers.work.path
            try await servers.start(data, socket: socket)
            defer { servers.kill(data) }
            let copy = TestDatabase(name: database.name, host: socket)
            let daemon = try await DaemonProcess(database: copy)
            defer { daemon.cleanUp() }
            try await daemon.waitUntilReady()
            let listed = try await daemon.ctl(["list", "--json", "--limit", "1000"])
            let list = try VarlinkJSON.decoder().decode(IncidentsWire.ListReply.self, from: Data(listed.stdout.utf8))
            #expect(Set(list.incidents.map(\.reference.rawValue)) == Set(references), "\(listed)")
            let shown = try await daemon.ctl(["show", references[7]])
            #expect(shown.stdout.contains("sealed base 8"), "\(shown)")
            let verified = try await daemon.ctl(["audit", "verify"])
            #expect(verified.status == 0, "\(verified)")
        }
    }

    /// Restored without its key file, or with another database's, the daemon does not start,
    /// and says which key and what to restore; nothing is served from values it cannot open.
    @Test func theWrongKeyFileIsRefusedAtStartNamingTheKey() async throws {
        try await withTestDatabase { database in
            let first = try await DaemonProcess(database: database)
            try await first.waitUntilReady()
            #expect(try await first.ctl(["report", "--title", "t", "--description", "sealed"]).status == 0)
            #expect(await first.stop() == 0)
            try await withTestDatabase { other in
                let stranger = try await DaemonProcess(database: other)
                try await stranger.waitUntilReady()
                #expect(await stranger.stop() == 0)

                let wrong = try await DaemonProcess(database: database, arguments: ["--key-file", other.keyFile])
                defer { wrong.cleanUp() }
                let refused = await #expect(throws: TestSetupError.self) { try await wrong.waitUntilReady() }
                #expect(refused?.message.contains("key k1 in \(other.keyFile) is not the key") == true, "\(wrong.log)")
                #expect(wrong.log.contains("check value"), "names the database's check value: \(wrong.log)")

                let directory = try TemporaryDirectory(prefix: "nokey")
                defer { directory.remove() }
                let missing = try await DaemonProcess(
                    database: database,
                    arguments: ["--key-file", directory.appending("keys")]
                )
                defer { missing.cleanUp() }
                let gone = await #expect(throws: TestSetupError.self) { try await missing.waitUntilReady() }
                #expect(gone?.message.contains("restore the key file from your backup") == true, "\(missing.log)")
                #expect(!FileManager.default.fileExists(atPath: directory.appending("keys")), "no new key was made")
            }
        }
    }
}
