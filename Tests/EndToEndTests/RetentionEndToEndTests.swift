import Foundation
import Postgres
import TestSupport
import Testing

/// `incidentd purge` and `incidentctl hold` against a running daemon.
@Suite struct RetentionEndToEndTests {
    @Test func purgeThroughTheDaemonRespectsLegalHoldAndIsAudited() async throws {
        let directory = try TemporaryDirectory(prefix: "iretain")
        defer { directory.remove() }
        let config = directory.appending("incidentd.yaml")
        try "retentionDays: 30\n".write(toFile: config, atomically: true, encoding: .utf8)
        try await withDaemon(arguments: ["--config", config]) { daemon, database in
            var references: [String] = []
            for title in ["Old one", "Old but held", "Fresh"] {
                let filed = try await daemon.ctl(["report", "--title", title, "--description", "Alice Example"])
                references.append(
                    try #require(filed.stdout.firstMatch(of: /INC-\d{4}-\d{6}/).map { String($0.output) })
                )
            }
            let connection = try database.connect()
            defer { connection.close() }
            _ = try connection.execute(
                "UPDATE incidents SET phase = 'closed', closed_at = now() - interval '40 days' WHERE title IN ('Old one', 'Old but held')"
            )
            let hold = try await daemon.ctl(["hold", references[1], "--reason", "Litigation notice 17"])
            #expect(hold.status == 0, "\(hold)")
            #expect(try await daemon.ctl(["hold", references[2]]).status == 2, "a hold needs a reason")

            let purge = ["--config", config, "--socket", daemon.socketPath, "purge"]
            let dry = try await runCommand(Binaries.incidentd, purge + ["--dry-run"])
            #expect(
                dry.status == 0 && dry.stdout.contains("would purge  \(references[0])")
                    && !dry.stdout.contains(references[1]),
                "\(dry)"
            )
            let done = try await runCommand(Binaries.incidentd, purge)
            #expect(done.status == 0 && done.stdout.contains("purged  \(references[0])"), "\(done)")
            let again = try await runCommand(Binaries.incidentd, purge)
            #expect(again.stdout.contains("nothing purged"), "\(again)")

            let show = try await daemon.ctl(["show", references[0]])
            #expect(
                show.stdout.contains("Purged incident") && show.stdout.contains("personal data removed")
                    && !show.stdout.contains("Alice"),
                "\(show)"
            )
            let held = try await daemon.ctl(["show", references[1]])
            #expect(held.stdout.contains("Legal hold") && held.stdout.contains("Alice Example"), "\(held)")
            let audit = try await daemon.ctl(["audit", "query", "--action", "Purge"])
            #expect(audit.stdout.contains(references[0]) && audit.stdout.contains("retention"), "\(audit)")
        }
    }
}
